"""Backend agreement: logits against PyTorch fp32, failures recorded per backend, the CSV export."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import numpy
import pandas as pd
import plugin_backends
import pytest
from zoo_testing import INDEX, LITE0, REPO, copy_project, make_spec

from zoo.backends import precision_unavailable
from zoo.cli import main
from zoo.measure.scenarios.agreement import compare_backends, logit_agreement, verdict
from zoo.results import AgreementRecord, LogitAgreement
from zoo.spec import Precision, RunSpec

BATCH = 4  # the photos in one batch, as tests/backends exports lite0: one ONNX export serves both
README_COLUMNS = "model, backend, precision, weights, reference, images, top1_agreement, max_abs_diff, mean_abs_diff, max_rel_diff, status, reason, dataset, dataset_images, dataset_classes, dataset_digest, environment, git_commit, code_digest"


@pytest.fixture
def fake_backends(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    plugin_backends.install(tmp_path, monkeypatch)
    yield


def test_logit_agreement() -> None:
    reference = numpy.array([[0.0, 2.0, 1.0], [3.0, 0.0, 0.0]], dtype=numpy.float32)
    other = numpy.array([[0.0, 2.0, 1.5], [0.0, 4.0, 0.0]], dtype=numpy.float32)
    agreement = logit_agreement(reference, other)
    assert (agreement.top1_agreement, agreement.max_abs_diff) == (0.5, 4.0)
    assert agreement.mean_abs_diff == pytest.approx((0.5 + 3.0 + 4.0) / 6)
    assert agreement.max_rel_diff == pytest.approx(4.0 / 3.0)  # the reference spans 0 .. 3


@pytest.mark.parametrize(
    ("precision", "top1", "max_abs", "spread", "status"),
    [
        ("fp32", 1.0, 1e-5, 20.0, "ok"),
        ("fp32", 1.0, 2e-4, 20.0, "disagrees"),  # same classes, but not the same function
        ("fp32", 1.0, 2e6, 1e12, "ok"),  # random weights, logits near 1e12: 2e-6 of the range
        ("fp32", 1.0, 2e8, 1e12, "disagrees"),  # 2e-4 of the range: beyond fp32 rounding
        ("bf16", 1.0, 0.3, 20.0, "ok"),  # bf16 is judged by its top-1, and says it is bf16
        ("bf16", 0.75, 0.3, 20.0, "disagrees"),
        ("int8", 1.0, 2.0, 20.0, "ok"),
    ],
)
def test_verdict(precision: str, top1: float, max_abs: float, spread: float, status: str) -> None:
    agreement = LogitAgreement("torch fp32", 4, top1, max_abs, max_abs / 2, max_abs / spread)
    got, reason = verdict(precision, agreement)
    assert got == status
    if precision != "fp32":
        assert precision in reason  # a bf16 row never reads as an fp32 one
    elif status == "ok":
        assert reason == ""


def _specs(*backends: str, batch: int = BATCH) -> list[RunSpec]:
    return [make_spec(name, threads=2, batch=batch) for name in backends]


def test_torch_fp32_against_itself_never_fails() -> None:
    (row,) = compare_backends(_specs("torch"))
    assert row.status == "ok" and row.agreement is not None and row.agreement.top1_agreement == 1.0


def test_random_weights_with_huge_logits_agree_with_themselves() -> None:
    """A model on random weights whose logits are far from 1: the tolerance follows their scale."""
    spec = make_spec("torch", model="test_vit", index=None, threads=2)
    rows = compare_backends([spec, spec.with_(backend="onnxruntime")])
    assert [row.status for row in rows] == ["ok", "ok"], [row.reason for row in rows]


def test_every_backend_is_compared_and_failures_are_rows(fake_backends: None) -> None:
    rows = compare_backends(_specs("broken", "onnxruntime", "noisy"))
    by_backend = {row.backend: row.row() for row in rows}
    assert [row.backend for row in rows] == ["broken", "onnxruntime", "noisy"]

    broken = by_backend["broken"]
    assert broken["status"] == "failed" and "unsupported operator SomeOp" in broken["reason"]
    assert broken["max_abs_diff"] is None and broken["weights"] == "packaged"

    ok = by_backend["onnxruntime"]
    assert (ok["status"], ok["weights"], ok["reference"], ok["top1_agreement"]) == (
        "ok", "packaged", "torch fp32", 1.0,
    )  # fmt: skip
    assert ok["max_abs_diff"] < 1e-4 and ok["images"] >= 4

    noisy = by_backend["noisy"]
    assert noisy["status"] == "disagrees" and noisy["max_abs_diff"] == pytest.approx(1e-3, rel=1e-2)


def test_backends_run_in_batches_of_the_size_asked_for(fake_backends: None) -> None:
    (row,) = compare_backends(_specs("noisy", batch=3))
    assert row.images % 3 == 0 and row.images >= 4  # the photos cycled to fill the last batch
    assert row.status == "disagrees" and row.agreement is not None and row.agreement.top1_agreement == 1.0


def test_check_backends_stores_and_exports_the_readme_columns(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    index = copy_project(tmp_path)
    csv = tmp_path / "benchmarks" / "results" / "agreement.csv"
    arguments = ["check-backends", LITE0, "--backend", "onnxruntime", "--index", str(index), "--threads", "2"]
    assert main([*arguments, "--json", "--export", "--db", str(tmp_path / "r.db")]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed["exported"] == [str(csv), str(csv.parent / "environments.json")]
    assert printed["results"][0]["status"] == "ok"

    table = pd.read_csv(csv)
    provenance = ["environment", "git_commit", "code_digest"]
    assert list(table.columns) == [*AgreementRecord.COLUMNS, *provenance] == README_COLUMNS.split(", ")
    assert table.loc[0, "dataset"] == "smoke" and table.loc[0, "dataset_images"] == 4
    assert table.loc[0, "weights"] == "packaged"
    assert "agreement.csv" in (REPO / "benchmarks" / "results" / "README.md").read_text()

    # bf16 on a backend named explicitly that cannot run it: refused before anything runs.
    assert main([*arguments, "--precision", "bf16", "--export", "--db", str(tmp_path / "r.db")]) == 2
    assert "onnxruntime cannot run bf16" in capsys.readouterr().err


@pytest.mark.skipif(
    precision_unavailable(Precision.BF16, "cpu") is not None, reason="this CPU runs no bf16 natively"
)
def test_bf16_runs_on_the_default_backends_that_offer_it(capsys: pytest.CaptureFixture[str]) -> None:
    """Where the CPU runs bf16, a backend that cannot is skipped with a notice when it is only a default:
    torch and openvino run bf16. (Elsewhere bf16 is left out of every plan: tests/measure/test_plan.py.)"""
    bf16 = ["check-backends", LITE0, "--precision", "bf16", "--index", str(INDEX), "--threads", "2", "--json"]
    assert main(bf16) == 0
    captured = capsys.readouterr()
    assert "onnxruntime skipped for bf16" in captured.err
    assert [row["backend"] for row in json.loads(captured.out)["results"]] == ["torch", "openvino"]


def test_check_backends_exits_1_when_fp32_disagrees(
    fake_backends: None, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["check-backends", LITE0, "--backend", "broken", "--index", str(INDEX)]) == 1
    assert "unsupported operator SomeOp" in capsys.readouterr().out
