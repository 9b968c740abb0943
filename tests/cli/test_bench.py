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
from zoo_testing import INDEX, REPO, fast_timing

FAST = fast_timing(min_time="0.2", max_time="0.5")


def zoo(*args: str, cwd: Path, check_rc: int | None = None) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        [sys.executable, "-m", "zoo", *args], cwd=cwd, capture_output=True, text=True, check=False
    )
    if check_rc is not None:
        assert done.returncode == check_rc, done.stdout + done.stderr
    return done


@pytest.fixture
def index(tmp_path: Path) -> Path:
    """The bundled lite0 card plus a ViT declared at an input size it cannot take, so it fails when run."""
    card = (REPO / "docs/templates/models/tf-efficientnet-lite.md").read_text()
    (tmp_path / "lite.md").write_text(card)
    (tmp_path / "broken.yml").write_text(
        "Models:\n- Name: vit_tiny_patch16_224\n  Metadata:\n    Image Size: 32\n"
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
    done = zoo(
        "bench", "vit_tiny_patch16_224", "tf_efficientnet_lite0", *common, *FAST, "--json", cwd=tmp_path
    )
    assert done.returncode == 1, done.stderr  # one model failed, after the others finished
    report = json.loads(done.stdout)
    by_key = {(r["model"], r["backend"]): r for r in report["results"]}
    assert {k: r["status"] for k, r in by_key.items()} == {
        ("vit_tiny_patch16_224", "onnxruntime"): "failed",
        ("vit_tiny_patch16_224", "openvino"): "failed",
        ("tf_efficientnet_lite0", "onnxruntime"): "ok",
        ("tf_efficientnet_lite0", "openvino"): "ok",
    }
    assert "vit_tiny_patch16_224" in by_key[("vit_tiny_patch16_224", "openvino")]["reason"]
    assert (
        "start vit_tiny_patch16_224 onnxruntime" in done.stderr
        and "end   tf_efficientnet_lite0 openvino" in done.stderr
    )
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

    listed = zoo("results", "list", "--db", str(db), "--json", cwd=tmp_path, check_rc=0)
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
        (["bench", "--all", "--min-time", "-1"], "--min-time must not be negative"),
        (
            ["bench", "--all", "--min-time", "5", "--max-time", "2"],
            "must be positive and at least --min-time",
        ),
        (["bench", "--all", "--batch", "0"], "--batch must be at least 1"),
        (["bench", "--all", "--threads", "0"], "--threads must be at least 1"),
        (
            ["bench", "--all", "--backend", "onnxruntime", "--precision", "bf16"],
            "onnxruntime cannot run bf16",
        ),
        (["bench", "--all", "--timeout", "0"], "--timeout must be positive"),
        (["bench", "--all", "--repeat", "0"], "--repeat takes a whole number of runs, at least 1; got '0'"),
        (
            ["bench", "--all", "--repeat", "two"],
            "--repeat takes a whole number of runs, at least 1; got 'two'",
        ),
        (["bench", "--all", "--repeat", "2", "--resume"], "--resume continues one run: leave out --repeat"),
        (["results", "show", "0"], "no run 0"),
    ],
)
def test_bad_input_is_one_line(args: list[str], message: str, tmp_path: Path) -> None:
    """Refused before anything runs: exit 2, one line, and nothing measured."""
    db = tmp_path / "r.db"
    if args[0] == "results":
        zoo("bench", "tf_efficientnet_lite0", "--backend", "onnxruntime", *FAST, "--db", str(db), cwd=REPO)
    done = zoo(*args, "--index", str(INDEX), "--db", str(db), cwd=tmp_path)
    assert done.returncode == 2 and message in done.stderr and "Traceback" not in done.stderr
    assert done.stderr.count("\n") == 1
    assert measurements(db) == [] or args[0] == "results"


def test_an_unknown_timm_model_is_refused_before_anything_runs(index: Path, tmp_path: Path) -> None:
    (tmp_path / "broken.yml").write_text("Models:\n- Name: no_such_timm_model\n")
    db = tmp_path / "r.db"
    done = zoo("bench", "--all", "--index", str(index), "--db", str(db), *FAST, cwd=tmp_path)
    assert done.returncode == 2 and "unknown timm model 'no_such_timm_model'" in done.stderr
    assert measurements(db) == []


def test_threads_above_the_cores_is_a_warning(tmp_path: Path) -> None:
    done = zoo("bench", "--all", "--threads", "512", "--min-time", "5", "--max-time", "1", "--index", str(INDEX),
               cwd=tmp_path)  # fmt: skip
    assert "warning: --threads 512 is more than" in done.stderr and done.returncode == 2
