"""The latency scenario: one request at a time, timed until the median is trusted.

This runs inside the process that measures (see `zoo.measure.worker`): one configuration per
process, so no two backends' thread pools share it.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from zoo.measure.inputs import preprocessed_batch
from zoo.measure.noise import ContentionProbe
from zoo.measure.scenarios import register_scenario
from zoo.measure.scenarios._common import load, peak_rss_mb
from zoo.results.records import LatencyRecord, Status
from zoo.results.stats import Stats
from zoo.spec import RunSpec, Timing

__all__ = ["measure_latency", "time_iterations"]


def time_iterations(
    run: Callable[[], Any], timing: Timing, clock: Callable[[], float] = time.perf_counter
) -> tuple[list[float], bool]:
    """Warm up, then time `run()` until the minimums are met and the median's CI is narrow.

    Returns the per-iteration seconds and whether the confidence target was met before
    `max_time_s` ran out. Nothing but the call and the clock is inside the timed path.
    """
    warmup_end = clock() + timing.warmup_s
    for _ in range(3):
        run()
    while clock() < warmup_end:
        run()

    samples: list[float] = []
    started = clock()
    next_check = timing.min_iterations
    while True:
        begin = clock()
        run()
        end = clock()
        samples.append(end - begin)
        elapsed = end - started
        if len(samples) >= next_check and elapsed >= timing.min_time_s:
            if Stats.from_seconds(samples).ci_relative_width <= timing.target_ci:
                return samples, True
            next_check = len(samples) + max(10, len(samples) // 10)  # sorting every iteration would cost
        if elapsed >= timing.max_time_s and len(samples) >= 2:
            return samples, False


@register_scenario("latency", LatencyRecord)
def measure_latency(spec: RunSpec, environment: dict[str, Any]) -> LatencyRecord:
    """One request at a time: load, the first inference, then the steady state until its median is trusted."""
    inputs = preprocessed_batch(spec.data, spec.batch)  # the model's own preprocessing
    loaded = load(spec, inputs)
    probe = ContentionProbe()
    samples, converged = time_iterations(lambda: loaded.backend.infer(inputs), spec.timing)
    contention = probe.stop()
    stats = Stats.from_seconds(samples)
    return LatencyRecord.for_spec(
        spec,
        Status.OK,
        reason=None if converged else f"confidence target not met in {spec.timing.max_time_s:g} s",
        weights=spec.weights.kind,
        load_s=loaded.load_s,
        cache_hit=loaded.cache_hit,
        first_inference_ms=loaded.first_inference_ms,
        stats=stats,
        converged=converged,
        throughput_ips=spec.batch * 1000 / stats.median_ms,
        peak_rss_mb=peak_rss_mb(),
        contention=contention,
        backend_info=loaded.backend.describe(),
        environment=environment,
        samples_ms=tuple(s * 1000 for s in samples),
    )
