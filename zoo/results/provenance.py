"""Which code measured a result: a digest of the measuring code, the same on every clone of a commit.

A committed row carries the digest of the code that produced it; `zoo docs --check` compares it with
today's, so results measured by code that has changed since are caught, not rendered as current.
"""

from __future__ import annotations

import functools
import hashlib
from pathlib import Path

__all__ = ["MEASURING_CODE", "code_digest"]

_PACKAGE = Path(__file__).resolve().parent.parent
# What decides a measured figure: the measurement, the backends, the data pipeline, the record schema
# and the run description.
MEASURING_CODE = ("measure", "backends", "data", "results/records.py", "spec.py")


@functools.cache
def code_digest() -> str:
    """A short hash of the measuring code's Python files: their paths and contents, in sorted order
    (bytecode caches and other files left out, so a clean clone gives the same value)."""
    files: list[Path] = []
    for part in MEASURING_CODE:
        path = _PACKAGE / part
        files.extend(path.rglob("*.py") if path.is_dir() else [path] if path.is_file() else [])
    digest = hashlib.sha256()
    for file in sorted(files, key=lambda f: f.relative_to(_PACKAGE).as_posix()):
        if "__pycache__" in file.parts:
            continue
        digest.update(file.relative_to(_PACKAGE).as_posix().encode() + b"\0")
        digest.update(file.read_bytes().replace(b"\r\n", b"\n") + b"\0")
    return digest.hexdigest()[:16]
