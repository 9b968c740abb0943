"""`validation.csv`: the committed verdicts that model cards render from."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from zoo.validate._verdict import Verdict

VALIDATION_CSV = Path("benchmarks/results/validation.csv")
CSV_COLUMNS = ("model", "field", "declared", "measured", "convention", "verdict", "detail")


def export_csv(verdicts: Sequence[Verdict], path: Path = VALIDATION_CSV) -> Path:
    """Write the verdicts, replacing every earlier row of the models validated now and keeping the rest."""
    from zoo.results import merge_csv

    rows = [{column: _cell(getattr(v, column)) for column in CSV_COLUMNS} for v in verdicts]
    return merge_csv(rows, path, CSV_COLUMNS, key=["model"])


def _cell(value: Any) -> Any:
    """A tuple (mean, std) as its numbers joined; a missing value as an empty cell."""
    if isinstance(value, tuple | list):
        return ", ".join(f"{v:g}" if isinstance(v, float) else str(v) for v in value)
    return "" if value is None else value
