"""Reading index files from disk: size, encoding and format checks, then the YAML documents inside.

A file holds model-index YAML in one of three ways: a YAML file, `<!-- ... -->` comment blocks
in Markdown (a template's `{% include %}` lines lie outside them), or Markdown front matter
with a `model-index:` key.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from zoo.index._errors import IndexFormatError
from zoo.index._yaml import LocatedDict, load_yaml

MAX_FILE_BYTES = 4 * 1024 * 1024
YAML_SUFFIXES = frozenset({".yml", ".yaml"})
MARKDOWN_SUFFIXES = frozenset({".md", ".markdown"})

_COMMENT = re.compile(r"<!--(.*?)-->", re.DOTALL)
_FRONT_MATTER = re.compile(r"\A---[ \t]*\r?\n(.*?\r?\n)---[ \t]*(?:\r?\n|\Z)", re.DOTALL)
_LOOKS_LIKE_INDEX = re.compile(r"^\s*(models|collections|type|import)\s*:", re.IGNORECASE | re.MULTILINE)
_INDEX_KEYS = frozenset({"models", "collections", "import"})
# A CommonMark fence: up to three spaces, then three or more backticks or tildes.
_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})", re.MULTILINE)


def read_text(path: Path) -> str:
    """The file's text, refusing what no index file can be: huge, empty, binary or not UTF-8."""
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise IndexFormatError(path, f"file is {size} bytes, over the {MAX_FILE_BYTES}-byte limit")
        data = path.read_bytes()
    except OSError as error:
        raise IndexFormatError(path, f"cannot read: {error.strerror or error}") from None
    if b"\x00" in data:
        raise IndexFormatError(path, "binary file, not a model index")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        raise IndexFormatError(path, f"not UTF-8 (byte {error.start})", line=line) from None
    if not text.strip():
        raise IndexFormatError(path, "empty file")
    return text


def read_documents(path: Path) -> list[LocatedDict]:
    """Every model-index mapping a file declares, with file line numbers."""
    text = read_text(path)
    suffix = path.suffix.lower()
    if suffix in YAML_SUFFIXES:
        return [_as_index_document(load_yaml(text, path), path)]
    if suffix in MARKDOWN_SUFFIXES:
        return _markdown_documents(text, path)
    raise IndexFormatError(path, f"unsupported file type {suffix or '(none)'}: expected .yml, .yaml or .md")


def _markdown_documents(text: str, path: Path) -> list[LocatedDict]:
    documents: list[LocatedDict] = []
    front = _FRONT_MATTER.match(text)
    if front:
        data = load_yaml(front.group(1), path, first_line=2)
        if isinstance(data, LocatedDict) and "model-index" in {str(k).lower() for k in data}:
            key = next(k for k in data if str(k).lower() == "model-index")
            documents.append(_as_index_document(data[key], path, line=data.lines.get(key, 2)))
    fenced = _fenced_ranges(text)
    for block in _COMMENT.finditer(text):
        if any(start <= block.start() < end for start, end in fenced):
            continue  # an example shown in a code block, not a declaration
        body = block.group(1)
        if not _LOOKS_LIKE_INDEX.search(body):
            continue  # an ordinary HTML comment
        start = block.start(1)
        first_line = text.count("\n", 0, start) + 1
        data = load_yaml(body, path, first_line, start - text.rfind("\n", 0, start) - 1)
        if isinstance(data, LocatedDict) and _is_index_mapping(data):
            documents.append(data)
    if not documents:
        raise IndexFormatError(path, "no model-index block (<!-- ... --> or front matter 'model-index:')")
    return documents


def _fenced_ranges(text: str) -> list[tuple[int, int]]:
    """The character ranges of fenced code blocks; an unclosed fence runs to the end, as in CommonMark."""
    ranges: list[tuple[int, int]] = []
    opening: re.Match[str] | None = None
    for fence in _FENCE.finditer(text):
        marker = fence.group(1)
        if opening is None:
            opening = fence
            continue
        line_end = text.find("\n", fence.end())
        closes = not text[fence.end() : line_end if line_end >= 0 else len(text)].strip()
        if closes and marker[0] == opening.group(1)[0] and len(marker) >= len(opening.group(1)):
            ranges.append((opening.start(), fence.end()))
            opening = None
    if opening is not None:
        ranges.append((opening.start(), len(text)))
    return ranges


def _is_index_mapping(data: dict[Any, Any]) -> bool:
    keys = {str(k).strip().lower() for k in data}
    type_value = next((v for k, v in data.items() if str(k).strip().lower() == "type"), None)
    return bool(keys & _INDEX_KEYS) or str(type_value).lower() == "model-index"


def _as_index_document(data: Any, path: Path, line: int = 1) -> LocatedDict:
    """Normalize the accepted shapes (index mapping, one model, a list of models) to one mapping."""
    if isinstance(data, LocatedDict) and _is_index_mapping(data):
        return data
    if isinstance(data, LocatedDict) and "name" in {str(k).strip().lower() for k in data}:
        models: list[Any] = [data]
    elif isinstance(data, list):
        models = data
    else:
        raise IndexFormatError(
            path,
            "expected a mapping with Models/Collections/Import, one model, or a list of models",
            line=line,
        )
    document = LocatedDict(Models=models)
    document.line = line
    document.lines["Models"] = line
    return document
