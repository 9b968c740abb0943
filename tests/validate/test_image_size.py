"""A non-square Image Size, declared as a list or as `HxW`: read as (height, width), timm's order, and
judged against the model's input size side by side, never as its first or last number alone."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from zoo.index import Model, load_index
from zoo.measure.plan import resolve_data
from zoo.validate import Verdict, resolve_pretrained
from zoo.validate._checks import input_config

LITE0 = "tf_efficientnet_lite0"  # timm's input size: (3, 224, 224)


def declaring(tmp_path: Path, size: str) -> Model:
    index = tmp_path / "model-index.yml"
    index.write_text(f"Models:\n- Name: {LITE0}\n  Metadata:\n    Image Size: {size}\n")
    loaded = load_index(index)
    assert not loaded.notices, loaded.notices
    return loaded.model(LITE0)


@pytest.mark.parametrize(
    ("written", "read"),
    [
        ("[320, 256]", (320, 256)),
        ("'320x256'", (320, 256)),
        ("320 x 256", (320, 256)),
        ("'(256, 320)'", (256, 320)),
        ("[224, 224]", 224),  # a square pair is its one side, as timm's tables write it
        ("'224'", 224),
    ],
)
def test_a_size_is_read_as_height_then_width(tmp_path: Path, written: str, read: object) -> None:
    assert declaring(tmp_path, written).metadata.image_size == read


def test_a_declared_square_pair_holds_against_a_square_input(tmp_path: Path) -> None:
    model = declaring(tmp_path, "[224, 224]")
    verdicts = input_config(model.name, model.metadata.fields, resolve_pretrained(LITE0, None))
    size = next(v for v in verdicts if v.field == "Image Size")
    assert (size.verdict, size.declared, size.measured) == ("ok", 224, 224), size.detail


def test_a_non_square_size_is_judged_by_both_sides_in_order(tmp_path: Path) -> None:
    """Against a tag whose input is 320 high and 256 wide (timm's own tag, its input size changed):
    the same sides in the same order hold, the transposed ones do not, and the detail names the order."""
    real = resolve_pretrained(LITE0, None)
    tag = real.judged_against[0]
    tall = dataclasses.replace(real, configs={tag: {**real.configs[tag], "input_size": (3, 320, 256)}})

    def image_size(written: str) -> Verdict:
        model = declaring(tmp_path, written)
        return next(v for v in input_config(LITE0, model.metadata.fields, tall) if v.field == "Image Size")

    held = image_size("[320, 256]")
    assert (held.verdict, held.declared, held.measured) == ("ok", (320, 256), (320, 256))
    assert held.detail.startswith("320x256 (height x width), as in timm pretrained_cfg")
    for transposed in ("[256, 320]", "'256x320'"):
        wrong = image_size(transposed)
        assert wrong.verdict == "mismatch"
        assert (
            wrong.detail
            == f"declared 256x320 (height x width), timm pretrained_cfg {tag} says 320x256 (height x width)"
        )
    square = image_size("'320'")  # one side of the two is not the size
    assert square.verdict == "mismatch" and square.detail.endswith("says 320x256 (height x width)")


def test_a_non_square_size_against_a_square_model_is_a_mismatch_counted_at_that_size(tmp_path: Path) -> None:
    from zoo.validate import validate_model

    model = declaring(tmp_path, "'224x256'")
    verdicts = {v.field: v for v in validate_model(model)}
    size = verdicts["Image Size"]
    assert (size.verdict, size.measured) == ("mismatch", 224)
    assert size.detail.startswith("declared 224x256 (height x width), timm pretrained_cfg")
    square = {v.field: v for v in validate_model(declaring(tmp_path, "224"))}
    flops, square_flops = verdicts["FLOPs"].by_convention, square["FLOPs"].by_convention
    # a convolutional net's count grows with the input's area: 256 wide is 8/7 of 224 wide
    assert square_flops["flops"] is not None
    assert flops["flops"] == pytest.approx(square_flops["flops"] * 256 / 224, rel=0.02)
    assert flops["timm-docs-2021"] is None  # the 2021 docs counted square sizes only
    assert verdicts["Parameters"].measured == square["Parameters"].measured


def test_a_benchmark_runs_at_the_declared_height_and_width(tmp_path: Path) -> None:
    data, _, _ = resolve_data(LITE0, declaring(tmp_path, "[320, 256]"))
    assert data.input_size == (3, 320, 256)
    assert any(line.startswith("input_size: declared (3, 320, 256)") for line in data.differences)
