"""A cache of converted artefacts (ONNX files, OpenVINO IR) that is never used when it is damaged.

An entry is a directory named by a digest of its key (model, weights digest, input shape, opset,
library versions). It is built in a temporary directory beside it and renamed into place in one
step, with a manifest holding the sha256 of every file; an entry whose manifest or files do not
verify is deleted and built again. Processes that want the same missing entry (test workers, a sweep's
workers) take turns on a lock file beside it: one builds it, the others then reuse it.
"""

from __future__ import annotations

import hashlib
import json
import logging
import shutil
import tempfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from filelock import FileLock

from zoo.paths import cache_root
from zoo.weights import file_sha256

MANIFEST = "manifest.json"
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class CacheEntry:
    path: Path  # the directory holding the artefacts
    hit: bool  # True when it was reused, False when it was built now


def entry_path(kind: str, key: Mapping[str, Any]) -> Path:
    digest = hashlib.sha256(json.dumps(key, sort_keys=True).encode()).hexdigest()[:20]
    return cache_root() / kind / f"{key.get('model', kind)}-{digest}"


def cached(kind: str, key: Mapping[str, Any], build: Callable[[Path], None]) -> CacheEntry:
    """The verified entry for `key`, built by `build(directory)` when missing or damaged."""
    final = entry_path(kind, key)
    if verify(final, key):
        return CacheEntry(final, hit=True)
    final.parent.mkdir(parents=True, exist_ok=True)
    with FileLock(final.parent / f"{final.name}.lock"):
        return _build(final, key, build)


def _build(final: Path, key: Mapping[str, Any], build: Callable[[Path], None]) -> CacheEntry:
    """Under the entry's lock: reuse what another process built meanwhile, else build and publish it."""
    if verify(final, key):
        return CacheEntry(final, hit=True)
    if final.exists():
        log.warning("cache entry %s does not verify; rebuilding it", final)
        shutil.rmtree(final, ignore_errors=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{final.name}.", dir=final.parent))
    try:
        build(staging)
        files = {
            p.relative_to(staging).as_posix(): file_sha256(p)
            for p in sorted(staging.rglob("*"))
            if p.is_file()
        }
        if not files:
            raise RuntimeError(f"building cache entry {final.name} wrote no files")
        (staging / MANIFEST).write_text(json.dumps({"key": key, "files": files}, indent=1, sort_keys=True))
        _publish(staging, final, key)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return CacheEntry(final, hit=False)


def _publish(staging: Path, final: Path, key: Mapping[str, Any]) -> None:
    """Rename into place; if another process published the same entry first, keep a good one."""
    try:
        staging.rename(final)
    except OSError:
        if verify(final, key):
            return
        shutil.rmtree(final, ignore_errors=True)
        staging.rename(final)


def verify(entry: Path, key: Mapping[str, Any]) -> bool:
    """True when the entry holds a manifest for `key` and every file in it has its recorded sha256."""
    try:
        manifest = json.loads((entry / MANIFEST).read_text())
        files = manifest["files"]
        return (
            manifest["key"] == json.loads(json.dumps(key))
            and bool(files)
            and all(file_sha256(entry / name) == digest for name, digest in files.items())
        )
    except (OSError, ValueError, KeyError, TypeError):
        return False
