"""The server scenario's parts: Poisson arrivals, latency from the schedule, LoadGen's p99 bound, the rate search."""

from __future__ import annotations

import time

import numpy as np
import pytest

from zoo.measure.scenarios.server import (
    RateTrial,
    ServerRules,
    SessionPool,
    early_stopping_bound,
    judge,
    poisson_arrivals,
    replay,
    search_rate,
)


def test_arrivals_are_a_seeded_poisson_process_at_the_offered_rate() -> None:
    arrivals = poisson_arrivals(200.0, 50.0, seed=3)
    assert np.all(np.diff(arrivals) > 0) and arrivals[-1] < 50.0
    assert len(arrivals) / 50.0 == pytest.approx(200.0, rel=0.05)
    gaps = np.diff(arrivals)
    assert np.std(gaps) / np.mean(gaps) == pytest.approx(1.0, abs=0.05)  # exponential: CV of 1
    assert np.array_equal(arrivals, poisson_arrivals(200.0, 50.0, seed=3))


def test_the_early_stopping_bound_is_never_below_the_empirical_p99_and_needs_enough_queries() -> None:
    rng = np.random.default_rng(0)
    for n in (459, 500, 2000, 20000):
        latencies = rng.lognormal(0.0, 0.5, n)
        bound = early_stopping_bound(latencies)
        assert bound is not None and bound >= np.percentile(latencies, 99)
    assert early_stopping_bound(rng.lognormal(0.0, 0.5, 450)) is None  # under ~459: no bound exists
    many = rng.lognormal(0.0, 0.5, 100_000)
    assert early_stopping_bound(many) == pytest.approx(np.percentile(many, 99), rel=0.03)  # it tightens


def sleeper(seconds: float) -> SessionPool:
    return SessionPool([lambda: time.sleep(seconds)])


def test_latency_counts_from_the_schedule_so_an_overloaded_server_is_charged_for_its_queue() -> None:
    service_s = 0.004
    light = poisson_arrivals(50.0, 1.0, seed=1)  # 20% load
    latencies, _ = replay(light, sleeper(service_s))
    assert np.median(latencies) < 3 * service_s
    heavy = poisson_arrivals(400.0, 1.0, seed=1)  # 160% load: the queue grows all the time
    latencies, span = replay(heavy, sleeper(service_s))
    assert span > 1.4  # it took longer than the schedule to serve it all
    assert np.max(latencies) > 0.3  # the last requests waited for the whole queue


def test_a_short_run_is_invalid_with_its_reasons() -> None:
    latencies = np.full(100, 0.001)
    trial = judge(100.0, latencies, 1.0, ServerRules(sla_s=0.010))
    assert not trial.valid
    assert any("under the minimum 3 s" in r for r in trial.reasons)
    assert any("too few queries to bound p99" in r for r in trial.reasons)
    ok = judge(200.0, np.full(1000, 0.001), 5.0, ServerRules(sla_s=0.010))
    assert ok.valid and ok.p99_bound_s is not None and ok.p99_bound_s >= ok.p99_s


def test_the_rate_search_returns_the_highest_valid_rate_it_tried() -> None:
    capacity = 300.0

    def trial(rate: float) -> RateTrial:
        reasons = () if rate <= capacity else ("p99 bound over the SLA",)
        return RateTrial(rate, rate, 1000, 5.0, 0.001, 0.002, 0.003, 0.004, reasons)

    best, tried = search_rate(trial, 10.0, 1000.0, steps=8)
    assert best is not None and best.valid and best.offered_rate <= capacity
    assert best.offered_rate > 0.9 * capacity
    assert max(t.offered_rate for t in tried if t.valid) == best.offered_rate
    nothing, _ = search_rate(lambda rate: trial(rate * 1000), 10.0, 1000.0)
    assert nothing is None
