"""Where configurations run. `local` runs each configuration in a fresh process of its own on this
machine, forked by a warm launcher (`zoo.measure.zygote`) that did the slow imports once.

An executor takes run specs and yields records as they finish; the sweep stores each one before
asking for the next, so nothing finished is lost. A measuring process dies with its sweep, and the
temporary folders of a sweep that was killed are removed by the next one.
"""

from __future__ import annotations

import atexit
import base64
import concurrent.futures
import contextlib
import json
import os
import queue
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
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
    environment.pop("PYTEST_CURRENT_TEST", None)  # it changes with every test: the launcher would too
    return environment


@contextlib.contextmanager
def owned_folder() -> Iterator[Path]:
    """A temporary folder marked with this process's id, removed after use or by the next sweep."""
    remove_stale_folders()
    with tempfile.TemporaryDirectory(prefix=_TEMP_PREFIX) as folder:
        Path(folder, _OWNER_FILE).write_text(str(os.getpid()))
        yield Path(folder)


class _Launcher:
    """A running warm launcher (`zoo.measure.zygote`) for one environment and working folder: it forks
    each configuration's process, so a configuration skips the seconds of torch and timm imports."""

    def __init__(self, environment: dict[str, str]) -> None:
        self.key = _launcher_key(environment)
        # Started from a thread that lives as long as this process: the launcher dies with the thread
        # that started it (Linux sends the parent-death signal when that thread ends).
        self.process = _spawner.submit(
            subprocess.Popen,
            [sys.executable, "-m", "zoo.measure.zygote"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            env=environment,
            text=True,
        ).result()
        self._answers: queue.Queue[str] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self._answers.put(line)
        self._answers.put("")  # the launcher is gone

    def _answer(self, deadline: float) -> dict[str, int] | None:
        """The launcher's next answer; None when it ended. Raises `queue.Empty` at the deadline."""
        line = self._answers.get(timeout=max(deadline - time.monotonic(), 0.0))
        return json.loads(line) if line else None

    def run(self, paths: list[str], timeout_s: float) -> int | str:
        """The child's exit code (negative: the signal that killed it), or why it gave none."""
        assert self.process.stdin is not None
        deadline = time.monotonic() + timeout_s
        started = ended = None
        try:
            self.process.stdin.write(json.dumps(paths) + "\n")
            self.process.stdin.flush()
            started = self._answer(deadline)
            if started is not None:
                ended = self._answer(deadline)
        except OSError:
            pass  # the launcher is gone
        except queue.Empty:  # past the deadline: the child is killed, or the launcher if it never forked
            if started is None:
                self.close(kill=True)
            else:
                os.kill(started["pid"], signal.SIGKILL)
                with contextlib.suppress(queue.Empty):
                    self._answer(time.monotonic() + 60)
            return f"timed out after {timeout_s:g} s"
        if ended is None:
            self.close(kill=True)
            return f"measuring launcher ended with {self.process.returncode}"
        return ended["exit"]

    def close(self, kill: bool = False) -> None:
        """End of input ends the launcher; one that does not end, or is to be killed, is killed."""
        with contextlib.suppress(OSError):
            assert self.process.stdin is not None
            self.process.stdin.close()
        try:
            self.process.wait(timeout=0 if kill else 10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def _launcher_key(environment: dict[str, str]) -> tuple[str, tuple[tuple[str, str], ...]]:
    return os.getcwd(), tuple(sorted(environment.items()))


_spawner = concurrent.futures.ThreadPoolExecutor(1, "zoo-launcher-parent")
_launchers: list[_Launcher] = []  # at most one: the launcher for the environment asked for last
_launching = threading.Lock()


def _launcher(environment: dict[str, str]) -> _Launcher:
    """The running launcher for this environment; a new one (the old one closed) when it changed."""
    current = _launchers[0] if _launchers else None
    if current and (current.key != _launcher_key(environment) or current.process.poll() is not None):
        _launchers.pop().close()
    if not _launchers:
        _launchers.append(_Launcher(environment))
        atexit.register(_launchers[0].close)
    return _launchers[0]


def run_in_subprocess(spec: RunSpec, timeout_s: float) -> dict[str, Any]:
    """Measure one configuration in a process of its own: the worker's result (see `decode`), or,
    when it crashed, hung or ran out of memory, a result that says so."""
    with owned_folder() as folder, _launching:
        paths = [str(folder / "spec.json"), str(folder / "result.json"), str(folder / "worker.log")]
        Path(paths[0]).write_text(spec.to_json())
        ended = _launcher(worker_environment(spec.threads)).run(paths, timeout_s)
        if isinstance(ended, str):
            return {"died": ended}
        result_path, log = Path(paths[1]), Path(paths[2])
        if not result_path.is_file():
            return {"died": _death_reason(ended, log.read_text(errors="replace") if log.is_file() else "")}
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
