"""Statistics as plain data (after pytest-benchmark's `stats.py`): latency samples and proportions.

The median's confidence interval is distribution-free: the order statistics whose ranks a
Binomial(n, 1/2) puts around the middle. Timings are skewed and heavy-tailed, so a normal
approximation would claim more certainty than the samples give.
"""

from __future__ import annotations

import math
import statistics
from dataclasses import asdict, dataclass
from typing import Any

CONFIDENCE = 0.95


def median_interval(sorted_samples: list[float], confidence: float = CONFIDENCE) -> tuple[float, float]:
    """The `confidence` interval of the median from sorted samples (order-statistic ranks)."""
    n = len(sorted_samples)
    if n < 6:  # too few samples for any rank pair to reach 95%: the interval is everything seen
        return sorted_samples[0], sorted_samples[-1]
    tail = (1 - confidence) / 2
    from scipy.stats import binom

    low_rank = max(int(binom.ppf(tail, n, 0.5)) - 1, 0)
    high_rank = min(int(binom.isf(tail, n, 0.5)), n - 1)
    return sorted_samples[low_rank], sorted_samples[high_rank]


def percentile(sorted_samples: list[float], fraction: float) -> float:
    """Linear-interpolated percentile of sorted samples (numpy's default method)."""
    position = (len(sorted_samples) - 1) * fraction
    low = math.floor(position)
    high = min(low + 1, len(sorted_samples) - 1)
    return sorted_samples[low] + (sorted_samples[high] - sorted_samples[low]) * (position - low)


@dataclass(frozen=True)
class Stats:
    """Summary of one configuration's timed iterations, in milliseconds."""

    iterations: int
    total_s: float
    min_ms: float
    mean_ms: float
    std_ms: float
    median_ms: float
    p90_ms: float
    p99_ms: float
    ci_low_ms: float
    ci_high_ms: float

    @classmethod
    def from_seconds(cls, samples_s: list[float]) -> Stats:
        ordered = sorted(s * 1000 for s in samples_s)
        low, high = median_interval(ordered)
        return cls(
            iterations=len(ordered),
            total_s=sum(samples_s),
            min_ms=ordered[0],
            mean_ms=statistics.fmean(ordered),
            std_ms=statistics.stdev(ordered) if len(ordered) > 1 else 0.0,
            median_ms=statistics.median(ordered),
            p90_ms=percentile(ordered, 0.90),
            p99_ms=percentile(ordered, 0.99),
            ci_low_ms=low,
            ci_high_ms=high,
        )

    @property
    def ci_relative_width(self) -> float:
        """Width of the median's confidence interval as a fraction of the median."""
        return (self.ci_high_ms - self.ci_low_ms) / self.median_ms if self.median_ms else math.inf

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Proportion:
    """`hits` of `total` in percent, with its Wilson score interval (sound at 0%, 100% and small n)."""

    hits: int
    total: int
    percent: float
    low: float
    high: float

    @classmethod
    def of(cls, hits: int, total: int, confidence: float = CONFIDENCE) -> Proportion | None:
        """None for no images: no proportion, rather than a 0% that was never measured."""
        from scipy.stats import binomtest

        if not total:
            return None
        interval = binomtest(hits, total).proportion_ci(confidence_level=confidence, method="wilson")
        return cls(hits, total, 100.0 * hits / total, 100.0 * interval.low, 100.0 * interval.high)
