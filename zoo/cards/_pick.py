"""`zoo pick`: the configuration to deploy under a latency budget, and why each runner-up loses.

The choice is the most accurate point within the budget (ties: the faster, then by name) of each
frontier (environment, thread budget, dataset) the results hold; that point is always on the frontier
of the points the filters keep. Stored results are the committed export by default; a SQLite store
is read by exporting it to a temporary folder with the one exporter, so both read the same rows.
"""

from __future__ import annotations

import math
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from zoo._errors import ZooError
from zoo.cards._frontier import Frontier, Frontiers, Point, results_frontiers
from zoo.cards._results import Results, load_results


class NothingFits(ZooError):
    """No stored configuration meets the request: a finding (exit 1), not bad usage."""

    exit_code = 1


@dataclass(frozen=True)
class Request:
    """What the deployer asks: a p90 budget, and optionally a least top-1, a backend and a precision."""

    max_p90_ms: float
    min_top1: float | None = None
    backend: str | None = None
    precision: str | None = None

    def __post_init__(self) -> None:
        if not math.isfinite(self.max_p90_ms) or self.max_p90_ms <= 0:
            raise ZooError(f"--max-p90-ms must be a positive number of milliseconds, got {self.max_p90_ms}")
        if self.min_top1 is not None and not 0 <= self.min_top1 <= 100:
            raise ZooError(f"--min-top1 is a percentage from 0 to 100, got {self.min_top1}")

    def as_dict(self) -> dict[str, Any]:
        return {
            "max_p90_ms": self.max_p90_ms,
            "min_top1": self.min_top1,
            "backend": self.backend,
            "precision": self.precision,
        }


@dataclass(frozen=True)
class RunnerUp:
    """A point that was not chosen, and the reason."""

    point: Point
    reason: str

    def as_dict(self) -> dict[str, Any]:
        return {**self.point.as_dict(), "reason": self.reason}


@dataclass(frozen=True)
class Pick:
    """The choice within one frontier: the chosen point (None when nothing fits) and the others."""

    frontier: Frontier
    chosen: Point | None
    runners_up: tuple[RunnerUp, ...]

    def as_dict(self) -> dict[str, Any]:
        return {
            "environment": self.frontier.environment,
            "threads": self.frontier.threads,
            "dataset": self.frontier.dataset,
            "chosen": self.chosen.as_dict() if self.chosen else None,
            "runners_up": [runner.as_dict() for runner in self.runners_up],
        }


@dataclass(frozen=True)
class Picks:
    """`zoo pick`'s answer: one pick per frontier, and the configurations that were no points."""

    request: Request
    picks: tuple[Pick, ...]
    frontiers: Frontiers

    @property
    def found(self) -> bool:
        return any(pick.chosen is not None for pick in self.picks)

    def why_nothing(self) -> str:
        """One line: why no configuration meets the request."""
        if not self.picks:
            kinds = "; ".join(self.frontiers.left_out_summary()) or "the results hold no latency"
            return f"no configuration has both a p90 latency and a top-1 of its own ({kinds})"
        fastest = min((p for pick in self.picks for p in pick.frontier.points), key=lambda p: p.order)
        return (
            f"nothing fits a p90 of {self.request.max_p90_ms:g} ms"
            + (f" with top-1 >= {self.request.min_top1:g}%" if self.request.min_top1 is not None else "")
            + _filters(self.request)
            + f"; the fastest configuration measured is {fastest.name} at p90 {fastest.p90_ms:.2f} ms,"
            f" top-1 {fastest.top1:.2f}%"
        )

    def as_dict(self) -> dict[str, Any]:
        return {
            "request": self.request.as_dict(),
            "found": self.found,
            "picks": [pick.as_dict() for pick in self.picks],
            "left_out": [item.as_dict() for item in self.frontiers.left_out],
        }


def pick(results: Results, request: Request) -> Picks:
    """The choice for `request` in every frontier of `results`."""
    found = results_frontiers(results)
    stored = {p.backend for f in found.frontiers for p in f.points} | {i.backend for i in found.left_out}
    if request.backend is not None and request.backend not in stored:
        known = ", ".join(sorted(stored)) or "none"
        raise ZooError(f"--backend {request.backend}: no stored result names it (stored: {known})")
    return Picks(request, tuple(_pick(frontier, request) for frontier in found.frontiers), found)


def stored_results(results: Path, db: Path | None = None) -> Results:
    """The committed export in `results`, or the newest records of the store `db` exported alike."""
    if db is None:
        return load_results(results)
    from zoo.results import export, open_store

    if not db.is_file():
        raise ZooError(f"{db}: no results store there")
    with tempfile.TemporaryDirectory(prefix="zoo-pick-") as folder, open_store(db, readonly=True) as store:
        export(store, Path(folder))
        return load_results(folder)


def _pick(frontier: Frontier, request: Request) -> Pick:
    kept = [p for p in frontier.points if _wanted(p, request) is None]
    fits = [p for p in kept if p.p90_ms <= request.max_p90_ms and _accurate_enough(p, request)]
    chosen = min(fits, key=lambda p: (-p.top1, *p.order), default=None)
    among = Frontier(frontier.environment, frontier.threads, frontier.dataset, tuple(kept))
    runners = tuple(
        RunnerUp(point, _why_not(point, chosen, among, request))
        for point in frontier.points
        if point != chosen
    )
    return Pick(frontier, chosen, runners)


def _wanted(point: Point, request: Request) -> str | None:
    """Why the filters leave `point` out, or None."""
    if request.backend is not None and point.backend != request.backend:
        return f"backend {point.backend}, not {request.backend}"
    if request.precision is not None and point.precision != request.precision:
        return f"precision {point.precision}, not {request.precision}"
    return None


def _accurate_enough(point: Point, request: Request) -> bool:
    return request.min_top1 is None or point.top1 >= request.min_top1


def _why_not(point: Point, chosen: Point | None, among: Frontier, request: Request) -> str:
    unwanted = _wanted(point, request)
    if unwanted:
        return unwanted
    if point.p90_ms > request.max_p90_ms:
        return f"slower than the budget: p90 {point.p90_ms:.2f} ms > {request.max_p90_ms:g} ms"
    if not _accurate_enough(point, request):
        return f"below --min-top1: top-1 {point.top1:.2f}% < {request.min_top1:g}%"
    beaten = among.beaten_by(point)
    if beaten is not None and beaten.dominates(point):
        return f"dominated by {beaten.name} (p90 {beaten.p90_ms:.2f} ms, top-1 {beaten.top1:.2f}%)"
    if beaten is not None:
        return f"ties {beaten.name} (same p90 and top-1), which is named first"
    if chosen is not None and point.top1 < chosen.top1:
        return f"less accurate: top-1 {point.top1:.2f}% < {chosen.top1:.2f}% of {chosen.name}"
    return f"as accurate as the choice and not faster (p90 {point.p90_ms:.2f} ms)"


def _filters(request: Request) -> str:
    wanted = [value for value in (request.backend, request.precision) if value]
    return f" on {' '.join(wanted)}" if wanted else ""
