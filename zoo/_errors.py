"""User-facing errors: the CLI prints them as one line and exits 2, never with a traceback."""

from __future__ import annotations


class ZooError(Exception):
    """Bad input or usage. Its message is one line that names what is wrong and where."""

    exit_code: int = 2


def one_line(error: BaseException, limit: int = 300) -> str:
    """An error as the one line a result records: zoo's own message as it is, others with their type."""
    text = " ".join(str(error).split())
    if isinstance(error, ZooError):
        return text[:limit]
    return f"{type(error).__name__}: {text}"[:limit] if text else type(error).__name__
