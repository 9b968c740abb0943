"""`zoo validate` on cards copied from the timm-docs corpus, of diverse architectures (data/corpus-sample).

Each case is a verdict the validator got wrong before: an input config judged against timm's default
tag instead of the declared weights' tag, a file size estimate called a mismatch, a rename not shown.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pandas as pd
import pytest

from zoo.cli import main
from zoo.index import load_index
from zoo.results import AccuracyRecord
from zoo.validate import Verdict, summarize, validate_index, validate_model

from .conftest import replace_in_model

SAMPLE = Path(__file__).parent / "data" / "corpus-sample"
INDEX = SAMPLE / "model-index.yml"


@pytest.fixture(scope="module")
def verdicts() -> dict[tuple[str, str], Verdict]:
    return {(v.model, v.field): v for v in validate_index(load_index(INDEX))}


@pytest.fixture
def sample_copy(tmp_path: Path) -> Path:
    shutil.copytree(SAMPLE, tmp_path / "sample")
    return tmp_path / "sample" / "model-index.yml"


@pytest.mark.parametrize(
    ("model", "field", "verdict", "measured", "said"),
    [
        # resnet50 declares the `ram` weights, cropped at 0.875; timm's default tag a1_in1k crops at 0.95
        (
            "resnet50",
            "Weights",
            "ok",
            "resnet50.ram_in1k",
            "resnet50_ram-a26f946b.pth is timm's resnet50.ram_in1k",
        ),
        ("resnet50", "Crop Pct", "ok", 0.875, "0.875, as in timm pretrained_cfg resnet50.ram_in1k"),
        # pycls weights: no tag names the file, and the pycls tag carries the declared 0.875
        ("regnetx_008", "Weights", "unknown", None, "no pretrained tag in timm"),
        (
            "regnetx_008",
            "Crop Pct",
            "ok",
            0.875,
            "as in timm pretrained_cfg regnetx_008.pycls_in1k (the weights",
        ),
        # resnet18's torchvision file is an older upload than timm lists: tv_in1k carries 0.875, bilinear
        ("resnet18", "Crop Pct", "ok", 0.875, "as in timm pretrained_cfg resnet18.tv_in1k"),
        ("resnet18", "Interpolation", "ok", "bilinear", "as in timm pretrained_cfg resnet18.tv_in1k"),
        # the released file holds AuxLogits, which timm's model drops: the estimate cannot call it a mismatch
        ("inception_v3", "File Size", "unknown", 95566647, "(-12.210%), beyond the estimate's 0.5%"),
        ("inception_v3", "Weights", "ok", "inception_v3.tv_in1k", "by its file name"),
        # timm renamed xception
        ("xception", "Weights", "ok", "legacy_xception.tf_in1k", "timm names xception legacy_xception; "),
        ("xception", "Crop Pct", "ok", 0.8975, "timm pretrained_cfg legacy_xception.tf_in1k"),
        ("vit_base_patch16_224", "Crop Pct", "ok", 0.9, "vit_base_patch16_224.orig_in21k_ft_in1k"),
        # the card links efficientnet_b3's file
        ("efficientnet_b2a", "Weights", "mismatch", None, "is timm's efficientnet_b3.ra2_in1k, not a tag"),
        # timm maps the retired name to another width: the declared file is resnext101_32x16d's
        ("ig_resnext101_32x16d", "Weights", "mismatch", None, "resnext101_32x16d.fb_wsl_ig1b_ft_in1k, not a"),
    ],
)
def test_verdict(verdicts, model: str, field: str, verdict: str, measured: object, said: str) -> None:
    found = verdicts[model, field]
    assert (found.verdict, found.measured) == (verdict, measured), found
    assert said in found.detail


def test_an_estimate_never_claims_a_mismatch(verdicts) -> None:
    sizes = [v for (_, field), v in verdicts.items() if field == "File Size"]
    assert {v.convention for v in sizes} == {"estimate"}
    assert {v.verdict for v in sizes} == {"ok", "unknown"}
    assert not any("so within" in v.detail for v in sizes)


def test_models_and_fields_are_counted_apart(capsys: pytest.CaptureFixture[str], verdicts) -> None:
    summary = summarize(verdicts.values())
    assert summary["models"] == sum(summary["models_by_verdict"].values()) == 8
    assert summary["fields"] == sum(summary["verdicts"].values()) == len(verdicts)
    assert summary["models_by_verdict"] == {"ok": 5, "mismatch": 3}
    assert main(["validate", "--index", str(INDEX)]) == 1
    out = capsys.readouterr().out
    assert "\n8 models: 5 ok, 3 mismatch (a model's worst field)\n" in out
    assert f"\n{len(verdicts)} fields: " in out


def test_the_pool_gives_what_one_process_gives(verdicts) -> None:
    """8 models are validated by a process pool; in one process each model gives the same verdicts."""
    index = load_index(INDEX)
    serial = {(v.model, v.field): v for model in index.models.values() for v in validate_model(model)}
    assert serial == verdicts


def test_without_a_process_pool_one_process_validates(verdicts, monkeypatch: pytest.MonkeyPatch) -> None:
    """A platform without semaphores (some sandboxes) cannot start a pool: the run goes on without one."""
    import zoo.validate._run

    def no_pool(*args: object, **kwargs: object) -> None:
        raise OSError("[Errno 38] Function not implemented")  # what sem_open raises there

    monkeypatch.setattr(zoo.validate._run, "ProcessPoolExecutor", no_pool)
    assert {(v.model, v.field): v for v in validate_index(load_index(INDEX))} == verdicts


@pytest.mark.parametrize(
    ("model", "old", "new", "field", "said"),
    [
        # 1.0 is the test-time crop of timm's default tag a1_in1k, not of the declared ram weights
        ("resnet50", "Crop Pct: '0.875'", "Crop Pct: '1.0'", "Crop Pct", "declared 1.0, timm pretrained_cfg resnet50.ram_in1k says 0.875"),
        # a hub id pins a1_in1k, whose 0.95 the card does not declare
        ("resnet50", "Weights: https", "Weights: hf-hub:timm/resnet50.a1_in1k\n  Old: https", "Crop Pct", "resnet50.a1_in1k says 0.95"),
        # a value no tag of the architecture has is a mismatch, naming what each tag has
        ("regnetx_008", "Crop Pct: '0.875'", "Crop Pct: '0.9'", "Crop Pct", "declared 0.9, which no pretrained tag of regnetx_008 has: 0.965 (tv2_in1k); 0.875 (pycls_in1k)"),
    ],
)  # fmt: skip
def test_a_wrong_input_config_is_caught(
    capsys: pytest.CaptureFixture[str],
    sample_copy: Path,
    model: str,
    old: str,
    new: str,
    field: str,
    said: str,
) -> None:
    card = next(
        p for p in (sample_copy.parent / "cards").glob("*.md") if f"- Name: {model}\n" in p.read_text()
    )
    replace_in_model(card, model, old, new)
    assert main(["validate", model, "--index", str(sample_copy), "--json"]) == 1
    found = {v["field"]: v for v in json.loads(capsys.readouterr().out)["verdicts"]}
    assert found[field]["verdict"] == "mismatch"
    assert said in found[field]["detail"]


def test_write_takes_values_only_from_a_pinned_tag(
    capsys: pytest.CaptureFixture[str], sample_copy: Path
) -> None:
    cards = sample_copy.parent / "cards"
    replace_in_model(cards / "regnetx.md", "regnetx_008", "Crop Pct: '0.875'", "Crop Pct: '0.9'")
    replace_in_model(cards / "resnet.md", "resnet50", "Crop Pct: '0.875'", "Crop Pct: '0.9'")
    before = (cards / "regnetx.md").read_bytes()
    argv = ["validate", "regnetx_008", "resnet50", "--index", str(sample_copy), "--write", "all"]
    assert main(argv) == 1
    out = capsys.readouterr().out
    assert "regnetx_008 Crop Pct: not written, the weights are not pinned to one timm tag" in out
    assert (cards / "regnetx.md").read_bytes() == before
    assert "Crop Pct: '0.875'" in (cards / "resnet.md").read_text().split("- Name: resnet50\n")[1]


def test_show_names_the_tag_and_the_rename(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["show", "xception", "--index", str(INDEX)]) == 0
    out = capsys.readouterr().out
    assert "  timm: legacy_xception.tf_in1k (pinned by the file name)\n" in out
    assert (
        "timm names xception legacy_xception; xception-43020ad28.pth is timm's legacy_xception.tf_in1k" in out
    )
    assert main(["show", "regnetx_008", "--index", str(INDEX), "--json"]) == 0
    timm = json.loads(capsys.readouterr().out)["timm"]
    assert (timm["tag"], timm["candidates"]) == (None, ["regnetx_008.tv2_in1k", "regnetx_008.pycls_in1k"])


def test_the_export_names_the_tag(capsys: pytest.CaptureFixture[str], sample_copy: Path) -> None:
    assert main(["validate", "resnet50", "--index", str(sample_copy), "--export"]) == 0
    rows = pd.read_csv(sample_copy.parent / "benchmarks" / "results" / "validation.csv")
    weights = rows[rows["field"] == "Weights"].iloc[0]
    assert (weights["measured"], weights["convention"], weights["verdict"]) == (
        "resnet50.ram_in1k", "the file name", "ok"
    )  # fmt: skip
    crop = rows[rows["field"] == "Crop Pct"].iloc[0]
    assert crop["convention"] == "timm pretrained_cfg resnet50.ram_in1k"


def accuracy_row(**values: object) -> dict[str, object]:
    base = {
        "model": "resnet50", "backend": "torch", "precision": "fp32", "dataset": "imagenet-val",
        "weights": "hub-cache", "top5": None, "measured_at": "2026-01-02T00:00:00",
    }  # fmt: skip
    return {column: {**base, **values}.get(column) for column in AccuracyRecord.COLUMNS}


@pytest.mark.parametrize(
    ("row", "verdict", "cell"),
    [
        # 2 of 4 images: the interval [15%, 85%] holds the declared 79.04 but confirms nothing
        (accuracy_row(images=4, top1=50.0, top1_ci_low=15.0, top1_ci_high=85.0), "unknown", "? 50.00 [15.0, 85.0]"),
        # no interval written: the Wilson interval of 39,520 of 50,000 images
        (accuracy_row(images=50000, top1=79.04), "ok", "✓ 79.04 [78.7, 79.4]"),
        (accuracy_row(images=50000, top1=78.0), "mismatch", "✗ 78.00 [77.6, 78.4]"),
    ],
)  # fmt: skip
def test_accuracy_on_few_images_is_unknown_with_its_interval(
    capsys: pytest.CaptureFixture[str], sample_copy: Path, row: dict[str, object], verdict: str, cell: str
) -> None:
    results = sample_copy.parent / "benchmarks" / "results"
    results.mkdir(parents=True)
    pd.DataFrame([row], columns=list(AccuracyRecord.COLUMNS)).to_csv(results / "accuracy.csv", index=False)
    main(["validate", "resnet50", "--index", str(sample_copy), "--json"])
    top1 = next(v for v in json.loads(capsys.readouterr().out)["verdicts"] if v["field"] == "Top 1 Accuracy")
    assert top1["verdict"] == verdict and len(top1["interval"]) == 2
    main(["validate", "resnet50", "--index", str(sample_copy)])
    assert cell in capsys.readouterr().out
    if verdict == "unknown":
        assert "too few images to confirm it within 1 point" in top1["detail"]
