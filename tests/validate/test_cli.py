"""`zoo validate` end to end: wrong declarations caught with the right message, exit codes, JSON, export."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from zoo.cli import main

from .conftest import INDEX, replace_in_model

LITE0 = "tf_efficientnet_lite0"


def test_all_seed_declarations_hold(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    assert main(["validate", "--index", str(INDEX)]) == 0
    out = capsys.readouterr().out
    assert "5 models: 5 ok (a model's worst field)\n45 fields: 35 ok, 10 unknown" in out
    assert "✗" not in out and "timm-docs-2021 (exact) 5" in out


def test_wrong_crop_pct_and_flops_are_caught(
    capsys: pytest.CaptureFixture[str], index_copy: Path, lite_card: Path
) -> None:
    replace_in_model(lite_card, LITE0, "Crop Pct: '0.875'", "Crop Pct: '0.9'")
    replace_in_model(lite_card, LITE0, "FLOPs: 488052032", "FLOPs: 536857235")  # 10% more
    assert main(["validate", LITE0, "--index", str(index_copy)]) == 1
    out = capsys.readouterr().out
    assert f"✗ {LITE0} Crop Pct: declared 0.9, timm pretrained_cfg {LITE0}.in1k says 0.875" in out
    assert (
        f"✗ {LITE0} FLOPs: matches no convention within 5%; nearest is timm-docs-2021: "
        "declared 536,857,235; flops 770,375,104 (x0.697); macs 385,187,552 (x1.394); "
        "timm-docs-2021 488,052,032 (x1.100)"
    ) in out
    assert "1 models: 1 mismatch (a model's worst field)\n9 fields: 5 ok, 2 mismatch, 2 unknown" in out


def test_json(capsys: pytest.CaptureFixture[str], index_copy: Path, lite_card: Path) -> None:
    replace_in_model(lite_card, LITE0, "Interpolation: bicubic", "Interpolation: bilinear")
    assert main(["validate", LITE0, "--index", str(index_copy), "--json"]) == 1
    report = json.loads(capsys.readouterr().out)
    verdicts = {v["field"]: v for v in report["verdicts"]}
    assert set(verdicts) == {
        "Weights", "FLOPs", "Parameters", "File Size", "Image Size", "Crop Pct", "Interpolation",
        "Top 1 Accuracy", "Top 5 Accuracy",
    }  # fmt: skip
    assert verdicts["Interpolation"]["verdict"] == "mismatch"
    assert verdicts["Interpolation"]["measured"] == "bicubic"
    assert set(verdicts["FLOPs"]["by_convention"]) == {"flops", "macs", "timm-docs-2021"}
    assert report["summary"]["verdicts"] == {"ok": 6, "mismatch": 1, "unknown": 2}
    assert report["summary"]["models_by_verdict"] == {"mismatch": 1}
    assert verdicts["Weights"]["measured"] == f"{LITE0}.in1k"


def test_mean_and_std_are_checked_when_declared(
    capsys: pytest.CaptureFixture[str], index_copy: Path, lite_card: Path
) -> None:
    declared = "Interpolation: bicubic\n    Mean: [0.485, 0.456, 0.406]\n    Std: '0.5, 0.5, 0.5'"
    replace_in_model(lite_card, LITE0, "Interpolation: bicubic", declared)
    assert main(["validate", LITE0, "--index", str(index_copy), "--json"]) == 1
    verdicts = {v["field"]: v for v in json.loads(capsys.readouterr().out)["verdicts"]}
    assert verdicts["Mean"]["verdict"] == "mismatch" and verdicts["Mean"]["measured"] == [0.5, 0.5, 0.5]
    assert "declared 0.485, 0.456, 0.406" in verdicts["Mean"]["detail"]
    assert verdicts["Std"]["verdict"] == "ok"


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["no_such_model"], "unknown model 'no_such_model'"),
        (["--write", "flopz"], "--write 'flopz': no such field"),
        (["--dry-run"], "--dry-run shows what --write would change"),
        ([LITE0, "--checkpoint", "/nonexistent.pth"], "checkpoint /nonexistent.pth does not exist"),
        ([LITE0, "tf_efficientnet_lite1", "--checkpoint", str(INDEX)], "name exactly one model"),
        (["--index", "/nonexistent/model-index.yml"], "no such index file"),
    ],
)
def test_bad_input_exits_2(capsys: pytest.CaptureFixture[str], argv: list[str], message: str) -> None:
    argv = argv if "--index" in argv else [*argv, "--index", str(INDEX)]
    assert main(["validate", *argv]) == 2
    captured = capsys.readouterr()
    assert message in captured.err and "Traceback" not in captured.err
    assert len(captured.err.strip().splitlines()) == 1


def test_export_merges_per_model(
    capsys: pytest.CaptureFixture[str], index_copy: Path, lite_card: Path
) -> None:
    csv = index_copy.parent / "benchmarks" / "results" / "validation.csv"
    assert main(["validate", "--index", str(index_copy), "--export"]) == 0
    first = pd.read_csv(csv)
    columns = "model, field, declared, measured, convention, verdict, detail"
    assert list(first.columns) == columns.split(", ")
    assert columns in (Path(INDEX).parent / "benchmarks" / "results" / "README.md").read_text()
    assert len(first) == 45 and set(first["verdict"]) == {"ok", "unknown"}

    replace_in_model(lite_card, LITE0, "Crop Pct: '0.875'", "Crop Pct: '0.9'")
    assert main(["validate", LITE0, "--index", str(index_copy), "--export"]) == 1
    second = pd.read_csv(csv, dtype=str)
    assert len(second) == 45  # lite0's rows replaced, the other models' kept
    crop = second[(second["model"] == LITE0) & (second["field"] == "Crop Pct")].iloc[0]
    assert (crop["declared"], crop["measured"], crop["verdict"]) == ("0.9", "0.875", "mismatch")
    assert f"exported to {csv}" in capsys.readouterr().out


def test_nothing_validated_is_a_finding(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    """Another organisation's models, none of them timm's: every field is unknown, which once exited 0."""
    (tmp_path / "model-index.yml").write_text(
        "Models:\n"
        "- Name: resnet18_8xb32_in1k\n  Metadata:\n    FLOPs: 1820000000\n    Parameters: 11690000\n"
        "- Name: detr_r50_8xb2-150e_coco\n  Metadata:\n    Epochs: 150\n"
    )
    assert main(["validate", "--index", str(tmp_path / "model-index.yml"), "--db", str(tmp_path / "db")]) == 1
    out = capsys.readouterr().out
    assert "2 models: 2 unknown" in out and "timm 1." in out and "has no model named" in out
