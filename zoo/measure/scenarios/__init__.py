"""Scenarios: what is measured about a loaded model. Each shares the load helper in `_common`.

`latency` and `throughput` time one configuration in its own process (`zoo.measure.worker`);
`accuracy` and `agreement` run the bundled photos or an image folder through several backends.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from zoo.results.records import LatencyRecord
from zoo.spec import RunSpec, Scenario

__all__ = ["run_scenario"]


def run_scenario(spec: RunSpec, environment: dict[str, Any]) -> LatencyRecord:
    """Measure `spec` under its scenario, in this process."""
    from zoo.measure.scenarios.latency import measure_latency
    from zoo.measure.scenarios.throughput import measure_throughput

    measures: dict[Scenario, Callable[[RunSpec, dict[str, Any]], LatencyRecord]] = {
        Scenario.LATENCY: measure_latency,
        Scenario.THROUGHPUT: measure_throughput,
    }
    return measures[spec.scenario](spec, environment)
