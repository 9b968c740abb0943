"""A sweep: every (model, backend, precision, batch, threads) configuration, run by an executor.

The sweep hands each measurement to `record` as soon as it arrives (the CLI stores it), so an
interrupted sweep keeps everything that finished, and `--resume` can skip it.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Collection, Iterable
from dataclasses import replace

from zoo.measure.executors import Executor
from zoo.measure.latency import BenchConfig, Measurement


def plan(
    models: Iterable[str],
    backends: Iterable[str],
    precisions: Iterable[str],
    batches: Iterable[int],
    template: BenchConfig,
) -> list[BenchConfig]:
    """Every combination, model-major so that a model's exports are built once and reused."""
    return [
        replace(template, model=model, backend=backend, precision=precision, batch=batch)
        for model, backend, precision, batch in itertools.product(models, backends, precisions, batches)
    ]


def run_sweep(
    configs: Iterable[BenchConfig],
    executor: Executor,
    record: Callable[[Measurement], None],
    skip: Collection[str] = (),
) -> list[Measurement]:
    """Run what is not in `skip` (configuration keys), recording each result as it arrives."""
    results = []
    for measurement in executor.run(c for c in configs if c.key not in skip):
        record(measurement)
        results.append(measurement)
    return results
