"""`zoo validate --write`: put a measured value where the declared one was written, and change nothing else.

Each declared value knows its file and line (`Declared.source`) and its text as written
(`Declared.text`); an edit replaces that text on that line, so every other byte of the file stays.
"""

from __future__ import annotations

import difflib
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from zoo._errors import ZooError
from zoo.index import Declared, Index, normalize_key
from zoo.validate._verdict import FIELDS, Verdict

# What a measurement can be written back for. Accuracy is a measurement on some images, mean and std
# are timm's to state, and a file size estimate is not the file: those are reported, never written.
WRITABLE = ("FLOPs", "Parameters", "File Size", "Image Size", "Crop Pct", "Interpolation")


@dataclass(frozen=True)
class Edit:
    """One value to rewrite: `old` becomes `new` on line `line` of `path`."""

    model: str
    field: str
    key: str
    path: Path
    line: int
    old: str
    new: str


def plan_edits(
    index: Index, verdicts: Iterable[Verdict], fields: Sequence[str]
) -> tuple[list[Edit], list[str]]:
    """The edits that fix the mismatches in `fields` (or `all`), and why each other one asked for is not."""
    wanted = write_fields(fields)
    edits: dict[tuple[Path, int], list[Edit]] = defaultdict(list)
    skipped: list[str] = []
    for verdict in verdicts:
        if verdict.field not in wanted or verdict.verdict != "mismatch":
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
            edits[(edit.path, edit.line)].append(edit)
    planned = []
    for (path, line), same_place in edits.items():
        if len({e.new for e in same_place}) > 1:  # a collection's value that its models measure apart
            models = ", ".join(e.model for e in same_place)
            skipped.append(f"{path}:{line}: not written, it is declared once for {models}, which differ")
        else:
            planned.append(same_place[0])
    return planned, skipped


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
    wanted = set()
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
    path, number = declared.source.path, declared.source.line
    lines = path.read_bytes().splitlines(keepends=True)
    if not 1 <= number <= len(lines):
        return f"{path} has no line {number}"
    if _value_at(lines[number - 1].decode("utf-8"), declared.key, declared.text) is None:
        return f"{declared.text!r} is not written on {path}:{number}"
    new = _text(verdict.measured)
    return Edit(verdict.model, verdict.field, declared.key, path, number, declared.text, new)


def _value_at(line: str, key: str, text: str) -> int | None:
    """Where the value `text` of `key` starts on `line`: the first `text` after the key's colon."""
    key_at = line.find(key)
    colon = line.find(":", key_at + len(key)) if key_at >= 0 else -1
    at = line.find(text, colon + 1) if colon >= 0 else -1
    return None if at < 0 else at


def _text(value: Any) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


def _rewritten(edits: Sequence[Edit]) -> dict[Path, tuple[bytes, bytes]]:
    """Each file's bytes before and after; only the edited text of each edited line differs."""
    by_file: dict[Path, list[Edit]] = defaultdict(list)
    for edit in edits:
        by_file[edit.path].append(edit)
    result = {}
    for path, file_edits in by_file.items():
        before = path.read_bytes()
        lines = before.splitlines(keepends=True)
        for edit in file_edits:
            line = lines[edit.line - 1].decode("utf-8")
            at = _value_at(line, edit.key, edit.old)
            if at is None:
                raise ZooError(f"{path}:{edit.line} changed since it was read; validate again")
            lines[edit.line - 1] = (line[:at] + edit.new + line[at + len(edit.old) :]).encode("utf-8")
        result[path] = (before, b"".join(lines))
    return result
