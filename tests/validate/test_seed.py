"""The five seed models of the bundled index: every declaration holds, and each verdict says how."""

from __future__ import annotations

from pathlib import Path

import pytest

from zoo.index import Declared, Source, load_index
from zoo.validate import FILE_SIZE_TOLERANCE, declared_rounding, summarize, validate_index
from zoo.validate._checks import parameters

from .conftest import INDEX, SEED_MODELS


@pytest.fixture(scope="module")
def verdicts(tmp_path_factory: pytest.TempPathFactory) -> dict[tuple[str, str], object]:
    no_results = tmp_path_factory.mktemp("results") / "accuracy.csv"
    return {(v.model, v.field): v for v in validate_index(load_index(INDEX), accuracy_csv=no_results)}


@pytest.mark.parametrize("model", SEED_MODELS)
def test_flops_are_timm_docs_2021_exactly(verdicts, model: str) -> None:
    flops = verdicts[model, "FLOPs"]
    assert (flops.verdict, flops.convention) == ("ok", "timm-docs-2021")
    assert flops.measured == flops.declared == flops.by_convention["timm-docs-2021"]
    assert flops.detail.startswith("matches timm-docs-2021 exactly")


@pytest.mark.parametrize(
    ("model", "measured", "meant"),
    [
        ("tf_efficientnet_lite0", 4652008, "4,650,000"),
        ("tf_efficientnet_lite1", 5416680, "5,420,000"),
        ("tf_efficientnet_lite2", 6092072, "6,090,000"),
        ("tf_efficientnet_lite4", 13006568, "13,010,000"),
    ],
)
def test_parameters_hold_within_the_declared_rounding(
    verdicts, model: str, measured: int, meant: str
) -> None:
    parameters = verdicts[model, "Parameters"]
    assert (parameters.verdict, parameters.measured) == ("ok", measured)
    assert parameters.detail == f"{measured:,} rounds to {meant} (declared to the nearest 10,000)"


def test_lite3_count_is_read_as_a_truncated_float(verdicts) -> None:
    parameters = verdicts["tf_efficientnet_lite3", "Parameters"]
    assert (parameters.verdict, parameters.declared, parameters.measured) == ("ok", 8199999, 8197096)
    assert parameters.detail == (
        "8,197,096 rounds to 8,200,000 (8199999 read as 8,200,000, a float truncated to an integer; "
        "declared to the nearest 10,000)"
    )


@pytest.mark.parametrize(
    ("declared", "expected"),
    [
        (4650000, (4650000, 10000, None)),
        (5000000, (5000000, 10000, None)),  # three significant figures at least: not "to the nearest 5M"
        (13010000, (13010000, 10000, None)),
        (120, (120, 1, None)),
        (53456696, (53456696, 1, None)),
        (0, (0, 1, None)),
        (8199999, (8200000, 10000, "8199999 read as 8,200,000, a float truncated to an integer")),
        (4999999, (5000000, 10000, "4999999 read as 5,000,000, a float truncated to an integer")),
        (4652999, (4653000, 1000, "4652999 read as 4,653,000, a float truncated to an integer")),
        (999, (999, 1, None)),  # nines within the three figures kept are the count itself
        (19999, (19999, 1, None)),
    ],
)
def test_declared_rounding(declared: int, expected: tuple[int, int, str | None]) -> None:
    assert declared_rounding(declared) == expected


@pytest.mark.parametrize(
    ("declared", "verdict"),
    [(4650000, "ok"), (4660000, "mismatch"), (5000000, "mismatch"), (4999999, "mismatch")],
)
def test_a_round_declaration_is_no_licence(declared: int, verdict: str) -> None:
    """lite0 has 4,652,008 parameters: 5,000,000 declares one figure, which no index means."""
    written = Declared("parameters", declared, str(declared), Source(INDEX, 1))
    assert parameters("tf_efficientnet_lite0", written, 4652008).verdict == verdict


@pytest.mark.parametrize("model", SEED_MODELS)
def test_input_config_matches_timm(verdicts, model: str) -> None:
    for field in ("Image Size", "Crop Pct", "Interpolation"):
        verdict = verdicts[model, field]
        assert verdict.verdict == "ok", verdict
        assert verdict.convention == f"timm pretrained_cfg {model}.in1k"


@pytest.mark.parametrize("model", SEED_MODELS)
def test_file_size_is_estimated_within_tolerance(verdicts, model: str) -> None:
    """No declared checkpoint on disk (packaged weights are another serialization): an estimate."""
    size = verdicts[model, "File Size"]
    assert (size.verdict, size.convention) == ("ok", "estimate")
    assert abs(size.measured - size.declared) / size.declared < 0.004 < FILE_SIZE_TOLERANCE
    assert size.detail.startswith("estimated from the state dict")


def test_results_are_not_measured_without_an_eval_export(verdicts) -> None:
    top1 = verdicts["tf_efficientnet_lite0", "Top 1 Accuracy"]
    assert (top1.declared, top1.verdict, top1.detail) == (74.83, "unknown", "not measured")


def test_summary(verdicts) -> None:
    summary = summarize(verdicts.values())
    assert summary["models"] == 5
    assert summary["verdicts"] == {"ok": 35, "unknown": 10}
    assert summary["models_by_verdict"] == {"ok": 5}
    assert summary["flops_conventions"]["timm-docs-2021 (exact)"] == 5


def test_checkpoint_on_disk_is_compared_byte_for_byte(tmp_path: Path) -> None:
    index = load_index(INDEX)
    declared = index.model("tf_efficientnet_lite0").metadata.file_size
    assert declared is not None
    checkpoint = tmp_path / "lite0.pth"
    for size, verdict in ((declared, "ok"), (declared - 1, "mismatch")):
        with checkpoint.open("wb") as handle:
            handle.truncate(size)
        [file_size] = [
            v for v in validate_index(index, ["tf_efficientnet_lite0"], checkpoint=checkpoint)
            if v.field == "File Size"
        ]  # fmt: skip
        assert (file_size.verdict, file_size.convention, file_size.measured) == (verdict, "checkpoint", size)
        assert "byte for byte" in file_size.detail


@pytest.mark.parametrize(
    ("text", "value", "unit"),
    [
        ("0.46 M", 460_000, 10_000),  # timm's results tables: parameters in millions, two decimals
        ("5.29M", 5_290_000, 10_000),
        ("0.06 G", 60_000_000, 10_000_000),
        ("60 M", 60_000_000, 1_000_000),
        ("5.3e6", 5_300_000, 100_000),
        ("4650000", 4_650_000, 10_000),  # a plain integer: its trailing zeros, three figures kept
    ],
)
def test_rounding_follows_how_a_count_is_written(text: str, value: int, unit: int) -> None:
    assert declared_rounding(value, text) == (value, unit, None)
