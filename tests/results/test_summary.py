"""The one-screen summary `make bench` ends with, read from a store real runs filled.

lite0 is timed on ONNX Runtime (latency and throughput), evaluated in INT8 on 20 photos of the
shared ImageNet sample against torch fp32 (lite3, with random weights, beside it), and its logits
compared; the summary names the fastest
configuration, the images/s, the top-1 with its dataset and N, the INT8 verdict and where things went.
A configuration that runs out of time is listed as a failure with its reason.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from zoo_testing import INDEX, LITE0, REPO, fast_timing

from zoo.results import open_store

SAMPLE = REPO.parent / "shared" / "imagenet-sample"
SCREEN = 40  # lines
LITE3 = "tf_efficientnet_lite3"  # random weights here: no accuracy, no worker


def zoo(db: Path, *args: str) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        [sys.executable, "-m", "zoo", *args, "--db", str(db), "--index", str(INDEX)],
        capture_output=True,
        text=True,
        check=False,
        timeout=900,
    )
    assert "Traceback" not in done.stderr, done.stderr
    return done


LOGS: dict[str, str] = {}  # each command's stderr: its progress lines


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    db = tmp_path_factory.mktemp("summary") / "results.db"
    timing = fast_timing(min_time="0.3", max_time="1")
    benched = zoo(db, "bench", LITE0, "--backend", "onnxruntime", "--scenario", "latency",
                  "--scenario", "throughput", *timing)  # fmt: skip
    assert benched.returncode in (0, 1), benched.stderr  # 1: contended on a busy machine
    evaluated = zoo(
        db, "eval", LITE0, LITE3, "--backend", "onnxruntime", "--precision", "int8", "--data", str(SAMPLE),
        "--limit", "20", "--dataset-name", "imagenet-sample", "--workers", "0", "--threads", "1",
    )  # fmt: skip
    assert evaluated.returncode == 0, evaluated.stderr
    checked = zoo(db, "check-backends", LITE0, "--backend", "onnxruntime", "--threads", "1")
    assert checked.returncode == 0, checked.stderr
    LOGS.update(bench=benched.stderr, eval=evaluated.stderr, check=checked.stderr)
    return db


@pytest.mark.parametrize(
    ("command", "prefix", "count"),
    [("bench", "zoo bench", 2), ("eval", "zoo eval", 2), ("check", "zoo check-backends", 2)],
)
def test_each_command_logs_its_progress_with_the_time_left(
    store: Path, command: str, prefix: str, count: int
) -> None:
    """In a log (stderr is no terminal), a line at each start and end; the end says how many are done
    and about how long the rest takes. eval and check-backends count torch fp32's reference run too."""
    lines = LOGS[command].splitlines()
    starts = [line for line in lines if line.startswith(f"{prefix}: start {LITE0} ")]
    ends = [line for line in lines if line.startswith(f"{prefix}: end   {LITE0} ")]
    assert len(starts) == len(ends) == count, LOGS[command]
    for done, line in enumerate(ends, start=1):
        assert line.endswith(" min left]") and f"[{done}/{count}, " in line and " min elapsed, about " in line
    if command == "eval":
        assert any("top-1 " in line and " JPEG to logits" in line for line in ends)


def test_the_summary_says_what_each_model_gave_in_one_screen(store: Path) -> None:
    done = zoo(store, "results", "summary", "--log", ".zoo/bench.log")
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert len(lines) <= SCREEN
    text = done.stdout
    assert (
        lines[0].startswith("summary of runs bench ") and "eval" in lines[0] and "check-backends" in lines[0]
    )
    assert LITE0 in lines
    assert "fastest:    onnxruntime fp32, p90 " in text
    assert "throughput: onnxruntime fp32, " in text and " images/s counted (batch " in text
    top1 = next(line for line in lines if line.startswith("  top-1:      ") and "%" in line)
    assert top1.endswith("onnxruntime int8 on imagenet-sample (20 images)")  # torch fp32 ran, not stored
    assert "INT8:       onnxruntime " in text and "(Δtop-1 " in text
    assert "failed: 0" in lines
    assert any(line.startswith("contended: ") and " of 2 timings" in line for line in lines)
    results = next(line for line in lines if line.startswith("results: "))
    assert "benchmarks/results; cards: " in results and "docs/models; site: " in results
    assert lines[-1].startswith("store: ") and lines[-1].endswith("; log: .zoo/bench.log")


def test_the_summary_as_json_matches_the_store(store: Path) -> None:
    done = zoo(store, "results", "summary", "--json")
    summary = json.loads(done.stdout)
    runs = json.loads(zoo(store, "results", "list", "--json").stdout)
    assert summary["runs"] == {run["kind"]: run["id"] for run in runs}
    assert list(summary["models"]) == [LITE0, LITE3] and summary["failures"] == []
    assert summary["models"][LITE3] == {
        "fastest": None, "throughput": None, "top1": None, "random_weights": True, "verdicts": [],
    }  # fmt: skip
    lite0 = summary["models"][LITE0]
    assert lite0["fastest"]["key"] == f"{LITE0}|onnxruntime|fp32|b1|t1"  # latency keys name no scenario
    assert lite0["throughput"]["images_per_s"] > 0 and lite0["throughput"]["serving"]["sweep"]
    assert (lite0["top1"]["dataset"], lite0["top1"]["images"]) == ("imagenet-sample", 20)
    (verdict,) = lite0["verdicts"]
    assert (verdict["backend"], verdict["precision"], verdict["images"]) == ("onnxruntime", "int8", 20)
    assert verdict["verdict"] in ("within budget", "OVER BUDGET")


def test_a_failed_configuration_is_listed_with_its_reason(tmp_path: Path) -> None:
    db = tmp_path / "results.db"
    benched = zoo(db, "bench", LITE0, "--backend", "onnxruntime", "--timeout", "0.5", "--threads", "1")
    assert benched.returncode == 1
    done = zoo(db, "results", "summary")
    assert "failed: 1:" in done.stdout.splitlines()
    assert f"  {LITE0} onnxruntime fp32 latency b1: timed out after 0.5 s" in done.stdout
    assert "fastest:    no latency measured" in done.stdout
    assert "top-1:      not measured" in done.stdout


def test_a_store_without_those_runs_says_so_and_a_missing_one_is_one_line(tmp_path: Path) -> None:
    db = tmp_path / "results.db"
    missing = zoo(db, "results", "summary")
    assert missing.returncode == 2 and len(missing.stderr.strip().splitlines()) == 1
    assert str(db) in missing.stderr
    with open_store(db):  # created, with no run in it
        pass
    done = zoo(db, "results", "summary")
    assert done.returncode == 0
    assert done.stdout.strip() == "no bench, eval or check-backends run in the results store yet"
