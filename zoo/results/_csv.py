"""Merging rows into a committed CSV export: the newest row of each key wins, the others stay."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from zoo._errors import ZooError


def merge_csv(rows: Sequence[dict[str, Any]], path: Path, columns: Sequence[str], key: Sequence[str]) -> Path:
    """Write `rows` into `path`, replacing the old rows whose `key` columns match a new row's.

    Old rows are read back as text, so the values already committed keep their exact spelling.
    """
    import pandas as pd

    new = pd.DataFrame(list(rows), columns=list(columns), dtype=object)  # ints stay ints beside blanks
    if path.exists():
        old = pd.read_csv(path, dtype=str, keep_default_na=False)
        if list(old.columns) != list(columns):
            raise ZooError(f"{path} does not have the columns {', '.join(columns)}; it is not zoo's export")
        replaced = old.set_index(list(key)).index.isin(new.astype(str).set_index(list(key)).index)
        new = pd.concat([old[~replaced], new], ignore_index=True)
    path.parent.mkdir(parents=True, exist_ok=True)
    new.sort_values(list(key), kind="stable", key=lambda column: column.astype(str)).to_csv(path, index=False)
    return path
