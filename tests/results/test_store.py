"""The results store: every measurement lands at once, old or foreign databases are refused, runs compare."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import pandas as pd
import pytest

from zoo import ZooError
from zoo.results import (
    LatencyRecord,
    ResultsStoreError,
    RunStatus,
    StoreWriteError,
    compare,
    export,
    open_store,
    recorded_run,
)
from zoo.results.records import Status
from zoo.results.stats import Stats
from zoo.results.store import SCHEMA_VERSION
from zoo.spec import RunSpec

README = Path(__file__).resolve().parents[2] / "benchmarks" / "results" / "README.md"


def measurement(backend: str, median_s: float, seed: int = 0, environment: str = "env-a") -> LatencyRecord:
    samples = list(np.random.default_rng(seed).normal(median_s, median_s * 0.02, 200))
    return LatencyRecord(
        model="m",
        backend=backend,
        precision="fp32",
        batch=1,
        threads=2,
        status=Status.OK,
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
        store.add(run, replace(measurement("openvino", 0.01), status=Status.FAILED, reason="boom"))
        assert store.done_keys(run) == {"m|torch|fp32|b1|t2"}  # a failure is not done: --resume retries it
        [back] = [m for m in store.measurements(run) if m.status == Status.OK]
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


V1_SCHEMA = """
CREATE TABLE zoo_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
INSERT INTO zoo_meta VALUES ('schema_version', '1');
CREATE TABLE runs (id INTEGER PRIMARY KEY, started_at TEXT NOT NULL, finished_at TEXT, status TEXT NOT NULL,
    command TEXT NOT NULL, executor TEXT NOT NULL, git_commit TEXT);
CREATE TABLE environments (id TEXT PRIMARY KEY, data TEXT NOT NULL);
CREATE TABLE measurements (id INTEGER PRIMARY KEY, run_id INTEGER NOT NULL REFERENCES runs(id),
    config_key TEXT NOT NULL, model TEXT NOT NULL, backend TEXT NOT NULL, precision TEXT NOT NULL,
    batch INTEGER NOT NULL, threads INTEGER NOT NULL, status TEXT NOT NULL, median_ms REAL,
    environment_id TEXT REFERENCES environments(id), measured_at TEXT NOT NULL, data TEXT NOT NULL,
    UNIQUE (run_id, config_key));
INSERT INTO runs VALUES (1, '2026-01-01', '2026-01-01', 'finished', 'zoo bench m', 'local', NULL);
"""
# A measurement as zoo wrote it before the run spec: its configuration in a `config` object.
V1_MEASUREMENT: dict[str, Any] = {
    "config": {"model": "m", "backend": "torch", "precision": "fp32", "batch": 1, "threads": 2, "index": None},
    "status": "ok", "reason": None, "weights": "packaged", "stats": None, "converged": True,
    "environment": {"id": "env-a"}, "samples_ms": [], "measured_at": "2026-01-01T00:00:00+00:00",
}  # fmt: skip


def test_a_version_1_database_is_migrated_to_the_current_schema_and_keeps_its_runs(tmp_path: Path) -> None:
    db = tmp_path / "v1.db"
    with sqlite3.connect(db) as connection:  # as zoo 0.1 left it: no accuracy table, version 1
        connection.executescript(V1_SCHEMA)
        connection.execute(
            "INSERT INTO measurements VALUES (1, 1, 'm|torch|fp32|b1|t2', 'm', 'torch', 'fp32', 1, 2, 'ok', NULL,"
            " NULL, '2026-01-01', ?)",
            (json.dumps(V1_MEASUREMENT),),
        )
    with open_store(db, readonly=True) as store:  # read-only: migrated in memory, the file untouched
        assert [m.key for m in store.measurements(1)] == ["m|torch|fp32|b1|t2"]
    with sqlite3.connect(db) as connection:
        assert connection.execute("SELECT value FROM zoo_meta").fetchone() == ("1",)
    with open_store(db) as store:
        [old] = store.measurements(1)
        assert (old.backend, old.scenario, old.spec) == ("torch", "latency", {})
        assert store.runs()[0].kind == "bench"
        assert store.accuracy() == [] and store.agreement() == [] and store.verdicts() == []
    with sqlite3.connect(db) as connection:
        assert connection.execute("SELECT value FROM zoo_meta").fetchone() == (str(SCHEMA_VERSION),)


@contextmanager
def read_only(path: Path) -> Iterator[None]:
    """The file made unwritable: by its mode for a user, with the immutable flag for root (`chattr +i`)."""
    path.chmod(0o444)
    immutable = os.access(path, os.W_OK)  # root ignores file modes
    if immutable and subprocess.run(["chattr", "+i", str(path)], capture_output=True).returncode != 0:
        path.chmod(0o644)
        pytest.skip("cannot make a file read-only for this user here")
    try:
        yield
    finally:
        if immutable:
            subprocess.run(["chattr", "-i", str(path)], check=True)
        path.chmod(0o644)


def test_a_read_only_store_is_refused_before_measuring_and_still_read(tmp_path: Path) -> None:
    db = tmp_path / "r.db"
    with open_store(db) as store:
        store.add(store.start_run("zoo bench m", "local", None), measurement("torch", 0.010))
    with read_only(db):
        with pytest.raises(ResultsStoreError, match=r"r\.db"):
            open_store(db)
        with open_store(db, readonly=True) as store:
            assert len(list(store.measurements())) == 1


def test_a_full_disk_mid_run_fails_the_run_and_keeps_what_finished(tmp_path: Path) -> None:
    db = tmp_path / "r.db"
    with (
        open_store(db) as store,
        pytest.raises(StoreWriteError, match="full"),
        recorded_run(store, "bench") as run,
    ):
        store.add(run.id, measurement("torch", 0.010))
        pages = store.db.execute("PRAGMA page_count").fetchone()[0]
        store.db.execute(f"PRAGMA max_page_count={pages}")  # the disk is now full
        for seed in range(50):
            store.add(run.id, replace(measurement("openvino", 0.004, seed=seed), model=f"m{seed}"))
    with open_store(db) as store:
        assert next(m.backend for m in store.measurements()) == "torch"
        assert store.runs()[0].status in (RunStatus.FAILED, RunStatus.INTERRUPTED)


def test_a_malformed_schema_version_is_one_line(tmp_path: Path) -> None:
    db = tmp_path / "r.db"
    open_store(db).close()
    with sqlite3.connect(db) as connection:
        connection.execute("UPDATE zoo_meta SET value='3; DROP TABLE runs'")
    with pytest.raises(ResultsStoreError, match="malformed schema version"):
        open_store(db)


def test_a_run_left_running_by_a_dead_process_is_marked_abandoned(tmp_path: Path) -> None:
    db = tmp_path / "r.db"
    with open_store(db) as store:
        run = store.start_run("zoo bench m", "local", None, plan="p")
        store.db.execute("UPDATE runs SET pid=?, process_started=1 WHERE id=?", (2**22 + 12345, run))
        store.start_run("zoo eval m", "local", None, kind="eval")  # alive: this process owns it
    with open_store(db) as store:
        runs = {r.id: r for r in store.runs()}
        assert runs[run].status == RunStatus.ABANDONED and runs[run + 1].status == RunStatus.RUNNING
        assert store.resumable_run("bench", "p") == run  # the eval run is never a bench run to resume
        assert store.resumable_run("bench", "another plan") is None
        with (
            pytest.raises(ZooError, match="no bench run"),
            recorded_run(store, "bench", resume=run + 1),
        ):
            pass


def test_compare_calls_a_contended_pair_unreliable_not_a_regression(tmp_path: Path) -> None:
    busy = {"contended": True, "reason": "other processes used 80% of the CPU"}
    with open_store(tmp_path / "r.db") as store:
        base = store.start_run("a", "local", None)
        store.add(base, measurement("torch", 0.010, seed=1))
        new = store.start_run("b", "local", None)
        store.add(new, replace(measurement("torch", 0.100, seed=3), contention=busy))
        [comparison] = compare(store, base, new)
    assert comparison.significant and not comparison.reliable and not comparison.regression


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


@dataclass(frozen=True)
class ServerRecord(LatencyRecord):
    """A record type the store has never seen, as a new scenario would bring."""

    KIND: ClassVar[str] = "server"
    TABLE: ClassVar[str] = "server"
    STORED: ClassVar[tuple[str, ...]] = ("config_key", "model", "status", "median_ms")

    # LatencyRecord builds `cls`, so what it reads back or fails is this type: say so, as a record must.
    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ServerRecord:
        record = super().from_dict(data)
        assert isinstance(record, ServerRecord)
        return record

    @classmethod
    def failed(cls, spec: RunSpec, reason: str, **known: Any) -> ServerRecord:
        record = super().failed(spec, reason, **known)
        assert isinstance(record, ServerRecord)
        return record


def test_a_record_type_owns_its_table(tmp_path: Path) -> None:
    """A new record type's table comes from its own declaration; the other tables are not touched."""
    db = tmp_path / "r.db"
    record = ServerRecord(**{**measurement("torch", 0.010).__dict__})
    with open_store(db) as store:
        run = store.start_run("zoo bench m", "local", None)
        store.add(run, record)
        [back] = store.records(ServerRecord, run)
        assert isinstance(back, ServerRecord) and back.stats == record.stats and back.key == record.key
        assert list(store.measurements(run)) == []
    with sqlite3.connect(db) as other:
        assert other.execute("SELECT config_key, model, status FROM server").fetchall() == [
            ("m|torch|fp32|b1|t2", "m", "ok")
        ]
    with open_store(db, readonly=True) as store:
        assert [r.key for r in store.records(ServerRecord)] == [record.key]
