"""timm's own results tables as an index: no false verdict at the rounding limit.

`data/results-imagenet-sample.csv` has the columns of timm's `results-imagenet.csv` (parameters in
millions to two decimals) and the `infer_gmacs` of its benchmark table (GMACs to two decimals), for
models where the old rules gave false verdicts: under 1 M parameters, volo's crop pct of 1.15, FLOPs
declared to 0.01 G, and CaiT and PiT, whose FLOPs count failed under no_grad.
"""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from zoo.index import load_index
from zoo.validate import Verdict, validate_model

TABLE = Path(__file__).parent / "data" / "results-imagenet-sample.csv"
FIELDS = ("FLOPs", "Parameters", "Image Size", "Crop Pct", "Interpolation")


def _index_from_table(folder: Path) -> Path:
    """The table as a model index, each value written as the table writes it, with its unit."""
    entries = [
        f"- Name: {row['model']}\n"
        "  Metadata:\n"
        f"    Parameters: {row['param_count']} M\n"
        f"    FLOPs: {row['infer_gmacs']} G\n"
        f"    Image Size: {row['img_size']}\n"
        f"    Crop Pct: {row['crop_pct']}\n"
        f"    Interpolation: {row['interpolation']}\n"
        for row in csv.DictReader(TABLE.open())
    ]
    index = folder / "model-index.yml"
    index.write_text("Models:\n" + "".join(entries))
    return index


@pytest.fixture(scope="module")
def verdicts(tmp_path_factory: pytest.TempPathFactory) -> dict[tuple[str, str], Verdict]:
    index = load_index(_index_from_table(tmp_path_factory.mktemp("table")))
    assert [n.severity for n in index.notices] == ["warning"]  # volo's 1.15: kept, flagged
    return {(v.model, v.field): v for model in index.models.values() for v in validate_model(model)}


@pytest.mark.parametrize("model", [row["model"] for row in csv.DictReader(TABLE.open())])
@pytest.mark.parametrize("field", FIELDS)
def test_no_false_verdict(verdicts: dict[tuple[str, str], Verdict], model: str, field: str) -> None:
    verdict = verdicts[model, field]
    assert verdict.verdict == "ok", verdict.detail


def test_a_count_under_one_million_is_judged_to_the_written_digit(
    verdicts: dict[tuple[str, str], Verdict],
) -> None:
    parameters = verdicts["test_vit.r160_in1k", "Parameters"]
    assert parameters.measured == 371_240
    assert "declared to the nearest 10,000" in parameters.detail
    flops = verdicts["test_vit.r160_in1k", "FLOPs"]  # 37.6 M MACs: 6% from 0.04 G
    assert flops.convention == "macs" and "rounds to the declared 0.04 G" in flops.detail
