"""`zoo bench` end to end: real lite0 on real backends, each configuration in its own process."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
FAST = ["--min-time", "0.2", "--max-time", "0.5", "--min-iterations", "5", "--threads", "1"]


def zoo(*args: str, cwd: Path, check_rc: int | None = None) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        [sys.executable, "-m", "zoo", *args], cwd=cwd, capture_output=True, text=True, check=False
    )
    if check_rc is not None:
        assert done.returncode == check_rc, done.stdout + done.stderr
    return done


@pytest.fixture
def index(tmp_path: Path) -> Path:
    """The bundled lite0 card plus a model that timm does not have, so one configuration must fail."""
    card = (REPO / "docs/templates/models/tf-efficientnet-lite.md").read_text()
    (tmp_path / "lite.md").write_text(card)
    (tmp_path / "broken.yml").write_text(
        "Models:\n- Name: no_such_timm_model\n  Metadata:\n    Image Size: 32\n"
    )
    (tmp_path / "model-index.yml").write_text("Import: ['lite.md', 'broken.yml']\n")
    return tmp_path / "model-index.yml"


def measurements(db: Path) -> list[tuple[str, str, str]]:
    if not db.exists():
        return []
    with sqlite3.connect(db) as connection:
        try:
            return connection.execute(
                "SELECT model, backend, status FROM measurements ORDER BY id"
            ).fetchall()
        except sqlite3.OperationalError:  # the schema is still being created
            return []


def test_sweep_records_results_and_failures(index: Path, tmp_path: Path) -> None:
    db = tmp_path / "r.db"
    common = ["--index", str(index), "--db", str(db), "--backend", "onnxruntime", "--backend", "openvino"]
    done = zoo("bench", "no_such_timm_model", "tf_efficientnet_lite0", *common, *FAST, "--json", cwd=tmp_path)
    assert done.returncode == 1, done.stderr  # one model failed, after the others finished
    report = json.loads(done.stdout)
    by_key = {(r["model"], r["backend"]): r for r in report["results"]}
    assert {k: r["status"] for k, r in by_key.items()} == {
        ("no_such_timm_model", "onnxruntime"): "failed",
        ("no_such_timm_model", "openvino"): "failed",
        ("tf_efficientnet_lite0", "onnxruntime"): "ok",
        ("tf_efficientnet_lite0", "openvino"): "ok",
    }
    assert "no_such_timm_model" in by_key[("no_such_timm_model", "openvino")]["reason"]
    for backend in ("onnxruntime", "openvino"):
        row = by_key[("tf_efficientnet_lite0", backend)]
        assert row["weights"] == "packaged"
        assert row["iterations"] >= 5 and row["min_ms"] <= row["median_ms"] <= row["p90_ms"] <= row["p99_ms"]
        assert row["ci_low_ms"] <= row["median_ms"] <= row["ci_high_ms"]
        assert row["load_s"] > 0 and row["first_inference_ms"] > 0 and row["peak_rss_mb"] > 50

    with sqlite3.connect(db) as connection:
        [environment] = [json.loads(e) for (e,) in connection.execute("SELECT data FROM environments")]
    assert environment["libraries"]["openvino"] and environment["threads"] == 1
    assert environment["cpu_model"] and "isa" in environment and environment["git_commit"]

    # A second run reuses the exported artefacts.
    again = zoo("bench", "tf_efficientnet_lite0", *common, *FAST, "--json", cwd=tmp_path, check_rc=0)
    assert all(r["cache_hit"] is True for r in json.loads(again.stdout)["results"])

    listed = zoo("results", "--db", str(db), "list", "--json", cwd=tmp_path, check_rc=0)
    assert [run["measurements"] for run in json.loads(listed.stdout)] == [4, 2]
    exported = zoo(
        "results", "--db", str(db), "export", "--out", str(tmp_path / "out"), cwd=tmp_path, check_rc=0
    )
    assert "latency.csv" in exported.stdout
    assert (tmp_path / "out" / "latency.csv").read_text().count("tf_efficientnet_lite0") == 2


def test_interrupt_keeps_finished_results_and_resume_skips_them(index: Path, tmp_path: Path) -> None:
    db = tmp_path / "r.db"
    args = ["bench", "tf_efficientnet_lite0", "--index", str(index), "--db", str(db), *FAST]
    args += ["--backend", "onnxruntime", "--backend", "openvino", "--backend", "torch"]
    environment = {**os.environ, "ZOO_CACHE": str(tmp_path / "cache")}
    process = subprocess.Popen([sys.executable, "-m", "zoo", *args], cwd=tmp_path, env=environment)
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline and not measurements(db):
        time.sleep(0.2)
    process.send_signal(signal.SIGINT)
    assert process.wait(timeout=60) == 130
    finished = measurements(db)
    assert finished and len(finished) < 3
    with sqlite3.connect(db) as connection:
        assert connection.execute("SELECT status FROM runs").fetchall() == [("interrupted",)]

    resumed = zoo(*args, "--resume", "--json", cwd=tmp_path, check_rc=0)
    newly = {r["backend"] for r in json.loads(resumed.stdout)["results"]}
    assert newly == {"onnxruntime", "openvino", "torch"} - {backend for _, backend, _ in finished}
    assert len([m for m in measurements(db) if m[2] == "ok"]) == 3


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["bench", "tf_efficientnet_lite0", "--backend", "tensorrt"],
            "unknown backend 'tensorrt'; backends are",
        ),
        (["bench", "tf_efficientnet_lite9"], "unknown model 'tf_efficientnet_lite9'"),
        (["bench"], "pass --all"),
    ],
)
def test_bad_input_is_one_line(args: list[str], message: str, tmp_path: Path) -> None:
    done = zoo(*args, "--index", str(REPO / "model-index.yml"), "--db", str(tmp_path / "r.db"), cwd=tmp_path)
    assert done.returncode == 2 and message in done.stderr and "Traceback" not in done.stderr
