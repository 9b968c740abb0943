"""The results store: every measurement lands at once, old or foreign databases are refused, runs compare."""

from __future__ import annotations

import json
import sqlite3
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from zoo.measure.latency import BenchConfig, Measurement
from zoo.results.stats import Stats
from zoo.results import ResultsStoreError, compare, export, open_store

README = Path(__file__).resolve().parents[2] / "benchmarks" / "results" / "README.md"


def measurement(backend: str, median_s: float, seed: int = 0, environment: str = "env-a") -> Measurement:
    samples = list(np.random.default_rng(seed).normal(median_s, median_s * 0.02, 200))
    return Measurement(
        config=BenchConfig(model="m", backend=backend, threads=2),
        status="ok",
        weights="packaged",
        stats=Stats.from_seconds(samples),
        converged=True,
        samples_ms=tuple(s * 1000 for s in samples),
        environment={"id": environment, "cpu_model": "test"},
        measured_at="2026-01-01T00:00:00+00:00",
    )


def test_each_measurement_is_visible_to_another_connection_at_once(tmp_path: Path) -> None:
    db = tmp_path / "r.db"
    with open_store(db) as store:
        run = store.start_run("zoo bench m", "local", None)
        store.add(run, measurement("torch", 0.010))
        with sqlite3.connect(db) as other:
            assert other.execute("SELECT count(*) FROM measurements").fetchone() == (1,)
        assert store.done_keys(run) == {"m|torch|fp32|b1|t2"}
        store.add(run, Measurement.failed(BenchConfig(model="m", backend="openvino", threads=2), "boom"))
        assert store.done_keys(run) == {"m|torch|fp32|b1|t2"}  # a failure is not done: --resume retries it
        [back] = [m for m in store.measurements(run) if m.status == "ok"]
        assert back.environment == {"id": "env-a", "cpu_model": "test"}
        assert back.stats == measurement("torch", 0.010).stats


def test_foreign_and_newer_databases_are_refused(tmp_path: Path) -> None:
    foreign = tmp_path / "foreign.db"
    with sqlite3.connect(foreign) as db:
        db.execute("CREATE TABLE results (x)")
    with pytest.raises(ResultsStoreError, match="not a zoo results database"):
        open_store(foreign)

    newer = tmp_path / "newer.db"
    open_store(newer).close()
    with sqlite3.connect(newer) as db:
        db.execute("UPDATE zoo_meta SET value='99'")
    with pytest.raises(ResultsStoreError, match="schema version 99 is newer"):
        open_store(newer)

    older = tmp_path / "older.db"
    open_store(older).close()
    with sqlite3.connect(older) as db:
        db.execute("UPDATE zoo_meta SET value='0'")
    with pytest.raises(ResultsStoreError, match="cannot be migrated"):
        open_store(older)
    with sqlite3.connect(older) as db:  # refused means untouched
        assert db.execute("SELECT value FROM zoo_meta").fetchone() == ("0",)


def test_not_a_database(tmp_path: Path) -> None:
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"this is not sqlite at all" * 100)
    with pytest.raises(ResultsStoreError, match="not a usable SQLite database"):
        open_store(junk)


def test_export_has_the_documented_columns(tmp_path: Path) -> None:
    with open_store(tmp_path / "r.db") as store:
        run = store.start_run("zoo bench", "local", None)
        store.add(run, measurement("torch", 0.010))
        store.add(run, measurement("openvino", 0.004))
        table, environments = export(store, tmp_path / "out")
    documented = README.read_text().split("`latency.csv`: `")[1].split("`")[0]
    columns = [c.strip() for c in documented.replace("\n", " ").split(",")]
    frame = pd.read_csv(table)
    assert list(frame.columns) == columns
    assert list(frame.backend) == ["openvino", "torch"]
    assert frame.median_ms.iloc[1] == pytest.approx(10.0, rel=0.01)
    assert '"env-a"' in environments.read_text()


def test_compare_finds_a_real_regression_and_ignores_noise(tmp_path: Path) -> None:
    with open_store(tmp_path / "r.db") as store:
        base = store.start_run("a", "local", None)
        store.add(base, measurement("torch", 0.010, seed=1))
        store.add(base, measurement("openvino", 0.004, seed=2))
        new = store.start_run("b", "local", None)
        store.add(new, measurement("torch", 0.012, seed=3))  # 20% slower
        store.add(new, measurement("openvino", 0.004, seed=4))  # same distribution
        by_key = {c.key.split("|")[1]: c for c in compare(store, base, new)}
    assert by_key["torch"].regression and by_key["torch"].ratio == pytest.approx(1.2, rel=0.02)
    assert not by_key["openvino"].significant
    assert all(c.comparable for c in by_key.values())


def test_a_version_1_database_is_migrated_and_keeps_its_runs(tmp_path: Path) -> None:
    db = tmp_path / "v1.db"
    with open_store(db) as store:
        run = store.start_run("zoo bench m", "local", None)
        store.add(run, measurement("torch", 0.010))
    with sqlite3.connect(db) as connection:  # as zoo 0.1 left it: no accuracy table, version 1
        connection.execute("DROP TABLE accuracy")
        connection.execute("UPDATE zoo_meta SET value='1'")
    with open_store(db) as store:
        assert [m.config.backend for m in store.measurements(run)] == ["torch"]
        store.add_accuracy(run, {"model": "m", "backend": "torch", "precision": "fp32", "dataset": "smoke",
                                 "status": "ok", "measured_at": "now", "environment": "env-a"}, {"id": "env-a"})  # fmt: skip
        assert [row["dataset"] for row in store.accuracy(run)] == ["smoke"]
    with sqlite3.connect(db) as connection:
        assert connection.execute("SELECT value FROM zoo_meta").fetchone() == ("2",)


def test_each_measurement_keeps_its_own_commit_and_the_export_describes_the_latest(tmp_path: Path) -> None:
    first, second = measurement("torch", 0.010), measurement("torch", 0.011)
    first = replace(first, environment={"id": "env-a", "git_commit": "old"})
    second = replace(second, environment={"id": "env-a", "git_commit": "new"})
    with open_store(tmp_path / "r.db") as store:
        for result in (first, second):
            store.add(store.start_run("zoo bench m", "local", None), result)
        assert [m.environment["git_commit"] for m in store.measurements()] == ["old", "new"]
        _, environments = export(store, tmp_path / "out")
    assert json.loads(environments.read_text())["env-a"]["git_commit"] == "new"
