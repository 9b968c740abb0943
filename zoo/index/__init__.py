"""Parse and check model-index metadata (the Papers-with-Code format timm's docs used)."""

from zoo.index._errors import IndexFormatError, Notice, UnknownModelError, display_path
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
    dataset_key,
    image_size_text,
    local_weights,
    normalize_key,
)
from zoo.index._parse import count_resolution, load_index, on_index_loaded

__all__ = [
    "MARKDOWN_SUFFIXES",
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
    "display_path",
    "image_size_text",
    "load_index",
    "local_weights",
    "normalize_key",
    "on_index_loaded",
]
