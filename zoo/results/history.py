"""A configuration's median over runs, labelled by commit and library versions, with its steps marked.

A step is found as asv finds them: the series is fitted with a piecewise-constant function under an
L1 cost plus a penalty per step (an exact dynamic programme, fine for the few hundred runs a history
holds), and the penalty is the gate's threshold, so a lone run must move by more than the noise to
be a step while a lasting shift may be smaller. Only quiet, converged measurements are fitted:
a contended run would look like a step that never happened (a chart may still show it, marked).
"""

from __future__ import annotations

import itertools
import math
import statistics
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from zoo.results.gate import Noise, threshold
from zoo.results.records import LatencyRecord, Status

__all__ = ["HistoryPoint", "Series", "detect_steps", "history"]

MAX_POINTS = 300  # the newest runs a series keeps: the fit is quadratic in the points
_DEFAULT_SIGMA = 0.02  # relative run-to-run noise assumed when neither a calibration nor the series says


@dataclass(frozen=True)
class HistoryPoint:
    """One run's median of one configuration."""

    run: int
    measured_at: str
    median_ms: float
    git_commit: str | None
    libraries: Mapping[str, str]
    environment: str
    step: bool = False  # the median moved here, against the runs before it
    change: float | None = None  # relative change of the fitted level at a step
    trusted: bool = True  # quiet and converged; an untrusted point is shown, never fitted


@dataclass(frozen=True)
class Series:
    """A configuration on one machine (CPU model, cores and threads) over runs."""

    key: str
    machine: str
    threshold: float
    points: tuple[HistoryPoint, ...] = field(default_factory=tuple)

    @property
    def steps(self) -> list[HistoryPoint]:
        return [point for point in self.points if point.step]


def detect_steps(values: Sequence[float], penalty: float) -> list[int]:
    """Where new levels start: the optimal L1 partition of log(values), `penalty` per step."""
    logs = [math.log(value) for value in values]
    n = len(logs)
    best = [0.0] * (n + 1)  # best[j]: the cost of the first j points
    start = [0] * (n + 1)  # start[j]: where the last segment of that best partition begins
    for end in range(1, n + 1):
        best[end] = math.inf
        for begin in range(end):
            segment = logs[begin:end]
            centre = statistics.median(segment)
            cost = best[begin] + sum(abs(v - centre) for v in segment) + (penalty if begin else 0.0)
            if cost < best[end]:
                best[end], start[end] = cost, begin
    found, end = [], n
    while end > 0:
        if start[end]:
            found.append(start[end])
        end = start[end]
    return sorted(found)


def history(
    records: Iterable[tuple[int, LatencyRecord]],
    noise: Mapping[tuple[str, str], Noise] | None = None,
    untrusted: bool = False,
) -> list[Series]:
    """Every configuration's series from (run id, record) pairs, oldest run first. With `untrusted`,
    contended or unconverged measurements are points too (marked, and left out of the step fit)."""
    grouped: dict[tuple[str, str], list[tuple[int, LatencyRecord]]] = {}
    for run, record in records:
        if record.status == Status.OK and record.stats and (untrusted or _trusted(record)):
            grouped.setdefault((record.key, _machine(record)), []).append((run, record))
    series = []
    for (key, machine), points in sorted(grouped.items()):
        points = sorted(points, key=lambda pair: pair[0])[-MAX_POINTS:]
        fitted = [i for i, (_, record) in enumerate(points) if _trusted(record)]
        medians = [record.stats.median_ms for _, record in points if record.stats]
        quiet = [medians[i] for i in fitted]
        limit = _threshold(key, [points[i][1] for i in fitted], quiet, noise or {})
        starts = detect_steps(quiet, limit)
        levels = _levels(quiet, starts) if quiet else []
        change = {fitted[i]: levels[i] / levels[i - 1] - 1 for i in starts}
        series.append(
            Series(
                key,
                machine,
                limit,
                tuple(
                    HistoryPoint(
                        run,
                        record.measured_at,
                        medians[i],
                        record.environment.get("git_commit"),
                        dict(record.environment.get("libraries", {})),
                        str(record.environment.get("id", "")),
                        step=i in change,
                        change=change.get(i),
                        trusted=_trusted(record),
                    )
                    for i, (run, record) in enumerate(points)
                ),
            )
        )
    return series


def _trusted(record: LatencyRecord) -> bool:
    return record.converged and not record.contended


def _machine(record: LatencyRecord) -> str:
    environment = record.environment
    return f"{environment.get('cpu_model', '?')}, {environment.get('logical_cores', '?')} cores"


def _threshold(
    key: str,
    records: Sequence[LatencyRecord],
    medians: Sequence[float],
    noise: Mapping[tuple[str, str], Noise],
) -> float:
    """The gate's threshold from the newest calibration of this configuration, else from the series
    itself (the spread of successive differences, which a step barely moves)."""
    for record in reversed(records):
        calibration = noise.get((str(record.environment.get("id", "")), key))
        if calibration is not None:
            return threshold(calibration)
    if len(medians) >= 3:
        differences = [abs(math.log(b / a)) for a, b in itertools.pairwise(medians)]
        sigma = 1.4826 * statistics.median(differences) / math.sqrt(2)
    else:
        sigma = _DEFAULT_SIGMA
    return threshold(Noise("", key, len(medians), max(sigma, _DEFAULT_SIGMA / 4)))


def _levels(values: Sequence[float], starts: Sequence[int]) -> list[float]:
    """The fitted level (the segment's median) at every point."""
    bounds = [0, *starts, len(values)]
    levels: list[float] = []
    for begin, end in itertools.pairwise(bounds):
        levels += [statistics.median(values[begin:end])] * (end - begin)
    return levels
