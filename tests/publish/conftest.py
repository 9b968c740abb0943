"""The bundled index and the committed results export, plus a measured accuracy, for publishing tests.

The latency (its fp32 latency rows), validation and environment files are the real committed ones;
`accuracy.csv` is written here so the tests see a known real-weights top-1 and a random-weights row.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest

from zoo.index import Index, load_index
from zoo.publish import build_site

REPO = Path(__file__).resolve().parents[2]
RESULTS = REPO / "benchmarks" / "results"
SCREENSHOT = REPO / "build" / "browser" / "leaderboard.png"
"""Where the browser test keeps its screenshot of the leaderboard (build/ is not committed)."""
STARTED = time.time()

ACCURACY = [
    ("tf_efficientnet_lite0", "onnxruntime", "fp32", "packaged", 74.1, 91.9),
    ("tf_efficientnet_lite3", "torch", "fp32", "random", 0.1, 0.5),
]


def write_results(folder: Path) -> Path:
    """The committed export copied into `folder`: its fp32 latency rows (one per model and backend, the
    shape these tests check), with an accuracy.csv of `ACCURACY` in place of the committed one."""
    shutil.copytree(RESULTS, folder)
    latency = pd.read_csv(folder / "latency.csv", dtype=str, keep_default_na=False)
    latency = latency[(latency.scenario == "latency") & (latency.precision == "fp32")]
    latency.to_csv(folder / "latency.csv", index=False)
    environment = latency["environment"].iloc[0]
    rows = [
        {
            "model": model,
            "backend": backend,
            "precision": precision,
            "dataset": "smoke-photos",
            "images": 4,
            "weights": weights,
            "top1": top1,
            "top1_ci_low": top1 - 5,
            "top1_ci_high": top1 + 5,
            "top5": top5,
            "environment": environment,
        }
        for model, backend, precision, weights, top1, top5 in ACCURACY
    ]
    pd.DataFrame(rows).to_csv(folder / "accuracy.csv", index=False)
    return folder


@pytest.fixture(scope="session")
def index() -> Index:
    return load_index(REPO / "model-index.yml")


@pytest.fixture(scope="session")
def results_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_results(tmp_path_factory.mktemp("publish") / "results")


@pytest.fixture(scope="session")
def site(tmp_path_factory: pytest.TempPathFactory, index: Index, results_dir: Path) -> Path:
    """The bundled index's site, built once for the session."""
    out = tmp_path_factory.mktemp("site") / "site"
    build_site(index, results_dir, out)
    return out


@pytest.fixture(scope="session")
def screenshot() -> Path:
    """Where the browser test keeps its screenshot of the leaderboard; the summary prints it."""
    return SCREENSHOT


@pytest.fixture(scope="session")
def served(tmp_path_factory: pytest.TempPathFactory, results_dir: Path) -> Iterator[str]:
    """`zoo site --serve` on a free port, as a user starts it; the base URL it prints."""
    out = tmp_path_factory.mktemp("served") / "site"
    command = [sys.executable, "-u", "-m", "zoo", "site", "--serve", "--port", "0"]
    command += ["--index", str(REPO / "model-index.yml"), "--results", str(results_dir), "--out", str(out)]
    environment = {**os.environ, "PYTHONPATH": str(REPO)}
    process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True, env=environment, cwd=REPO)
    assert process.stdout is not None
    lines = []
    for line in process.stdout:
        lines.append(line)
        found = re.search(r"at (http://127\.0\.0\.1:\d+/)", line)
        if found:
            break
    else:
        raise AssertionError(f"zoo site --serve printed no address: {lines}")
    yield found.group(1)
    process.send_signal(signal.SIGINT)
    assert process.wait(timeout=30) == 0


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Say where the leaderboard screenshot is, when this run's browser test made one."""
    if SCREENSHOT.is_file() and SCREENSHOT.stat().st_mtime >= STARTED:
        terminalreporter.write_line(f"leaderboard screenshot: {SCREENSHOT}")
