"""What scenarios share: load the spec's backend (timed), run it once (timed)."""

from __future__ import annotations

import resource
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

from zoo.spec import RunSpec

if TYPE_CHECKING:
    from zoo.backends import Backend

__all__ = ["Loaded", "load", "peak_rss_mb"]


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
