"""A regression gate for CI: did the candidate run get slower than the baseline, beyond this machine's noise?

`zoo results compare` says whether two runs differ; the gate says whether a CI job should fail. Its
threshold is not a guess: it comes from the run-to-run noise measured on this machine (the spread of
the medians of repeated, quiet runs of the same configuration, kept per environment by
`calibrate_noise`). A pair it cannot trust (a contended run, another environment or other library
versions, no calibration) is "cannot judge", never "fine".
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum

from zoo.results.records import LatencyRecord, LatencyStatus

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

K_SIGMA = 3.0  # how many standard deviations of the difference of two runs a change must exceed
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
    """The run-to-run spread of one configuration's median in one environment."""

    environment: str
    key: str
    runs: int
    sigma: float  # relative: the standard deviation of run medians over their median (robust, from MAD)


def calibrate_noise(records: Iterable[LatencyRecord]) -> list[Noise]:
    """Each (environment, configuration) measured quietly in at least `MIN_RUNS` runs: its spread."""
    medians: dict[tuple[str, str], list[float]] = {}
    for record in records:
        if _quiet(record) and record.stats is not None:
            environment = str(record.environment.get("id", ""))
            medians.setdefault((environment, record.key), []).append(record.stats.median_ms)
    found = []
    for (environment, key), values in sorted(medians.items()):
        if len(values) >= MIN_RUNS:
            centre = statistics.median(values)
            mad = statistics.median(abs(value / centre - 1) for value in values)
            found.append(Noise(environment, key, len(values), _MAD_TO_SIGMA * mad))
    return found


def threshold(noise: Noise) -> float:
    """The smallest relative change of a median that this noise cannot explain: K sigma of the
    difference of two independent runs (sigma * sqrt 2), and never under `FLOOR`."""
    return max(K_SIGMA * noise.sigma * 2**0.5, FLOOR)


@dataclass(frozen=True)
class GateRow:
    """One configuration in both runs, and the gate's word on it."""

    key: str
    outcome: GateOutcome
    reason: str
    baseline_ms: float | None = None
    candidate_ms: float | None = None
    ratio: float | None = None
    threshold: float | None = None
    p_value: float | None = None


@dataclass(frozen=True)
class GateReport:
    baseline: int
    candidate: int
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
            f"### zoo gate: run {self.candidate} against run {self.baseline}: {verdict}",
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
    baseline_run: int = 0,
    candidate_run: int = 0,
) -> GateReport:
    """Judge each configuration of the baseline run against the candidate run.

    `noise` maps (environment id, configuration key) to its calibration. A configuration that failed
    in the candidate is a regression (it lost what the baseline had); one missing is "cannot judge".
    """
    old = {record.key: record for record in baseline}
    new = {record.key: record for record in candidate}
    rows = [_judge(key, old[key], new.get(key), noise) for key in sorted(old)]
    rows += [
        GateRow(key, GateOutcome.CANNOT_JUDGE, "not in the baseline run") for key in sorted(new.keys() - old)
    ]
    return GateReport(baseline_run, candidate_run, tuple(rows))


def _judge(
    key: str,
    old: LatencyRecord,
    new: LatencyRecord | None,
    noise: Mapping[tuple[str, str], Noise],
) -> GateRow:
    if new is None:
        return GateRow(key, GateOutcome.CANNOT_JUDGE, "not in the candidate run")
    if new.status != LatencyStatus.OK or new.stats is None:
        return GateRow(key, GateOutcome.REGRESSION, f"failed in the candidate: {new.reason}")
    if old.status != LatencyStatus.OK or old.stats is None:
        return GateRow(key, GateOutcome.CANNOT_JUDGE, f"failed in the baseline: {old.reason}")
    measured = {"baseline_ms": old.stats.median_ms, "candidate_ms": new.stats.median_ms}
    ratio = new.stats.median_ms / old.stats.median_ms
    why_not = _incomparable(old, new)
    if why_not:
        return GateRow(key, GateOutcome.CANNOT_JUDGE, why_not, ratio=ratio, **measured)
    calibration = noise.get((str(old.environment.get("id", "")), key))
    if calibration is None:
        reason = "no noise calibration for this configuration here (`zoo results noise`)"
        return GateRow(key, GateOutcome.CANNOT_JUDGE, reason, ratio=ratio, **measured)
    limit = threshold(calibration)
    p_value = _mann_whitney(old.samples_ms, new.samples_ms)
    shifted = p_value is None or p_value < ALPHA
    values = {"ratio": ratio, "threshold": limit, "p_value": p_value, **measured}
    if ratio > 1 + limit and shifted:
        return GateRow(key, GateOutcome.REGRESSION, f"slower by more than {limit:.1%}", **values)
    if ratio < 1 - limit and shifted:
        return GateRow(key, GateOutcome.FASTER, f"faster by more than {limit:.1%}", **values)
    return GateRow(key, GateOutcome.UNCHANGED, f"within ±{limit:.1%} (the noise here)", **values)


def _incomparable(old: LatencyRecord, new: LatencyRecord) -> str:
    """Why two timings cannot be compared at all, or '' when they can."""
    if old.contended or new.contended:
        which = "baseline" if old.contended else "candidate"
        return f"the {which} was measured while the machine was busy (contended)"
    if old.environment.get("id") != new.environment.get("id"):
        before, after = old.environment.get("libraries", {}), new.environment.get("libraries", {})
        changed = sorted(name for name in before.keys() | after.keys() if before.get(name) != after.get(name))
        if changed:
            return "library versions differ: " + ", ".join(
                f"{name} {before.get(name, '-')} -> {after.get(name, '-')}" for name in changed
            )
        return "measured on different environments (CPU, cores, threads or system)"
    return ""


def _quiet(record: LatencyRecord) -> bool:
    return record.status == LatencyStatus.OK and record.converged and not record.contended


def _mann_whitney(old: Sequence[float], new: Sequence[float]) -> float | None:
    from scipy.stats import mannwhitneyu

    if len(old) < 2 or len(new) < 2:
        return None
    return float(mannwhitneyu(old, new).pvalue)


def _ms(value: float | None) -> str:
    return "-" if value is None else f"{value:.3f}"


def _inert(text: str) -> str:
    """A table cell that cannot break the table or carry markup."""
    import html

    return html.escape(text).replace("|", "\\|").replace("\n", " ")
