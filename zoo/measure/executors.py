"""Where configurations run. `local` starts one fresh process per configuration on this machine.

An executor takes run specs and yields records as they finish; the sweep stores each one before
asking for the next, so nothing finished is lost. A measuring process dies with its sweep, and the
temporary folders of a sweep that was killed are removed by the next one.
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any, Protocol

from zoo._errors import ZooError
from zoo.results.records import Record
from zoo.spec import RunSpec

THREAD_VARIABLES = ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS")
_TEMP_PREFIX = "zoo-bench-"
_OWNER_FILE = "owner.pid"


class Executor(Protocol):
    name: str

    def run(self, specs: Iterable[RunSpec]) -> Iterator[Record]: ...


def worker_environment(threads: int) -> dict[str, str]:
    """The measuring process's environment: the same thread budget for every backend."""
    environment = dict(os.environ)
    environment.update({name: str(threads) for name in THREAD_VARIABLES})
    environment.setdefault("HF_HUB_OFFLINE", "1")
    return environment


@contextlib.contextmanager
def owned_folder() -> Iterator[Path]:
    """A temporary folder marked with this process's id, removed after use or by the next sweep."""
    remove_stale_folders()
    with tempfile.TemporaryDirectory(prefix=_TEMP_PREFIX) as folder:
        Path(folder, _OWNER_FILE).write_text(str(os.getpid()))
        yield Path(folder)


def run_in_subprocess(spec: RunSpec, timeout_s: float) -> dict[str, Any]:
    """Measure one configuration in a fresh interpreter: the worker's result (see `decode`), or, when
    it crashed, hung or ran out of memory, a result that says so."""
    with owned_folder() as folder:
        spec_path, result_path = folder / "spec.json", folder / "result.json"
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
            return {"died": f"timed out after {timeout_s:g} s"}
        if not result_path.is_file():
            return {"died": _death_reason(done.returncode, done.stderr)}
        result: dict[str, Any] = json.loads(result_path.read_text())
    return result


def with_logits(spec: RunSpec, result: dict[str, Any]) -> dict[str, Any]:
    """The result with the logits its worker left, for a driver on another machine (see `decode`)."""
    from zoo.measure.outputs import logits_path

    if spec.outputs is None or not logits_path(spec).is_file():
        return result
    return {**result, "logits": base64.b64encode(logits_path(spec).read_bytes()).decode()}


def decode(spec: RunSpec, result: dict[str, Any]) -> Record:
    """The record in a worker's result, through the scenario registry; a death is its type's failure.

    Bad input a worker met (unreadable images, unusable weights) stops the run here, in the driver."""
    from zoo.measure.scenarios import record_type, scenario

    if "bad_input" in result:
        raise ZooError(result["bad_input"])
    if "died" in result:
        return scenario(spec.scenario).record.failed(spec, result["died"])
    if "logits" in result and spec.outputs is not None:
        from zoo.measure.outputs import logits_path

        path = logits_path(spec)
        if not path.is_file():
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(base64.b64decode(result["logits"]))
    return record_type(result["kind"]).from_dict(result["record"])


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

    def run(self, specs: Iterable[RunSpec]) -> Iterator[Record]:
        for spec in specs:
            yield decode(spec, run_in_subprocess(spec, self.timeout_s))


def make_executor(name: str, address: str | None = None, timeout_s: float = 600.0) -> Executor:
    """`local` or `ray` (at `address`, else a local instance), each configuration failed after `timeout_s`."""
    if name == "ray":
        from zoo.measure.ray_executor import RayExecutor

        return RayExecutor(address, timeout_s)
    if address:
        raise ZooError("--address is for --executor ray")
    return LocalExecutor(timeout_s)
