"""The server scenario: how much random traffic a backend serves while p99 stays within an SLA.

Requests of one image arrive as a seeded Poisson process at an offered rate, as in MLPerf's server
scenario. Each latency runs from the request's *scheduled* arrival, not from when it was sent, so a
server that falls behind is charged for the queue it built (no coordinated omission). OpenVINO
serves through its `AsyncInferQueue`; ONNX Runtime and torch through a pool of sessions that split
the thread budget, each fed by a dispatcher. A rate search finds the highest offered rate whose p99
bound stays within the SLA.

The p99 that decides is LoadGen's early-stopping bound: the smallest latency that the true 99th
percentile stays under with 99% confidence, given how many queries were seen. It is an order
statistic at or above the empirical p99, and it does not exist below about 459 queries, so a run too
short to bound its p99 is INVALID, never a pass.
"""

from __future__ import annotations

import math
import queue
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np

__all__ = [
    "MIN_DURATION_S",
    "MIN_QUERIES",
    "RateTrial",
    "Server",
    "ServerRules",
    "SessionPool",
    "early_stopping_bound",
    "judge",
    "poisson_arrivals",
    "replay",
    "search_rate",
]

PERCENTILE = 0.99
CONFIDENCE = 0.99  # LoadGen's early-stopping confidence
MIN_DURATION_S = 3.0
MIN_QUERIES = 500  # above the ~459 that a 99% bound of the 99th percentile needs at all
SLA_FACTOR = 3.0  # the default SLA: three times the single-stream p99 (documented in the README)


def poisson_arrivals(rate: float, duration_s: float, seed: int) -> np.ndarray:
    """Arrival times (seconds from the start) of a Poisson process of `rate` per second over `duration_s`."""
    rng = np.random.default_rng(seed)
    expected = int(rate * duration_s * 1.2) + 16
    times = np.cumsum(rng.exponential(1.0 / rate, expected))
    while times[-1] < duration_s:  # a rare long draw: extend it from the same stream
        times = np.concatenate([times, times[-1] + np.cumsum(rng.exponential(1.0 / rate, expected))])
    return times[times < duration_s]


def early_stopping_bound(
    latencies: Sequence[float], percentile: float = PERCENTILE, confidence: float = CONFIDENCE
) -> float | None:
    """LoadGen's early-stopping estimate of a latency percentile: the `n - t`-th smallest latency, with
    `t` the most queries allowed above it while P(Binomial(n, 1 - percentile) <= t) stays at most
    `1 - confidence`. None when even t = 0 is too likely (too few queries to bound it)."""
    from scipy.stats import binom

    n = len(latencies)
    if n == 0:
        return None
    # The largest t with P(X <= t) <= 1 - confidence, X ~ Binomial(n, 1 - percentile).
    t = int(binom.ppf(1 - confidence, n, 1 - percentile))
    while t >= 0 and binom.cdf(t, n, 1 - percentile) > 1 - confidence:
        t -= 1
    if t < 0:
        return None
    return float(np.sort(np.asarray(latencies))[n - t - 1])


@dataclass(frozen=True)
class ServerRules:
    """What makes a server result VALID (after LoadGen's rules, scaled to a CPU run)."""

    sla_s: float
    min_duration_s: float = MIN_DURATION_S
    min_queries: int = MIN_QUERIES
    seed: int = 0


@dataclass(frozen=True)
class RateTrial:
    """One offered rate served for a while: what came out, and whether it meets the rules."""

    offered_rate: float
    achieved_rate: float  # queries completed per second of the run
    queries: int
    duration_s: float
    p50_s: float
    p90_s: float
    p99_s: float
    p99_bound_s: float | None
    reasons: tuple[str, ...] = ()  # why INVALID; empty when VALID

    @property
    def valid(self) -> bool:
        return not self.reasons

    def as_dict(self) -> dict[str, Any]:
        return {**self.__dict__, "valid": self.valid}


class Server(Protocol):
    """Serves requests as they are submitted: `start(done)` readies it and returns `submit(i)`; it calls
    `done(i)` from any thread when request i completes; `drain()` waits for every request."""

    def start(self, done: Callable[[int], None]) -> Callable[[int], None]: ...

    def drain(self) -> None: ...


def replay(arrivals: np.ndarray, server: Server) -> tuple[np.ndarray, float]:
    """Send each request at its scheduled time; every latency from that time, and the run's span.

    `submit` may block while the server is saturated: the requests behind it are sent late, and
    their latency still counts from their schedule.
    """
    completed = np.full(len(arrivals), np.nan)

    def done(index: int) -> None:
        completed[index] = time.perf_counter()

    submit = server.start(done)
    started = time.perf_counter()
    for index, arrival in enumerate(arrivals):
        due = started + arrival
        while (wait := due - time.perf_counter()) > 0:
            time.sleep(wait if wait > 0.002 else 0)  # sleep most of the way, then yield until due
        submit(index)
    server.drain()
    span = float(np.nanmax(completed) - started) if len(arrivals) else 0.0
    return completed - (started + arrivals), span


class SessionPool:
    """A server made of sessions (one `run()` each, in its own thread) fed from one queue."""

    def __init__(self, runs: Sequence[Callable[[], object]]) -> None:
        self._runs = runs
        self._requests: queue.Queue[int | None] = queue.Queue()
        self._threads: list[threading.Thread] = []

    def start(self, done: Callable[[int], None]) -> Callable[[int], None]:
        def serve(run: Callable[[], object]) -> None:
            while (index := self._requests.get()) is not None:
                run()
                done(index)

        self._threads = [threading.Thread(target=serve, args=(run,), daemon=True) for run in self._runs]
        for thread in self._threads:
            thread.start()
        return self._requests.put

    def drain(self) -> None:
        for _ in self._threads:
            self._requests.put(None)
        for thread in self._threads:
            thread.join()


def judge(offered: float, latencies: np.ndarray, span_s: float, rules: ServerRules) -> RateTrial:
    """The trial's percentiles, its early-stopping bound, and why it is INVALID, if it is."""
    served = latencies[~np.isnan(latencies)]
    bound = early_stopping_bound(served)
    reasons = []
    if span_s < rules.min_duration_s:
        reasons.append(f"ran {span_s:.1f} s, under the minimum {rules.min_duration_s:g} s")
    if len(served) < rules.min_queries:
        reasons.append(f"{len(served)} queries, under the minimum {rules.min_queries}")
    if bound is None:
        reasons.append("too few queries to bound p99 (early stopping)")
    elif bound > rules.sla_s:
        reasons.append(f"p99 bound {bound * 1000:.2f} ms over the SLA {rules.sla_s * 1000:.2f} ms")
    if len(served) < len(latencies):
        reasons.append(f"{len(latencies) - len(served)} queries never completed")
    p50, p90, p99 = (float(np.percentile(served, q)) if len(served) else math.nan for q in (50, 90, 99))
    return RateTrial(
        offered_rate=offered,
        achieved_rate=len(served) / span_s if span_s > 0 else 0.0,
        queries=len(served),
        duration_s=span_s,
        p50_s=p50,
        p90_s=p90,
        p99_s=p99,
        p99_bound_s=bound,
        reasons=tuple(reasons),
    )


def search_rate(
    trial: Callable[[float], RateTrial], low: float, high: float, steps: int = 6
) -> tuple[RateTrial | None, list[RateTrial]]:
    """The highest offered rate in [low, high] whose trial is VALID, by bisection on a log scale;
    returns it (None if even `low` fails) and every trial, in the order they ran."""
    tried = [trial(low)]
    best = tried[0] if tried[0].valid else None
    if best is None:
        return None, tried
    top = trial(high)
    tried.append(top)
    if top.valid:
        return top, tried
    for _ in range(steps):
        middle = math.sqrt(low * high)
        attempt = trial(middle)
        tried.append(attempt)
        if attempt.valid:
            low, best = middle, attempt
        else:
            high = middle
    return best, tried
