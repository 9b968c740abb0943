"""Parse and check model-index metadata (the Papers-with-Code format timm's docs used)."""

from zoo.index._errors import IndexFormatError, UnknownModelError, display_path
from zoo.index._files import MARKDOWN_SUFFIXES
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
    "MARKDOWN_SUFFIXES",
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
    "display_path",
    "load_index",
    "local_weights",
    "normalize_key",
]
