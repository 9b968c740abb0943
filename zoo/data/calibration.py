"""Calibration images for post-training INT8: real photos through the model's own timm transforms.

A calibration set is a list of source images and a recipe. With at least `samples` images (any layout
`zoo eval --data` reads) it takes `samples` of them spread over the set, each once through timm's eval
transform. With fewer (by default the four bundled smoke photos) every image is used once through the
eval transform and the rest are seeded augmentations of the same images through timm's train transform
(random resized crop, flip, mild colour jitter), so the same recipe always gives the same tensors.

The digest covers the images' bytes and the recipe, so a quantized artefact cached under it is rebuilt
when either changes; `description` is the short line that cards and the store show.
"""

from __future__ import annotations

import hashlib
import json
import math
import random
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
from PIL import Image

from zoo._errors import ZooError
from zoo.data._bounds import BoundedTransform, ImageTooLarge, check_header
from zoo.data.layouts import find_images
from zoo.data.loader import spread_indices
from zoo.data.smoke import smoke_set
from zoo.weights import file_sha256

DEFAULT_SAMPLES = 128
DEFAULT_SEED = 0
# timm's train transform with milder settings than training uses: calibration wants the activation ranges
# of real photos, so crops keep at least a quarter of the image, and colours move a little.
AUGMENTATION: Mapping[str, Any] = {
    "scale": (0.25, 1.0),
    "ratio": (3 / 4, 4 / 3),
    "hflip": 0.5,
    "color_jitter": 0.2,
}


@dataclass(frozen=True)
class Calibration:
    """Which images calibrate, how many tensors they make, and how the extra ones are augmented."""

    name: str  # "smoke" or the image set's name
    images: tuple[Path, ...]
    samples: int
    seed: int = DEFAULT_SEED
    augmentation: Mapping[str, Any] | None = field(default=None)  # None when every sample is a distinct image
    total: int = 0  # images in the set the calibration images were drawn from

    @property
    def recipe(self) -> dict[str, Any]:
        """Everything besides the image bytes that decides the calibration tensors (JSON-able)."""
        return {
            "samples": self.samples,
            "seed": self.seed,
            "augmentation": None if self.augmentation is None else json.loads(json.dumps(self.augmentation)),
            "selection": "spread evenly" if self.total > len(self.images) else "all",
        }

    @property
    def digest(self) -> str:
        """sha256 of the images' contents (in order) and the recipe: the part of a cache key it decides."""
        hasher = hashlib.sha256()
        for path in self.images:
            hasher.update(file_sha256(path).encode())
        hasher.update(json.dumps(self.recipe, sort_keys=True).encode())
        return hasher.hexdigest()

    @property
    def description(self) -> str:
        """One line for a card or a record, e.g. '4 bundled photos x 32 (seeded augmentations, seed 0)'."""
        source = "bundled photos" if self.name == "smoke" else f"images of {self.name}"
        if self.augmentation is None:
            picked = f" (of {self.total}, spread evenly)" if self.total > len(self.images) else ""
            return f"{self.samples} {source}{picked}"
        views = math.ceil(self.samples / len(self.images))
        return (
            f"{len(self.images)} {source} x {views} = {self.samples} samples (originals, then seeded "
            f"timm train-transform augmentations: crop scale {self.augmentation['scale'][0]:g}-1, "
            f"flip, colour jitter {self.augmentation['color_jitter']:g}; seed {self.seed})"
        )

    def inputs(self, data_config: Mapping[str, Any], batch: int = 1) -> CalibrationInputs:
        """The calibration tensors for one model's data config, in batches of `batch`."""
        return CalibrationInputs(self, dict(data_config), batch)

    def overlap(self, paths: Iterable[str | Path]) -> list[str]:
        """The calibration images whose contents are also among `paths` (e.g. an evaluation set)."""
        others = {file_sha256(Path(path)) for path in paths}
        return [path.name for path in self.images if file_sha256(path) in others]


def calibration_set(
    data: Path | None = None,
    samples: int = DEFAULT_SAMPLES,
    *,
    split: str = "val",
    labels: Path | None = None,
    seed: int = DEFAULT_SEED,
) -> Calibration:
    """`samples` calibration tensors from `data` (any `zoo eval --data` layout), else the bundled photos."""
    if samples < 1:
        raise ZooError(f"calibration needs at least 1 sample, got {samples}")
    image_set = smoke_set() if data is None else find_images(data, split, labels)
    paths = [Path(path) for path, _ in image_set.samples]
    chosen = tuple(paths[i] for i in spread_indices(len(paths), samples))
    augmentation = dict(AUGMENTATION) if len(chosen) < samples else None
    return Calibration(image_set.name, chosen, samples, seed, augmentation, total=len(paths))


class CalibrationInputs:
    """Re-iterable float32 NCHW batches (quantizers walk the data more than once); built lazily."""

    def __init__(self, calibration: Calibration, data_config: dict[str, Any], batch: int) -> None:
        if batch < 1:
            raise ZooError(f"calibration batch must be at least 1, got {batch}")
        self.calibration = calibration
        self.batch = batch
        self._eval = BoundedTransform(_transform(data_config, None))
        augmentation = calibration.augmentation
        self._train = (
            None if augmentation is None else BoundedTransform(_transform(data_config, augmentation))
        )

    def __len__(self) -> int:
        return math.ceil(self.calibration.samples / self.batch)

    def __iter__(self) -> Iterator[np.ndarray]:
        samples = self.calibration.samples
        for start in range(0, len(self) * self.batch, self.batch):
            # A last, partial batch is filled from the start again: the artefact has a static batch.
            tensors = [self.sample(i % samples) for i in range(start, start + self.batch)]
            yield torch.stack(tensors).numpy()

    def sample(self, index: int) -> torch.Tensor:
        """Sample `index`: image `index` as it is, past the images a seeded augmentation of one."""
        images = self.calibration.images
        path = images[index % len(images)]
        image = _read(path)
        try:
            if index < len(images) or self._train is None:
                tensor: torch.Tensor = self._eval(image)
                return tensor
            with _seeded(self.calibration.seed * 1_000_003 + index):
                augmented: torch.Tensor = self._train(image)
                return augmented
        except ImageTooLarge as error:
            raise ZooError(f"calibration image {path}: {error}") from None


def _transform(data_config: Mapping[str, Any], augmentation: Mapping[str, Any] | None) -> Callable[..., Any]:
    from timm.data import create_transform

    transform: Callable[..., Any]
    if augmentation is None:
        transform = create_transform(**data_config)
        return transform
    transform = create_transform(
        input_size=data_config["input_size"],
        interpolation=data_config["interpolation"],
        mean=data_config["mean"],
        std=data_config["std"],
        is_training=True,
        **augmentation,
    )
    return transform


def _read(path: Path) -> Image.Image:
    try:
        check_header(path)
        with Image.open(path) as image:
            return image.convert("RGB")
    except ImageTooLarge as error:
        raise ZooError(f"calibration image {error}") from None
    except Exception as error:
        raise ZooError(f"calibration image {path} cannot be read: {type(error).__name__}: {error}") from None


class _seeded:
    """Seed Python's and torch's generators (timm's crop uses one, torchvision's flip the other), then
    put both back, so calibration neither depends on nor disturbs the caller's random state."""

    def __init__(self, seed: int) -> None:
        self.seed = seed

    def __enter__(self) -> None:
        self._python = random.getstate()
        self._torch = torch.random.get_rng_state()
        random.seed(self.seed)
        torch.manual_seed(self.seed)

    def __exit__(self, *_: object) -> None:
        random.setstate(self._python)
        torch.random.set_rng_state(self._torch)
