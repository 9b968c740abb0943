"""The throughput scenario's search, on real lite0 sessions of ONNX Runtime: what it tries, where it
stops, and that the candidate it serves the window with is the one its probes found best."""

from __future__ import annotations

import itertools
import json
import subprocess
import sys
from pathlib import Path

from zoo_testing import INDEX, LITE0

from zoo.measure.scenarios.throughput import MIN_GAIN, SWEEP_UP_TO


def zoo(db: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "zoo", *args, "--db", str(db), "--index", str(INDEX)],
        capture_output=True,
        text=True,
        check=False,
        timeout=600,
    )


def test_the_batch_doubles_while_it_pays_and_the_best_probe_is_served(tmp_path: Path) -> None:
    db = tmp_path / "results.db"
    benched = zoo(db, "bench", LITE0, "--backend", "onnxruntime", "--scenario", "throughput",
                  "--threads", "2", "--min-time", "1")  # fmt: skip
    assert benched.returncode in (0, 1), benched.stderr  # 1: contended on a busy machine
    (record,) = json.loads(zoo(db, "results", "show", "--json").stdout)["results"]
    assert record["status"] == "ok", record["reason"]
    serving = record["serving"]
    sweep = serving["sweep"]
    doubling = [2**n for n in range(SWEEP_UP_TO.bit_length())]  # 1, 2, 4, 8
    assert {probe["streams"] for probe in sweep} == {1, 2}  # two threads: one session, or two of one
    for streams in (1, 2):
        rates = [p["images_per_s"] for p in sweep if p["streams"] == streams]
        assert [p["batch"] for p in sweep if p["streams"] == streams] == doubling[: len(rates)]
        for before, after in itertools.pairwise(rates[:-1]):  # each doubling that was followed paid
            assert after >= before * (1 + MIN_GAIN) - 0.02
        if len(rates) < len(doubling):  # stopped early: the last doubling did not pay
            assert rates[-1] < rates[-2] * (1 + MIN_GAIN) + 0.02
    best = max(sweep, key=lambda probe: probe["images_per_s"])
    assert (serving["batch"], serving["streams"]) == (best["batch"], best["streams"])
    assert record["throughput_ips"] > 0 and serving["images"] > 0
