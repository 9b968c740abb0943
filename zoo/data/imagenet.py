"""ImageNet-1k class indices: the sorted synsets that timm's classifiers are trained on.

A folder tree that holds only a few synsets must still map each folder to the model's index
(`n02123045` is 281 whatever else is there), so labels go through timm's `ImageNetInfo`, never
through the folder's own sorted order.
"""

from __future__ import annotations

import re
from functools import cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from timm.data import ImageNetInfo

SYNSET_PATTERN = re.compile(r"n\d{8}")


@cache
def _info() -> ImageNetInfo:
    from timm.data import ImageNetInfo  # here, not at the top: `zoo backends` must not import timm

    return ImageNetInfo("imagenet-1k")


@cache
def synset_to_index() -> dict[str, int]:
    """`{synset: class index}` for the 1000 ImageNet-1k synsets, in the models' output order."""
    return {synset: index for index, synset in enumerate(_info().label_names())}


def class_name(index: int) -> str:
    """The human description of a class index, e.g. 281 -> 'tabby, tabby cat'."""
    return _info().index_to_description(index)


def is_synset(name: str) -> bool:
    """Whether a folder or label looks like a WordNet synset id (`n01440764`)."""
    return SYNSET_PATTERN.fullmatch(name) is not None
