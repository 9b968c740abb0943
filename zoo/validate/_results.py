"""Declared Top-1/Top-5 against the latest `zoo eval` export (`accuracy.csv`), when there is one."""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

from zoo._errors import ZooError
from zoo.index import Model
from zoo.validate._verdict import Verdict

if TYPE_CHECKING:
    import pandas as pd

ACCURACY_CSV = Path("benchmarks/results/accuracy.csv")
_METRICS = (("Top 1 Accuracy", "top1"), ("Top 5 Accuracy", "top5"))
_NEEDED = {"model", "dataset", "weights", "top1", "top1_ci_low", "top1_ci_high", "top5", "measured_at"}
# An export names the split it ran on ("imagenet-1k", "imagenet-val"); a declaration names the dataset.
_SPLIT_SUFFIX = r"(?:[-_ ]?(?:1k|val|validation|2012|subset|sample))*"


def load_accuracy(path: Path | None = ACCURACY_CSV) -> pd.DataFrame | None:
    """The measured rows of `accuracy.csv` (random weights carry none), or None when there is no file."""
    import pandas as pd

    if path is None or not Path(path).is_file():
        return None
    frame = pd.read_csv(path)
    missing = _NEEDED - set(frame.columns)
    if missing:
        raise ZooError(f"{path} lacks the accuracy.csv columns {sorted(missing)}; it is not zoo's export")
    return frame[(frame["weights"] != "random") & frame["top1"].notna()]


def results(model: Model, accuracy: pd.DataFrame | None) -> list[Verdict]:
    verdicts = []
    for field, column in _METRICS:
        declared = next((r for r in model.results if r.metric(field) is not None), None)
        if declared is None:
            verdicts.append(Verdict(model.name, field, None, None, None, "unknown", "not declared"))
            continue
        row = _latest(accuracy, model.name, declared.dataset or "")
        value = declared.metric(field)
        if row is None or row.get(column) is None or row[column] != row[column]:
            verdicts.append(Verdict(model.name, field, value, None, None, "unknown", "not measured"))
        else:
            verdicts.append(_compare(model.name, field, value, row, column))
    return verdicts


def _compare(model: str, field: str, declared: float, row: dict[str, Any], column: str) -> Verdict:
    """The declaration holds when it lies inside the measurement's 95% interval."""
    measured, low, high = row[column], row.get(f"{column}_ci_low"), row.get(f"{column}_ci_high")
    how = f"zoo eval {row.get('backend')} {row.get('precision')}, {row['weights']} weights"
    images = f"{int(row['images']):,} images of " if row.get("images") == row.get("images") else ""
    where = f"{images}{row['dataset']}, {row['measured_at']}"
    if low is None or high is None or low != low or high != high:
        detail = f"declared {declared:.2f}, measured {measured:.2f} on {where} (no interval to judge by)"
        return Verdict(model, field, declared, measured, how, "unknown", detail)
    holds = low <= declared <= high
    detail = (
        f"declared {declared:.2f} is {'inside' if holds else 'outside'} the measured {measured:.2f} "
        f"[{low:.2f}, {high:.2f}] (95%) on {where}"
    )
    return Verdict(model, field, declared, measured, how, "ok" if holds else "mismatch", detail)


def _latest(accuracy: pd.DataFrame | None, model: str, dataset: str) -> dict[str, Any] | None:
    if accuracy is None:
        return None
    same_data = accuracy["dataset"].astype(str).str.fullmatch(re.escape(dataset) + _SPLIT_SUFFIX, case=False)
    rows = accuracy[(accuracy["model"] == model) & same_data]
    if rows.empty:
        return None
    return rows.sort_values("measured_at").iloc[-1].to_dict()
