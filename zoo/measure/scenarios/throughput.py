"""The throughput scenario: how many images per second a backend serves, counted over a fixed window.

Each runtime serves many images its own way. A backend that declares `NATIVE_THROUGHPUT` (OpenVINO:
`PERFORMANCE_HINT=THROUGHPUT` and its optimal number of asynchronous requests) is measured as it is.
For the others (ONNX Runtime, torch) the scenario searches how to serve: one session, and with two
threads or more also two parallel sessions splitting the thread budget; for each, batches 1, 2, 4,
8, ... up to the spec's batch (at least `SWEEP_UP_TO`), each served for a short probe after a
warm-up. The doubling stops once a doubled batch serves less than `MIN_GAIN` more images/s than the
batch before it: images/s against batch rises and then levels off, so past that point a larger batch
buys nothing the probe can tell apart from its noise. The best candidate's sessions, already loaded
and warm, then serve the full window. Images/s is always counted (images completed / window), never
`1000 / median`, and the requests' latency percentiles under that load are reported beside it.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from zoo.measure.inputs import preprocessed_batch
from zoo.measure.noise import ContentionProbe
from zoo.measure.scenarios import register_scenario
from zoo.measure.scenarios._common import load, peak_rss_mb
from zoo.results.records import LatencyRecord, Status
from zoo.results.stats import Stats
from zoo.spec import RunSpec

if TYPE_CHECKING:
    from zoo.backends import Backend, Served

__all__ = ["MIN_GAIN", "SWEEP_UP_TO", "measure_throughput"]

SWEEP_UP_TO = 8  # the largest batch tried when the spec asks for less
PROBE_WINDOW_S = 0.75  # how long each candidate is served while choosing
MIN_GAIN = 0.05
"""A doubled batch must serve at least this much more (relative) to go on doubling. A gain below it is
within what one short probe resolves, and not worth the doubled batch's longer requests either."""


@dataclass(frozen=True)
class _Candidate:
    batch: int
    streams: int


def _serve_parallel(backends: list[Backend], inputs: Any, window_s: float) -> Served:
    """Each backend (one session per stream) serves in its own thread for the same window."""
    from zoo.backends import Served

    if len(backends) == 1:
        return backends[0].serve(inputs, window_s)
    results: list[Served] = []
    lock = threading.Lock()

    def stream(backend: Backend) -> None:
        served = backend.serve(inputs, window_s)
        with lock:
            results.append(served)

    threads = [threading.Thread(target=stream, args=(backend,)) for backend in backends]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    seconds = max(time.perf_counter() - started, max(r.seconds for r in results))
    latencies = [latency for r in results for latency in r.latencies_s]
    return Served(sum(r.images for r in results), seconds, latencies, sum(r.requests for r in results))


def _batches(spec: RunSpec) -> list[int]:
    batches = []
    batch = 1
    while batch <= max(spec.batch, SWEEP_UP_TO):
        batches.append(batch)
        batch *= 2
    return batches


@dataclass(frozen=True)
class _Sessions:
    """The loaded sessions of one candidate, its inputs, and what loading them cost."""

    candidate: _Candidate
    backends: list[Backend]
    inputs: Any
    load_s: float
    cache_hit: bool | None
    first_inference_ms: float


def _loaded(spec: RunSpec, candidate: _Candidate) -> _Sessions:
    """The sessions of one candidate, each with its share of the thread budget."""
    stream_spec = spec.with_(batch=candidate.batch, threads=max(spec.threads // candidate.streams, 1))
    inputs = preprocessed_batch(spec.data, candidate.batch)
    sessions = [load(stream_spec, inputs) for _ in range(candidate.streams)]
    return _Sessions(
        candidate,
        [s.backend for s in sessions],
        inputs,
        sum(s.load_s for s in sessions),
        sessions[0].cache_hit,
        sessions[0].first_inference_ms,
    )


def _search(spec: RunSpec) -> tuple[_Sessions, list[dict[str, Any]]]:
    """The candidate serving the most images/s in a probe, its sessions kept loaded, and every probe.

    Per number of sessions, the batch doubles while doubling pays more than `MIN_GAIN`; only the best
    candidate so far and the one being probed are held in memory."""
    best: tuple[_Sessions, float] | None = None
    sweep: list[dict[str, Any]] = []
    for streams in [1, 2] if spec.threads >= 2 else [1]:
        previous = None
        for batch in _batches(spec):
            sessions = _loaded(spec, _Candidate(batch, streams))
            _serve_parallel(sessions.backends, sessions.inputs, spec.timing.warmup_s)
            served = _serve_parallel(sessions.backends, sessions.inputs, PROBE_WINDOW_S)
            rate = served.images / served.seconds
            sweep.append({"batch": batch, "streams": streams, "images_per_s": round(rate, 2)})
            if best is None or rate > best[1]:
                best = (sessions, rate)
            del sessions  # released here unless it is the best so far
            if previous is not None and rate < previous * (1 + MIN_GAIN):
                break
            previous = rate
    assert best is not None
    return best[0], sweep


@register_scenario("throughput", LatencyRecord)
def measure_throughput(spec: RunSpec, environment: dict[str, Any]) -> LatencyRecord:
    """Images per second served, counted over a fixed window (the runtime's own way, or the best batch).

    How to serve is chosen first (the runtime's own way, or the best batch and sessions), then images
    are counted over a fixed window of `timing.min_time_s` (at least one second) after a warm-up."""
    from zoo.backends import backend_class

    window_s = max(spec.timing.min_time_s, 1.0)
    sweep: list[dict[str, Any]] = []
    if backend_class(spec.backend).NATIVE_THROUGHPUT:
        sessions = _loaded(spec, _Candidate(spec.batch, 1))
    else:
        sessions, sweep = _search(spec)
    backends, inputs, chosen = sessions.backends, sessions.inputs, sessions.candidate
    _serve_parallel(backends, inputs, spec.timing.warmup_s)
    probe = ContentionProbe()
    served = _serve_parallel(backends, inputs, window_s)
    contention = probe.stop()
    stats = Stats.from_seconds(served.latencies_s)
    return LatencyRecord.for_spec(
        spec,
        Status.OK,
        weights=spec.weights.kind,
        load_s=sessions.load_s,
        cache_hit=sessions.cache_hit,
        first_inference_ms=sessions.first_inference_ms,
        stats=stats,
        converged=True,  # a counted window: no confidence target to meet
        throughput_ips=served.images / served.seconds,
        peak_rss_mb=peak_rss_mb(),
        serving={
            "batch": chosen.batch,
            "streams": chosen.streams,
            "requests_in_flight": served.requests,
            "window_s": round(served.seconds, 3),
            "images": served.images,
            "sweep": sweep,
        },
        contention=contention,
        backend_info=backends[0].describe(),
        environment=environment,
        samples_ms=tuple(s * 1000 for s in served.latencies_s),
    )
