"""The local executor: a configuration that hangs or dies is a recorded failure, not a crashed sweep."""

from __future__ import annotations

from zoo.measure.executors import run_in_subprocess
from zoo.measure.latency import BenchConfig


def test_a_configuration_past_its_timeout_is_failed_with_the_reason() -> None:
    config = BenchConfig(
        model="tf_efficientnet_lite0", backend="torch", threads=1, min_time_s=30, max_time_s=30
    )
    result = run_in_subprocess(config, timeout_s=1.0)
    assert (result.status, result.reason) == ("failed", "timed out after 1 s")
    assert result.config == config and result.stats is None
