"""Model inputs: real photos through timm's own data config, with the index's declared values winning."""

from __future__ import annotations

from pathlib import Path

import numpy
import pytest
import torch
from PIL import Image
from timm.data import create_transform

from zoo import ZooError
from zoo.index import load_index
from zoo.measure.inputs import preprocessed_batch, resolve_data_config, sample_images

REPO = Path(__file__).resolve().parents[2]


def test_sample_images_are_real_photos() -> None:
    photos = sample_images()
    assert "grace_hopper.jpg" in [path.name for path in photos]
    for path in photos:
        with Image.open(path) as image:
            assert min(image.size) >= 200 and image.mode == "RGB"


def test_timm_config_when_the_index_agrees() -> None:
    declared = load_index(REPO / "model-index.yml").model("tf_efficientnet_lite2")
    resolved = resolve_data_config("tf_efficientnet_lite2", declared)
    assert resolved.differences == ()
    assert resolved.config["input_size"] == (3, 260, 260)
    assert (resolved.config["crop_pct"], resolved.config["interpolation"]) == (0.89, "bicubic")
    assert resolved.config["mean"] == (0.5, 0.5, 0.5)


def test_declared_values_win_and_each_difference_is_reported(tmp_path: Path) -> None:
    card = tmp_path / "lite0.yaml"
    card.write_text(
        "Name: tf_efficientnet_lite0\nMetadata:\n  Image Size: '256'\n  Crop Pct: '0.9'\n  Interpolation: bilinear\n"
    )
    declared = load_index(card).model("tf_efficientnet_lite0")
    resolved = resolve_data_config("tf_efficientnet_lite0", declared)
    assert resolved.config["input_size"] == (3, 256, 256)
    assert (resolved.config["crop_pct"], resolved.config["interpolation"]) == (0.9, "bilinear")
    assert resolved.differences == (
        "input_size: declared (3, 256, 256), timm (3, 224, 224)",
        "crop_pct: declared 0.9, timm 0.875",
        "interpolation: declared bilinear, timm bicubic",
    )
    assert preprocessed_batch("tf_efficientnet_lite0", 1, declared).shape == (1, 3, 256, 256)


def test_batch_is_the_photos_through_timms_transform_cycled() -> None:
    batch = preprocessed_batch("tf_efficientnet_lite0", len(sample_images()) + 2)
    assert batch.dtype == numpy.float32 and batch.shape == (len(sample_images()) + 2, 3, 224, 224)
    assert numpy.array_equal(batch[len(sample_images())], batch[0])
    transform = create_transform(**resolve_data_config("tf_efficientnet_lite0").config)
    with Image.open(sample_images()[1]) as image:
        expected = transform(image.convert("RGB"))
    assert torch.equal(torch.from_numpy(batch[1]), expected)
    assert batch.min() >= -1.0 and batch.max() <= 1.0  # mean 0.5, std 0.5: [0, 1] maps to [-1, 1]


def test_unknown_model_is_an_error() -> None:
    with pytest.raises(ZooError, match="unknown timm model"):
        resolve_data_config("tf_efficientnet_lite9")
