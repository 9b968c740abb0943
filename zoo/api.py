"""zoo's Python API: what the commands call, for notebooks and scripts too.

    import zoo
    index = zoo.load_index("model-index.yml")
    specs = zoo.plan(index.select(["tf_efficientnet_lite0"]), ["onnxruntime"]).specs
    records = zoo.bench(specs, store=zoo.project_paths("model-index.yml").store).records

Each function takes typed inputs (the index, run specs) and returns records; printing is the
commands' job. Whatever measures is kept in the results store as it finishes, when one is given.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from zoo.results.paired import DEFAULT_BUDGET
from zoo.results.records import AgreementRecord, Measured, Record, Status
from zoo.spec import DatasetIdentity, RunSpec

if TYPE_CHECKING:
    from zoo.data import ImageSet
    from zoo.measure.compare import Listener as JobListener
    from zoo.measure.executors import Executor
    from zoo.measure.scenarios.accuracy import EvalReport, ImageOptions

__all__ = ["BenchResult", "bench", "bench_repeatedly", "check_backends", "evaluate"]

Listener = Callable[[RunSpec, Measured | None], None]  # (spec, None) at its start, (spec, record) at its end


@dataclass(frozen=True)
class BenchResult:
    """A sweep's records, the run they are stored under, and how many configurations a resume skipped."""

    run_id: int | None
    records: tuple[Measured, ...]  # of any scenario `zoo bench` runs (latency, throughput, server, ...)
    skipped: int = 0

    @property
    def failed(self) -> list[Measured]:
        return [record for record in self.records if record.status != Status.OK]


def bench(
    specs: Sequence[RunSpec],
    store: Path | None = None,
    executor: Executor | None = None,
    resume: bool | int = False,
    listener: Listener | None = None,
) -> BenchResult:
    """Measure every spec, each in its own process (or on the executor given), storing each record as it
    arrives. `resume` continues the latest unfinished bench run with the same plan (or the run named)."""
    from zoo.measure.executors import LocalExecutor
    from zoo.measure.sweep import run_sweep
    from zoo.results import open_store, plan_digest, recorded_run

    executor = executor or LocalExecutor()

    def announce(todo: Sequence[RunSpec]) -> Any:
        for spec in todo:
            if listener is not None:
                listener(spec, None)
            yield spec

    by_key = {spec.key: spec for spec in specs}

    def sweep(record: Callable[[Measured], None], done: set[str]) -> list[Measured]:
        def keep(result: Record) -> None:
            measured = cast(Measured, result)  # bench plans the scenarios registered for it only
            record(measured)
            if listener is not None:
                listener(by_key[result.key], measured)

        todo = announce([s for s in specs if s.key not in done])
        return [cast(Measured, r) for r in run_sweep(todo, executor, keep)]

    if store is None:
        return BenchResult(None, tuple(sweep(lambda _: None, set())))
    with open_store(store) as results:
        plan = plan_digest(spec.key for spec in specs)
        with recorded_run(results, "bench", executor.name, plan, resume) as run:
            records = sweep(lambda record: results.add(run.id, record), run.done)
            run.failed = any(record.status != Status.OK for record in records)
        return BenchResult(run.id, tuple(records), len(run.done))


def bench_repeatedly(
    specs: Sequence[RunSpec],
    store: Path,
    repeat: int = 1,
    executor: Executor | None = None,
    resume: bool | int = False,
    listener: Listener | None = None,
) -> list[BenchResult]:
    """The same plan `repeat` times back to back, each time a run of its own in the store (every
    configuration still in its own process): the repeated runs `zoo results noise` calibrates from.
    `resume` continues one run, so it takes `repeat` 1."""
    if repeat < 1 or (repeat > 1 and resume):
        raise ValueError(f"repeat must be at least 1, and 1 with resume; got {repeat} (resume {resume})")
    return [bench(specs, store, executor, resume, listener) for _ in range(repeat)]


def check_backends(
    specs: Sequence[RunSpec],
    store: Path | None = None,
    executor: Executor | None = None,
    listener: JobListener | None = None,
) -> tuple[list[AgreementRecord], int | None]:
    """Each spec's backend against PyTorch fp32 on the bundled photos, each in its own worker (on the
    executor given), stored as a run."""
    from zoo.measure.scenarios.agreement import compare_backends
    from zoo.results import open_store, recorded_run

    if store is None:
        return compare_backends(specs, executor, listener), None
    with open_store(store) as results, recorded_run(results, "check-backends") as run:
        rows = compare_backends(specs, executor, listener)
        for row in rows:
            results.add(run.id, row)
        run.failed = any(row.status != Status.OK for row in rows)
    return rows, run.id


def evaluate(
    specs: Sequence[RunSpec],
    declared: dict[str, tuple[float | None, float | None]],
    image_set: ImageSet,
    options: ImageOptions | None = None,
    reference: bool = True,
    listener: JobListener | None = None,
    store: Path | None = None,
    executor: Executor | None = None,
    identity: DatasetIdentity | None = None,
    budget: float = DEFAULT_BUDGET,
) -> tuple[EvalReport, int | None]:
    """Top-1/top-5 of each spec over `image_set` (see `zoo.measure.scenarios.accuracy`), each backend
    in its own worker (on the executor given), stored as a run."""
    from zoo.measure.scenarios.accuracy import evaluate as run_evaluation
    from zoo.results import open_store, recorded_run

    def measure() -> EvalReport:
        return run_evaluation(
            specs, declared, image_set, options, reference, listener, executor, identity, budget
        )

    if store is None:
        return measure(), None
    with open_store(store) as results:  # a store that cannot be written fails here, before any image
        with recorded_run(results, "eval") as run:
            report = measure()
            for row in report.rows:
                results.add(run.id, row)
            run.failed = any(row.status == Status.FAILED for row in report.rows)
        return report, run.id
