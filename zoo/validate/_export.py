"""`validation.csv`: the committed verdicts that model cards render from."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from zoo._errors import ZooError
from zoo.validate._verdict import Verdict

VALIDATION_CSV = Path("benchmarks/results/validation.csv")
CSV_COLUMNS = ("model", "field", "declared", "measured", "convention", "verdict", "detail")


def export_csv(verdicts: Sequence[Verdict], path: Path = VALIDATION_CSV) -> Path:
    """Write the verdicts, replacing every earlier row of the models validated now and keeping the rest."""
    import pandas as pd

    new = pd.DataFrame(
        [{c: _cell(getattr(v, c)) for c in CSV_COLUMNS} for v in verdicts], columns=CSV_COLUMNS
    )
    if path.exists():
        old = pd.read_csv(path, dtype=str, keep_default_na=False)
        if list(old.columns) != list(CSV_COLUMNS):
            raise ZooError(f"{path} does not have the validation.csv columns {', '.join(CSV_COLUMNS)}")
        new = pd.concat([old[~old["model"].isin(set(new["model"]))], new], ignore_index=True)
    path.parent.mkdir(parents=True, exist_ok=True)
    new.sort_values("model", kind="stable").to_csv(path, index=False)
    return path


def _cell(value: Any) -> Any:
    """A tuple (mean, std) as its numbers joined; a missing value as an empty cell."""
    if isinstance(value, tuple | list):
        return ", ".join(f"{v:g}" if isinstance(v, float) else str(v) for v in value)
    return "" if value is None else value
