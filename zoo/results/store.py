"""The results history: an embedded SQLite database that keeps every run.

Each record is committed the moment it is added, so a crash or Ctrl-C mid-sweep loses none that
finished. The schema carries a version: an older database is migrated in one transaction, a newer or
foreign one is refused with a clear message, never written to. Reading commands open it read-only
(an older one is migrated in memory), so a store that cannot be written can still be read.
"""

from __future__ import annotations

import json
import logging
import os
import sqlite3
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from zoo._errors import ZooError
from zoo.results.gate import Noise
from zoo.results.records import (
    AccuracyRecord,
    AgreementRecord,
    LatencyRecord,
    Record,
    RunStatus,
    Verdict,
    now,
)

SCHEMA_VERSION = 4
R = TypeVar("R")
RecordT = TypeVar("RecordT", bound=Record)
log = logging.getLogger(__name__)

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
    2: """
ALTER TABLE measurements ADD COLUMN scenario TEXT NOT NULL DEFAULT 'latency';
ALTER TABLE runs ADD COLUMN kind TEXT NOT NULL DEFAULT 'bench';
ALTER TABLE runs ADD COLUMN plan TEXT;
ALTER TABLE runs ADD COLUMN pid INTEGER;
ALTER TABLE runs ADD COLUMN host TEXT;
ALTER TABLE runs ADD COLUMN process_started REAL;
UPDATE runs SET kind = 'eval' WHERE command LIKE 'zoo eval%';
CREATE TABLE agreement (
    id INTEGER PRIMARY KEY,
    run_id INTEGER NOT NULL REFERENCES runs(id),
    model TEXT NOT NULL,
    backend TEXT NOT NULL,
    precision TEXT NOT NULL,
    status TEXT NOT NULL,
    environment_id TEXT REFERENCES environments(id),
    measured_at TEXT NOT NULL,
    data TEXT NOT NULL
);
CREATE TABLE validation (
    id INTEGER PRIMARY KEY,
    run_id INTEGER NOT NULL REFERENCES runs(id),
    model TEXT NOT NULL,
    field TEXT NOT NULL,
    status TEXT NOT NULL,
    data TEXT NOT NULL
);
""",
    3: """
CREATE TABLE noise (
    environment_id TEXT NOT NULL,
    config_key TEXT NOT NULL,
    runs INTEGER NOT NULL,
    sigma REAL NOT NULL,
    measured_at TEXT NOT NULL,
    PRIMARY KEY (environment_id, config_key)
);
""",
}


class ResultsStoreError(ZooError):
    """A database that zoo cannot use as it is."""


class StoreWriteError(ResultsStoreError):
    """A write failed mid-run (disk full, store made read-only): what finished is kept, the run fails."""

    exit_code = 1


@dataclass(frozen=True)
class Run:
    id: int
    started_at: str
    finished_at: str | None
    status: str
    command: str
    executor: str
    git_commit: str | None
    kind: str
    measurements: int
    failed: int


def _process_identity() -> tuple[int, str, float]:
    """(pid, host, process start time): what tells whether a run's process still exists."""
    import platform

    import psutil

    return os.getpid(), platform.node(), psutil.Process().create_time()


def _alive(pid: int | None, started: float | None) -> bool:
    import psutil

    if pid is None:
        return False
    try:
        return started is None or abs(psutil.Process(pid).create_time() - started) < 1.0
    except psutil.Error:
        return False


class ResultsStore:
    """Runs and their records, with each run's environment kept once per distinct machine."""

    def __init__(self, path: Path, readonly: bool = False) -> None:
        self.path = path
        self.readonly = readonly
        try:
            if readonly:
                self.db = self._open_readonly(path)
            else:
                path.parent.mkdir(parents=True, exist_ok=True)
                self.db = sqlite3.connect(path, isolation_level=None)  # autocommit: every write lands now
                self.db.execute("PRAGMA journal_mode=WAL")
                self.db.execute("PRAGMA foreign_keys=ON")
                self._prepare_schema()
                self._check_writable()
                self._mark_abandoned_runs()
        except sqlite3.DatabaseError as error:
            raise ResultsStoreError(f"{path}: not a usable SQLite database ({error})") from None
        except OSError as error:
            raise ResultsStoreError(
                f"{path}: cannot open the results store ({error.strerror or error})"
            ) from None

    def _open_readonly(self, path: Path) -> sqlite3.Connection:
        """Read-only, never creating, locking or migrating the file; an older schema is migrated in memory."""
        if not path.is_file():
            raise ResultsStoreError(f"no results database at {path}; run `zoo bench` first or pass --db")
        source = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
        memory = sqlite3.connect(":memory:", isolation_level=None)
        source.backup(memory)
        source.close()
        self.db = memory
        self._prepare_schema()
        self._mark_abandoned_runs()  # in the copy only: what is read says which runs were abandoned
        return memory

    def _check_writable(self) -> None:
        """Before anything is measured: a store we cannot write is bad input, not a lost sweep."""
        try:
            self.db.execute("BEGIN IMMEDIATE")
            self.db.execute("UPDATE zoo_meta SET value=value WHERE key='schema_version'")
            self.db.execute("ROLLBACK")
        except sqlite3.OperationalError as error:
            raise ResultsStoreError(f"{self.path}: the results store cannot be written ({error})") from None

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
        try:
            found = int(row[0]) if row else 0
        except (TypeError, ValueError):
            raise ResultsStoreError(
                f"{self.path}: malformed schema version {str(row[0])[:40]!r}; not a zoo results database"
            ) from None
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

    def _write(self, statement: str, parameters: tuple[Any, ...] = ()) -> sqlite3.Cursor:
        """One committed write; a full disk or a store gone read-only is one line, exit 1."""
        try:
            return self.db.execute(statement, parameters)
        except sqlite3.OperationalError as error:
            raise StoreWriteError(f"{self.path}: cannot write the results store ({error})") from None

    # Runs

    def start_run(self, command: str, executor: str, git_commit: str | None, kind: str = "bench",
                  plan: str | None = None) -> int:  # fmt: skip
        pid, host, started = _process_identity()
        cursor = self._write(
            "INSERT INTO runs (started_at, status, command, executor, git_commit, kind, plan, pid, host,"
            " process_started) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (now(), RunStatus.RUNNING, command, executor, git_commit, kind, plan, pid, host, started),
        )
        return int(cursor.lastrowid or 0)

    def claim_run(self, run_id: int) -> None:
        """This process now owns `run_id` (resuming it), unless a live process still runs it: taken in
        one statement, so of two processes resuming the same run only one gets it."""
        self._mark_abandoned_runs()
        pid, host, started = _process_identity()
        cursor = self._write(
            "UPDATE runs SET status=?, finished_at=NULL, pid=?, host=?, process_started=?"
            " WHERE id=? AND status!=?",
            (RunStatus.RUNNING, pid, host, started, run_id, RunStatus.RUNNING),
        )
        if cursor.rowcount == 0:
            owner = self.db.execute("SELECT pid, host FROM runs WHERE id=?", (run_id,)).fetchone() or (
                None,
                None,
            )
            raise ResultsStoreError(
                f"run {run_id} is still running (process {owner[0]} on {owner[1] or 'an unknown host'}); "
                "wait for it, or stop it first"
            )

    def finish_run(self, run_id: int, status: RunStatus) -> None:
        self._write("UPDATE runs SET finished_at=?, status=? WHERE id=?", (now(), status, run_id))

    def _mark_abandoned_runs(self) -> None:
        """Runs left 'running' by a process of this host that no longer exists were abandoned."""
        _, host, _ = _process_identity()
        rows = self.db.execute(
            "SELECT id, pid, process_started FROM runs WHERE status=? AND (host=? OR host IS NULL)",
            (RunStatus.RUNNING, host),
        ).fetchall()
        for run_id, pid, started in rows:
            if not _alive(pid, started):
                self.finish_run(run_id, RunStatus.ABANDONED)

    def resumable_run(self, kind: str, plan: str) -> int | None:
        """The latest unfinished run of `kind` whose plan matches, for `--resume`."""
        row = self.db.execute(
            "SELECT max(id) FROM runs WHERE kind=? AND plan=? AND status!=?", (kind, plan, RunStatus.FINISHED)
        ).fetchone()
        run_id: int | None = row[0]
        return run_id

    def run(self, run_id: int) -> Run | None:
        return next((run for run in self.runs() if run.id == run_id), None)

    def latest_run(self) -> int | None:
        run_id: int | None = self.db.execute("SELECT max(id) FROM runs").fetchone()[0]
        return run_id

    def run_exists(self, run_id: int) -> bool:
        return self.db.execute("SELECT 1 FROM runs WHERE id=?", (run_id,)).fetchone() is not None

    def runs(self) -> list[Run]:
        """Every run, with its configurations measured and failed (in every configuration table)."""
        measured = " UNION ALL ".join(f"SELECT run_id, status FROM {table}" for table in self._keyed_tables())
        rows = self.db.execute(
            "SELECT r.id, r.started_at, r.finished_at, r.status, r.command, r.executor, r.git_commit, r.kind,"
            " count(m.run_id), coalesce(sum(m.status != 'ok'), 0)"
            f" FROM runs r LEFT JOIN ({measured}) m ON m.run_id = r.id GROUP BY r.id ORDER BY r.id"
        )
        return [Run(*row) for row in rows]

    def _keyed_tables(self) -> list[str]:
        """The tables of records keyed by configuration (one per timed record type: measurements,
        server, ...), whichever scenario made them."""
        tables = [row[0] for row in self.db.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        wanted = {"run_id", "config_key", "status"}
        return [t for t in tables if wanted <= {c[1] for c in self.db.execute(f"PRAGMA table_info({t})")}]

    # Records

    def _add_environment(self, environment: dict[str, Any]) -> str | None:
        """Describe a comparable environment by its latest fingerprint (its commit and date move on)."""
        environment_id = environment.get("id")
        if environment_id:
            self._write(
                "INSERT OR REPLACE INTO environments VALUES (?, ?)", (environment_id, json.dumps(environment))
            )
        return environment_id

    def add(self, run_id: int, record: Record) -> None:
        """Store one record now, in its type's table: its `STORED` attributes as columns beside the
        whole record as JSON. A repeated configuration in a run replaces the old where the table says
        so (measurements: one per configuration key)."""
        self._ensure_table(type(record))
        values = {
            "run_id": run_id,
            **{name: getattr(record, name) for name in record.STORED},
            "environment_id": self._add_environment(record.environment),
            "measured_at": record.measured_at,
            "data": json.dumps(record.as_dict(), default=str),
        }
        places = ", ".join("?" * len(values))
        self._write(
            f"INSERT OR REPLACE INTO {record.TABLE} ({', '.join(values)}) VALUES ({places})",
            tuple(values.values()),
        )

    def _ensure_table(self, record: type[Record]) -> None:
        """A record type the migrations do not know gets its table from its own declaration."""
        self._write(
            f"CREATE TABLE IF NOT EXISTS {record.TABLE} (id INTEGER PRIMARY KEY, run_id INTEGER NOT NULL"
            f" REFERENCES runs(id), {', '.join(record.STORED)}, environment_id TEXT REFERENCES"
            " environments(id), measured_at TEXT NOT NULL, data TEXT NOT NULL)"
        )

    def add_verdict(self, run_id: int, verdict: Verdict) -> None:
        """Store one `zoo validate` verdict now."""
        self._write(
            "INSERT INTO validation (run_id, model, field, status, data) VALUES (?,?,?,?,?)",
            (
                run_id,
                verdict.model,
                verdict.field,
                verdict.verdict,
                json.dumps(verdict.as_dict(), default=str),
            ),
        )

    def _records(
        self, table: str, run_id: int | None, read: Callable[[dict[str, Any]], R], model: str | None = None
    ) -> Iterator[tuple[int, R]]:
        """(run id, record) of `table`, oldest first; a row that cannot be read (damaged, or written by a
        newer zoo) is skipped with a warning naming it, so the rest of the history stays readable."""
        conditions = {"run_id": run_id, "model": model}
        wanted = {name: value for name, value in conditions.items() if value is not None}
        where = ("WHERE " + " AND ".join(f"{name}=?" for name in wanted)) if wanted else ""
        rows = self.db.execute(
            f"SELECT id, run_id, data FROM {table} {where} ORDER BY id", tuple(wanted.values())
        )
        for row_id, row_run, data in rows:
            try:
                yield row_run, read(json.loads(data))
            except Exception as error:  # any damage: a bad JSON text, a missing field, an unknown value
                reason = " ".join(f"{type(error).__name__}: {error}".split())[:200]
                log.warning(
                    "zoo: warning: %s: %s row %s (run %s) skipped: %s",
                    self.path,
                    table,
                    row_id,
                    row_run,
                    reason,
                )

    def records(self, record: type[RecordT], run_id: int | None = None) -> Iterator[RecordT]:
        """The records of one type, of one run or of every run, oldest first (none before its table)."""
        exists = self.db.execute("SELECT 1 FROM sqlite_master WHERE type='table' AND name=?", (record.TABLE,))
        if exists.fetchone() is not None:
            yield from (read for _, read in self._records(record.TABLE, run_id, record.from_dict))

    def measurements(self, run_id: int | None = None) -> Iterator[LatencyRecord]:
        """Latency and throughput records of one run, or of every run, each with its environment."""
        return self.records(LatencyRecord, run_id)

    def accuracy(self, run_id: int | None = None) -> list[AccuracyRecord]:
        """Accuracy records of one run, or of every run, oldest first."""
        return list(self.records(AccuracyRecord, run_id))

    def agreement(self, run_id: int | None = None) -> list[AgreementRecord]:
        return list(self.records(AgreementRecord, run_id))

    def verdicts(self, run_id: int | None = None) -> list[Verdict]:
        return [verdict for _, verdict in self._records("validation", run_id, Verdict.from_dict)]

    def measurements_by_run(self, model: str | None = None) -> Iterator[tuple[int, LatencyRecord]]:
        """(run id, record) of every measurement, oldest run first: the history of each configuration."""
        return self._records(LatencyRecord.TABLE, None, LatencyRecord.from_dict, model)

    def set_noise(self, noise: Noise) -> None:
        """Keep one configuration's run-to-run noise with its environment (a new calibration replaces it)."""
        self._write(
            "INSERT OR REPLACE INTO noise VALUES (?, ?, ?, ?, ?)",
            (noise.environment, noise.key, noise.runs, noise.sigma, now()),
        )

    def noise(self) -> dict[tuple[str, str], Noise]:
        """Every calibration, by (environment id, configuration key)."""
        rows = self.db.execute("SELECT environment_id, config_key, runs, sigma FROM noise")
        return {(env, key): Noise(env, key, runs, sigma) for env, key, runs, sigma in rows}

    def environments(self, ids: set[str]) -> dict[str, dict[str, Any]]:
        found = {}
        for env_id, data in self.db.execute("SELECT id, data FROM environments"):
            if env_id in ids:
                try:
                    found[env_id] = json.loads(data)
                except ValueError:
                    log.warning("zoo: warning: %s: environment %s skipped: not JSON", self.path, env_id)
        return found

    def done_keys(self, run_id: int) -> set[str]:
        """Configurations that already have a successful record in a run (for `--resume`), of any
        scenario."""
        query = "SELECT config_key FROM {} WHERE run_id=? AND status='ok'"
        return {
            row[0]
            for table in self._keyed_tables()
            for row in self.db.execute(query.format(table), (run_id,))
        }


def open_store(path: Path, readonly: bool = False) -> ResultsStore:
    """The store at `path` (see `zoo.paths.ProjectPaths.store` for the default): read-only for reading."""
    return ResultsStore(path, readonly=readonly)
