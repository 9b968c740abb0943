"""The deployer's question: which model, backend and precision meets a latency budget, at what accuracy.

A point is one configuration (model, backend, precision) measured on one environment with one thread
budget: x is its p90 latency one request at a time at batch 1, y its top-1 on a named dataset. The
accuracy is the configuration's own row (same model, backend and precision); a configuration without
one is no point, and no other backend's accuracy is borrowed for it. Random weights have no accuracy,
and a contended latency is left out, as the cards' charts leave it out. Points are compared only
within one environment, thread budget and dataset: across them the comparison would measure machines
or images, not configurations.

A point dominates another when it is no slower and no less accurate, and strictly better in one.
Exact ties are broken by name, so the frontier and every pick are the same on every run.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from zoo.cards._deploy import contended, scenario
from zoo.cards._format import is_missing
from zoo.cards._results import Results, Row
from zoo.results.paired import OVER_BUDGET
from zoo.results.records import Status
from zoo.spec import LATENCY

_NAMED = ("model", "backend", "precision")
_NICE = (1.0, 1.5, 2.0, 3.0, 5.0, 7.0)
"""Budgets are these times a power of ten: the recommended lines read as round figures."""


@dataclass(frozen=True)
class Point:
    """One configuration: its p90 latency (ms) and its top-1 (%), and the rows they came from."""

    model: str
    backend: str
    precision: str
    p90_ms: float
    top1: float
    latency: Row
    accuracy: Row  # its own accuracy row: dataset, images, interval (later: digest, delta, verdict)

    @property
    def name(self) -> str:
        return f"{self.model} {self.backend} {self.precision}"

    @property
    def order(self) -> tuple[float, float, str, str, str]:
        """Faster first, then more accurate, then by name: the deterministic order of every list."""
        return (self.p90_ms, -self.top1, self.model, self.backend, self.precision)

    @property
    def over_budget(self) -> bool:
        """Its accuracy cost against torch fp32 on the same images is over the budget: it may be fast,
        but it lost more accuracy than a deployer accepts (an INT8 model calibrated badly)."""
        return self.accuracy.get("verdict") == OVER_BUDGET

    @property
    def budget_note(self) -> str:
        """What a listing says of an over-budget point, with its Δtop-1 and interval; empty otherwise."""
        if not self.over_budget:
            return ""
        delta, low, high, budget = (
            _float(self.accuracy.get(name))
            for name in ("delta_top1", "delta_top1_ci_low", "delta_top1_ci_high", "budget")
        )
        cost = "" if delta is None else f": Δtop-1 {delta:+.2f} points vs torch fp32"
        if cost and low is not None and high is not None:
            cost += f" [{low:+.2f}, {high:+.2f}]"
        share = "" if budget is None else f" (budget: keep {100 * budget:g}% of its top-1)"
        return f"{OVER_BUDGET}{cost}{share}"

    def dominates(self, other: Point) -> bool:
        no_worse = self.p90_ms <= other.p90_ms and self.top1 >= other.top1
        return no_worse and (self.p90_ms < other.p90_ms or self.top1 > other.top1)

    def as_dict(self) -> dict[str, Any]:
        """The point, with its whole accuracy row: columns the export gains later come along."""
        return {
            "model": self.model,
            "backend": self.backend,
            "precision": self.precision,
            "p90_ms": self.p90_ms,
            "top1": self.top1,
            "over_budget": self.over_budget,
            "accuracy": {key: value for key, value in self.accuracy.items() if key not in _NAMED},
            "environment": self.latency.get("environment"),
            "threads": _int(self.latency.get("threads")),
        }


@dataclass(frozen=True)
class LeftOut:
    """A configuration with a latency that is no point, and why."""

    model: str
    backend: str
    precision: str
    environment: str
    reason: str

    def as_dict(self) -> dict[str, str]:
        return {
            "model": self.model,
            "backend": self.backend,
            "precision": self.precision,
            "environment": self.environment,
            "reason": self.reason,
        }


@dataclass(frozen=True)
class Frontier:
    """The points of one environment, thread budget and dataset, and the Pareto-optimal ones among them."""

    environment: str
    threads: int | None
    dataset: str
    points: tuple[Point, ...]  # in `Point.order`

    @property
    def title(self) -> str:
        threads = "" if self.threads is None else f", {self.threads} threads"
        return f"environment {self.environment}{threads}, top-1 on {self.dataset}"

    @property
    def optimal(self) -> tuple[Point, ...]:
        """The frontier, fastest first: each point more accurate than every faster (or earlier) one."""
        best = -math.inf
        found = []
        for point in self.points:
            if point.top1 > best:
                found.append(point)
                best = point.top1
        return tuple(found)

    def beaten_by(self, point: Point) -> Point | None:
        """The first frontier point that dominates `point` or ties it ahead of it; None on the frontier."""
        if point in self.optimal:
            return None
        return next(
            p for p in self.optimal if p.dominates(point) or (p.p90_ms, p.top1) == (point.p90_ms, point.top1)
        )

    def best_within(self, budget_ms: float) -> Point | None:
        """The most accurate point with a p90 within `budget_ms` (the last frontier point under it)."""
        within = [p for p in self.optimal if p.p90_ms <= budget_ms]
        return within[-1] if within else None

    def budgets(self) -> tuple[tuple[float, Point], ...]:
        """Round latency budgets from the data's own range, each with the frontier's choice under it.

        One budget per frontier point (its p90 rounded up to 1, 1.5, 2, 3, 5 or 7 times a power of
        ten); a budget whose choice a larger budget shadows is dropped.
        """
        chosen: dict[float, Point] = {}
        for point in self.optimal:
            budget = nice_ceiling(point.p90_ms)
            best = self.best_within(budget)
            if best is not None:
                chosen[budget] = best
        pairs = sorted(chosen.items())
        return tuple(pair for i, pair in enumerate(pairs) if i == 0 or pair[1] != pairs[i - 1][1])


@dataclass(frozen=True)
class Frontiers:
    """Every frontier the results give, and the configurations with a latency that are no point."""

    frontiers: tuple[Frontier, ...]
    left_out: tuple[LeftOut, ...]

    def left_out_summary(self) -> tuple[str, ...]:
        """One line per reason: the configurations it leaves out, grouped by model."""
        by_reason: dict[str, dict[str, list[str]]] = {}
        for item in self.left_out:
            models = by_reason.setdefault(item.reason, {})
            models.setdefault(item.model, []).append(f"{item.backend} {item.precision}")
        return tuple(
            f"{reason}: " + "; ".join(f"{model} ({', '.join(configs)})" for model, configs in models.items())
            for reason, models in by_reason.items()
        )


def nice_ceiling(value: float) -> float:
    """The smallest of 1, 1.5, 2, 3, 5, 7 times a power of ten that is at least `value`."""
    power = 10.0 ** math.floor(math.log10(value))
    return next(
        round(step * scale, 10)
        for scale in (power, power * 10)
        for step in _NICE
        if round(step * scale, 10) >= value
    )


def frontiers(latency: Iterable[Row], accuracy: Iterable[Row]) -> Frontiers:
    """The frontiers of `latency.csv` and `accuracy.csv` rows (any models, any order)."""
    own: dict[tuple[str, str, str], list[Row]] = {}
    random: set[tuple[str, str, str]] = set()
    for row in accuracy:
        key = (str(row["model"]), str(row["backend"]), str(row["precision"]))
        if row.get("weights") == "random":
            random.add(key)
        elif not is_missing(row.get("top1")) and row.get("dataset"):
            own.setdefault(key, []).append(row)
    groups: dict[tuple[str, int | None, str], dict[tuple[str, str, str], Point]] = {}
    left_out: list[LeftOut] = []
    for row in sorted(_batch_one(latency), key=_row_order):
        key = (str(row["model"]), str(row["backend"]), str(row["precision"]))
        environment = str(row.get("environment") or "unknown")
        reason = _why_no_point(row, key in random or row.get("weights") == "random", key in own)
        if reason:
            left_out.append(LeftOut(*key, environment, reason))
            continue
        for accuracy_row in own[key]:
            group = groups.setdefault(
                (environment, _int(row.get("threads")), str(accuracy_row["dataset"])), {}
            )
            group.setdefault(
                key, Point(*key, float(row["p90_ms"]), float(accuracy_row["top1"]), row, accuracy_row)
            )
    found = tuple(
        Frontier(environment, threads, dataset, tuple(sorted(points.values(), key=lambda p: p.order)))
        for (environment, threads, dataset), points in sorted(
            groups.items(), key=lambda item: _group_order(item[0])
        )
    )
    return Frontiers(found, tuple(left_out))


def results_frontiers(results: Results) -> Frontiers:
    """The frontiers of a whole results export."""
    tables = results.rows
    return frontiers(
        (row for rows in tables.get("latency", {}).values() for row in rows),
        (row for rows in tables.get("accuracy", {}).values() for row in rows),
    )


def fastest(latency: Iterable[Row]) -> Row | None:
    """The uncontended batch-1 latency row with the smallest p90 (ties by backend and precision)."""
    timed = [
        row
        for row in _batch_one(latency)
        if row.get("status") == Status.OK and not is_missing(row.get("p90_ms")) and not contended(row)
    ]
    return min(timed, key=lambda row: (float(row["p90_ms"]), *_row_order(row)), default=None)


def _batch_one(latency: Iterable[Row]) -> Iterable[Row]:
    """The latency scenario's rows at batch 1: what a single request waits."""
    return (row for row in latency if scenario(row) == LATENCY and _int(row.get("batch")) == 1)


def _why_no_point(row: Row, random: bool, has_accuracy: bool) -> str | None:
    if row.get("status") != Status.OK or is_missing(row.get("p90_ms")):
        return "no p90 latency (the measurement failed)"
    if random:
        return "random weights, so no accuracy"
    if contended(row):
        return "latency measured while the machine was busy (contended)"
    if not has_accuracy:
        return "no accuracy measured on its own backend and precision"
    return None


def _row_order(row: Row) -> tuple[str, ...]:
    return tuple(
        str(row.get(key) or "") for key in ("environment", "model", "backend", "precision", "threads")
    )


def _group_order(key: tuple[str, int | None, str]) -> tuple[str, int, str]:
    environment, threads, dataset = key
    return (environment, -1 if threads is None else threads, dataset)


def _float(value: Any) -> float | None:
    return None if is_missing(value) else float(value)


def _int(value: Any) -> int | None:
    return None if is_missing(value) else int(value)
