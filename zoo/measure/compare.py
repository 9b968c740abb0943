"""The driver's side of accuracy and agreement: every backend in its own worker, the reference too.

Each spec runs as a job on the executor, and so does the reference (`zoo.spec.REFERENCE`, torch
fp32) of its model, batch and thread budget, unless it was asked for anyway. The workers leave their
logits in one folder of the driver's; `run_with_reference` yields each job's record beside the
reference's, and `agreement` compares the two sets of logits here, in the driver, which holds no
runtime. The folder goes when the caller is done with it.
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from zoo._errors import ZooError
from zoo.results.records import LogitAgreement, Record, Status
from zoo.spec import REFERENCE, RunSpec

if TYPE_CHECKING:
    import numpy

    from zoo.measure.executors import Executor

__all__ = ["Compared", "Listener", "logit_agreement", "planned_jobs", "run_with_reference"]

Listener = Callable[[RunSpec, Any], None]  # (spec, None) when it starts, (spec, record) when it ends


@dataclass(frozen=True)
class Compared:
    """One job's spec and record, and its reference's (None when no reference was run)."""

    spec: RunSpec
    record: Any
    reference: RunSpec | None
    reference_record: Any

    def logits(self) -> tuple[numpy.ndarray, numpy.ndarray]:
        """(logits, targets) the job's worker saved, while the folder exists."""
        from zoo.measure.outputs import load_logits

        return load_logits(self.spec)

    def agreement(self) -> LogitAgreement | None:
        """This job's logits against the reference's, or None when either did not run."""
        if self.reference is None or Status.FAILED in (self.record.status, self.reference_record.status):
            return None
        from zoo.measure.outputs import load_logits

        return logit_agreement(load_logits(self.reference)[0], self.logits()[0])


def reference_of(spec: RunSpec) -> RunSpec:
    return spec.with_(backend=REFERENCE.backend, precision=REFERENCE.precision)


def _with_references(
    jobs: Sequence[RunSpec], reference: bool
) -> tuple[dict[str, RunSpec], dict[str, RunSpec]]:
    """(each job's reference by the job's key, every spec to run by key): each reference once, first."""
    references = {job.key: reference_of(job) for job in jobs} if reference else {}
    return references, {spec.key: spec for spec in [*references.values(), *jobs]}


def planned_jobs(specs: Sequence[RunSpec], reference: bool = True) -> int:
    """How many workers `run_with_reference` starts for `specs`: what a progress line counts down."""
    return len(_with_references(specs, reference)[1])


@contextlib.contextmanager
def run_with_reference(
    specs: Sequence[RunSpec],
    scenario: str,
    executor: Executor | None = None,
    reference: bool = True,
    listener: Listener | None = None,
    **fields: Any,
) -> Iterator[list[Compared]]:
    """Run `specs` under `scenario` (with `fields` set, e.g. the dataset) and each one's reference."""
    from zoo.measure.executors import LocalExecutor, owned_folder

    executor = executor or LocalExecutor()
    with owned_folder() as folder:
        jobs = [spec.with_(scenario=scenario, outputs=str(folder), **fields) for spec in specs]
        references, todo = _with_references(jobs, reference)

        def announce() -> Iterator[RunSpec]:
            for spec in todo.values():
                if listener is not None:
                    listener(spec, None)
                yield spec

        records: dict[str, Record] = {}
        for record in executor.run(announce()):  # in the order they finish: matched by key
            records[record.key] = record
            if listener is not None:
                listener(todo[record.key], record)
        yield [
            Compared(
                job,
                records[job.key],
                references.get(job.key),
                records[references[job.key].key] if job.key in references else None,
            )
            for job in jobs
        ]


def logit_agreement(reference: numpy.ndarray, logits: numpy.ndarray) -> LogitAgreement:
    """Top-1 agreement, max and mean |diff|, and max |diff| relative to the reference's range."""
    import numpy

    if logits.shape != reference.shape:
        raise ZooError(f"logits have shape {logits.shape}, the reference {reference.shape}")
    difference = numpy.abs(logits.astype(numpy.float64) - reference.astype(numpy.float64))
    spread = float(numpy.ptp(reference.astype(numpy.float64)))
    max_abs = float(difference.max())
    return LogitAgreement(
        reference=REFERENCE.label,
        images=len(reference),
        top1_agreement=float(numpy.mean(logits.argmax(axis=1) == reference.argmax(axis=1))),
        max_abs_diff=max_abs,
        mean_abs_diff=float(difference.mean()),
        max_rel_diff=max_abs / spread if spread > 0 else (0.0 if max_abs == 0 else math.inf),
    )
