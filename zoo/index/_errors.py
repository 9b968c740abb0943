"""Errors raised while reading a model index, each pointing at the file, line, model and field."""

from __future__ import annotations

from pathlib import Path

from zoo._errors import ZooError


class IndexFormatError(ZooError):
    """A model-index file that cannot be read or declares something impossible."""

    def __init__(
        self,
        path: Path | str,
        message: str,
        *,
        line: int | None = None,
        model: str | None = None,
        field: str | None = None,
    ) -> None:
        self.path = Path(path)
        self.line = line
        self.model = model
        self.field = field
        self.reason = message
        where = f"{display_path(self.path)}:{line}" if line else display_path(self.path)
        parts = [where]
        if model:
            parts.append(f"model {model!r}")
        if field:
            parts.append(f"field {field!r}")
        super().__init__(": ".join([*parts, " ".join(message.split())]))


class UnknownModelError(ZooError):
    """A model name the index does not hold; the message suggests the closest ones."""


def display_path(path: Path) -> str:
    """A path relative to the working folder when it lies below it, else absolute."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)
