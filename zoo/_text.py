"""Names from an index are text, never instructions to a terminal or a renderer."""

from __future__ import annotations

import io
import unicodedata
from typing import Any

__all__ = ["VisibleWriter", "visible"]


def visible(value: Any) -> str:
    """`value` as text with each format or control character (category Cf or Cc) written as `\\uXXXX`:
    bidirectional overrides, zero-width characters and escape sequences show instead of acting.

    Whitespace is kept: the callers that need one line collapse it themselves. Inside a JSON string
    `\\uXXXX` is the same character, so JSON stays JSON.
    """
    return "".join(
        f"\\u{ord(char):04x}" if unicodedata.category(char) in ("Cf", "Cc") and not char.isspace() else char
        for char in str(value)
    )


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
