"""Reading the history: export the latest results, and compare two runs configuration by configuration."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol, TypeVar

import pandas as pd

from zoo.results._csv import merge_csv
from zoo.results.records import (
    AccuracyRecord,
    AgreementRecord,
    LatencyRecord,
    Status,
    Verdict,
)
from zoo.results.store import ResultsStore

__all__ = ["Comparison", "compare", "export", "latest", "latest_measurements", "results_frame"]

# How many decimals the committed export keeps: enough for the cards, stable under reruns of `zoo docs`.
_DECIMALS = 4
SMOKE_DATASET = "smoke"  # zoo.data's bundled photos: a smoke check, never a committed accuracy


class _Keyed(Protocol):
    def row(self) -> dict[str, Any]: ...


R = TypeVar("R", bound=_Keyed)


def latest(records: Iterable[R], key: Sequence[str]) -> list[R]:
    """The newest record of each key (records come oldest first)."""
    newest: dict[tuple[Any, ...], R] = {}
    for record in records:
        row = record.row()
        newest[tuple(row[name] for name in key)] = record
    return list(newest.values())


def latest_measurements(store: ResultsStore, run_id: int | None = None) -> list[LatencyRecord]:
    """The newest measurement of each configuration (within one run, or over the whole history)."""
    newest: dict[str, LatencyRecord] = {}
    for measurement in store.measurements(run_id):
        newest[measurement.key] = measurement
    return list(newest.values())


def results_frame(measurements: Sequence[LatencyRecord]) -> pd.DataFrame:
    frame = pd.DataFrame([m.row() for m in measurements], columns=list(LatencyRecord.COLUMNS))
    if frame.empty:
        return frame
    order = ["model", "backend", "precision", "scenario", "batch", "threads"]
    return frame.sort_values(order).reset_index(drop=True)


def export(store: ResultsStore, out_dir: Path, run_id: int | None = None, fmt: str = "csv") -> list[Path]:
    """The one writer of the committed results: what model cards render from.

    `latency.csv` (or `.json`) holds the newest measurement of each configuration. `accuracy.csv` and
    `agreement.csv` are merged: a row measured now replaces its key's old row and the others stay (they
    may come from another machine, with ImageNet); failed rows and smoke checks never blank a result.
    `environments.json` describes every machine a committed row names. A kind with no record (an
    `eval` run has no latency) leaves its file as it is.
    """
    measurements = latest_measurements(store, run_id)
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    if measurements:  # a run that measured no latency (eval, check-backends) leaves latency.csv alone
        frame = results_frame(measurements).round(_DECIMALS)
        table = out_dir / f"latency.{fmt}"
        if fmt == "csv":
            frame.to_csv(table, index=False)
        else:
            frame.to_json(table, orient="records", indent=2)
        written.append(table)
    accuracy = [r for r in store.accuracy(run_id) if r.status != Status.FAILED and r.dataset != SMOKE_DATASET]
    agreement = [r for r in store.agreement(run_id) if r.status != Status.FAILED]
    for name, records, cls in (
        ("accuracy.csv", accuracy, AccuracyRecord),
        ("agreement.csv", agreement, AgreementRecord),
    ):
        if records:
            rows = [r.row() for r in latest(records, cls.KEY)]
            written.append(merge_csv(rows, out_dir / name, cls.COLUMNS, cls.KEY))
    verdicts = _latest_validation(store.verdicts(run_id))
    if verdicts:  # a model validated again replaces all of its rows
        rows = [v.row() for v in verdicts]
        written.append(merge_csv(rows, out_dir / "validation.csv", Verdict.COLUMNS, Verdict.KEY))
    environments_path = out_dir / "environments.json"
    _write_environments(store, out_dir, environments_path)
    return [*written, environments_path]


def _latest_validation(verdicts: Sequence[Verdict]) -> list[Verdict]:
    """Each model's verdicts from the newest run that validated it (verdicts come oldest first)."""
    newest: dict[str, list[Verdict]] = {}
    for verdict in verdicts:
        fields = newest.setdefault(verdict.model, [])
        if any(old.field == verdict.field for old in fields):  # a later run: start the model again
            fields.clear()
        fields.append(verdict)
    return [verdict for fields in newest.values() for verdict in fields]


def _write_environments(store: ResultsStore, out_dir: Path, path: Path) -> None:
    """Describe every environment a committed CSV names: from the store, else as already committed."""
    named: set[str] = set()
    for table in ("latency.csv", "accuracy.csv"):
        if (out_dir / table).is_file():
            column = pd.read_csv(out_dir / table, dtype=str, keep_default_na=False).get("environment")
            named |= set(column) - {""} if column is not None else set()
    known = json.loads(path.read_text()) if path.is_file() else {}
    known.update(store.environments(named))
    path.write_text(
        json.dumps({k: v for k, v in known.items() if k in named}, indent=2, sort_keys=True) + "\n"
    )


@dataclass(frozen=True)
class Comparison:
    """One configuration in two runs: the ratio of medians and whether the change is real."""

    key: str
    baseline_ms: float
    candidate_ms: float
    ratio: float
    p_value: float | None
    significant: bool
    comparable: bool  # both measured on environments with the same fingerprint
    reliable: bool = True  # neither was measured while other work took the CPU

    @property
    def regression(self) -> bool:
        return self.significant and self.reliable and self.ratio > 1


def compare(
    store: ResultsStore, baseline_run: int, candidate_run: int, threshold: float = 0.05, alpha: float = 0.01
) -> list[Comparison]:
    """Per configuration in both runs: a change is significant when a Mann-Whitney U test on the
    raw samples says so (p < alpha) and the medians differ by more than `threshold`."""
    from scipy.stats import mannwhitneyu

    baseline = {m.key: m for m in latest_measurements(store, baseline_run) if m.stats}
    candidate = {m.key: m for m in latest_measurements(store, candidate_run) if m.stats}
    comparisons = []
    for key in sorted(baseline.keys() & candidate.keys()):
        old, new = baseline[key], candidate[key]
        assert old.stats is not None and new.stats is not None
        ratio = new.stats.median_ms / old.stats.median_ms
        p_value = (
            float(mannwhitneyu(old.samples_ms, new.samples_ms).pvalue)
            if len(old.samples_ms) > 1 and len(new.samples_ms) > 1
            else None
        )
        significant = p_value is not None and p_value < alpha and abs(ratio - 1) > threshold
        comparable = old.environment.get("id") == new.environment.get("id")
        reliable = not (old.contended or new.contended)
        comparisons.append(
            Comparison(
                key,
                old.stats.median_ms,
                new.stats.median_ms,
                ratio,
                p_value,
                significant,
                comparable,
                reliable,
            )
        )
    return comparisons
