"""Files written all or nothing: a temporary file beside the target, flushed, then renamed over it.

A reader (or a crash, a full disk, Ctrl-C) sees the old file or the new one, never half of one, and a
symlink at the target is replaced rather than written through.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

__all__ = ["write_atomically"]


def write_atomically(path: Path, text: str) -> Path:
    """Write `text` to `path` atomically; on any failure the temporary file is removed and `path` is
    left as it was."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".partial", dir=path.parent)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as file:
            file.write(text)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return path
