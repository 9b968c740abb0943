"""A sweep: every planned configuration, run by an executor, each result recorded as it arrives.

The sweep hands each record to `record` as soon as it arrives (the store keeps it), so an
interrupted sweep keeps everything that finished, and `--resume` can skip it.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable

from zoo.measure.executors import Executor
from zoo.results.records import Record
from zoo.spec import RunSpec


def run_sweep(
    specs: Iterable[RunSpec],
    executor: Executor,
    record: Callable[[Record], None],
    skip: Collection[str] = (),
) -> list[Record]:
    """Run what is not in `skip` (configuration keys), recording each result as it arrives."""
    results = []
    for measurement in executor.run(s for s in specs if s.key not in skip):
        record(measurement)
        results.append(measurement)
    return results
