"""What a model's structure alone gives (FLOPs, parameters, the file size estimate), cached on disk.

These depend on the architecture, the input size, the timm and torch versions and zoo's counting
code, never on an index: a second `zoo validate` reads them from `ZOO_CACHE/validate/` instead of
building every model again. A damaged entry is measured again and replaced.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import os
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from zoo._errors import one_line
from zoo.measure.flops import CONVENTIONS, FlopCount

__all__ = ["CannotBuild", "Structure", "structure"]

_KIND = "validate"


class CannotBuild(Exception):
    """timm knows the model but cannot build it."""


@dataclass(frozen=True)
class Structure:
    flops: dict[str, FlopCount]
    parameters: int
    estimated_file_size: int


def structure(name: str, image_size: int | tuple[int, int]) -> Structure:
    """The model's counts at `image_size`, from the cache when they were measured before."""
    path = _entry(name, image_size)
    with contextlib.suppress(OSError, ValueError, KeyError, TypeError):
        return _load(path)
    found = _measure(name, image_size)
    _store(path, found)
    return found


def _measure(name: str, image_size: int | tuple[int, int]) -> Structure:
    from zoo.measure.flops import count_flops
    from zoo.measure.meta_model import build_meta_model
    from zoo.validate._meta import estimate_file_size

    try:
        module = build_meta_model(name)
    except Exception as error:
        raise CannotBuild(one_line(error)) from error
    parameters = sum(p.numel() for p in module.parameters())
    return Structure(count_flops(module, image_size), parameters, estimate_file_size(module))


def _entry(name: str, image_size: int | tuple[int, int]) -> Path:
    import timm
    import torch

    from zoo.paths import cache_root

    key = [name, image_size, timm.__version__, torch.__version__, _code_digest()]
    digest = hashlib.sha256(json.dumps(key).encode()).hexdigest()[:20]
    size = image_size if isinstance(image_size, int) else "x".join(map(str, image_size))
    return cache_root() / _KIND / f"{name}-{size}-{digest}.json"


@functools.cache
def _code_digest() -> str:
    """The counting code's own bytes: a change to how anything is counted makes every entry stale."""
    from zoo.measure import flops, meta_model
    from zoo.validate import _meta

    digest = hashlib.sha256()
    for module in (flops, meta_model, _meta):
        digest.update(Path(str(module.__file__)).read_bytes())
    return digest.hexdigest()


def _load(path: Path) -> Structure:
    data = json.loads(path.read_text())
    flops = {
        name: FlopCount(c["convention"], c["value"], tuple(c["input_shape"]), c["error"])
        for name, c in data["flops"].items()
    }
    if set(flops) != set(CONVENTIONS):
        raise KeyError(f"{path} lacks FLOPs conventions")
    return Structure(flops, int(data["parameters"]), int(data["estimated_file_size"]))


def _store(path: Path, found: Structure) -> None:
    """Write atomically (a temporary file renamed into place): parallel workers never read half a file."""
    data: dict[str, Any] = asdict(found)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    except OSError:
        return  # a read-only cache costs speed, never a result
    try:
        with os.fdopen(handle, "w") as file:
            json.dump(data, file)
        os.replace(temporary, path)
    except OSError:
        Path(temporary).unlink(missing_ok=True)  # nor does a full one
