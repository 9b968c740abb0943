"""Latency statistics: checked against numpy and against the binomial definition of the median's CI."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import binom

from zoo.results.stats import Stats, median_interval


def test_summary_matches_numpy() -> None:
    rng = np.random.default_rng(0)
    samples = list(rng.lognormal(mean=-5, sigma=0.3, size=501))
    stats = Stats.from_seconds(samples)
    ms = np.array(samples) * 1000
    assert stats.iterations == 501
    assert stats.median_ms == pytest.approx(np.median(ms))
    assert stats.p90_ms == pytest.approx(np.percentile(ms, 90))
    assert stats.p99_ms == pytest.approx(np.percentile(ms, 99))
    assert stats.std_ms == pytest.approx(np.std(ms, ddof=1))
    assert stats.min_ms == pytest.approx(ms.min())
    assert stats.ci_low_ms <= stats.median_ms <= stats.ci_high_ms


@pytest.mark.parametrize("n", [6, 20, 101, 1000])
def test_median_interval_has_at_least_95_percent_coverage(n: int) -> None:
    ordered = [float(i) for i in range(n)]
    low, high = median_interval(ordered)
    # The interval [x_(l), x_(h)] (0-based ranks) covers the median with P(l < K <= h), K ~ Bin(n, 1/2).
    coverage = binom.cdf(int(high), n, 0.5) - binom.cdf(int(low), n, 0.5)
    assert coverage >= 0.95
    assert high - low < n - 1 or n < 10  # and it is not trivially everything once n is large enough


def test_interval_narrows_with_more_samples() -> None:
    rng = np.random.default_rng(1)
    few = Stats.from_seconds(list(rng.normal(0.01, 0.001, 30)))
    many = Stats.from_seconds(list(rng.normal(0.01, 0.001, 3000)))
    assert many.ci_relative_width < few.ci_relative_width / 4
