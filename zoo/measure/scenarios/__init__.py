"""Scenarios by name: what is measured about one model on one backend, each in its own worker process.

A scenario is a module here that registers its run function, as backends register their class:

    @register_scenario("latency", LatencyRecord)
    def measure_latency(spec: RunSpec, environment: dict[str, Any]) -> LatencyRecord: ...

`zoo bench` runs every scenario registered for it (the default command); `zoo eval` and
`zoo check-backends` run theirs (`command=`).
The plan names it in `RunSpec.scenario`; `zoo.measure.worker` runs it in a fresh process and writes
the record with its type's name; the executors decode it through `record_type`, and a worker that
dies becomes that record type's `failed`; the store, the export and `zoo bench` handle any record
type through what it declares (`zoo.results.records.Record`, `Exported`). Adding a scenario is its
module and its name in the import line at the end of this file (and, when its result is of a new
kind, its record type in `zoo.results.records`). A backend that cannot run one says so in
`UNSUPPORTED_SCENARIOS`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from zoo._errors import ZooError
from zoo.results.records import Record
from zoo.spec import RunSpec

__all__ = [
    "RegisteredScenario",
    "record_type",
    "register_scenario",
    "run_scenario",
    "scenario",
    "scenario_names",
]

Run = Callable[[RunSpec, dict[str, Any]], Record]
F = TypeVar("F", bound=Callable[..., Any])


@dataclass(frozen=True)
class RegisteredScenario:
    """A scenario: its name, the record type it produces, and the function a worker calls."""

    name: str
    record: type[Record]
    run: Run
    summary: str  # the first line of the run function's docstring, for `zoo backends` and --help
    command: str = "bench"  # the command that plans it


_SCENARIOS: dict[str, RegisteredScenario] = {}


def register_scenario(name: str, record: type[Record], command: str = "bench") -> Callable[[F], F]:
    """Decorator: `run(spec, environment) -> record` measures scenario `name` in the worker; `command`
    is the one that plans it."""

    def register(run: F) -> F:
        summary = (run.__doc__ or name).strip().splitlines()[0]
        _SCENARIOS[name] = RegisteredScenario(name, record, run, summary, command)
        return run

    return register


def scenario_names(command: str | None = None) -> tuple[str, ...]:
    """Every registered scenario (or those `command` plans), in the order they registered: latency
    first, the default."""
    return tuple(name for name, found in _SCENARIOS.items() if command in (None, found.command))


def scenario(name: str) -> RegisteredScenario:
    if name not in _SCENARIOS:
        raise ZooError(f"unknown scenario {name!r}; scenarios are {', '.join(_SCENARIOS)}")
    return _SCENARIOS[name]


def record_type(kind: str) -> type[Record]:
    """The record type a worker's result names (`Record.KIND`)."""
    for registered in _SCENARIOS.values():
        if kind == registered.record.KIND:
            return registered.record
    raise ZooError(f"a worker returned an unknown record type {kind!r}")


def run_scenario(spec: RunSpec, environment: dict[str, Any]) -> Record:
    """Measure `spec` under its scenario, in this process."""
    return scenario(spec.scenario).run(spec, environment)


from zoo.measure.scenarios import latency, throughput, server, accuracy, agreement  # noqa: E402, F401, I001  (they register)
