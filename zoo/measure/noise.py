"""Was the machine busy while we measured? A guard no peer tool has.

A timing taken while other processes took the CPU (or a hypervisor stole it) can be several times
slower than the truth, and comparing it would call a regression where there is none. The probe reads
the system's CPU counters (`/proc/stat`, psutil elsewhere) and the measuring process's own CPU time
over the timed window: whatever the system spent beyond our own process is other work.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from typing import Any

__all__ = ["CONTENDED_OTHERS", "CONTENDED_STEAL", "ContentionProbe"]

CONTENDED_OTHERS = 0.25  # other processes used more than a quarter of the machine's cores
CONTENDED_STEAL = 0.10  # the hypervisor took more than a tenth of the CPU time


@dataclass(frozen=True)
class _Counters:
    wall: float
    own_cpu: float  # this process, user + system seconds
    busy: float  # every core, non-idle seconds
    steal: float
    total: float


def _read() -> _Counters:
    import psutil

    times = psutil.cpu_times()
    own = psutil.Process().cpu_times()
    steal = float(getattr(times, "steal", 0.0))
    idle = times.idle + float(getattr(times, "iowait", 0.0))
    total = sum(float(value) for value in times)
    return _Counters(time.perf_counter(), own.user + own.system, total - idle, steal, total)


class ContentionProbe:
    """`start()` before the timed loop, `stop()` after: the contention figures for the record."""

    def __init__(self) -> None:
        self._start = _read()
        self._load_before = os.getloadavg()[0] if hasattr(os, "getloadavg") else None

    def stop(self) -> dict[str, Any]:
        end = _read()
        cores = os.cpu_count() or 1
        wall = max(end.wall - self._start.wall, 1e-9)
        total = max(end.total - self._start.total, 1e-9)
        own = end.own_cpu - self._start.own_cpu
        others = max(end.busy - self._start.busy - own, 0.0) / (wall * cores)
        steal = (end.steal - self._start.steal) / total
        reasons = []
        if others > CONTENDED_OTHERS:
            reasons.append(f"other processes used {others:.0%} of the CPU")
        if steal > CONTENDED_STEAL:
            reasons.append(f"the hypervisor stole {steal:.0%} of the CPU time")
        return {
            "load_average": self._load_before,
            "own_cpu_per_wall": round(own / wall, 3),  # our threads' CPU time over wall time
            "others_share": round(others, 3),
            "steal_share": round(steal, 3),
            "contended": bool(reasons),
            "reason": "; ".join(reasons),
        }
