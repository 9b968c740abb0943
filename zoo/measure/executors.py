"""Where configurations run. `local` starts one fresh process per configuration on this machine.

An executor takes configurations and yields measurements as they finish; the sweep stores each
one before asking for the next, so nothing finished is lost.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Protocol

from zoo.measure.latency import BenchConfig, Measurement

THREAD_VARIABLES = ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS")


class Executor(Protocol):
    name: str

    def run(self, configs: Iterable[BenchConfig]) -> Iterator[Measurement]: ...


def worker_environment(threads: int) -> dict[str, str]:
    """The measuring process's environment: the same thread budget for every backend."""
    environment = dict(os.environ)
    environment.update({name: str(threads) for name in THREAD_VARIABLES})
    environment.setdefault("HF_HUB_OFFLINE", "1")
    return environment


def run_in_subprocess(config: BenchConfig, timeout_s: float) -> Measurement:
    """Measure one configuration in a fresh interpreter; a crash, hang or OOM becomes a failure."""
    with tempfile.TemporaryDirectory(prefix="zoo-bench-") as folder:
        config_path, result_path = Path(folder, "config.json"), Path(folder, "result.json")
        config_path.write_text(json.dumps(config.__dict__))
        try:
            done = subprocess.run(
                [sys.executable, "-m", "zoo.measure.worker", str(config_path), str(result_path)],
                env=worker_environment(config.threads),
                capture_output=True,
                text=True,
                timeout=timeout_s,
                check=False,
            )
        except subprocess.TimeoutExpired:
            return Measurement.failed(config, f"timed out after {timeout_s:g} s")
        if result_path.is_file():
            return Measurement.from_dict(json.loads(result_path.read_text()))
        return Measurement.failed(config, _death_reason(done.returncode, done.stderr))


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

    def run(self, configs: Iterable[BenchConfig]) -> Iterator[Measurement]:
        for config in configs:
            yield run_in_subprocess(config, self.timeout_s)
