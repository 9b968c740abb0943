"""One latency measurement: load, first inference, warm-up, then timed iterations until trusted.

This runs inside the process that measures (see `zoo.measure.worker`): one configuration per
process, so no two backends' thread pools share it.
"""

from __future__ import annotations

import datetime
import resource
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from zoo.measure.stats import Stats


@dataclass(frozen=True)
class BenchConfig:
    """One measured configuration and the rules for when its timing is trusted."""

    model: str
    backend: str
    precision: str = "fp32"
    batch: int = 1
    threads: int = 1
    min_time_s: float = 2.0
    min_iterations: int = 20
    max_time_s: float = 15.0
    target_ci: float = 0.02
    warmup_s: float = 0.5
    index: str | None = None
    checkpoint: str | None = None

    @property
    def key(self) -> str:
        """What identifies a configuration across runs (for `--resume` and comparisons)."""
        return f"{self.model}|{self.backend}|{self.precision}|b{self.batch}|t{self.threads}"


@dataclass(frozen=True)
class Measurement:
    """What one configuration gave: a trusted timing, or a failure with its reason."""

    config: BenchConfig
    status: str  # "ok" | "failed"
    reason: str | None = None
    weights: str | None = None
    load_s: float | None = None
    cache_hit: bool | None = None
    first_inference_ms: float | None = None
    stats: Stats | None = None
    converged: bool = False
    throughput_ips: float | None = None
    peak_rss_mb: float | None = None
    backend_info: dict[str, Any] = field(default_factory=dict)
    environment: dict[str, Any] = field(default_factory=dict)
    samples_ms: tuple[float, ...] = ()
    measured_at: str = ""

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Measurement:
        stats = data.get("stats")
        return cls(
            **{
                **data,
                "config": BenchConfig(**data["config"]),
                "stats": Stats(**stats) if stats else None,
                "samples_ms": tuple(data.get("samples_ms", ())),
            }
        )

    @classmethod
    def failed(cls, config: BenchConfig, reason: str, **known: Any) -> Measurement:
        return cls(config=config, status="failed", reason=reason, measured_at=_now(), **known)


def _now() -> str:
    return datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds")


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux reports KiB


def time_iterations(run: Any, inputs: Any, config: BenchConfig) -> tuple[list[float], bool]:
    """Warm up, then time `run(inputs)` until the minimums are met and the median's CI is narrow.

    Returns the per-iteration seconds and whether the confidence target was met before
    `max_time_s` ran out.
    """
    warmup_end = time.perf_counter() + config.warmup_s
    for _ in range(3):
        run(inputs)
    while time.perf_counter() < warmup_end:
        run(inputs)

    samples: list[float] = []
    started = time.perf_counter()
    next_check = config.min_iterations
    while True:
        begin = time.perf_counter()
        run(inputs)
        samples.append(time.perf_counter() - begin)
        elapsed = time.perf_counter() - started
        if len(samples) >= next_check and elapsed >= config.min_time_s:
            if Stats.from_seconds(samples).ci_relative_width <= config.target_ci:
                return samples, True
            next_check = len(samples) + max(10, len(samples) // 10)  # sorting every iteration would cost
        if elapsed >= config.max_time_s and len(samples) >= 2:
            return samples, False


def measure(config: BenchConfig, environment: dict[str, Any]) -> Measurement:
    """Load the model on the backend, time the first inference, then the steady state."""
    from zoo.backends import BackendConfig, create_backend
    from zoo.index import load_index
    from zoo.measure.inputs import preprocessed_batch

    declared = None
    if config.index and Path(config.index).is_file():
        declared = load_index(config.index).models.get(config.model)
    inputs = preprocessed_batch(config.model, config.batch, declared)  # the model's own preprocessing
    backend = create_backend(
        config.backend,
        BackendConfig(
            model=config.model,
            input_size=tuple(inputs.shape[1:]),
            batch=config.batch,
            precision=config.precision,
            threads=config.threads,
            checkpoint=Path(config.checkpoint) if config.checkpoint else None,
            declared=declared,
        ),
    )
    begin = time.perf_counter()
    report = backend.load()
    load_s = time.perf_counter() - begin
    begin = time.perf_counter()
    backend.run(inputs)
    first_ms = (time.perf_counter() - begin) * 1000

    samples, converged = time_iterations(backend.run, inputs, config)
    stats = Stats.from_seconds(samples)
    return Measurement(
        config=config,
        status="ok",
        reason=None if converged else f"confidence target not met in {config.max_time_s:g} s",
        weights=report.weights.kind,
        load_s=load_s,
        cache_hit=report.cache_hit,
        first_inference_ms=first_ms,
        stats=stats,
        converged=converged,
        throughput_ips=config.batch * 1000 / stats.median_ms,
        peak_rss_mb=_peak_rss_mb(),
        backend_info=backend.describe(),
        environment=environment,
        samples_ms=tuple(s * 1000 for s in samples),
        measured_at=_now(),
    )
