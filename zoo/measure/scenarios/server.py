"""The server scenario: how much random traffic a backend serves while p99 stays within an SLA.

Requests of one image arrive as a seeded Poisson process at an offered rate, as in MLPerf's server
scenario. Each latency runs from the request's *scheduled* arrival, not from when it was sent, so a
server that falls behind is charged for the queue it built (no coordinated omission). OpenVINO
serves through its `AsyncInferQueue`; ONNX Runtime and torch through a pool of sessions that split
the thread budget (sessions x threads each = `--threads`), fed from one queue. A rate search finds
the highest offered rate whose p99 bound stays within the SLA.

The p99 that decides is LoadGen's early-stopping bound: the smallest latency that the true 99th
percentile stays under with 99% confidence, given how many queries were seen. It is an order
statistic at or above the empirical p99, and it does not exist below about 459 queries, so a run too
short to bound its p99 is INVALID, never a pass.

The SLA is `--sla-ms` when given. Otherwise it is derived in the same worker, before the search: a
short single-stream pass (one request at a time, the configuration's whole thread budget) measures
p99, and the SLA is `SLA_FACTOR` (3) times it. The record says which (`sla_source`).

The search starts from that pass's median m: it serves 1.25/m requests per second, then 0.6 times as many
each time until a rate is VALID, then bisects (log scale) once between it and the INVALID rate above
it, and reports the highest VALID rate. It goes no lower than the least rate that can reach the
minimum query count in time: when that rate fails too, the result is INVALID. Each rate is served
long enough for the rules (5% more than `MIN_DURATION_S` and, on average, 15% more than
`MIN_QUERIES` queries) but never longer than `--max-trial` (30 s by default: the lowest rate searched
is then about 19/s): a configuration too slow to reach the minimums in it is INVALID and says so, and
an INVALID result reports the lowest rate it tried, the nearest to valid. A rate stops early once
more of its requests have finished over the SLA than its p99 bound could tolerate: it is INVALID
whatever the rest would do, so the search's choices are those of the full trials, and most of the
time a long INVALID trial took is saved. The verdict is VALID only when the reported rate is VALID
and the machine was not contended.
"""

from __future__ import annotations

import math
import queue
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np

from zoo.measure.inputs import preprocessed_batch
from zoo.measure.noise import ContentionProbe
from zoo.measure.scenarios import register_scenario
from zoo.measure.scenarios._common import load
from zoo.measure.scenarios.latency import time_iterations
from zoo.results.records import INVALID, VALID, RateTrial, ServerRecord, Status
from zoo.results.stats import Stats
from zoo.spec import RunSpec, Timing

if TYPE_CHECKING:
    from zoo.backends import Backend

__all__ = [
    "MIN_DURATION_S",
    "MIN_QUERIES",
    "SLA_FACTOR",
    "RateTrial",
    "Replay",
    "Server",
    "ServerRules",
    "SessionPool",
    "early_stopping_bound",
    "judge",
    "measure_server",
    "poisson_arrivals",
    "replay",
    "search_rate",
    "tolerated_over",
]

PERCENTILE = 0.99
CONFIDENCE = 0.99  # LoadGen's early-stopping confidence
MIN_DURATION_S = 3.0
MIN_QUERIES = 500  # above the ~459 that a 99% bound of the 99th percentile needs at all
SLA_FACTOR = 3.0  # the default SLA: three times the single-stream p99 (documented in the README)
QUERY_MARGIN = 1.15  # a trial expects this many times MIN_QUERIES: a Poisson count rarely falls short
DURATION_MARGIN = 1.05  # and lasts this many times MIN_DURATION_S: the last arrival comes before the end
SEARCH_FROM = 1.25  # the first rate tried, in requests per single-stream median (a pool may beat 1)
SEARCH_DOWN = 0.6  # each next rate, until one is VALID
SEARCH_STEPS = 1  # then bisections between it and the INVALID rate above it
SINGLE_STREAM = Timing(min_time_s=1.0, min_iterations=100, max_time_s=2.0, target_ci=0.02, warmup_s=0.3)


def poisson_arrivals(rate: float, duration_s: float, seed: int) -> np.ndarray:
    """Arrival times (seconds from the start) of a Poisson process of `rate` per second over `duration_s`."""
    rng = np.random.default_rng(seed)
    expected = int(rate * duration_s * 1.2) + 16
    times = np.cumsum(rng.exponential(1.0 / rate, expected))
    while times[-1] < duration_s:  # a rare long draw: extend it from the same stream
        times = np.concatenate([times, times[-1] + np.cumsum(rng.exponential(1.0 / rate, expected))])
    return times[times < duration_s]


def tolerated_over(n: int, percentile: float = PERCENTILE, confidence: float = CONFIDENCE) -> int | None:
    """LoadGen's early-stopping `t` for `n` queries: the most that may lie above the bound, the largest
    t with P(Binomial(n, 1 - percentile) <= t) <= 1 - confidence. None when even t = 0 is too likely
    (too few queries to bound the percentile at all)."""
    from scipy.stats import binom

    if n == 0:
        return None
    t = int(binom.ppf(1 - confidence, n, 1 - percentile))
    while t >= 0 and binom.cdf(t, n, 1 - percentile) > 1 - confidence:
        t -= 1
    return t if t >= 0 else None


def early_stopping_bound(
    latencies: Sequence[float], percentile: float = PERCENTILE, confidence: float = CONFIDENCE
) -> float | None:
    """LoadGen's early-stopping estimate of a latency percentile: the `n - t`-th smallest latency, with
    `t` from `tolerated_over`. None when there are too few queries to bound it."""
    t = tolerated_over(len(latencies), percentile, confidence)
    if t is None:
        return None
    return float(np.sort(np.asarray(latencies))[len(latencies) - t - 1])


@dataclass(frozen=True)
class ServerRules:
    """What makes a server result VALID (after LoadGen's rules, scaled to a CPU run)."""

    sla_s: float
    min_duration_s: float = MIN_DURATION_S
    min_queries: int = MIN_QUERIES
    seed: int = 0
    max_trial_s: float = Timing.max_trial_s  # no rate is served longer than this (`--max-trial`)

    def duration_s(self, rate: float) -> float:
        """How long to serve `rate`: long enough for the minimums, within the ceiling."""
        wanted = max(self.min_duration_s * DURATION_MARGIN, self.min_queries * QUERY_MARGIN / rate)
        return min(wanted, self.max_trial_s)

    def lowest_rate(self) -> float:
        """The rate under which the minimum query count cannot be reached within the ceiling."""
        return self.min_queries * QUERY_MARGIN / self.max_trial_s


class Server(Protocol):
    """Serves requests as they are submitted: `start(done)` readies it and returns `submit(i)`; it calls
    `done(i)` from any thread when request i completes; `drain()` waits for every request."""

    def start(self, done: Callable[[int], None]) -> Callable[[int], None]: ...

    def drain(self) -> None: ...


@dataclass(frozen=True)
class Replay:
    """What one offered rate's schedule gave: each sent request's latency from its scheduled arrival
    (NaN: never completed), the run's span, and how many were scheduled when it stopped early (None:
    every request was sent)."""

    latencies: np.ndarray
    span_s: float
    stopped_of: int | None = None


def replay(arrivals: np.ndarray, server: Server, sla_s: float = math.inf) -> Replay:
    """Send each request at its scheduled time; every latency from that time, and the run's span.

    `submit` may block while the server is saturated: the requests behind it are sent late, and
    their latency still counts from their schedule. Once more requests have finished over `sla_s`
    than a p99 bound within it tolerates (`tolerated_over` of the whole schedule), the rate is
    INVALID whatever follows: nothing more is sent, and the requests in flight are drained.
    """
    completed = np.full(len(arrivals), np.nan)
    tolerated = tolerated_over(len(arrivals)) if math.isfinite(sla_s) else None
    over = 0
    counting = threading.Lock()

    def done(index: int) -> None:
        nonlocal over
        completed[index] = now = time.perf_counter()
        if now - (started + arrivals[index]) > sla_s:
            with counting:
                over += 1

    submit = server.start(done)
    started = time.perf_counter()
    sent = 0
    for arrival in arrivals:
        if tolerated is not None and over > tolerated:
            break
        due = started + arrival
        while (wait := due - time.perf_counter()) > 0:
            time.sleep(wait if wait > 0.002 else 0)  # sleep most of the way, then yield until due
        submit(sent)
        sent += 1
    server.drain()
    span = float(np.nanmax(completed) - started) if sent else 0.0
    latencies = completed[:sent] - (started + arrivals[:sent])
    return Replay(latencies, span, None if sent == len(arrivals) else len(arrivals))


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


def judge(
    offered: float, latencies: np.ndarray, span_s: float, rules: ServerRules, stopped_of: int | None = None
) -> RateTrial:
    """The trial's percentiles, its early-stopping bound, and why it is INVALID, if it is. A trial that
    stopped early (`stopped_of` requests scheduled) is INVALID for that reason alone: its shortfall in
    duration and queries follows from it."""
    served = latencies[~np.isnan(latencies)]
    bound = early_stopping_bound(served)
    reasons = []
    if stopped_of is not None:
        over = int(np.sum(served > rules.sla_s))
        reasons.append(
            f"stopped after {len(latencies)} of {stopped_of} queries: {over} already over the SLA, more than"
            f" the {tolerated_over(stopped_of)} that a p99 bound within it allows"
        )
    else:
        if span_s < rules.min_duration_s:
            reasons.append(f"ran {span_s:.1f} s, under the minimum {rules.min_duration_s:g} s")
        if len(served) < rules.min_queries:
            reasons.append(f"{len(served)} queries, under the minimum {rules.min_queries}")
        if bound is None:
            reasons.append("too few queries to bound p99 (early stopping)")
    if bound is not None and bound > rules.sla_s:
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
    trial: Callable[[float], RateTrial],
    low: float,
    high: float,
    steps: int = SEARCH_STEPS,
    factor: float = SEARCH_DOWN,
) -> tuple[RateTrial | None, list[RateTrial]]:
    """The highest offered rate in [low, high] whose trial is VALID: `high` first, then down by `factor`
    (high rates are the quick ones to serve) until one is VALID, then `steps` bisections (log scale)
    between it and the INVALID rate above it. None when even `low` fails; every trial, in order."""
    tried: list[RateTrial] = []
    rate, invalid_above = high, None
    while True:
        attempt = trial(rate)
        tried.append(attempt)
        if attempt.valid:
            break
        if rate <= low:
            return None, tried
        invalid_above, rate = rate, max(rate * factor, low)
    best = attempt
    for _ in range(steps if invalid_above is not None else 0):
        assert invalid_above is not None
        middle = math.sqrt(best.offered_rate * invalid_above)
        attempt = trial(middle)
        tried.append(attempt)
        if attempt.valid:
            best = attempt
        else:
            invalid_above = middle
    return best, tried


class _Pool:
    """ONNX Runtime and torch: sessions that split the thread budget (sessions x threads = spec.threads)."""

    def __init__(self, spec: RunSpec, inputs: np.ndarray) -> None:
        self.sessions = 2 if spec.threads >= 2 and spec.threads % 2 == 0 else 1
        share = spec.with_(threads=spec.threads // self.sessions)
        self.backends = [load(share, inputs).backend for _ in range(self.sessions)]
        runs = [lambda backend=backend: backend.infer(inputs) for backend in self.backends]
        self.server: Server = SessionPool(runs)
        self.served_by = f"{self.sessions} session(s) x {share.threads} thread(s), one queue"


def _served(spec: RunSpec, backend: Backend, inputs: np.ndarray) -> tuple[Server, str, int, Backend]:
    """The runtime's own asynchronous queue where it has one (OpenVINO's AsyncInferQueue), else a
    pool of sessions sharing the thread budget: (server, how, requests served at once, a backend)."""
    queue = backend.request_queue(inputs)
    if queue is not None:
        return queue, f"{type(backend).__name__}: {queue.describe()}", queue.jobs, backend
    pool = _Pool(spec, inputs)
    return pool.server, pool.served_by, pool.sessions, pool.backends[0]


@register_scenario("server", ServerRecord)
def measure_server(spec: RunSpec, environment: dict[str, Any]) -> ServerRecord:
    """Poisson traffic: the most images/s served with p99 (its early-stopping bound) within the SLA."""
    inputs = preprocessed_batch(spec.data, spec.batch)
    loaded = load(spec, inputs)
    probe = ContentionProbe()  # from the single-stream pass to the last rate served
    single, _ = time_iterations(lambda: loaded.backend.infer(inputs), SINGLE_STREAM)
    stats = Stats.from_seconds(single)
    if spec.sla_ms is not None:
        sla_ms, source = spec.sla_ms, "--sla-ms"
    else:
        sla_ms, source = SLA_FACTOR * stats.p99_ms, f"default: {SLA_FACTOR:g} x single-stream p99"
    rules = ServerRules(sla_s=sla_ms / 1000, seed=0, max_trial_s=spec.timing.max_trial_s)
    server, served_by, at_once, backend = _served(spec, loaded.backend, inputs)

    def trial(rate: float) -> RateTrial:
        arrivals = poisson_arrivals(rate, rules.duration_s(rate), rules.seed)
        served = replay(arrivals, server, rules.sla_s)
        return judge(rate, served.latencies, served.span_s, rules, served.stopped_of)

    high = SEARCH_FROM * 1000 / stats.median_ms  # from requests per second one at a time
    best, tried = search_rate(trial, min(rules.lowest_rate(), high), high)
    contention = probe.stop()
    reported = best or tried[-1]  # none VALID: the lowest rate tried, the nearest to valid
    reasons = list(reported.reasons)
    if contention["contended"]:
        reasons.append(f"machine contended: {contention['reason']}")
    return ServerRecord.for_spec(
        spec,
        Status.OK,
        verdict=INVALID if reasons else VALID,
        reasons=tuple(reasons),
        sla_ms=sla_ms,
        sla_source=source,
        single_stream_p99_ms=stats.p99_ms,
        trial=reported,
        tried=tuple(tried),
        served_by=served_by,
        sessions=at_once,
        load_s=loaded.load_s,
        contention=contention,
        backend_info=backend.describe(),
        environment=environment,
    )
