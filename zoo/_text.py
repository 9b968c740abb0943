"""Names from an index are text, never instructions to a terminal or a renderer."""

from __future__ import annotations

import io
import unicodedata
from typing import Any

__all__ = ["VisibleWriter", "terminal", "visible"]


def visible(value: Any) -> str:
    """`value` as text with each format or control character (category Cf or Cc) written as `\\uXXXX`:
    bidirectional overrides, zero-width characters and escape sequences show instead of acting.

    Newlines and tabs are kept (the callers that need one line collapse them); a carriage return, which
    would let a name overwrite what the line says, is shown too. Inside a JSON string `\\uXXXX` is the
    same character, so JSON stays JSON.
    """
    return "".join(
        f"\\u{ord(char):04x}" if char not in _KEPT and unicodedata.category(char) in ("Cf", "Cc") else char
        for char in str(value)
    )


_KEPT = frozenset("\n\t")


class VisibleWriter(io.TextIOBase):
    """A text stream that writes through `visible`: the commands' standard output."""

    def __init__(self, stream: Any) -> None:
        self.stream = stream

    def write(self, text: str) -> int:
        self.stream.write(visible(text))
        return len(text)

    def flush(self) -> None:
        self.stream.flush()

    def isatty(self) -> bool:
        return bool(self.stream.isatty())

    def fileno(self) -> int:
        return int(self.stream.fileno())


def terminal(stream: Any) -> Any:
    """The stream beneath a `VisibleWriter`, for a progress display that writes its own escape codes
    (what it shows from an index must pass through `visible` first)."""
    return stream.stream if isinstance(stream, VisibleWriter) else stream
