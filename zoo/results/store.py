"""The results history: an embedded SQLite database that keeps every run.

Each measurement is committed the moment it is added, so a crash or Ctrl-C mid-sweep loses
none that finished. The schema carries a version: an older database is migrated in one
transaction, a newer or foreign one is refused with a clear message, never written to.
"""

from __future__ import annotations

import datetime
import json
import os
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from zoo._errors import ZooError
from zoo.measure.latency import Measurement

SCHEMA_VERSION = 2
DEFAULT_DB = Path(".zoo") / "results.db"

# Version 1; a new database is created at version 1 and migrated like any other.
_SCHEMA_V1 = """
CREATE TABLE zoo_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE runs (
    id INTEGER PRIMARY KEY,
    started_at TEXT NOT NULL,
    finished_at TEXT,
    status TEXT NOT NULL,
    command TEXT NOT NULL,
    executor TEXT NOT NULL,
    git_commit TEXT
);
CREATE TABLE environments (id TEXT PRIMARY KEY, data TEXT NOT NULL);
CREATE TABLE measurements (
    id INTEGER PRIMARY KEY,
    run_id INTEGER NOT NULL REFERENCES runs(id),
    config_key TEXT NOT NULL,
    model TEXT NOT NULL,
    backend TEXT NOT NULL,
    precision TEXT NOT NULL,
    batch INTEGER NOT NULL,
    threads INTEGER NOT NULL,
    status TEXT NOT NULL,
    median_ms REAL,
    environment_id TEXT REFERENCES environments(id),
    measured_at TEXT NOT NULL,
    data TEXT NOT NULL,
    UNIQUE (run_id, config_key)
);
"""
# Version N -> the statements that take a database from N to N + 1.
_MIGRATIONS: dict[int, str] = {
    1: """
CREATE TABLE accuracy (
    id INTEGER PRIMARY KEY,
    run_id INTEGER NOT NULL REFERENCES runs(id),
    model TEXT NOT NULL,
    backend TEXT NOT NULL,
    precision TEXT NOT NULL,
    dataset TEXT NOT NULL,
    status TEXT NOT NULL,
    environment_id TEXT REFERENCES environments(id),
    measured_at TEXT NOT NULL,
    data TEXT NOT NULL
);
""",
}


class ResultsStoreError(ZooError):
    """A database that zoo cannot use as it is."""


def default_db_path() -> Path:
    return Path(os.environ.get("ZOO_DB", DEFAULT_DB))


@dataclass(frozen=True)
class Run:
    id: int
    started_at: str
    finished_at: str | None
    status: str
    command: str
    executor: str
    git_commit: str | None
    measurements: int
    failed: int


class ResultsStore:
    """Runs and their measurements, with each run's environment kept once per distinct machine."""

    def __init__(self, path: Path) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            self.db = sqlite3.connect(path, isolation_level=None)  # autocommit: every write lands at once
            self.db.execute("PRAGMA journal_mode=WAL")
            self.db.execute("PRAGMA foreign_keys=ON")
            self._prepare_schema()
        except sqlite3.DatabaseError as error:
            raise ResultsStoreError(f"{path}: not a usable SQLite database ({error})") from None

    def close(self) -> None:
        self.db.close()

    def __enter__(self) -> ResultsStore:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def _prepare_schema(self) -> None:
        tables = {row[0] for row in self.db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        if not tables:
            self.db.executescript(
                f"BEGIN; {_SCHEMA_V1} INSERT INTO zoo_meta VALUES ('schema_version', '1'); COMMIT;"
            )
            tables = {"zoo_meta"}
        if "zoo_meta" not in tables:
            raise ResultsStoreError(
                f"{self.path}: not a zoo results database (tables: {', '.join(sorted(tables))})"
            )
        row = self.db.execute("SELECT value FROM zoo_meta WHERE key='schema_version'").fetchone()
        found = int(row[0]) if row else 0
        if found > SCHEMA_VERSION:
            raise ResultsStoreError(
                f"{self.path}: schema version {found} is newer than this zoo's {SCHEMA_VERSION}; upgrade zoo"
            )
        if found < SCHEMA_VERSION:
            missing = [v for v in range(found, SCHEMA_VERSION) if v not in _MIGRATIONS]
            if missing:
                raise ResultsStoreError(
                    f"{self.path}: schema version {found} cannot be migrated to {SCHEMA_VERSION}; "
                    "move it aside and start a new database"
                )
            steps = "".join(_MIGRATIONS[v] for v in range(found, SCHEMA_VERSION))
            bump = f"UPDATE zoo_meta SET value='{SCHEMA_VERSION}' WHERE key='schema_version';"
            self.db.executescript(f"BEGIN; {steps} {bump} COMMIT;")

    def start_run(self, command: str, executor: str, git_commit: str | None) -> int:
        cursor = self.db.execute(
            "INSERT INTO runs (started_at, status, command, executor, git_commit)"
            " VALUES (?, 'running', ?, ?, ?)",
            (_now(), command, executor, git_commit),
        )
        return int(cursor.lastrowid or 0)

    def finish_run(self, run_id: int, status: str) -> None:
        self.db.execute("UPDATE runs SET finished_at=?, status=? WHERE id=?", (_now(), status, run_id))

    def latest_run(self) -> int | None:
        row = self.db.execute("SELECT max(id) FROM runs").fetchone()
        return row[0]

    def _add_environment(self, environment: dict[str, Any]) -> str | None:
        """Describe a comparable environment by its latest fingerprint (its commit and date move on)."""
        environment_id = environment.get("id")
        if environment_id:
            self.db.execute(
                "INSERT OR REPLACE INTO environments VALUES (?, ?)", (environment_id, json.dumps(environment))
            )
        return environment_id

    def add(self, run_id: int, measurement: Measurement) -> None:
        """Store one measurement now; a repeated configuration in the same run replaces the old one."""
        data = measurement.as_dict()  # with its own environment: the commit and date it was measured at
        environment_id = self._add_environment(measurement.environment)
        config = measurement.config
        stats = measurement.stats
        self.db.execute(
            "INSERT OR REPLACE INTO measurements (run_id, config_key, model, backend, precision, batch,"
            " threads, status, median_ms, environment_id, measured_at, data)"
            " VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
            (
                run_id,
                config.key,
                config.model,
                config.backend,
                config.precision,
                config.batch,
                config.threads,
                measurement.status,
                stats.median_ms if stats else None,
                environment_id,
                measurement.measured_at,
                json.dumps(data),
            ),
        )

    def add_accuracy(self, run_id: int, row: dict[str, Any], environment: dict[str, Any]) -> None:
        """Store one model x backend accuracy result of `zoo eval` (a plain dictionary) now."""
        self.db.execute(
            "INSERT INTO accuracy (run_id, model, backend, precision, dataset, status, environment_id,"
            " measured_at, data) VALUES (?,?,?,?,?,?,?,?,?)",
            (
                run_id,
                row["model"],
                row["backend"],
                row["precision"],
                row["dataset"],
                row["status"],
                self._add_environment(environment),
                row["measured_at"],
                json.dumps(row, default=str),
            ),
        )

    def accuracy(self, run_id: int | None = None) -> list[dict[str, Any]]:
        """Accuracy rows of one run, or of every run, oldest first."""
        where, parameters = ("WHERE run_id=?", (run_id,)) if run_id else ("", ())
        rows = self.db.execute(f"SELECT data FROM accuracy {where} ORDER BY id", parameters)
        return [json.loads(data) for (data,) in rows]

    def environments(self, ids: set[str]) -> dict[str, dict[str, Any]]:
        rows = self.db.execute("SELECT id, data FROM environments")
        return {env_id: json.loads(data) for env_id, data in rows if env_id in ids}

    def done_keys(self, run_id: int) -> set[str]:
        """Configurations that already have a successful measurement in a run (for `--resume`)."""
        rows = self.db.execute(
            "SELECT config_key FROM measurements WHERE run_id=? AND status='ok'", (run_id,)
        )
        return {row[0] for row in rows}

    def runs(self) -> list[Run]:
        rows = self.db.execute(
            "SELECT r.id, r.started_at, r.finished_at, r.status, r.command, r.executor, r.git_commit,"
            " count(m.id), coalesce(sum(m.status != 'ok'), 0)"
            " FROM runs r LEFT JOIN measurements m ON m.run_id = r.id GROUP BY r.id ORDER BY r.id"
        )
        return [Run(*row) for row in rows]

    def measurements(self, run_id: int | None = None) -> Iterator[Measurement]:
        """Measurements of one run, or of every run, each with its environment."""
        where, parameters = ("WHERE run_id=?", (run_id,)) if run_id else ("", ())
        for (data,) in self.db.execute(f"SELECT data FROM measurements {where} ORDER BY id", parameters):
            yield Measurement.from_dict(json.loads(data))

    def run_exists(self, run_id: int) -> bool:
        return self.db.execute("SELECT 1 FROM runs WHERE id=?", (run_id,)).fetchone() is not None


def open_store(path: Path | None = None) -> ResultsStore:
    return ResultsStore(path or default_db_path())


def _now() -> str:
    return datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds")


def as_row(measurement: Measurement) -> dict[str, Any]:
    """One flat row per measurement: the columns of `benchmarks/results/latency.csv`."""
    config, stats = measurement.config, measurement.stats
    row: dict[str, Any] = {
        "model": config.model,
        "backend": config.backend,
        "precision": config.precision,
        "batch": config.batch,
        "threads": config.threads,
        "status": measurement.status,
        "reason": measurement.reason,
        "weights": measurement.weights,
    }
    for name in ("median_ms", "p90_ms", "p99_ms", "mean_ms", "std_ms", "min_ms", "ci_low_ms", "ci_high_ms"):
        row[name] = getattr(stats, name) if stats else None
    row.update(
        iterations=stats.iterations if stats else None,
        total_s=stats.total_s if stats else None,
        converged=measurement.converged,
        throughput_ips=measurement.throughput_ips,
        load_s=measurement.load_s,
        cache_hit=measurement.cache_hit,
        first_inference_ms=measurement.first_inference_ms,
        peak_rss_mb=measurement.peak_rss_mb,
        environment=measurement.environment.get("id"),
        measured_at=measurement.measured_at,
    )
    return row
