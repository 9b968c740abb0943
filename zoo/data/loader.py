"""Decode and preprocess images once, in DataLoader workers, into float32 batches for every backend.

timm's `ImageDataset` replaces an image it cannot decode by the next one (a silent duplicate);
here it gives up after one try instead, and the image is skipped and counted with its reason.
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from PIL import Image
from torch.utils.data import DataLoader, Dataset, default_collate

from zoo._logging import quiet_logger
from zoo._processes import worker_context
from zoo.data.layouts import ImageSet


@dataclass(frozen=True)
class SkippedImage:
    path: str
    reason: str


@dataclass(frozen=True)
class Batch:
    """Preprocessed images (N, 3, H, W) float32, their class indices, and what could not be read."""

    images: np.ndarray
    targets: np.ndarray
    skipped: tuple[SkippedImage, ...]
    wait_s: float  # how long the consumer waited for this batch: decoding it did not overlap inference


@contextmanager
def _warnings_as_errors() -> Iterator[None]:
    """PIL's warnings (a decompression bomb, corrupt EXIF, a truncated file) make an image unreadable:
    it is skipped with the warning as its reason, rather than decoded anyway or spilled onto stderr."""
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        warnings.filterwarnings("error", module=r"PIL(\.|$)")
        yield


def _decode_error(path: str) -> str | None:
    """Why an image cannot be read (asked again only for the few that fail), or None if it can."""
    try:
        with _warnings_as_errors(), Image.open(path) as image:
            image.convert("RGB")
    except Exception as error:
        return _reason(error)
    return None


def _reason(error: BaseException) -> str:
    return " ".join(f"{type(error).__name__}: {error}".split())[:300]


class _SkipUnreadable(Dataset[tuple[Any, int, Any]]):
    """One item per image: `(tensor, target, None)`, or `(None, target, SkippedImage)`."""

    def __init__(self, dataset: Any, indices: Sequence[int]) -> None:
        self.dataset = dataset
        self.dataset._max_retries = 1  # timm's retry loop moves on to the next image; one try, then skip
        self.indices = list(indices)

    def __len__(self) -> int:
        return len(self.indices)

    def __getitem__(self, position: int) -> tuple[torch.Tensor | None, int, SkippedImage | None]:
        index = self.indices[position]
        path, target = self.dataset.reader.samples[index]
        try:
            with _warnings_as_errors():
                image, target = self.dataset[index]
        except RuntimeError as error:  # timm's "Failed to load 1 consecutive samples" hides the reason
            return None, target, SkippedImage(str(path), _decode_error(str(path)) or _reason(error))
        except Exception as error:  # a bomb, a warning made an error, or any other undecodable file
            return None, target, SkippedImage(str(path), _reason(error))
        return image, target, None


def _collate(items: list[tuple[torch.Tensor | None, int, SkippedImage | None]]) -> tuple[Any, ...]:
    good = [(image, target) for image, target, skipped in items if skipped is None]
    skipped = tuple(skipped for _, _, skipped in items if skipped is not None)
    if not good:
        return None, None, skipped
    images, targets = default_collate(good)
    return images, targets, skipped


def spread_indices(total: int, limit: int | None) -> list[int]:
    """`limit` indices spread evenly over `total`, so a limited run still sees every part of the set
    (an ImageFolder is sorted by class: its first 500 images are one class)."""
    if limit is None or limit >= total:
        return list(range(total))
    return sorted({int(i) for i in np.linspace(0, total - 1, num=max(limit, 1)).round()})


def batches(
    image_set: ImageSet,
    transform: Callable[[Any], torch.Tensor],
    batch: int,
    *,
    limit: int | None = None,
    workers: int = 0,
) -> Iterator[Batch]:
    """Preprocessed batches of up to `batch` images (fewer when images are skipped or at the end)."""
    dataset = _SkipUnreadable(image_set.dataset(transform), spread_indices(len(image_set), limit))
    loader = DataLoader(
        dataset,
        batch_size=batch,
        shuffle=False,
        num_workers=workers,
        collate_fn=_collate,
        prefetch_factor=4 if workers else None,
        multiprocessing_context=worker_context() if workers else None,  # never a fork of this process
    )
    with quiet_logger("timm.data.dataset"):  # each skipped image is counted and reported once
        iterator = iter(loader)
        while True:
            started = time.perf_counter()
            try:
                images, targets, skipped = next(iterator)
            except StopIteration:
                return
            waited = time.perf_counter() - started
            if images is None:
                yield Batch(np.empty((0, 0, 0, 0), np.float32), np.empty(0, np.int64), skipped, waited)
            else:
                array = images.numpy().astype(np.float32, copy=False)
                yield Batch(array, targets.numpy().astype(np.int64), skipped, waited)
