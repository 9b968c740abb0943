"""Declared Top-1/Top-5 against the latest `zoo eval` export beside the index."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from zoo._errors import ZooError
from zoo.cli import main
from zoo.index import load_index
from zoo.results import AccuracyRecord
from zoo.validate import Verdict, validate_model
from zoo.validate._results import load_accuracy

from .conftest import INDEX

LITE0 = "tf_efficientnet_lite0"  # declares Top 1 74.83%, Top 5 92.17%


def row(**values: object) -> dict[str, object]:
    base = {
        "model": LITE0, "backend": "torch", "precision": "fp32", "dataset": "imagenet-val", "images": 50000,
        "weights": "packaged", "top1": 74.8, "top1_ci_low": 74.4, "top1_ci_high": 75.2, "top5": 92.2,
        "top5_ci_low": 91.96, "top5_ci_high": 92.43, "measured_at": "2026-01-02T00:00:00",
    }  # fmt: skip
    return {column: {**base, **values}.get(column) for column in AccuracyRecord.COLUMNS}


def verdicts(tmp_path: Path, rows: list[dict[str, object]]) -> dict[str, Verdict]:
    path = tmp_path / "accuracy.csv"
    pd.DataFrame(rows, columns=list(AccuracyRecord.COLUMNS)).to_csv(path, index=False)
    model = load_index(INDEX).model(LITE0)
    return {v.field: v for v in validate_model(model, accuracy=load_accuracy(path))}


def test_declared_inside_the_interval_holds(tmp_path: Path) -> None:
    found = verdicts(tmp_path, [row()])
    top1, top5 = found["Top 1 Accuracy"], found["Top 5 Accuracy"]
    assert (top1.verdict, top1.declared, top1.measured) == ("ok", 74.83, 74.8)
    assert top1.convention == "zoo eval torch fp32, packaged weights"
    assert (
        "inside the measured 74.80 [74.40, 75.20] (95%) by torch fp32 on 50,000 images of imagenet-val"
    ) in top1.detail
    assert top5.verdict == "ok"


def test_the_latest_measurement_is_used(tmp_path: Path) -> None:
    older = row(top1=70.0, top1_ci_low=69.0, top1_ci_high=71.0, measured_at="2026-01-01T00:00:00")
    newer = row(top1=73.0, top1_ci_low=72.5, top1_ci_high=73.5, measured_at="2026-01-03T00:00:00")
    top1 = verdicts(tmp_path, [newer, older])["Top 1 Accuracy"]
    assert (top1.verdict, top1.measured) == ("mismatch", 73.0)
    assert "declared 74.83 is outside the measured 73.00 [72.50, 73.50]" in top1.detail


@pytest.mark.parametrize(
    "other", [row(weights="random"), row(dataset="imagenette"), row(model="tf_efficientnet_lite1")]
)
def test_rows_that_do_not_measure_the_declaration_are_ignored(
    tmp_path: Path, other: dict[str, object]
) -> None:
    top1 = verdicts(tmp_path, [other])["Top 1 Accuracy"]
    assert (top1.verdict, top1.detail) == ("unknown", "not measured")


def test_the_reference_backend_is_judged_not_the_last_row_of_a_run(tmp_path: Path) -> None:
    """One `zoo eval` run writes every backend with one measured_at; bf16 must not stand for the model."""
    bf16 = row(backend="openvino", precision="bf16", top1=73.0, top1_ci_low=72.5, top1_ci_high=73.5)
    top1 = verdicts(tmp_path, [row(), bf16])["Top 1 Accuracy"]
    assert (top1.verdict, top1.measured) == ("ok", 74.8)
    assert top1.convention == "zoo eval torch fp32, packaged weights"


def test_without_torch_fp32_another_backends_fp32_is_judged(tmp_path: Path) -> None:
    onnx = row(backend="onnxruntime", top1=73.0, top1_ci_low=72.5, top1_ci_high=73.5)
    bf16 = row(backend="openvino", precision="bf16")
    top1 = verdicts(tmp_path, [onnx, bf16])["Top 1 Accuracy"]
    assert (top1.verdict, top1.measured) == ("mismatch", 73.0)
    assert "by onnxruntime fp32 on 50,000 images of imagenet-val" in top1.detail
    only_bf16 = verdicts(tmp_path, [bf16])["Top 1 Accuracy"]
    assert (only_bf16.verdict, only_bf16.detail) == ("unknown", "not measured")


def test_on_a_tie_the_row_with_more_images_is_judged(tmp_path: Path) -> None:
    full = row(dataset="imagenet-1k")
    sample = row(dataset="imagenet-val", images=500, top1=73.0, top1_ci_low=69.0, top1_ci_high=74.0)
    for rows in ([full, sample], [sample, full]):
        top1 = verdicts(tmp_path, rows)["Top 1 Accuracy"]
        assert (top1.verdict, top1.measured) == ("ok", 74.8)
        assert "on 50,000 images of imagenet-1k" in top1.detail


@pytest.mark.parametrize("column", ["images", "backend", "precision"])
def test_an_export_without_a_needed_column_is_refused(tmp_path: Path, column: str) -> None:
    path = tmp_path / "accuracy.csv"
    pd.DataFrame([row()]).drop(columns=column).to_csv(path, index=False)
    with pytest.raises(ZooError, match=f"lacks the accuracy.csv columns \\['{column}'\\]"):
        load_accuracy(path)


@pytest.mark.parametrize(
    "content",
    [b"", b"model,top1\nx,1\ny,2,3,4\n", b'"model,top1\nx,1\n', b"\xff\xfe\x00m\x00o\x00d\x00e\x00l\n"],
    ids=["empty", "ragged", "open-quote", "utf-16"],
)
def test_an_unreadable_export_is_one_line_of_error(
    capsys: pytest.CaptureFixture[str], index_copy: Path, content: bytes
) -> None:
    results = index_copy.parent / "benchmarks" / "results"
    results.mkdir(parents=True)
    (results / "accuracy.csv").write_bytes(content)
    assert main(["validate", LITE0, "--index", str(index_copy)]) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err
    assert f"zoo: error: {results / 'accuracy.csv'} is not a readable CSV" in err


def test_an_export_beside_the_index_is_read(tmp_path: Path, index_copy: Path) -> None:
    from zoo.validate import validate_index

    results = index_copy.parent / "benchmarks" / "results"
    results.mkdir(parents=True)
    pd.DataFrame([row(top1=60.0, top1_ci_low=59.0, top1_ci_high=61.0)]).to_csv(results / "accuracy.csv")
    found = {v.field: v for v in validate_index(load_index(index_copy), [LITE0])}
    assert found["Top 1 Accuracy"].verdict == "mismatch"
