"""The regression gate and the history: real timed loops, a real store, the real command.

The timed callable sleeps: its duration is known, so a 10% slowdown can be injected exactly, while
the loop that times it (`time_iterations`), the statistics, the noise calibration and the gate are
zoo's own.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

import pytest

from zoo.measure.noise import ContentionProbe
from zoo.measure.scenarios.latency import time_iterations
from zoo.results import LatencyRecord, open_store
from zoo.results.gate import GateOutcome, Noise, calibrate_noise, gate, threshold
from zoo.results.history import detect_steps, history
from zoo.results.records import Status
from zoo.results.stats import Stats
from zoo.spec import Timing

QUICK = Timing(min_time_s=0.15, min_iterations=20, max_time_s=1.0, target_ci=0.05, warmup_s=0.02)
ENVIRONMENT = {"id": "env-a", "cpu_model": "test cpu", "logical_cores": 2, "libraries": {"torch": "2.14.1"}}
BASE_S = 0.004


def timed(seconds: float, backend: str = "sleepy", **changes: object) -> LatencyRecord:
    """A configuration measured by zoo's timing loop over a call that takes `seconds`."""
    samples, converged = time_iterations(lambda: time.sleep(seconds), QUICK)
    values: dict[str, object] = {
        "model": "m",
        "backend": backend,
        "precision": "fp32",
        "batch": 1,
        "threads": 1,
        "status": Status.OK,
        "stats": Stats.from_seconds(samples),
        "converged": converged,
        "samples_ms": tuple(s * 1000 for s in samples),
        "environment": dict(ENVIRONMENT),
        "measured_at": "2026-12-02T00:00:00+00:00",
        **changes,
    }
    return LatencyRecord(**values)  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def noise() -> dict[tuple[str, str], Noise]:
    """This machine's run-to-run noise for the sleeping configuration, from 5 back-to-back runs."""
    found = calibrate_noise(timed(BASE_S) for _ in range(5))
    assert len(found) == 1 and found[0].runs == 5
    return {(found[0].environment, found[0].key): found[0]}


def test_back_to_back_identical_runs_pass_the_gate_5_of_5(noise: dict[tuple[str, str], Noise]) -> None:
    outcomes = [gate([timed(BASE_S)], [timed(BASE_S)], noise).exit_code for _ in range(5)]
    assert outcomes == [0] * 5


def test_a_10_percent_slowdown_is_caught_5_of_5(noise: dict[tuple[str, str], Noise]) -> None:
    assert threshold(next(iter(noise.values()))) < 0.08  # the calibration leaves room to see 10%
    reports = [gate([timed(BASE_S)], [timed(BASE_S * 1.10)], noise) for _ in range(5)]
    assert [report.exit_code for report in reports] == [1] * 5
    assert all(report.rows[0].outcome == GateOutcome.REGRESSION for report in reports)


def test_a_candidate_timed_on_busy_cores_is_never_passed(noise: dict[tuple[str, str], Noise]) -> None:
    """One process per core spins while the candidate is timed: zoo's own probe says so, and the gate
    calls it a regression or cannot judge it, never fine."""
    spinners = [
        subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(os.cpu_count() or 1)
    ]
    try:
        probe = ContentionProbe()
        candidate = timed(BASE_S)
        contention = probe.stop()
    finally:
        for spinner in spinners:
            spinner.kill()
            spinner.wait()
    assert contention["contended"], contention
    report = gate([timed(BASE_S)], [replace(candidate, contention=contention)], noise)
    assert report.exit_code in (1, 3)
    assert report.exit_code == 1 or "contended" in report.rows[0].reason


def test_other_library_versions_cannot_be_judged(noise: dict[tuple[str, str], Noise]) -> None:
    newer = timed(BASE_S, environment={**ENVIRONMENT, "id": "env-b", "libraries": {"torch": "2.15.0"}})
    row = gate([timed(BASE_S)], [newer], noise).rows[0]
    assert row.outcome == GateOutcome.CANNOT_JUDGE
    assert "torch 2.14.1 -> 2.15.0" in row.reason


def test_sides_measured_an_hour_apart_cannot_be_judged(noise: dict[tuple[str, str], Noise]) -> None:
    later = timed(BASE_S, measured_at="2026-12-02T01:00:00")  # undated zone: read as UTC, as zoo writes
    row = gate([timed(BASE_S)], [later], noise).rows[0]
    assert row.outcome == GateOutcome.CANNOT_JUDGE and "60 min apart" in row.reason
    soon = timed(BASE_S, measured_at="2026-12-02T00:05:00+00:00")
    assert gate([timed(BASE_S)], [soon], noise).rows[0].outcome != GateOutcome.CANNOT_JUDGE


def test_no_calibration_cannot_be_judged() -> None:
    report = gate([timed(BASE_S)], [timed(BASE_S * 1.5)], {})
    assert report.exit_code == 3
    assert "zoo results noise" in report.rows[0].reason


def test_a_failure_in_the_candidate_is_a_regression_and_a_missing_one_cannot_be_judged(
    noise: dict[tuple[str, str], Noise],
) -> None:
    base = [timed(BASE_S), timed(BASE_S, backend="other")]
    failed = LatencyRecord("m", "sleepy", "fp32", 1, 1, Status.FAILED, reason="killed by SIGKILL")
    report = gate(base, [failed], noise)
    assert {row.key: row.outcome for row in report.rows} == {
        "m|other|fp32|b1|t1": GateOutcome.CANNOT_JUDGE,
        "m|sleepy|fp32|b1|t1": GateOutcome.REGRESSION,
    }
    assert report.exit_code == 1


def test_the_markdown_summary_is_a_table_with_no_live_markup(noise: dict[tuple[str, str], Noise]) -> None:
    base = timed(BASE_S, model="<img src=x onerror=alert(1)>|")
    text = gate([base], [base], noise).markdown()
    assert "<img" not in text and "&lt;img" in text
    assert text.splitlines()[0].startswith("### zoo gate")
    assert sum(line.startswith("|") for line in text.splitlines()) == 3  # header, rule, one row


def scaled(record: LatencyRecord, factor: float) -> LatencyRecord:
    """The same run as if every call had taken `factor` times as long (a slow spell, or a slowdown)."""
    samples = tuple(sample * factor for sample in record.samples_ms)
    return replace(record, samples_ms=samples, stats=Stats.from_seconds([s / 1000 for s in samples]))


def test_interleaved_runs_see_through_slow_spells_and_still_catch_10_percent() -> None:
    """One calibration run in nine fell in a slow spell (+20% on every call): the noise leaves it out.
    Three interleaved runs a side see through spells on either side (the sides' medians would not:
    1.002 against 1.19) and still catch 10%; one run a side is misled by a spell, which is why the
    gate takes several."""
    base = timed(BASE_S)
    spells = (1.0, 1.004, 0.997, 1.2, 1.002, 0.996, 1.003, 0.999, 1.001)
    (found,) = calibrate_noise(scaled(base, factor) for factor in spells)
    noise = {(found.environment, found.key): found}
    assert found.sigma < 0.01  # the spell is not noise: it only ever slows
    assert 0.05 > threshold(found) > threshold(found, 3, 3) >= 0.01
    baseline = [scaled(base, factor) for factor in (1.0, 1.2, 1.002)]
    candidate = [scaled(base, factor) for factor in (1.19, 1.21, 0.998)]  # spells in two of three
    identical = gate(baseline, candidate, noise, (1, 3, 5), (2, 4, 6))
    assert identical.exit_code == 0, identical.markdown()
    assert identical.markdown().startswith("### zoo gate: runs 2, 4, 6 against runs 1, 3, 5: no regression")
    slower = gate(baseline, [scaled(base, 1.1 * factor) for factor in (1.2, 1.0, 1.003)], noise)
    assert slower.exit_code == 1 and slower.rows[0].ratio == pytest.approx(1.1, abs=0.01)
    assert gate(baseline[:1], candidate[:1], noise).exit_code == 1  # one run a side: the spell misleads


def test_steps_are_found_at_the_last_run_and_not_in_noise() -> None:
    flat = [10.0, 10.1, 9.9, 10.05, 9.95, 10.0]
    assert detect_steps(flat, 0.05) == []
    assert detect_steps([*flat, 11.0], 0.05) == [6]  # a lone newest run 10% up is a step
    assert detect_steps([*flat, 10.3], 0.05) == []  # 3%: within the penalty
    assert detect_steps([*flat, 11.0, 11.1, 10.9, 11.0], 0.05) == [6]
    assert detect_steps([10.0, 10.0, 12.0, 10.0, 10.0], 0.05) == [2, 3]  # a 20% outlier is two steps


def test_history_marks_the_run_where_the_median_stepped(noise: dict[tuple[str, str], Noise]) -> None:
    """Medians that wander by a few tenths of a percent, then move up 25% from run 5 on."""
    medians = [BASE_S * (1 + wobble) for wobble in (0.0, 0.004, -0.003, 0.002)] + [BASE_S * 1.25] * 2
    runs = [replace(timed(BASE_S), stats=Stats.from_seconds([median] * 30)) for median in medians]
    (series,) = history(enumerate(runs, start=1), noise)
    assert [point.run for point in series.steps] == [5]
    assert series.steps[0].change == pytest.approx(0.25, abs=0.01)


def test_a_contended_run_is_drawn_but_not_fitted(noise: dict[tuple[str, str], Noise]) -> None:
    """A run 50% slow because the machine was busy is not a step: left out of the fit, or shown marked."""
    base = timed(BASE_S)
    runs = [
        replace(
            base,
            stats=Stats.from_seconds([BASE_S * (1.5 if busy else 1)] * 30),
            contention={"contended": busy},
        )
        for busy in (False, False, False, True, False, False)
    ]
    (fitted,) = history(enumerate(runs, start=1), noise)
    assert [point.run for point in fitted.points] == [1, 2, 3, 5, 6]
    (shown,) = history(enumerate(runs, start=1), noise, untrusted=True)
    assert [(point.run, point.trusted) for point in shown.points if not point.trusted] == [(4, False)]
    assert shown.steps == [] and len(shown.points) == 6
    alike = [replace(run, contention={"contended": False}) for run in runs]  # the same medians, all quiet
    assert [point.run for point in history(enumerate(alike, start=1), noise)[0].steps] == [4, 5]


def zoo(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "zoo", *args], capture_output=True, text=True, check=False)


def test_the_commands_calibrate_gate_and_show_history(tmp_path: Path) -> None:
    db = tmp_path / "results.db"
    with open_store(db) as store:
        runs = []
        for seconds in (BASE_S, BASE_S, BASE_S, BASE_S * 1.2):
            run = store.start_run("zoo bench m", "local", None)
            store.add(run, timed(seconds))
            runs.append(run)
    calibration = zoo("results", "noise", *map(str, runs[:3]), "--db", str(db))
    assert calibration.returncode == 0, calibration.stderr
    assert "m|sleepy|fp32|b1|t1" in calibration.stdout and "gate threshold" in calibration.stdout
    summary = tmp_path / "gate.md"
    same = zoo("results", "gate", str(runs[0]), str(runs[1]), "--db", str(db), "--markdown", str(summary))
    assert same.returncode == 0, same.stdout + same.stderr
    assert "no regression" in summary.read_text()
    slower = zoo("results", "gate", str(runs[0]), str(runs[3]), "--db", str(db))
    assert slower.returncode == 1 and "regression" in slower.stdout
    sides = zoo("results", "gate", f"{runs[0]}-{runs[1]}", str(runs[2]), "--db", str(db), "--json")
    assert sides.returncode == 0 and json.loads(sides.stdout)["exit_code"] == 0, sides.stderr
    for bad in ("x", "3-1", "1,,2"):
        refused = zoo("results", "gate", bad, str(runs[2]), "--db", str(db))
        assert refused.returncode == 2 and len(refused.stderr.strip().splitlines()) <= 2, refused.stderr
        assert "Traceback" not in refused.stderr
    past = zoo("results", "history", "m", "--db", str(db))
    assert past.returncode == 0, past.stderr
    assert f"run {runs[3]:4}" in past.stdout and "step +" in past.stdout
    assert zoo("results", "history", "nothing", "--db", str(db)).returncode == 2
