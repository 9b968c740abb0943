"""What a model's structure gives is measured once per (model, input size, versions) and read back after."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from zoo.validate._structure import CannotBuild, structure

LITE0 = "tf_efficientnet_lite0"


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("ZOO_CACHE", str(tmp_path))
    return tmp_path / "validate"


def test_a_second_run_reads_the_entry(cache: Path) -> None:
    first = structure(LITE0, 224)
    [entry] = cache.glob(f"{LITE0}-224-*.json")
    assert first.parameters == 4652008 and first.flops["timm-docs-2021"].value == 488052032
    data = json.loads(entry.read_text())
    data["parameters"] = 1  # what the entry says is what a second run reports
    entry.write_text(json.dumps(data))
    assert structure(LITE0, 224).parameters == 1
    assert structure(LITE0, 256).parameters == 4652008  # another input size is another entry
    assert len(list(cache.glob(f"{LITE0}-*.json"))) == 2


@pytest.mark.parametrize(
    "damage", ["", "{", '{"flops": {}}', "[1, 2]"], ids=["empty", "cut", "partial", "list"]
)
def test_a_damaged_entry_is_measured_again(cache: Path, damage: str) -> None:
    first = structure(LITE0, 224)
    [entry] = cache.glob(f"{LITE0}-224-*.json")
    entry.write_text(damage)
    assert structure(LITE0, 224) == first
    assert json.loads(entry.read_text())["parameters"] == first.parameters


def test_a_model_that_cannot_be_built_is_not_cached(cache: Path) -> None:
    with pytest.raises(CannotBuild):
        structure("no_such_model", 224)
    assert not list(cache.glob("no_such_model-*"))
