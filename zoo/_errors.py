"""User-facing errors: the CLI prints them as one line and exits 2, never with a traceback."""

from __future__ import annotations


class ZooError(Exception):
    """Bad input or usage. Its message is one line that names what is wrong and where."""

    exit_code: int = 2
