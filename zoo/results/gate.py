"""A regression gate for CI: did the candidate run get slower than the baseline, beyond this machine's noise?

`zoo results compare` says whether two runs differ; the gate says whether a CI job should fail. Its
threshold is not a guess: it comes from the run-to-run noise measured on this machine (the spread of
the figures of repeated, quiet runs of the same configuration, kept per environment by
`calibrate_noise`). A pair it cannot trust (a contended run, another environment or other library
versions, no calibration) is "cannot judge", never "fine".

On this kind of machine one run's median is not a stable figure. The CPU has slow spells (+10 to
+30% on every call, for seconds to minutes, with no other process in sight), and the speed between
spells wanders by a few percent over minutes. Spells only ever add time, so the gate looks at the
fast end of the timings, which they touch least (the minimum is the robust estimator under such
noise: Chen and Revels, "Robust benchmarking in noisy environments", 2016):
- a run's figure is the `RUN_QUANTILE` (p10) of its samples, steadier than its minimum;
- each side holds one or more runs, interleaved in time with the other side's as asv's `continuous`
  does (`zoo results gate 1,3,5 2,4,6`), so the wandering speed is shared; a side's figure is its
  lowest run figure, so a side is misled only when every one of its runs fell in a spell.
The noise is the spread between successive calibration runs (robust, so spells and slow wandering do
not count in it); the threshold is K sigma of the difference of two sides' lowest figures. Give each
side 3 runs or more where spells are common: one run a side is judged, but a spell can mislead it.
That noise leaves out the wandering between minutes apart, so sides measured more than `MAX_GAP_S`
apart (a baseline from yesterday) cannot be judged: "compare by interleaving, never across runs".
"""

from __future__ import annotations

import datetime
import functools
import itertools
import math
import statistics
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum

from zoo.results.records import LatencyRecord, Status

__all__ = [
    "K_SIGMA",
    "GateOutcome",
    "GateReport",
    "GateRow",
    "Noise",
    "calibrate_noise",
    "gate",
    "threshold",
]

K_SIGMA = 3.0  # how many standard deviations of the difference of two sides' figures a change must exceed
MAX_GAP_S = 600.0  # sides measured further apart than this cannot be judged: the machine's speed moved
RUN_QUANTILE = 10  # the percentile of a run's samples that is its figure
FLOOR = 0.01  # never call a change under 1% a regression, however quiet the machine was
MIN_RUNS = 3  # repeated runs needed before a spread means anything
ALPHA = 0.01  # the Mann-Whitney test on the raw samples must agree that the shift is real
_MAD_TO_SIGMA = 1.4826  # a normal distribution's standard deviation from its median absolute deviation


class GateOutcome(StrEnum):
    UNCHANGED = "unchanged"
    FASTER = "faster"
    REGRESSION = "regression"
    CANNOT_JUDGE = "cannot judge"


@dataclass(frozen=True)
class Noise:
    """The run-to-run spread of one configuration's figure (`RUN_QUANTILE`) in one environment."""

    environment: str
    key: str
    runs: int
    sigma: float  # relative: one run figure's standard deviation, from successive runs (robust, from MAD)


def calibrate_noise(records: Iterable[LatencyRecord]) -> list[Noise]:
    """Each (environment, configuration) measured quietly in at least `MIN_RUNS` runs, oldest first:
    the spread between successive runs' figures (the median absolute change, as a normal sigma)."""
    figures: dict[tuple[str, str], list[float]] = {}
    for record in records:
        if _quiet(record) and record.stats is not None:
            environment = str(record.environment.get("id", ""))
            figures.setdefault((environment, record.key), []).append(_run_figure(record))
    found = []
    for (environment, key), values in sorted(figures.items()):
        if len(values) >= MIN_RUNS:
            changes = [abs(math.log(after / before)) for before, after in itertools.pairwise(values)]
            sigma = _MAD_TO_SIGMA * statistics.median(changes) / math.sqrt(2)
            found.append(Noise(environment, key, len(values), sigma))
    return found


def threshold(noise: Noise, baseline_runs: int = 1, candidate_runs: int = 1) -> float:
    """The smallest relative change between two sides' figures that this noise cannot explain: K sigma
    of the difference of the lowest of `baseline_runs` and the lowest of `candidate_runs` run figures
    (sigma * sqrt 2 for one run a side), and never under `FLOOR`."""
    spread = math.hypot(_lowest_of(baseline_runs), _lowest_of(candidate_runs))
    return max(K_SIGMA * noise.sigma * spread, FLOOR)


@functools.cache
def _lowest_of(runs: int) -> float:
    """The standard deviation of the lowest of `runs` standard normal draws (1 for one draw, 0.75 for
    three), by a fixed-seed simulation: the same answer every time."""
    import numpy as np

    draws = np.random.default_rng(0).standard_normal((200_000, max(runs, 1)))
    return 1.0 if runs <= 1 else float(draws.min(axis=1).std())


@dataclass(frozen=True)
class GateRow:
    """One configuration on both sides, and the gate's word (ms: each side's median, over its runs)."""

    key: str
    outcome: GateOutcome
    reason: str
    baseline_ms: float | None = None
    candidate_ms: float | None = None
    ratio: float | None = None  # the candidate's figure over the baseline's
    threshold: float | None = None
    p_value: float | None = None


@dataclass(frozen=True)
class GateReport:
    baseline: tuple[int, ...]  # the run ids on each side
    candidate: tuple[int, ...]
    rows: tuple[GateRow, ...]

    @property
    def exit_code(self) -> int:
        """0 no regression, 1 a regression, 3 nothing regressed but some pair could not be judged."""
        outcomes = {row.outcome for row in self.rows}
        if GateOutcome.REGRESSION in outcomes:
            return 1
        return 3 if GateOutcome.CANNOT_JUDGE in outcomes or not self.rows else 0

    def markdown(self) -> str:
        """A summary that fits a pull-request comment."""
        verdict = {0: "no regression", 1: "**regression**", 3: "**cannot judge**"}[self.exit_code]
        counts = {outcome: sum(row.outcome == outcome for row in self.rows) for outcome in GateOutcome}
        lines = [
            f"### zoo gate: {_runs(self.candidate)} against {_runs(self.baseline)}: {verdict}",
            "",
            ", ".join(f"{count} {outcome}" for outcome, count in counts.items() if count),
            "",
            "| configuration | baseline ms | candidate ms | change | threshold | verdict |",
            "|---|---:|---:|---:|---:|---|",
        ]
        for row in self.rows:
            change = "-" if row.ratio is None else f"{row.ratio - 1:+.1%}"
            limit = "-" if row.threshold is None else f"±{row.threshold:.1%}"
            lines.append(
                f"| `{_inert(row.key)}` | {_ms(row.baseline_ms)} | {_ms(row.candidate_ms)} | {change} "
                f"| {limit} | {row.outcome}: {_inert(row.reason)} |"
            )
        return "\n".join(lines) + "\n"


def gate(
    baseline: Sequence[LatencyRecord],
    candidate: Sequence[LatencyRecord],
    noise: Mapping[tuple[str, str], Noise],
    baseline_runs: tuple[int, ...] = (),
    candidate_runs: tuple[int, ...] = (),
) -> GateReport:
    """Judge each configuration of the baseline side against the candidate side.

    Each side holds one record per configuration and run (several runs: interleave them with the
    other side's). `noise` maps (environment id, configuration key) to its calibration. A
    configuration that failed in a candidate run is a regression (it lost what the baseline had);
    one missing is "cannot judge".
    """
    old, new = _by_key(baseline), _by_key(candidate)
    rows = [_judge(key, old[key], new.get(key, []), noise) for key in sorted(old)]
    rows += [
        GateRow(key, GateOutcome.CANNOT_JUDGE, "not in the baseline runs") for key in sorted(new.keys() - old)
    ]
    return GateReport(baseline_runs, candidate_runs, tuple(rows))


def _by_key(records: Sequence[LatencyRecord]) -> dict[str, list[LatencyRecord]]:
    grouped: dict[str, list[LatencyRecord]] = {}
    for record in records:
        grouped.setdefault(record.key, []).append(record)
    return grouped


def _judge(
    key: str,
    old: Sequence[LatencyRecord],
    new: Sequence[LatencyRecord],
    noise: Mapping[tuple[str, str], Noise],
) -> GateRow:
    if not new:
        return GateRow(key, GateOutcome.CANNOT_JUDGE, "not in the candidate runs")
    for record in new:
        if record.status != Status.OK or record.stats is None:
            return GateRow(key, GateOutcome.REGRESSION, f"failed in the candidate: {record.reason}")
    for record in old:
        if record.status != Status.OK or record.stats is None:
            return GateRow(key, GateOutcome.CANNOT_JUDGE, f"failed in the baseline: {record.reason}")
    fastest_old, fastest_new = _lowest(old), _lowest(new)
    ratio = _run_figure(fastest_new) / _run_figure(fastest_old)
    row = functools.partial(GateRow, key, baseline_ms=_median(old), candidate_ms=_median(new), ratio=ratio)
    why_not = _incomparable(old, new)
    if why_not:
        return row(GateOutcome.CANNOT_JUDGE, why_not)
    calibration = noise.get((str(old[0].environment.get("id", "")), key))
    if calibration is None:
        return row(
            GateOutcome.CANNOT_JUDGE, "no noise calibration for this configuration here (`zoo results noise`)"
        )
    limit = threshold(calibration, len(old), len(new))
    p_value = _mann_whitney(fastest_old.samples_ms, fastest_new.samples_ms)
    shifted = p_value is None or p_value < ALPHA
    judged = functools.partial(row, threshold=limit, p_value=p_value)
    if ratio > 1 + limit and shifted:
        return judged(GateOutcome.REGRESSION, f"slower by more than {limit:.1%}")
    if ratio < 1 - limit and shifted:
        return judged(GateOutcome.FASTER, f"faster by more than {limit:.1%}")
    return judged(GateOutcome.UNCHANGED, f"within ±{limit:.1%} (the noise here)")


def _incomparable(old: Sequence[LatencyRecord], new: Sequence[LatencyRecord]) -> str:
    """Why two sides' timings cannot be compared at all, or '' when they can."""
    for side, records in (("baseline", old), ("candidate", new)):
        if any(record.contended for record in records):
            return f"the {side} was measured while the machine was busy (contended)"
    environments = {str(record.environment.get("id")) for record in [*old, *new]}
    if len(environments) > 1:
        first = old[0].environment.get("libraries", {})
        for record in [*old, *new]:
            other = record.environment.get("libraries", {})
            changed = sorted(
                name for name in first.keys() | other.keys() if first.get(name) != other.get(name)
            )
            if changed:
                return "library versions differ: " + ", ".join(
                    f"{name} {first.get(name, '-')} -> {other.get(name, '-')}" for name in changed
                )
        return "measured on different environments (CPU, cores, threads or system)"
    gap = _gap_s(old, new)
    if gap > MAX_GAP_S:
        return (
            f"the sides were measured {gap / 60:.0f} min apart: this machine's speed moves more than that "
            "noise between them; measure both together (interleaved, or back to back)"
        )
    return ""


def _gap_s(old: Sequence[LatencyRecord], new: Sequence[LatencyRecord]) -> float:
    """Seconds between the two sides' spans of measurement times (0 when they overlap or one is
    undated)."""
    spans = []
    for records in (old, new):
        times = [_when(record) for record in records]
        known = [time for time in times if time is not None]
        if not known:
            return 0.0
        spans.append((min(known), max(known)))
    (old_first, old_last), (new_first, new_last) = spans
    return max(0.0, (new_first - old_last).total_seconds(), (old_first - new_last).total_seconds())


def _when(record: LatencyRecord) -> datetime.datetime | None:
    try:
        when = datetime.datetime.fromisoformat(record.measured_at)
    except ValueError:
        return None
    return when if when.tzinfo else when.replace(tzinfo=datetime.UTC)  # zoo writes UTC


def _run_figure(record: LatencyRecord) -> float:
    """A run's `RUN_QUANTILE` latency (its median when it kept too few samples)."""
    assert record.stats is not None
    if len(record.samples_ms) < 10:
        return record.stats.median_ms
    return float(statistics.quantiles(record.samples_ms, n=100, method="inclusive")[RUN_QUANTILE - 1])


def _lowest(records: Sequence[LatencyRecord]) -> LatencyRecord:
    """A side's fastest run, by its figure: a slow spell can only raise a run's."""
    return min(records, key=_run_figure)


def _median(records: Sequence[LatencyRecord]) -> float:
    """A side's median, for the reader: the median over its runs of each run's median."""
    return statistics.median(record.stats.median_ms for record in records if record.stats)


def _quiet(record: LatencyRecord) -> bool:
    return record.status == Status.OK and record.converged and not record.contended


def _mann_whitney(old: Sequence[float], new: Sequence[float]) -> float | None:
    from scipy.stats import mannwhitneyu

    if len(old) < 2 or len(new) < 2:
        return None
    return float(mannwhitneyu(old, new).pvalue)


def _runs(ids: tuple[int, ...]) -> str:
    return ("run " if len(ids) == 1 else "runs ") + ", ".join(map(str, ids)) if ids else "the given records"


def _ms(value: float | None) -> str:
    return "-" if value is None else f"{value:.3f}"


def _inert(text: str) -> str:
    """A table cell that cannot break the table or carry markup."""
    import html

    return html.escape(text).replace("|", "\\|").replace("\n", " ")
