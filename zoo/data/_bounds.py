"""Images are refused by their size before any memory is spent on them.

Two sizes matter: the decoded image (its header says how large it is, before a byte is decoded) and
the image a model's transform makes of it. timm's eval transform resizes the shorter side to the
crop's scale size, so a 100000x1 image of 370 bytes would become 256 x 25,600,000 pixels (about
20 GB) before the crop: that is refused from the header and the transform, never allocated.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

from zoo._errors import ZooError

__all__ = ["MAX_PIXELS", "BoundedTransform", "ImageTooLarge", "check_header", "resized_pixels"]

MAX_PIXELS = 50_000_000
"""The most pixels an image may have, decoded or resized: 150 MB in RGB, far above any photo set's
images (ImageNet's largest are a few megapixels) and far below what hurts a 2 GB process."""


class ImageTooLarge(ZooError):
    """An image whose decoded or resized size is over `MAX_PIXELS`."""


def check_header(path: str | Path) -> None:
    """Refuse `path` when its header declares more than `MAX_PIXELS` pixels (nothing is decoded)."""
    from PIL import Image

    with Image.open(path) as image:  # reads the header only
        width, height = image.size
    if width * height > MAX_PIXELS:
        raise ImageTooLarge(f"{path}: {width}x{height} pixels, over the limit of {MAX_PIXELS:,}")


def resized_pixels(size: tuple[int, int], transform: Any) -> int:
    """How many pixels the first resize of `transform` (a torchvision Compose or one step) makes of an
    image of `size` (width, height): a resize to a shorter side keeps the aspect ratio."""
    width, height = size
    for step in getattr(transform, "transforms", [transform]):
        target = getattr(step, "size", None)
        if target is None or not type(step).__name__.startswith("Resize"):
            continue
        sides = [target] if isinstance(target, int) else list(target)
        if len(sides) == 2 and type(step).__name__ == "Resize":
            return int(sides[0]) * int(sides[1])  # a fixed size: the aspect ratio is not kept
        short = max(int(side) for side in sides)
        longer = math.ceil(short * max(width, height) / max(min(width, height), 1))
        return short * longer
    return width * height


class BoundedTransform:
    """A model's transform that first refuses an image it would resize past `MAX_PIXELS`."""

    def __init__(self, transform: Callable[[Any], Any]) -> None:
        self.transform = transform

    def __call__(self, image: Any) -> Any:
        pixels = resized_pixels(image.size, self.transform)
        if pixels > MAX_PIXELS:
            width, height = image.size
            raise ImageTooLarge(
                f"a {width}x{height} image would be resized to {pixels:,} pixels, over the limit of "
                f"{MAX_PIXELS:,} (its aspect ratio is too extreme)"
            )
        return self.transform(image)
