"""What scenarios share: load the spec's backend (timed), run it once (timed); leave logits for the driver."""

from __future__ import annotations

import hashlib
import os
import resource
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from zoo._errors import ZooError
from zoo.spec import RunSpec

if TYPE_CHECKING:
    import numpy

    from zoo.backends import Backend

__all__ = ["Loaded", "load", "load_logits", "logits_path", "peak_rss_mb", "save_logits"]


@dataclass(frozen=True)
class Loaded:
    """A backend ready to run, and what its load and first inference cost."""

    backend: Backend
    load_s: float
    cache_hit: bool | None
    first_inference_ms: float


def load(spec: RunSpec, inputs: object) -> Loaded:
    """Export, convert and compile (all timed as load), then the first inference, timed on its own."""
    from zoo.backends import create_backend

    backend = create_backend(spec)
    begin = time.perf_counter()
    report = backend.load()
    load_s = time.perf_counter() - begin
    begin = time.perf_counter()
    backend.run(inputs)  # type: ignore[arg-type]
    first_ms = (time.perf_counter() - begin) * 1000
    return Loaded(backend, load_s, report.cache_hit, first_ms)


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux reports KiB


def logits_path(spec: RunSpec) -> Path:
    """Where a worker leaves `spec`'s logits for the driver: in the driver's folder, named by the key."""
    if spec.outputs is None:
        raise ZooError(f"{spec.scenario} needs a folder for its logits (RunSpec.outputs)")
    digest = hashlib.sha256(spec.key.encode()).hexdigest()[:16]
    return Path(spec.outputs) / f"{digest}.npz"


def save_logits(spec: RunSpec, logits: numpy.ndarray, targets: numpy.ndarray | None = None) -> None:
    """The logits of each image (and its class, when known), written atomically: one row per image,
    so the driver can compare backends and pair their predictions image by image."""
    import numpy

    path = logits_path(spec)
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".partial.npz")
    numpy.savez(partial, logits=logits, targets=targets if targets is not None else numpy.empty(0))
    os.replace(partial, path)


def load_logits(spec: RunSpec) -> tuple[numpy.ndarray, numpy.ndarray]:
    """(logits, targets) a worker saved for `spec`."""
    import numpy

    with numpy.load(logits_path(spec)) as saved:
        return saved["logits"], saved["targets"]
