"""Real, preprocessed model inputs: the bundled photos through timm's own transform.

Preprocessing is never written by hand: `RunSpec.data` holds timm's data config (with the index's
declared values over it, see `zoo.measure.plan`) and `timm.data.create_transform` builds the pipeline.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy

    from zoo.spec import DataConfig


def sample_images() -> list[Path]:
    """The bundled real photos: zoo.data's smoke set (its labels.json names sources and licences)."""
    from zoo.data.smoke import smoke_folder, smoke_labels

    return [smoke_folder() / record["file"] for record in smoke_labels()]


def preprocessed_batch(data: DataConfig, batch: int) -> numpy.ndarray:
    """The photos through timm's eval transform, cycled to `batch` images: float32 NCHW."""
    import torch
    from PIL import Image
    from timm.data import create_transform

    transform = create_transform(**data.timm_config())
    photos = []
    for path in sample_images():
        with Image.open(path) as image:
            photos.append(transform(image.convert("RGB")))
    return torch.stack([photos[i % len(photos)] for i in range(batch)]).numpy()
