"""Writing files so that a reader never sees half of one and a link never carries a write elsewhere.

Every file is written to a temporary file in its own folder and renamed into place. A set of files is
all or nothing as far as the file system allows: every temporary file is written (and flushed) before
the first rename, so a full disk or an error leaves every old file as it was.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Mapping
from pathlib import Path

from zoo._errors import ZooError

__all__ = ["confined", "replace_all"]


def confined(path: Path, root: Path) -> Path:
    """`path`, refused when it is a link or its folder leads out of `root` through a link."""
    if path.is_symlink():
        raise ZooError(f"{path}: not a regular file (a symbolic link); zoo does not write through links")
    if not path.parent.resolve().is_relative_to(root.resolve()):
        raise ZooError(f"{path}: its folder leads out of {root} through a link; zoo does not write there")
    if path.exists() and not path.is_file():
        raise ZooError(f"{path}: not a regular file")
    return path


def replace_all(files: Mapping[Path, bytes]) -> None:
    """Write every file to a temporary sibling, then rename each into place; on any failure before
    the renames, remove the temporary files and leave the old files untouched."""
    staged: list[tuple[str, Path]] = []
    umask = os.umask(0)
    os.umask(umask)
    try:
        for path, content in files.items():
            path.parent.mkdir(parents=True, exist_ok=True)
            handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
            staged.append((temporary, path))
            os.fchmod(handle, 0o666 & ~umask)  # as an ordinary file would be, not mkstemp's 0600
            with os.fdopen(handle, "wb") as file:
                file.write(content)
                file.flush()
                os.fsync(file.fileno())
    except OSError as error:
        for temporary, _ in staged:
            with contextlib.suppress(OSError):
                os.unlink(temporary)
        raise ZooError(f"cannot write {path}: {error.strerror or error}; nothing was changed") from None
    for temporary, path in staged:
        os.replace(temporary, path)
