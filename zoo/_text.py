"""Names from an index are text, never instructions to a terminal or a renderer."""

from __future__ import annotations

import io
import re
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
    return _UNUSUAL.sub(_shown, str(value))


# Every character but printable ASCII, newline and tab: the few a format or control character can be.
_UNUSUAL = re.compile(r"[^\x20-\x7e\n\t]")


def _shown(match: re.Match[str]) -> str:
    char = match.group()
    return f"\\u{ord(char):04x}" if unicodedata.category(char) in ("Cf", "Cc") else char


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
