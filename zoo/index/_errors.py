"""Errors raised while reading a model index, each pointing at the file, line, model and field."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

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


@dataclass(frozen=True)
class Notice:
    """A located finding that does not stop reading the index.

    A `warning` keeps the value (an empty value is "not declared"; a value zoo does not expect but
    upstream allows is kept); an `error` drops the value or entry it names, and the command that read
    the index exits 1 at the end, naming the model.
    """

    severity: Literal["warning", "error"]
    message: str  # one line: file:line, model, field and what is wrong
    model: str | None = None

    def __str__(self) -> str:
        return f"{self.severity}: {self.message}"


class UnknownModelError(ZooError):
    """A model name the index does not hold; the message suggests the closest ones."""


def display_path(path: Path) -> str:
    """A path relative to the working folder when it lies below it, else absolute."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)
