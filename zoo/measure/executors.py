"""Where configurations run. `local` starts one fresh process per configuration on this machine.

An executor takes run specs and yields records as they finish; the sweep stores each one before
asking for the next, so nothing finished is lost. A measuring process dies with its sweep, and the
temporary folders of a sweep that was killed are removed by the next one.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Protocol

from zoo.results.records import LatencyRecord
from zoo.spec import RunSpec

THREAD_VARIABLES = ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS")
_TEMP_PREFIX = "zoo-bench-"
_OWNER_FILE = "owner.pid"


class Executor(Protocol):
    name: str

    def run(self, specs: Iterable[RunSpec]) -> Iterator[LatencyRecord]: ...


def worker_environment(threads: int) -> dict[str, str]:
    """The measuring process's environment: the same thread budget for every backend."""
    environment = dict(os.environ)
    environment.update({name: str(threads) for name in THREAD_VARIABLES})
    environment.setdefault("HF_HUB_OFFLINE", "1")
    return environment


def run_in_subprocess(spec: RunSpec, timeout_s: float) -> LatencyRecord:
    """Measure one configuration in a fresh interpreter; a crash, hang or OOM becomes a failure."""
    import json

    remove_stale_folders()
    with tempfile.TemporaryDirectory(prefix=_TEMP_PREFIX) as folder:
        Path(folder, _OWNER_FILE).write_text(str(os.getpid()))
        spec_path, result_path = Path(folder, "spec.json"), Path(folder, "result.json")
        spec_path.write_text(spec.to_json())
        try:
            done = subprocess.run(
                [sys.executable, "-m", "zoo.measure.worker", str(spec_path), str(result_path)],
                env=worker_environment(spec.threads),
                capture_output=True,
                text=True,
                timeout=timeout_s,
                check=False,
            )
        except subprocess.TimeoutExpired:
            return LatencyRecord.failed(spec, f"timed out after {timeout_s:g} s")
        if result_path.is_file():
            return LatencyRecord.from_dict(json.loads(result_path.read_text()))
        return LatencyRecord.failed(spec, _death_reason(done.returncode, done.stderr))


def remove_stale_folders() -> None:
    """Remove the temporary folders of sweeps whose process no longer exists (killed with -9)."""
    import psutil

    for folder in Path(tempfile.gettempdir()).glob(f"{_TEMP_PREFIX}*"):
        try:
            owner = int((folder / _OWNER_FILE).read_text())
        except (OSError, ValueError):
            continue  # not ours, or being created right now
        if not psutil.pid_exists(owner):
            shutil.rmtree(folder, ignore_errors=True)


def _death_reason(returncode: int, stderr: str) -> str:
    if returncode < 0:
        name = signal.Signals(-returncode).name
        hint = " (out of memory?)" if -returncode == signal.SIGKILL else ""
        return f"measuring process killed by {name}{hint}"
    last = next((line for line in reversed(stderr.splitlines()) if line.strip()), "no output")
    return f"measuring process exited with {returncode}: {last[:300]}"


class LocalExecutor:
    """One configuration at a time on this machine, each in its own process."""

    name = "local"

    def __init__(self, timeout_s: float = 600.0) -> None:
        self.timeout_s = timeout_s

    def run(self, specs: Iterable[RunSpec]) -> Iterator[LatencyRecord]:
        for spec in specs:
            yield run_in_subprocess(spec, self.timeout_s)
