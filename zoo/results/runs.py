"""The life of a run in the store: started or resumed, then finished, failed or interrupted.

Every command that measures goes through `recorded_run`, so a run never stays "running" after its
process ends: Ctrl-C and SIGTERM mark it interrupted, an error marks it failed, and a run whose
process was killed outright is shown as abandoned by the next store opened on that host (read-only
or not). A run belongs to the process that runs it: `--resume` never takes one whose owner lives.
"""

from __future__ import annotations

import contextlib
import hashlib
import shlex
import signal
import sys
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from zoo._errors import ZooError
from zoo.results.records import RunStatus
from zoo.results.store import ResultsStore

__all__ = ["RunHandle", "plan_digest", "recorded_run"]


def plan_digest(keys: Iterable[str]) -> str:
    """What a run set out to do, as a short hash of its configuration keys (order does not matter)."""
    return hashlib.sha256("\n".join(sorted(set(keys))).encode()).hexdigest()[:16]


@dataclass
class RunHandle:
    """The run being recorded: its id, what an earlier attempt already finished, and whether any failed."""

    id: int
    done: set[str] = field(default_factory=set)
    resumed: bool = False
    failed: bool = False


@contextmanager
def recorded_run(
    store: ResultsStore,
    kind: str,
    executor: str = "local",
    plan: str | None = None,
    resume: bool | int = False,
) -> Iterator[RunHandle]:
    """Start a run (or resume one: `True` for the latest unfinished run of `kind` with the same plan,
    or a run id), and close it with the status it earned, whatever happens inside."""
    from zoo.measure.environment import git_commit

    handle = _resumed(store, kind, plan, resume)
    if handle is None:
        command = shlex.join(["zoo", *sys.argv[1:]])
        handle = RunHandle(store.start_run(command, executor, git_commit(), kind=kind, plan=plan))
    try:
        with _sigterm_as_interrupt():
            yield handle
    except KeyboardInterrupt:
        store.finish_run(handle.id, RunStatus.INTERRUPTED)
        raise
    except BaseException:
        _finish_quietly(store, handle.id, RunStatus.FAILED)
        raise
    store.finish_run(handle.id, RunStatus.FAILED if handle.failed else RunStatus.FINISHED)


@contextmanager
def _sigterm_as_interrupt() -> Iterator[None]:
    """SIGTERM (a scheduler stopping the job, `kill`) ends the run as Ctrl-C does: what finished is kept
    and the run is marked interrupted. Only the main thread can install a handler; elsewhere the
    default stays, and the next store opened marks the run abandoned."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def interrupt(signum: int, _frame: object) -> None:
        raise KeyboardInterrupt(f"signal {signum}")

    previous = signal.signal(signal.SIGTERM, interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def _resumed(store: ResultsStore, kind: str, plan: str | None, resume: bool | int) -> RunHandle | None:
    if resume is False:
        return None
    if resume is True:
        run_id = store.resumable_run(kind, plan or "")
        if run_id is None:
            return None  # nothing to resume: a fresh run
    else:
        run = store.run(resume)
        if run is None or run.kind != kind:
            raise ZooError(
                f"no {kind} run {resume} in {store.path} to resume; `zoo results list` shows the runs"
            )
        run_id = run.id
    store.claim_run(run_id)
    return RunHandle(run_id, store.done_keys(run_id), resumed=True)


def _finish_quietly(store: ResultsStore, run_id: int, status: RunStatus) -> None:
    """Mark the run; if even that cannot be written (disk full), the next open marks it interrupted."""
    with contextlib.suppress(ZooError):
        store.finish_run(run_id, status)
