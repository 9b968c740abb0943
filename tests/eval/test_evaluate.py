"""`evaluate` and `zoo eval` on real photos through real torch, onnxruntime and openvino.

The expected answer is worked out here without the code under test: the packaged lite0 weights
run in plain timm on each photo, one at a time, and their top-1 / top-5 are checked against the
hand-written classes in conftest's TRUTH.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import plugin_backends
import pytest
import torch
from PIL import Image
from timm.data import create_transform
from zoo_testing import LITE0, copy_project

from zoo.cli import main
from zoo.data import find_images
from zoo.index import Model, load_index
from zoo.measure.plan import plan
from zoo.measure.scenarios.accuracy import RANDOM_WEIGHTS, EvalReport, ImageOptions, evaluate
from zoo.results import export, open_store, recorded_run
from zoo.weights import find_weights, load_model

from .conftest import INDEX, PHOTOS, TRUTH, make_image_folder

BACKENDS = ("torch", "onnxruntime", "openvino")


def declared(model: Model) -> dict[str, tuple[float | None, float | None]]:
    return {
        model.name: (model.declared_accuracy("Top 1 Accuracy"), model.declared_accuracy("Top 5 Accuracy"))
    }


@pytest.fixture(scope="module")
def expected_hits() -> tuple[int, int]:
    """Top-1 and top-5 hits of lite0 on the photos, computed one photo at a time in plain timm."""
    import timm

    net = load_model(LITE0, find_weights(LITE0))
    transform = create_transform(**timm.data.resolve_model_data_config(net))
    top1 = top5 = 0
    with torch.inference_mode():
        for name, (_, label) in TRUTH.items():
            with Image.open(PHOTOS / name) as image:
                logits = net.eval()(transform(image.convert("RGB"))[None])[0]
            ranked = logits.topk(5).indices.tolist()
            top1 += ranked[0] == label
            top5 += label in ranked
    return top1, top5


@pytest.fixture(scope="module")
def folder_report(tmp_path_factory: pytest.TempPathFactory) -> EvalReport:
    """lite0 on a tiny ImageFolder (4 photos under their synsets, 1 truncated) on all three backends,
    batch 3 so that the last batch is padded."""
    data = make_image_folder(tmp_path_factory.mktemp("eval"))
    model = load_index(Path(INDEX)).model(LITE0)
    specs = plan([model], BACKENDS, batches=[3], threads=1).specs
    return evaluate(specs, declared(model), find_images(data), ImageOptions(workers=1))


def test_every_backend_scores_what_timm_scores(
    folder_report: EvalReport, expected_hits: tuple[int, int]
) -> None:
    (evaluation,) = folder_report.evaluations
    assert [result.backend for result in evaluation.results] == list(BACKENDS)
    for result in evaluation.results:
        assert result.status == "ok", result.reason
        assert result.weights == "packaged"
        assert result.images == len(TRUTH)  # the truncated image is not counted ...
        assert result.top1 is not None and result.top5 is not None
        assert (result.top1.hits, result.top5.hits) == expected_hits
        assert result.top1.low <= result.top1.percent <= result.top1.high
        assert result.declared_top1 == 74.83 and result.declared_top5 == 92.17
        assert result.top1_difference == pytest.approx(result.top1.percent - 74.83)
        assert result.images_per_s and result.end_to_end_images_per_s
        assert 0 < result.end_to_end_images_per_s < result.images_per_s  # decoding is not free
        row = result.row()
        assert row["end_to_end_images_per_s"] == round(result.end_to_end_images_per_s, 2)
    assert [Path(skipped.path).name for skipped in evaluation.skipped] == ["broken.jpg"]  # ... but skipped
    assert evaluation.loading_share is not None and 0 <= evaluation.loading_share <= 1


def test_backends_agree_with_the_torch_reference(folder_report: EvalReport) -> None:
    torch_row, *others = folder_report.evaluations[0].results
    assert torch_row.agreement is None  # it is the reference
    for result in others:
        assert result.agreement is not None
        assert result.agreement.reference == "torch fp32"
        assert result.agreement.images == len(TRUTH)
        assert result.agreement.top1_agreement == 1.0
        assert 0 < result.agreement.max_abs_diff < 1e-2  # same inputs, fp32: rounding, not preprocessing
        assert result.agreement.mean_abs_diff <= result.agreement.max_abs_diff


def test_preprocessing_is_the_models_own(folder_report: EvalReport) -> None:
    evaluation = folder_report.evaluations[0]
    assert evaluation.data_config["input_size"] == (3, 224, 224)
    assert evaluation.data_config["crop_pct"] == 0.875
    assert evaluation.data_config["interpolation"] == "bicubic"
    assert evaluation.differences == ()


def test_export_merges_rows(folder_report: EvalReport, tmp_path: Path) -> None:
    path = tmp_path / "out" / "accuracy.csv"
    with open_store(tmp_path / "r.db") as store:
        for _ in range(2):  # the same keys again replace, never duplicate
            with recorded_run(store, "eval") as run:
                for row in folder_report.rows:
                    store.add(run.id, row)
            export(store, path.parent, run.id)
        assert [r.row() for r in store.accuracy(run.id)] == [r.row() for r in folder_report.rows]
    with path.open() as handle:
        rows = list(csv.DictReader(handle))
    header = (Path(__file__).resolve().parents[2] / "benchmarks/results/README.md").read_text()
    assert ", ".join(rows[0]) in " ".join(header.split())  # the columns the README fixes, in order
    assert sorted(row["backend"] for row in rows) == sorted(BACKENDS)
    assert {row["images"] for row in rows} == {str(len(TRUTH))}
    assert {row["dataset"] for row in rows} == {"unnamed"}  # a synset tree is not named by its layout


def test_smoke_set_on_lite0(
    capsys: pytest.CaptureFixture[str], expected_hits: tuple[int, int], results_db: Path
) -> None:
    """Without --data: the bundled photos, said plainly to be a smoke check; kept in the results history."""
    assert main(["eval", LITE0, "--backend", "torch", "--workers", "0", "--index", INDEX, "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    with open_store(results_db) as store:
        [stored] = store.accuracy(report["run"])
        assert stored.top1 is not None
        assert (stored.model, stored.dataset, stored.top1.hits) == (LITE0, "smoke", expected_hits[0])
        assert stored.environment["libraries"]["torch"]
        assert store.runs()[-1].kind == "eval"
    assert report["smoke"] is True and report["dataset"] == "smoke"
    assert "not an ImageNet accuracy" in report["notice"]
    (row,) = report["evaluations"][0]["results"]
    assert (row["top1"]["hits"], row["top5"]["hits"]) == expected_hits
    assert row["weights"] == "packaged"
    assert main(["eval", LITE0, "--backend", "torch", "--workers", "0", "--index", INDEX]) == 0
    out = capsys.readouterr().out
    assert "SMOKE CHECK" in out and "not an ImageNet accuracy" in out


def test_random_weights_give_no_accuracy(capsys: pytest.CaptureFixture[str]) -> None:
    """lite3 has no weights here: the row says so, and carries no number."""
    args = ["eval", "tf_efficientnet_lite3", "--backend", "torch", "--limit", "1", "--index", INDEX]
    assert main([*args, "--json"]) == 0
    (row,) = json.loads(capsys.readouterr().out)["evaluations"][0]["results"]
    assert row["status"] == "unavailable" and row["reason"] == RANDOM_WEIGHTS
    assert row["weights"] == "random"
    assert row["top1"] is None and row["top5"] is None and row["images_per_s"] is None
    assert row["end_to_end_images_per_s"] is None
    assert main(args) == 0
    assert RANDOM_WEIGHTS in capsys.readouterr().out


def test_declared_preprocessing_wins_and_is_reported(tmp_path: Path) -> None:
    """An index that declares another crop and interpolation than timm's: those are used, and said."""
    card = tmp_path / "lite0.yml"
    card.write_text(
        "Models:\n- Name: tf_efficientnet_lite0\n  Metadata:\n    Crop Pct: '1.0'\n    Image Size: '224'\n"
        "    Interpolation: bilinear\n"
    )
    model = load_index(card).model(LITE0)
    specs = plan([model], ["torch"], threads=1).specs
    images = find_images(make_image_folder(tmp_path))
    (evaluation,) = evaluate(specs, declared(model), images, reference=False).evaluations
    assert evaluation.data_config["crop_pct"] == 1.0
    assert evaluation.data_config["interpolation"] == "bilinear"
    assert sorted(evaluation.differences) == [
        "crop_pct: declared 1.0, timm 0.875",
        "interpolation: declared bilinear, timm bicubic",
    ]
    (row,) = evaluation.results
    assert row.status == "ok" and row.declared_top1 is None and row.top1_difference is None


def test_a_backend_that_cannot_run_a_precision_is_refused_up_front(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """onnxruntime offers no bf16: named explicitly, it is refused before anything runs (exit 2)."""
    args = [
        "eval",
        LITE0,
        "--backend",
        "onnxruntime",
        "--precision",
        "bf16",
        "--workers",
        "0",
        "--index",
        INDEX,
    ]
    assert main(args) == 2
    assert "onnxruntime cannot run bf16" in capsys.readouterr().err


def test_a_backend_that_fails_is_its_row(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A backend that fails to load in its worker: its row says why, the torch reference still runs."""
    plugin_backends.install(tmp_path, monkeypatch)
    model = load_index(Path(INDEX)).model(LITE0)
    specs = plan([model], ["broken", "torch"], threads=1).specs
    report = evaluate(specs, declared(model), find_images(make_image_folder(tmp_path)), ImageOptions(limit=2))
    broken, torch_row = report.rows
    assert (
        broken.status == "failed" and "unsupported operator SomeOp" in broken.reason and broken.top1 is None
    )
    assert torch_row.status == "ok" and torch_row.images == 2


def test_each_backend_leaves_its_logits_and_the_driver_compares(tmp_path: Path) -> None:
    """Every job, the reference among them, runs in its own worker and leaves one row of logits per
    image with its class; the agreement is the driver's comparison of those files."""
    from zoo.measure.compare import run_with_reference
    from zoo.measure.scenarios.accuracy import ImageOptions as Options

    model = load_index(Path(INDEX)).model(LITE0)
    (spec,) = plan([model], ["onnxruntime"], threads=1).specs
    images = find_images(make_image_folder(tmp_path))
    dataset = Options(limit=3).dataset(images)
    with run_with_reference([spec], "accuracy", dataset=dataset) as (job,):
        assert job.reference is not None and job.reference.backend == "torch"
        assert job.spec.dataset == dataset and job.spec.key.endswith("|accuracy")
        logits, targets = job.logits()
        assert logits.shape == (3, 1000) and len(targets) == 3
        agreement = job.agreement()
        assert agreement is not None and agreement.images == 3 and agreement.top1_agreement == 1.0
        folder = Path(str(job.spec.outputs))
    assert not folder.exists()  # the logits go with the run


def test_eval_export_writes_accuracy_beside_the_index(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    index = copy_project(tmp_path)
    data = make_image_folder(tmp_path / "images")
    args = ["eval", LITE0, "--backend", "openvino", "--data", str(data), "--index", str(index), "--export"]
    assert main([*args, "--workers", "0", "--threads", "1", "--db", str(tmp_path / "r.db")]) == 0
    assert f"exported to {tmp_path / 'benchmarks' / 'results' / 'accuracy.csv'}" in capsys.readouterr().out
    assert not (tmp_path / "benchmarks" / "results" / "latency.csv").exists()  # eval wrote no latency
