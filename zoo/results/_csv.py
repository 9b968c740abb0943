"""The committed CSV export: read (older schemas migrated, damage refused by line), merged, checked.

Rows are kept as the text they were committed with, so a value already committed keeps its exact
spelling. A new row replaces the committed row of the same configuration on the same environment,
unless it is worse: a failed, contended or unconverged row never replaces an ok, quiet, converged one.
Each row names the commit and the digest of the measuring code (`zoo.results.provenance`) it came from.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from zoo._errors import ZooError
from zoo.index import display_path
from zoo.results.provenance import code_digest
from zoo.results.records import Status

__all__ = ["PROVENANCE", "check_export", "csv_rows", "csv_text", "merge_rows", "read_export", "stale_rows"]

PROVENANCE = ("environment", "git_commit", "code_digest")
"""Columns every measured row carries after its record's own: where and by which code it was measured."""
# What a column added after a file's first export reads as in an older file's rows.
_MIGRATED = {"scenario": "latency"}
_CONFLICT_MARKS = ("<<<<<<<", "=======", ">>>>>>>", "|||||||")


def read_export(path: Path) -> tuple[list[str], list[dict[str, str]]]:
    """A committed CSV's columns and rows, as text; a damaged file is one line naming its line."""
    import pandas as pd

    try:
        text = path.read_text("utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise ZooError(f"{display_path(path)}: cannot be read ({error})") from None
    for number, line in enumerate(text.splitlines(), 1):
        if line.startswith(_CONFLICT_MARKS):
            raise ZooError(f"{display_path(path)}:{number}: a merge conflict marker; resolve the conflict")
    if not text.strip():
        return [], []
    try:
        frame = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False)
    except (ValueError, pd.errors.ParserError) as error:
        raise ZooError(f"{display_path(path)}: not a CSV export ({' '.join(str(error).split())})") from None
    columns = [str(column) for column in frame.columns]
    if any(column.startswith("Unnamed:") or not column for column in columns):
        raise ZooError(f"{display_path(path)}:1: a header with an empty column name")
    return columns, frame.to_dict("records")


def csv_rows(content: bytes) -> list[dict[str, str]]:
    """The rows of CSV bytes about to be written, as text."""
    import pandas as pd

    rows: list[dict[str, str]] = pd.read_csv(io.BytesIO(content), dtype=str, keep_default_na=False).to_dict(
        "records"
    )
    return rows


def csv_text(rows: Sequence[dict[str, Any]], columns: Sequence[str]) -> list[dict[str, str]]:
    """New rows as the text a CSV export spells them with (what reading the file back gives)."""
    import pandas as pd

    buffer = io.StringIO()
    pd.DataFrame(list(rows), columns=list(columns), dtype=object).to_csv(buffer, index=False)
    buffer.seek(0)
    return pd.read_csv(buffer, dtype=str, keep_default_na=False).to_dict("records") if rows else []


def _rank(row: dict[str, str]) -> tuple[bool, bool, bool]:
    """How much a row is to be trusted: ok, then measured on a quiet machine, then converged."""
    return (
        row.get("status", Status.OK) in (Status.OK, ""),
        row.get("contended", "") != "True",
        row.get("converged", "True") != "False",
    )


def merge_rows(
    path: Path,
    rows: Iterable[dict[str, str]],
    columns: Sequence[str],
    key: Sequence[str],
    whole_groups: bool = False,
) -> bytes:
    """The CSV `path` holds once `rows` (oldest first) are merged into it, as bytes to write.

    `whole_groups`: a key's new rows replace all of its old rows (a model validated again).
    """
    old_columns, old = read_export(path) if path.is_file() else ([], [])
    extra = [column for column in old_columns if column not in columns]  # a newer zoo's: kept, not lost
    header = [*columns, *extra]
    merged: dict[tuple[str, ...], list[dict[str, str]]] = {}
    for row in old:
        migrated = {column: row.get(column, _MIGRATED.get(column, "")) for column in header}
        merged.setdefault(tuple(migrated[name] for name in key), []).append(migrated)
    replaced: set[tuple[str, ...]] = set()
    for row in rows:
        complete = {column: row.get(column, "") for column in header}
        group = tuple(complete[name] for name in key)
        if whole_groups:
            merged[group] = [*merged.get(group, []), complete] if group in replaced else [complete]
            replaced.add(group)
        elif group not in merged or _rank(complete) >= _rank(merged[group][-1]):
            merged[group] = [complete]
    ordered = sorted(merged.items(), key=lambda item: item[0])
    return _to_csv([row for _, group in ordered for row in group], header)


def _to_csv(rows: list[dict[str, str]], header: list[str]) -> bytes:
    import pandas as pd

    text: str = pd.DataFrame(rows, columns=header, dtype=str).to_csv(index=False)
    return text.encode("utf-8")


def stale_rows(path: Path, digest: str | None = None) -> tuple[list[str], str | None]:
    """The rows of a committed file that today's measuring code did not produce, one line each, and a
    note when the file predates provenance columns.

    Rows from before rows carried a digest (a file without the `code_digest` column, or rows merged
    from one, with neither a digest nor a commit) cannot be judged: they give the note (a warning, not
    a failure) until they are measured and exported again. A row with another digest is stale, and so
    is one that names its commit but lost its digest.
    """
    columns, rows = read_export(path)
    if not rows or "model" not in columns:
        return [], None
    where = display_path(path)
    if "code_digest" not in columns:
        return [], _predates(where, len(rows))
    before = {id(row) for row in rows if not row["code_digest"] and not row.get("git_commit")}
    digest = digest or code_digest()
    names = ("model", "backend", "precision", "scenario", "batch", "threads")
    named = [name for name in names if name in columns]
    stale = [
        f"{where}:{number}: {' '.join(row[name] for name in named)}: measured by code "
        f"{row['code_digest'] or 'of unknown digest'} (commit {row.get('git_commit') or 'unknown'}); "
        f"today's measuring code is {digest}"
        for number, row in enumerate(rows, 2)
        if row["code_digest"] != digest and id(row) not in before
    ]
    return stale, _predates(where, len(before)) if before else None


def _predates(where: str, count: int) -> str:
    return (
        f"{where}: warning: {count} row(s) carry no code digest (exported before zoo recorded one): "
        "which code measured them is unknown; measure and export them again"
    )


def check_export(folder: Path) -> tuple[list[str], list[str], bool]:
    """What `zoo docs --check` says about a committed export: the problems (stale rows, damaged
    files), the warnings (files that predate provenance), and whether every file could be read."""
    import json

    problems: list[str] = []
    warnings: list[str] = []
    readable = True
    for path in sorted(folder.glob("*.csv")) if folder.is_dir() else []:
        try:
            stale, note = stale_rows(path)
        except ZooError as error:
            problems.append(str(error))
            readable = False
            continue
        problems.extend(stale)
        warnings.extend([note] if note else [])
    environments = folder / "environments.json"
    if environments.is_file():
        try:
            json.loads(environments.read_text("utf-8"))
        except (OSError, ValueError) as error:
            problems.append(f"{display_path(environments)}: not JSON ({' '.join(str(error).split())})")
            readable = False
    return problems, warnings, readable
