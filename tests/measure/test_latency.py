"""The latency loop's rules on a fake clock, the contention probe, and the environment fingerprint."""

from __future__ import annotations

import itertools
import os
import subprocess
import sys
import time

import pytest

from zoo.measure.environment import comparable_id, fingerprint
from zoo.measure.noise import ContentionProbe
from zoo.measure.scenarios.latency import time_iterations
from zoo.spec import Timing


class FakeClock:
    """A clock that each call of `run` moves on by the next of `durations` (cycled)."""

    def __init__(self, *durations: float) -> None:
        self.now = 0.0
        self.durations = itertools.cycle(durations)
        self.calls = 0

    def __call__(self) -> float:
        return self.now

    def run(self) -> None:
        self.calls += 1
        self.now += next(self.durations)


def test_steady_timings_stop_at_the_minimums() -> None:
    clock = FakeClock(0.010)
    samples, converged = time_iterations(
        clock.run, Timing(min_time_s=0.5, min_iterations=20, warmup_s=0.1), clock
    )
    assert converged and len(samples) == 50  # 0.5 s of 10 ms iterations; 20 would be under min_time
    assert samples == pytest.approx([0.010] * 50)
    assert 50 + 10 <= clock.calls <= 50 + 11  # warm-up: three calls, then until warmup_s has passed


def test_noisy_timings_run_until_the_median_is_trusted_or_time_is_up() -> None:
    clock = FakeClock(0.010, 0.030)  # every other iteration three times slower: a wide median CI
    samples, converged = time_iterations(clock.run, Timing(min_time_s=0.1, max_time_s=2.0, warmup_s=0), clock)
    assert not converged and sum(samples) == pytest.approx(2.0, abs=0.05)


def test_min_iterations_win_over_min_time() -> None:
    clock = FakeClock(1.0)
    samples, _ = time_iterations(
        clock.run, Timing(min_time_s=0.1, min_iterations=30, max_time_s=100, warmup_s=0), clock
    )
    assert len(samples) == 30


def test_the_probe_sees_another_process_take_the_cpu() -> None:
    quiet = ContentionProbe()
    time.sleep(0.3)
    alone = quiet.stop()
    assert set(alone) >= {"load_average", "others_share", "steal_share", "contended"}
    burners = [
        subprocess.Popen(
            [sys.executable, "-c", "import time\nend = time.time() + 1.5\nwhile time.time() < end: pass"]
        )
        for _ in range(os.cpu_count() or 1)
    ]
    busy = ContentionProbe()
    time.sleep(1.0)
    contended = busy.stop()
    for burner in burners:
        burner.wait()
    # Other test workers may already fill the machine: then both see it, and the burners keep it full.
    assert contended["contended"] and contended["others_share"] >= min(alone["others_share"] + 0.2, 0.9)
    assert "other processes used" in contended["reason"]


def test_the_fingerprint_ids_what_changes_timings_not_when() -> None:
    environment = fingerprint(2)
    assert (
        environment["threads"] == 2
        and environment["logical_cores"] >= 1
        and environment["libraries"]["torch"]
    )
    assert comparable_id({**environment, "date": "another day", "host": "elsewhere"}) == environment["id"]
    assert comparable_id({**environment, "threads": 1}) != environment["id"]
    assert comparable_id({**environment, "isa": [*environment["isa"], "not_this_cpu"]}) != environment["id"]
