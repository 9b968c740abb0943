"""Committed results are never lost or forged, and runs have owners: hostile and faulty inputs, each
tried on real files, real SQLite stores and real processes."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from zoo import ZooError
from zoo.cli import main
from zoo.cli.cmd_bench import untrusted
from zoo.results import LatencyRecord, ResultsStoreError, RunStatus, export, open_store
from zoo.results.provenance import code_digest
from zoo.results.records import Status
from zoo.results.stats import Stats

REPO = Path(__file__).resolve().parents[2]
HEADER = (REPO / "benchmarks" / "results" / "latency.csv").read_text().splitlines()[0]


def record(model: str = "m", env: str = "env-a", contended: bool = False, converged: bool = True,
           status: Status = Status.OK, median_s: float = 0.01) -> LatencyRecord:  # fmt: skip
    samples = list(np.random.default_rng(0).normal(median_s, median_s * 0.02, 50))
    return LatencyRecord(
        model=model, backend="onnxruntime", precision="fp32", batch=1, threads=2, status=status,
        weights="packaged", stats=Stats.from_seconds(samples), converged=converged,
        samples_ms=tuple(s * 1000 for s in samples), contention={"contended": contended},
        environment={"id": env, "git_commit": "abc123", "code_digest": code_digest()},
        measured_at="2026-01-01T00:00:00+00:00",
    )  # fmt: skip


def stored(tmp_path: Path, *records: LatencyRecord) -> Path:
    db = tmp_path / "r.db"
    with open_store(db) as store:
        run = store.start_run("zoo bench", "local", None)
        for r in records:
            store.add(run, r)
        store.finish_run(run, RunStatus.FINISHED)
    return db


def exported(db: Path, out: Path) -> pd.DataFrame:
    with open_store(db, readonly=True) as store:
        export(store, out)
    return pd.read_csv(out / "latency.csv", dtype=str, keep_default_na=False)


# --- 1. An export that merges and cannot half-write ---------------------------------------------


@pytest.mark.parametrize(
    ("committed", "measured", "kept_median"),
    [
        ("quiet", record(contended=True, median_s=0.5), "quiet"),  # contended never replaces quiet
        ("quiet", record(converged=False, median_s=0.5), "quiet"),  # nor unconverged converged
        ("quiet", record(status=Status.FAILED, median_s=0.5), "quiet"),  # nor failed ok
        ("contended", record(median_s=0.5), "new"),  # a quiet row replaces a contended one
        ("quiet", record(median_s=0.5), "new"),  # an equal row is newer: it replaces
    ],
)
def test_a_worse_row_never_replaces_a_better_one(
    tmp_path: Path, committed: str, measured: LatencyRecord, kept_median: str
) -> None:
    out = tmp_path / "results"
    exported(stored(tmp_path / "a", record(contended=committed == "contended")), out)
    before = pd.read_csv(out / "latency.csv", dtype=str).median_ms[0]
    after = exported(stored(tmp_path / "b", measured), out)
    assert len(after) == 1
    assert (after.median_ms[0] == before) == (kept_median == "quiet")


def test_export_keeps_other_models_and_other_machines(tmp_path: Path) -> None:
    out = tmp_path / "results"
    exported(stored(tmp_path / "a", record("m1", "env-a"), record("m2", "env-a")), out)
    merged = exported(stored(tmp_path / "b", record("m1", "env-b")), out)
    assert sorted(zip(merged.model, merged.environment, strict=True)) == [
        ("m1", "env-a"), ("m1", "env-b"), ("m2", "env-a"),
    ]  # fmt: skip
    assert set(merged.code_digest) == {code_digest()} and set(merged.git_commit) == {"abc123"}


def test_a_full_disk_mid_export_leaves_every_old_file_whole(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "results"
    exported(stored(tmp_path / "a", record("m1")), out)
    before = {path.name: path.read_bytes() for path in out.iterdir()}
    real_fsync = os.fsync
    calls = iter(range(100))

    def fsync(fd: int) -> None:
        if next(calls) == 1:  # the second file of the export finds the disk full
            raise OSError(28, "No space left on device")
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", fsync)
    store = open_store(stored(tmp_path / "b", record("m2")), readonly=True)
    with store, pytest.raises(ZooError, match="No space left on device; nothing was changed"):
        export(store, out)
    assert {path.name: path.read_bytes() for path in out.iterdir()} == before  # no temporary left


@pytest.mark.parametrize(
    "old_header",
    [
        # schema v2's agreement.csv (before max_rel_diff), as committed then
        "model,backend,precision,weights,reference,images,top1_agreement,max_abs_diff,mean_abs_diff,status,reason",
        # schema v2's latency.csv: no scenario, contended or calibration
        HEADER.replace(",scenario", "").replace(",contended", "").replace(",calibration", ""),
        # a newer zoo's file with a column this one does not know: kept, not lost
        HEADER + ",future_column",
    ],
)
def test_older_and_newer_export_schemas_are_migrated_not_refused(tmp_path: Path, old_header: str) -> None:
    out = tmp_path / "results"
    out.mkdir()
    columns = old_header.split(",")
    row = {c: "" for c in columns} | {"model": "old", "backend": "torch", "precision": "fp32", "status": "ok"}
    row |= {"batch": "1", "threads": "2"} if "batch" in columns else {}
    row |= {"future_column": "kept"} if "future_column" in columns else {}
    name = "agreement.csv" if "reference" in columns else "latency.csv"
    pd.DataFrame([row], columns=columns).to_csv(out / name, index=False)
    if name == "agreement.csv":
        db = tmp_path / "r.db"
        from zoo.results import AgreementRecord

        with open_store(db) as store:
            run = store.start_run("zoo check-backends", "local", None, kind="check-backends")
            store.add(run, AgreementRecord("new", "onnxruntime", "fp32", "packaged", "torch fp32", 4,
                                                     Status.OK, environment={"id": "e"}))  # fmt: skip
        with open_store(db, readonly=True) as store:
            export(store, out)
        merged = pd.read_csv(out / name, dtype=str, keep_default_na=False)
    else:
        merged = exported(stored(tmp_path, record("new")), out)
    assert sorted(merged.model) == ["new", "old"]
    if "future_column" in columns:
        assert list(merged.future_column) == ["", "kept"]
    if "scenario" in merged and name == "latency.csv" and "scenario" not in columns:
        assert set(merged.scenario) == {"latency"}


def test_the_code_digest_is_the_same_on_a_clean_clone(tmp_path: Path) -> None:
    tracked = subprocess.run(["git", "ls-files", "zoo"], cwd=REPO, capture_output=True, text=True, check=True)
    for name in tracked.stdout.split():
        if name.endswith(".py"):
            (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
            (tmp_path / name).write_bytes((REPO / name).read_bytes())
    script = "from zoo.results.provenance import code_digest; print(code_digest())"
    clone = subprocess.run([sys.executable, "-c", script], cwd=tmp_path, capture_output=True, text=True,
                           env={**os.environ, "PYTHONPATH": str(tmp_path)}, check=True)  # fmt: skip
    assert clone.stdout.strip() == code_digest()
    (tmp_path / "zoo" / "measure" / "timing_patch.py").write_text("SLOWER = True\n")
    changed = subprocess.run([sys.executable, "-c", script], cwd=tmp_path, capture_output=True, text=True,
                             env={**os.environ, "PYTHONPATH": str(tmp_path)}, check=True)  # fmt: skip
    assert changed.stdout.strip() != code_digest()


def _damage(kind: str, path: Path) -> None:
    text = path.read_text()
    lines = text.splitlines()
    if kind == "stale":
        path.write_text(text.replace(code_digest(), "0123456789abcdef"))
    elif kind == "no digest":
        path.write_text(text.replace(code_digest(), ""))
    elif kind == "conflict":
        path.write_text("\n".join([lines[0], "<<<<<<< HEAD", *lines[1:], "=======", ">>>>>>> other", ""]))
    elif kind == "unparseable":
        path.write_text(lines[0] + '\n"m,unterminated quote\n')


@pytest.mark.parametrize(
    ("damage", "status", "says"),
    [
        ("none", 0, None),
        ("stale", 1, "measured by code 0123456789abcdef"),
        ("no digest", 1, "measured by code of unknown digest"),
        ("conflict", 1, "latency.csv:2: a merge conflict marker"),
        ("unparseable", 1, "latency.csv: not a CSV export"),
    ],
)
def test_docs_check_fails_on_stale_or_damaged_results(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], damage: str, status: int, says: str | None
) -> None:
    out = tmp_path / "results"
    exported(stored(tmp_path, record("tf_efficientnet_lite0")), out)
    args = ["docs", "--index", str(REPO / "model-index.yml"), "--templates", str(REPO / "docs" / "templates"), "--results", str(out),
            "--out", str(tmp_path / "cards")]  # fmt: skip
    assert main(args) == 0
    _damage(damage, out / "latency.csv")
    assert main([*args, "--check"]) == status
    err = capsys.readouterr().err
    assert says is None or says in err


def test_docs_check_warns_on_an_export_from_before_provenance(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from zoo.results._csv import check_export

    out = tmp_path / "results"
    exported(stored(tmp_path, record()), out)
    frame = pd.read_csv(out / "latency.csv", dtype=str, keep_default_na=False)
    frame.drop(columns=["git_commit", "code_digest"]).to_csv(out / "latency.csv", index=False)
    problems, warnings, readable = check_export(out)
    assert readable and not problems and "carry no code digest" in warnings[0]


def test_rows_merged_from_before_provenance_warn_and_the_others_are_judged(tmp_path: Path) -> None:
    from zoo.results._csv import check_export

    out = tmp_path / "results"
    exported(stored(tmp_path, record()), out)
    frame = pd.read_csv(out / "latency.csv", dtype=str, keep_default_na=False)
    old = frame.assign(environment="0ld0env", git_commit="", code_digest="")  # carried from an older export
    pd.concat([frame, old]).to_csv(out / "latency.csv", index=False)
    problems, warnings, readable = check_export(out)
    assert readable and not problems and "1 row(s) carry no code digest" in warnings[0]
    stale = pd.concat([frame, old.assign(code_digest="0123456789abcdef")])
    stale.to_csv(out / "latency.csv", index=False)
    assert "measured by code 0123456789abcdef" in check_export(out)[0][0]


@pytest.mark.parametrize(
    ("records", "reason"),
    [
        ([record(contended=True, converged=False)] * 2, "every configuration was contended"),
        ([record(contended=True, converged=False), record()], None),
        ([record(contended=True)], None),
        ([], None),
    ],
)
def test_bench_with_nothing_trustworthy_is_a_finding(
    records: list[LatencyRecord], reason: str | None
) -> None:
    found = untrusted(records)
    assert (found is None) if reason is None else (found is not None and reason in found)


# --- 5. Runs have owners ------------------------------------------------------------------------

OWNER = """
import sys, time
from zoo.results import open_store, recorded_run
from tests.results.test_integrity import record
store = open_store(__import__("pathlib").Path(sys.argv[1]))
with recorded_run(store, "bench", plan="p") as run:
    store.add(run.id, record("first"))
    print(run.id, flush=True)
    time.sleep(120)
"""


def _owner(db: Path) -> tuple[subprocess.Popen[str], int]:
    process = subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(OWNER), str(db)], cwd=REPO, stdout=subprocess.PIPE, text=True,
        env={**os.environ, "PYTHONPATH": str(REPO)},
    )  # fmt: skip
    assert process.stdout is not None
    return process, int(process.stdout.readline())


def test_resume_never_takes_a_run_whose_owner_lives_and_sigterm_marks_it_interrupted(tmp_path: Path) -> None:
    from zoo.results import recorded_run

    db = tmp_path / "r.db"
    process, run_id = _owner(db)
    try:
        with open_store(db) as store:
            for resume in (True, run_id):
                with (
                    pytest.raises(ResultsStoreError, match=f"run {run_id} is still running"),
                    recorded_run(store, "bench", plan="p", resume=resume),
                ):
                    pass
            assert [m.model for m in store.measurements(run_id)] == ["first"]  # not replaced
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=60)
    with open_store(db, readonly=True) as store:
        assert store.run(run_id).status == RunStatus.INTERRUPTED  # type: ignore[union-attr]
        assert [m.model for m in store.measurements(run_id)] == ["first"]


def test_a_killed_run_reads_as_abandoned_even_read_only(tmp_path: Path) -> None:
    db = tmp_path / "r.db"
    process, run_id = _owner(db)
    process.kill()
    process.wait(timeout=60)
    with open_store(db, readonly=True) as store:
        assert store.run(run_id).status == RunStatus.ABANDONED  # type: ignore[union-attr]
    with sqlite3.connect(db) as connection:  # read-only: the file itself still says running
        assert connection.execute("SELECT status FROM runs").fetchone() == ("running",)
    with open_store(db) as store:  # a writable open marks it, and it can be resumed
        assert store.resumable_run("bench", "p") == run_id
        assert store.run(run_id).status == RunStatus.ABANDONED  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("damage", "says"),
    [
        ("not json {", "JSONDecodeError"),
        (json.dumps({"model": "x"}), "KeyError"),  # a row missing what a record needs
        ("STATUS", "ValueError"),  # a status a newer zoo wrote
        ("null", "TypeError"),
    ],
)
def test_a_damaged_or_newer_row_is_skipped_by_name_and_the_rest_stays_readable(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
    damage: str,
    says: str,
) -> None:
    db = stored(tmp_path, record("good"), record("bad"))
    with sqlite3.connect(db) as connection:
        data = connection.execute("SELECT data FROM measurements WHERE model='bad'").fetchone()[0]
        broken = (
            data.replace('"status": "ok"', '"status": "measured-by-zoo-9"') if damage == "STATUS" else damage
        )
        connection.execute("UPDATE measurements SET data=? WHERE model='bad'", (broken,))
    assert main(["results", "show", "--db", str(db)]) == 0
    shown, warned = capsys.readouterr().out, caplog.text  # the CLI shows the warning on stderr
    assert "good" in shown and "measurements row 2 (run 1) skipped" in warned and says in warned
    assert main(["results", "export", "--db", str(db), "--out", str(tmp_path / "out")]) == 0
    assert list(pd.read_csv(tmp_path / "out" / "latency.csv").model) == ["good"]


def test_store_records_keep_their_provenance(tmp_path: Path) -> None:
    with open_store(stored(tmp_path, replace(record(), model="p")), readonly=True) as store:
        assert next(store.measurements()).environment["code_digest"] == code_digest()
