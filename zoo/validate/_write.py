"""`zoo validate --write`: put a measured value where the declared one was written, and change nothing else.

Each declared scalar knows the exact span of its text in its file (`Declared.span`: line and columns
of the YAML value node, block or flow style); an edit replaces those characters, keeping their
quotes, so no other key (`Trainable Parameters` beside `Parameters`), comment or model is touched
and every other byte of the file stays. Before writing, the text found there must still be the
declared value.
"""

from __future__ import annotations

import difflib
import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from zoo._errors import ZooError
from zoo.index import Declared, Index, normalize_key
from zoo.results.records import VerdictStatus
from zoo.validate._verdict import FIELDS, Verdict

# What a measurement can be written back for. Accuracy is a measurement on some images, mean and std
# are timm's to state, and a file size estimate is not the file: those are reported, never written.
WRITABLE = ("FLOPs", "Parameters", "File Size", "Image Size", "Crop Pct", "Interpolation")


@dataclass(frozen=True)
class Edit:
    """One value to rewrite: the text `old` in columns `column` to `end_column` of line `line` of
    `path` becomes `new` (quoted as `old` was)."""

    model: str
    field: str
    key: str
    path: Path
    line: int
    column: int
    end_column: int
    old: str
    new: str


def plan_edits(
    index: Index, verdicts: Iterable[Verdict], fields: Sequence[str]
) -> tuple[list[Edit], list[str]]:
    """The edits that fix the mismatches in `fields` (or `all`), and why each other one asked for is not."""
    wanted = write_fields(fields)
    edits: dict[tuple[Path, int, int], list[Edit]] = defaultdict(list)
    skipped: list[str] = []
    for verdict in verdicts:
        if verdict.field not in wanted or verdict.verdict != VerdictStatus.MISMATCH:
            continue
        why_not = _why_not_writable(verdict)
        declared = index.models[verdict.model].metadata.fields.get(normalize_key(verdict.field))
        if why_not is None and declared is None:
            why_not = "it is not declared"
        if why_not is not None:
            skipped.append(f"{verdict.model} {verdict.field}: not written, {why_not}")
            continue
        assert declared is not None
        edit = _edit(verdict, declared)
        if isinstance(edit, str):
            skipped.append(f"{verdict.model} {verdict.field}: not written, {edit}")
        else:
            edits[(edit.path, edit.line, edit.column)].append(edit)
    planned = []
    for (path, line, column), same_place in edits.items():
        sharing = _sharing(index, same_place[0].field, (path, line, column))
        unmeasured = sorted(sharing - {e.model for e in same_place})
        if len({e.new for e in same_place}) > 1:  # a collection's value that its models measure apart
            models = ", ".join(e.model for e in same_place)
            skipped.append(f"{path}:{line}: not written, it is declared once for {models}, which differ")
        elif unmeasured:  # a collection's value: writing it would change models not validated here
            skipped.append(
                f"{path}:{line}: not written, it is also the {same_place[0].field} of "
                f"{', '.join(unmeasured)}; validate them together"
            )
        else:
            planned.append(same_place[0])
    return planned, skipped


def _sharing(index: Index, field: str, place: tuple[Path, int, int]) -> set[str]:
    """The models whose value of `field` is the one declared at `place` (a collection's is inherited)."""
    key = normalize_key(field)
    return {
        model.name
        for model in index.models.values()
        if (declared := model.metadata.fields.get(key)) is not None
        and declared.span is not None
        and (declared.source.path, declared.span.line, declared.span.column) == place
    }


def unified_diff(edits: Sequence[Edit]) -> str:
    """The change the edits make, per file, as `diff -u` shows it."""
    chunks = []
    for path, (before, after) in _rewritten(edits).items():
        old, new = before.decode("utf-8"), after.decode("utf-8")
        lines = difflib.unified_diff(
            old.splitlines(keepends=True), new.splitlines(keepends=True), str(path), str(path)
        )
        chunks.append("".join(lines))
    return "".join(chunks)


def apply_edits(edits: Sequence[Edit]) -> list[Path]:
    """Write the edits; returns the files changed."""
    rewritten = _rewritten(edits)
    for path, (_, after) in rewritten.items():
        path.write_bytes(after)
    return list(rewritten)


def write_fields(fields: Sequence[str]) -> set[str]:
    """The fields named by the user (any spelling of a field name, or `all`); an unknown one is bad input."""
    by_key = {normalize_key(name): name for name in FIELDS}
    wanted: set[str] = set()
    for name in fields:
        if normalize_key(name) == "all":
            wanted.update(WRITABLE)
        elif normalize_key(name) in by_key:
            wanted.add(by_key[normalize_key(name)])
        else:
            raise ZooError(f"--write {name!r}: no such field; fields are all, {', '.join(FIELDS)}")
    return wanted


def _why_not_writable(verdict: Verdict) -> str | None:
    if verdict.field not in WRITABLE:
        return "a measured accuracy or timm's mean/std is reported, never written as a declaration"
    if verdict.measured is None:
        return "nothing was measured"
    if verdict.field == "File Size" and verdict.convention == "estimate":
        return "the size is an estimate (no declared checkpoint on disk)"
    return None


def _edit(verdict: Verdict, declared: Declared) -> Edit | str:
    """The edit for one value, or why its text cannot be found where the index says it was written."""
    span, path = declared.span, declared.source.path
    if span is None:
        return "it is not written once as a plain value (a list, or shared through a YAML anchor or merge)"
    if span.end_line != span.line:
        return f"its value spans {path}:{span.line}-{span.end_line}; edit it by hand"
    edit = Edit(
        verdict.model,
        verdict.field,
        declared.key,
        path,
        span.line,
        span.column,
        span.end_column,
        declared.text,
        _text(verdict.measured),
    )
    lines = _lines(path.read_bytes().decode("utf-8"))
    return edit if _holds(lines, edit) else f"{declared.text!r} is not written at {path}:{span.line}"


_LINE = re.compile(r".*?(?:\r\n|\r|\n|$)", re.DOTALL)


def _lines(text: str) -> list[str]:
    """A file's lines with their ends, as the YAML parser counts them (a byte-order mark is no column)."""
    lines = _LINE.findall(text.removeprefix("\ufeff"))
    if text.startswith("\ufeff"):
        lines[0] = "\ufeff" + lines[0]
    return lines


def _columns(lines: list[str], edit: Edit) -> tuple[int, int] | None:
    """Where the edited value lies on its line, or None when the file has no such place."""
    if not 1 <= edit.line <= len(lines):
        return None
    shift = 1 if edit.line == 1 and lines[0].startswith("\ufeff") else 0
    start, end = edit.column + shift, edit.end_column + shift
    return (start, end) if end <= len(lines[edit.line - 1].rstrip("\r\n")) else None


def _holds(lines: list[str], edit: Edit) -> bool:
    """Whether the value at the edit's place still reads as the declared text."""
    columns = _columns(lines, edit)
    if columns is None:
        return False
    written = lines[edit.line - 1][columns[0] : columns[1]]
    quote = _quote(written)
    if quote:
        inner = written[1:-1]
        return (inner.replace("''", "'") if quote == "'" else inner) == edit.old
    return written == edit.old or _plain_text(written) == edit.old


def _quote(written: str) -> str:
    return written[0] if len(written) >= 2 and written[0] in "'\"" and written[-1] == written[0] else ""


def _plain_text(written: str) -> str | None:
    """A plain scalar's value as the index shows it (`.9` is 0.9), or None if it is not one."""
    try:
        value = yaml.safe_load(written)
    except yaml.YAMLError:
        return None
    return None if isinstance(value, dict | list) else str(value)


def _replacement(written: str, new: str) -> str:
    """`new` in the quotes `written` had; a plain value that YAML would read as something else is quoted."""
    quote = _quote(written)
    if quote == '"' and '"' not in new and "\\" not in new:
        return f'"{new}"'
    if quote or _plain_text(new) != new:
        return "'" + new.replace("'", "''") + "'"
    return new


def _text(value: Any) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


def _rewritten(edits: Sequence[Edit]) -> dict[Path, tuple[bytes, bytes]]:
    """Each file's bytes before and after; only the edited values' characters differ."""
    by_file: dict[Path, list[Edit]] = defaultdict(list)
    for edit in edits:
        by_file[edit.path].append(edit)
    result = {}
    for path, file_edits in by_file.items():
        before = path.read_bytes()
        lines = _lines(before.decode("utf-8"))
        # right to left, so an edit never moves the columns of one still to come on the same line
        for edit in sorted(file_edits, key=lambda e: (e.line, e.column), reverse=True):
            columns = _columns(lines, edit)
            if columns is None or not _holds(lines, edit):
                raise ZooError(f"{path}:{edit.line} changed since it was read; validate again")
            line = lines[edit.line - 1]
            start, end = columns
            lines[edit.line - 1] = line[:start] + _replacement(line[start:end], edit.new) + line[end:]
        result[path] = (before, "".join(lines).encode("utf-8"))
    return result
