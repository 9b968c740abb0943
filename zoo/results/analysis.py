"""Reading the history: export the latest results, and compare two runs configuration by configuration."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from zoo._errors import ZooError
from zoo._files import replace_all
from zoo.results._csv import PROVENANCE, csv_rows, csv_text, merge_rows, read_export
from zoo.results.records import (
    EXPORTED,
    Exported,
    LatencyRecord,
    Verdict,
)
from zoo.results.store import ResultsStore

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["Comparison", "compare", "export", "latest_measurements", "results_frame"]

# How many decimals the committed export keeps: enough for the cards, stable under reruns of `zoo docs`.
_DECIMALS = 4


def latest_measurements(store: ResultsStore, run_id: int | None = None) -> list[LatencyRecord]:
    """The newest measurement of each configuration (within one run, or over the whole history)."""
    newest: dict[str, LatencyRecord] = {}
    for measurement in store.measurements(run_id):
        newest[measurement.key] = measurement
    return list(newest.values())


def results_frame(measurements: Sequence[LatencyRecord]) -> pd.DataFrame:
    import pandas as pd  # here, not at import: the everyday commands load this package without pandas

    frame = pd.DataFrame([m.row() for m in measurements], columns=list(LatencyRecord.COLUMNS))
    if frame.empty:
        return frame
    order = ["model", "backend", "precision", "scenario", "batch", "threads"]
    return frame.sort_values(order).reset_index(drop=True)


def export(store: ResultsStore, out_dir: Path, run_id: int | None = None, fmt: str = "csv") -> list[Path]:
    """The one writer of the committed results: what model cards render from.

    Each CSV is merged: a row measured now replaces the committed row of its configuration on the same
    environment, unless it is worse (failed, contended or unconverged against ok, quiet and converged);
    every other committed row stays (it may come from another machine, with ImageNet). Each record type
    in `EXPORTED` has its file and says which of its records belong there (failed accuracy and
    agreement rows and smoke checks never blank a result). Each measured row names the commit and
    the measuring code's digest it came from. `environments.json` describes every machine a committed
    row names. A kind with no record leaves its file as it is. All files are written to temporary
    files first and renamed into place together, so a failure leaves the old export whole.
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    files: dict[Path, bytes] = {}
    if fmt != "csv":  # `--format json`: the newest measurement of each configuration, for other tools
        frame = results_frame(latest_measurements(store, run_id)).round(_DECIMALS)
        files[out_dir / "latency.json"] = frame.to_json(orient="records", indent=2).encode("utf-8")
    for kind in (kind for kind in EXPORTED if fmt == "csv" or kind is not LatencyRecord):
        records = [record for record in store.records(kind, run_id) if record.exported]
        if records:
            path = out_dir / kind.EXPORT
            header = [*kind.COLUMNS, *(column for column in PROVENANCE if column not in kind.COLUMNS)]
            rows = csv_text([_measured_row(record) for record in records], header)
            files[path] = merge_rows(path, rows, header, (*kind.KEY, "environment"))
    verdicts = _latest_validation(store.verdicts(run_id))
    if verdicts:  # a model validated again replaces all of its rows
        path = out_dir / "validation.csv"
        rows = csv_text([v.row() for v in verdicts], Verdict.COLUMNS)
        files[path] = merge_rows(path, rows, Verdict.COLUMNS, Verdict.KEY, whole_groups=True)
    environments_path = out_dir / "environments.json"
    files[environments_path] = _environments(store, out_dir, files, environments_path)
    replace_all(files)
    return list(files)


def _measured_row(record: Exported) -> dict[str, Any]:
    """A record's row (rounded as its type says) with where and by which code it was measured."""
    row = record.row()
    if record.DECIMALS is not None:
        row = {k: round(v, record.DECIMALS) if isinstance(v, float) else v for k, v in row.items()}
    environment = record.environment
    return {
        **row,
        "environment": environment.get("id"),
        "git_commit": environment.get("git_commit"),
        "code_digest": environment.get("code_digest"),
    }


def _latest_validation(verdicts: Sequence[Verdict]) -> list[Verdict]:
    """Each model's verdicts from the newest run that validated it (verdicts come oldest first)."""
    newest: dict[str, list[Verdict]] = {}
    for verdict in verdicts:
        fields = newest.setdefault(verdict.model, [])
        if any(old.field == verdict.field for old in fields):  # a later run: start the model again
            fields.clear()
        fields.append(verdict)
    return [verdict for fields in newest.values() for verdict in fields]


def _environments(store: ResultsStore, out_dir: Path, files: dict[Path, bytes], path: Path) -> bytes:
    """Every environment the exported CSVs name: from the store, else as already committed."""
    named: set[str] = set()
    for kind in EXPORTED:
        target = out_dir / kind.EXPORT
        if target in files:
            rows = csv_rows(files[target])
        elif target.is_file():
            rows = read_export(target)[1]
        else:
            continue
        named |= {row.get("environment", "") for row in rows} - {""}
    try:
        known = json.loads(path.read_text("utf-8")) if path.is_file() else {}
    except (OSError, ValueError) as error:
        raise ZooError(f"{path}: cannot be read as JSON ({' '.join(str(error).split())})") from None
    known = known if isinstance(known, dict) else {}
    known.update(store.environments(named))
    text = json.dumps({k: v for k, v in known.items() if k in named}, indent=2, sort_keys=True) + "\n"
    return text.encode("utf-8")


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
