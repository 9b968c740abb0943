"""The tool's own hot paths: statistics on a sweep's samples and storing a measurement."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from zoo.measure.latency import BenchConfig, Measurement
from zoo.measure.stats import Stats
from zoo.results import open_store

SAMPLES = list(np.random.default_rng(0).lognormal(-5, 0.2, 2000))


def test_stats_of_2000_samples(benchmark) -> None:
    stats = benchmark(Stats.from_seconds, SAMPLES)
    assert stats.iterations == 2000


def test_store_one_measurement(benchmark, tmp_path: Path) -> None:
    result = Measurement(
        config=BenchConfig(model="m", backend="torch"),
        status="ok",
        stats=Stats.from_seconds(SAMPLES),
        samples_ms=tuple(s * 1000 for s in SAMPLES),
        environment={"id": "e"},
        measured_at="now",
    )
    with open_store(tmp_path / "r.db") as store:
        run = store.start_run("bench", "local", None)
        benchmark(store.add, run, result)
        assert store.done_keys(run) == {result.config.key}
