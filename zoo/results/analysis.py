"""Reading the history: export the latest results, and compare two runs configuration by configuration."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from zoo.measure.latency import Measurement
from zoo.results.store import ResultsStore, as_row

# How many decimals the committed export keeps: enough for the cards, stable under reruns of `zoo docs`.
_DECIMALS = 4


def latest_measurements(store: ResultsStore, run_id: int | None = None) -> list[Measurement]:
    """The newest measurement of each configuration (within one run, or over the whole history)."""
    latest: dict[str, Measurement] = {}
    for measurement in store.measurements(run_id):
        latest[measurement.config.key] = measurement
    return list(latest.values())


def results_frame(measurements: list[Measurement]) -> pd.DataFrame:
    frame = pd.DataFrame([as_row(m) for m in measurements])
    if frame.empty:
        return frame
    return frame.sort_values(["model", "backend", "precision", "batch", "threads"]).reset_index(drop=True)


def export(store: ResultsStore, out_dir: Path, run_id: int | None = None, fmt: str = "csv") -> list[Path]:
    """Write `latency.csv` (or `.json`) and `environments.json`: what model cards render from."""
    measurements = latest_measurements(store, run_id)
    frame = results_frame(measurements).round(_DECIMALS)
    out_dir.mkdir(parents=True, exist_ok=True)
    table = out_dir / f"latency.{fmt}"
    if fmt == "csv":
        frame.to_csv(table, index=False)
    else:
        frame.to_json(table, orient="records", indent=2)
    # Every machine a committed result names: latency rows here, accuracy rows from `zoo eval`.
    ids = {m.environment["id"] for m in measurements if m.environment.get("id")}
    ids |= {row["environment"] for row in store.accuracy() if row.get("environment")}
    environments_path = out_dir / "environments.json"
    environments_path.write_text(json.dumps(store.environments(ids), indent=2, sort_keys=True) + "\n")
    return [table, environments_path]


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

    @property
    def regression(self) -> bool:
        return self.significant and self.ratio > 1


def compare(
    store: ResultsStore, baseline_run: int, candidate_run: int, threshold: float = 0.05, alpha: float = 0.01
) -> list[Comparison]:
    """Per configuration in both runs: a change is significant when a Mann-Whitney U test on the
    raw samples says so (p < alpha) and the medians differ by more than `threshold`."""
    from scipy.stats import mannwhitneyu

    baseline = {m.config.key: m for m in latest_measurements(store, baseline_run) if m.stats}
    candidate = {m.config.key: m for m in latest_measurements(store, candidate_run) if m.stats}
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
        comparisons.append(
            Comparison(key, old.stats.median_ms, new.stats.median_ms, ratio, p_value, significant, comparable)
        )
    return comparisons
