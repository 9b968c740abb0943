"""Parse and check model-index metadata (the Papers-with-Code format timm's docs used)."""

from zoo.index._errors import IndexFormatError, UnknownModelError
from zoo.index._model import (
    Collection,
    Declared,
    Index,
    Metadata,
    Model,
    Paper,
    Result,
    Source,
    local_weights,
    normalize_key,
)
from zoo.index._parse import load_index

__all__ = [
    "Collection",
    "Declared",
    "Index",
    "IndexFormatError",
    "Metadata",
    "Model",
    "Paper",
    "Result",
    "Source",
    "UnknownModelError",
    "load_index",
    "local_weights",
    "normalize_key",
]
