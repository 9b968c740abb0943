"""The tool's own hot paths: statistics on a sweep's samples and storing a measurement."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from zoo.results import LatencyRecord, Status, open_store
from zoo.results.stats import Stats

SAMPLES = list(np.random.default_rng(0).lognormal(-5, 0.2, 2000))


def test_stats_of_2000_samples(benchmark) -> None:
    stats = benchmark(Stats.from_seconds, SAMPLES)
    assert stats.iterations == 2000


def test_store_one_measurement(benchmark, tmp_path: Path) -> None:
    result = LatencyRecord(
        model="m",
        backend="torch",
        precision="fp32",
        batch=1,
        threads=2,
        status=Status.OK,
        stats=Stats.from_seconds(SAMPLES),
        samples_ms=tuple(s * 1000 for s in SAMPLES),
        environment={"id": "e"},
        measured_at="now",
    )
    with open_store(tmp_path / "r.db") as store:
        run = store.start_run("bench", "local", None)
        benchmark(store.add, run, result)
        assert store.done_keys(run) == {result.key}
