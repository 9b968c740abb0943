"""Real, preprocessed model inputs: bundled photos through timm's own data config and transforms.

Preprocessing is never written by hand: timm's `resolve_model_data_config` gives the config and
`create_transform` builds the pipeline. Where the index declares other values (image size, crop
pct, interpolation) the declared ones are used, since that is what the index claims the model
was measured with, and each difference is reported.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from zoo.measure.meta_model import build_meta_model
from zoo.weights import require_timm_model

if TYPE_CHECKING:
    import numpy

    from zoo.index import Model


@dataclass(frozen=True)
class DataConfig:
    config: dict[str, Any]  # timm data config: input_size, interpolation, mean, std, crop_pct, crop_mode
    differences: tuple[str, ...]  # e.g. "crop_pct: declared 0.9, timm 0.875"


def timm_data_config(model: str) -> dict[str, Any]:
    """timm's data config for `model`, built on the meta device so no weights are allocated."""
    import timm

    require_timm_model(model)
    return dict(timm.data.resolve_model_data_config(build_meta_model(model)))


def resolve_data_config(model: str, declared: Model | None = None) -> DataConfig:
    """timm's config with the index's declared Image Size, Crop Pct and Interpolation over it."""
    config = timm_data_config(model)
    if declared is None:
        return DataConfig(config, ())
    meta = declared.metadata
    wanted = {
        "input_size": None
        if meta.image_size is None
        else (config["input_size"][0], meta.image_size, meta.image_size),
        "crop_pct": meta.crop_pct,
        "interpolation": meta.interpolation,
    }
    differences = []
    for key, value in wanted.items():
        if value is None or _same(value, config.get(key)):
            continue
        differences.append(f"{key}: declared {value}, timm {config.get(key)}")
        config[key] = value
    return DataConfig(config, tuple(differences))


def _same(declared: Any, timm_value: Any) -> bool:
    if isinstance(declared, float) and isinstance(timm_value, float):
        return math.isclose(declared, timm_value, abs_tol=1e-9)
    return declared == timm_value


def sample_images() -> list[Path]:
    """The bundled real photos: zoo.data's smoke set (its labels.json names sources and licences)."""
    from zoo.data.smoke import smoke_folder, smoke_labels

    return [smoke_folder() / record["file"] for record in smoke_labels()]


def preprocessed_batch(model: str, batch: int, declared: Model | None = None) -> numpy.ndarray:
    """The photos through timm's eval transform, cycled to `batch` images: float32 NCHW."""
    import torch
    from PIL import Image
    from timm.data import create_transform

    transform = create_transform(**resolve_data_config(model, declared).config)
    photos = []
    for path in sample_images():
        with Image.open(path) as image:
            photos.append(transform(image.convert("RGB")))
    return torch.stack([photos[i % len(photos)] for i in range(batch)]).numpy()
