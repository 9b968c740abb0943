"""The whole timm-docs corpus (272 models): the run completes and reports every model sensibly."""

from __future__ import annotations

from collections import Counter

import pytest

from zoo.index import load_index
from zoo.validate import TAG_FIELDS, Verdict, summarize, validate_index

from .conftest import CORPUS

pytestmark = pytest.mark.skipif(not CORPUS.is_file(), reason="corpus not beside this checkout")


@pytest.fixture(scope="module")
def verdicts() -> list[Verdict]:
    seen = []
    found = validate_index(load_index(CORPUS), progress=lambda model: seen.append(model.name))
    assert len(seen) == 272
    return found


def test_every_model_is_seen_once_with_every_field(verdicts: list[Verdict]) -> None:
    per_model = Counter(v.model for v in verdicts)
    assert len(per_model) == summarize(verdicts)["models"] == 272
    flops = [v for v in verdicts if v.field == "FLOPs"]
    assert len(flops) == 272


def test_flops_conventions_are_counted_sanely(verdicts: list[Verdict]) -> None:
    counts = summarize(verdicts)["flops_conventions"]
    assert sum(counts.values()) == 272
    assert counts["timm-docs-2021 (exact)"] >= 150  # the corpus is the timm docs of 2021
    assert counts["not measured"] == 1  # gluon_xception65, gone from timm
    assert counts["none"] >= 1


def test_a_model_timm_no_longer_has_is_unknown(verdicts: list[Verdict]) -> None:
    gone = [v for v in verdicts if v.model == "gluon_xception65" and not v.field.startswith("Top")]
    assert {v.verdict for v in gone} == {"unknown"}
    assert "has no model named 'gluon_xception65'" in gone[0].detail


def test_a_model_that_cannot_take_an_input_says_why(verdicts: list[Verdict]) -> None:
    [vit] = [v for v in verdicts if v.model == "vit_base_patch16_224" and v.field == "FLOPs"]
    assert vit.by_convention["timm-docs-2021"] is None and vit.by_convention["flops"]
    assert "timm-docs-2021 cannot run on (1, 3, 224, 285)" in vit.detail


def test_an_input_config_mismatch_is_against_the_declared_weights(verdicts: list[Verdict]) -> None:
    """Against the pinned tag, or, with no tag pinned, a value that no tag of the architecture has."""
    pinned = {v.model for v in verdicts if v.field == "Weights" and v.measured is not None}
    config = [v for v in verdicts if v.field in TAG_FIELDS and v.verdict == "mismatch"]
    assert config
    for v in config:
        assert v.model in pinned or "which no pretrained tag of" in v.detail, v
    regnets = [v for v in verdicts if v.model.startswith("regnet") and v.field in TAG_FIELDS]
    assert {v.verdict for v in regnets if v.model != "regnety_032"} == {"ok"}  # pycls weights


def test_no_estimate_is_a_mismatch(verdicts: list[Verdict]) -> None:
    sizes = [v for v in verdicts if v.field == "File Size" and v.convention == "estimate"]
    assert len(sizes) == 271 and "mismatch" not in {v.verdict for v in sizes}
