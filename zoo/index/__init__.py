"""Parse and check model-index metadata (the Papers-with-Code format timm's docs used)."""

from zoo.index._errors import IndexFormatError, Notice, UnknownModelError
from zoo.index._model import (
    Collection,
    Declared,
    Index,
    Metadata,
    Model,
    Paper,
    Result,
    Source,
    dataset_key,
    local_weights,
    normalize_key,
)
from zoo.index._parse import count_resolution, load_index, on_index_loaded

__all__ = [
    "Collection",
    "Declared",
    "Index",
    "IndexFormatError",
    "Metadata",
    "Model",
    "Notice",
    "Paper",
    "Result",
    "Source",
    "UnknownModelError",
    "count_resolution",
    "dataset_key",
    "load_index",
    "local_weights",
    "normalize_key",
    "on_index_loaded",
]
