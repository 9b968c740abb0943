"""The committed results export (`benchmarks/results/`), read once for every card.

A missing file is not an error: the cards then say "not measured yet". A file that lacks a column
the cards show is an error, because rendering it would silently drop a measurement, except for the
columns later schemas added (`_ADDED`): an older export lacks them, and they read as their default.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from zoo._errors import ZooError
from zoo.cards._format import is_missing
from zoo.index import display_path

# The columns (of those `benchmarks/results/README.md` defines) that the cards show, and the
# columns that order a model's rows.
_TABLES: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "latency": (
        (
            "model",
            "backend",
            "precision",
            "batch",
            "threads",
            "status",
            "reason",
            "weights",
            "median_ms",
            "converged",
            "p90_ms",
            "throughput_ips",
            "load_s",
            "first_inference_ms",
            "environment",
        ),
        ("backend", "precision", "scenario", "batch", "threads"),
    ),
    "accuracy": (
        (
            "model",
            "backend",
            "precision",
            "dataset",
            "images",
            "weights",
            "top1",
            "top1_ci_low",
            "top1_ci_high",
            "top5",
            "environment",
        ),
        ("dataset", "backend", "precision"),
    ),
    "agreement": (
        (
            "model",
            "backend",
            "precision",
            "weights",
            "reference",
            "images",
            "top1_agreement",
            "max_abs_diff",
            "mean_abs_diff",
            "status",
            "reason",
        ),
        ("backend", "precision"),
    ),
    "validation": (("model", "field", "declared", "measured", "convention", "verdict", "detail"), ()),
    "server": (
        (
            "model",
            "backend",
            "precision",
            "batch",
            "threads",
            "status",
            "reason",
            "verdict",
            "reasons",
            "sla_ms",
            "sla_source",
            "max_rate_ips",
            "achieved_ips",
            "p99_ms",
            "p99_bound_ms",
            "queries",
            "served_by",
            "environment",
        ),
        ("backend", "precision", "batch", "threads"),
    ),
}

# Columns a table gained after its first export, and what a row from before them reads as.
_ADDED: dict[str, dict[str, Any]] = {
    "latency": {
        "scenario": "latency",  # before the throughput scenario, every row timed one request at a time
        "serve_batch": None,
        "serve_streams": None,
        "serve_requests": None,
        "contended": None,
        "calibration": None,
    },
    "agreement": {"max_rel_diff": None},
}
# Columns that hold True or False: a CSV cell may carry them as text when the column mixes types.
_FLAGS = ("converged", "contended", "cache_hit")

Row = Mapping[str, Any]


class ResultsError(ZooError):
    """A results file the cards cannot render from."""


@dataclass(frozen=True)
class Results:
    """Rows per table and model (missing values are None), and the environments they name."""

    folder: Path
    rows: Mapping[str, Mapping[str, tuple[Row, ...]]] = field(default_factory=dict)
    environments: Mapping[str, Any] = field(default_factory=dict)

    def of(self, table: str, model: str) -> tuple[Row, ...]:
        """The rows of `table` (latency, accuracy, agreement, validation, server) about `model`."""
        return self.rows.get(table, {}).get(model, ())

    def weights(self, model: str) -> tuple[str, ...]:
        """The weights the measurements of `model` ran with (`packaged`, `random`, ...)."""
        found = {row["weights"] for table in self.rows for row in self.of(table, model) if row.get("weights")}
        return tuple(sorted(found))


def load_results(folder: Path | str) -> Results:
    """Read every results file that exists in `folder`; none at all is a valid (empty) export."""
    folder = Path(folder)
    if folder.exists() and not folder.is_dir():
        raise ResultsError(f"{display_path(folder)}: not a folder of results")
    rows = {
        table: _read_table(folder / f"{table}.csv", *spec, _ADDED.get(table, {}))
        for table, spec in _TABLES.items()
    }
    return Results(folder, rows, _read_environments(folder / "environments.json"))


def _read_table(
    path: Path, columns: tuple[str, ...], order: tuple[str, ...], added: Mapping[str, Any]
) -> dict[str, tuple[Row, ...]]:
    if not path.is_file():
        return {}
    import pandas as pd

    try:
        frame = pd.read_csv(path)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as error:
        raise ResultsError(f"{display_path(path)}: cannot read CSV: {' '.join(str(error).split())}") from None
    missing = [column for column in columns if column not in frame.columns]
    if missing:
        raise ResultsError(f"{display_path(path)}: missing column(s) {', '.join(missing)}")
    by_model: dict[str, list[dict[str, Any]]] = {}
    for record in frame.to_dict("records"):
        row = {str(key): None if is_missing(value) else value for key, value in record.items()}
        row.update({key: default for key, default in added.items() if row.get(key) is None})
        row.update({key: _flag(row[key]) for key in _FLAGS if key in row})
        by_model.setdefault(str(row["model"]), []).append(row)
    for model_rows in by_model.values():  # stable: rows equal in `order` keep the file's order
        model_rows.sort(key=lambda row: tuple(_sortable(row.get(key)) for key in order))
    return {model: tuple(model_rows) for model, model_rows in by_model.items()}


def _flag(value: Any) -> bool | None:
    """True or False as written (`True`, `true`, `1`), None when not recorded."""
    if value is None or isinstance(value, bool):
        return value
    return str(value).strip().lower() in ("true", "1", "1.0")


def _sortable(value: Any) -> tuple[int, float | str]:
    """A key that orders numbers as numbers, then text, then missing values, without comparing across."""
    if value is None:
        return (2, "")
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return (0, float(value))
    return (1, str(value))


def _read_environments(path: Path) -> dict[str, Any]:
    if not path.is_file():
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise ResultsError(f"{display_path(path)}: cannot read JSON: {error}") from None
    if not isinstance(data, dict):
        raise ResultsError(f"{display_path(path)}: expected an object of environment id -> description")
    return data
