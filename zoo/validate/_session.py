"""One `zoo validate`: every verdict, the edits `--write` makes (or would make), kept in the store.

`validate_and_write` is what the command calls; it stores the verdicts as a run (so `zoo results
export` can write `validation.csv`) and applies only the edits that are safe to make.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from zoo.index import Index, Model
from zoo.results.records import Verdict, VerdictStatus
from zoo.validate._checks import TAG_FIELDS
from zoo.validate._run import validate_index
from zoo.validate._verdict import exit_code
from zoo.validate._write import apply_edits, plan_edits, unified_diff, write_fields


@dataclass(frozen=True)
class Validation:
    """What one `zoo validate` found and changed."""

    verdicts: tuple[Verdict, ...]
    diff: str = ""
    written: tuple[str, ...] = ()
    not_written: tuple[str, ...] = ()
    run_id: int | None = None
    exported: tuple[Path, ...] = field(default_factory=tuple)

    @property
    def exit_code(self) -> int:
        return exit_code(self.verdicts)


def validate_and_write(
    index: Index,
    names: list[str] | None = None,
    *,
    checkpoint: Path | None = None,
    write: Sequence[str] = (),
    dry_run: bool = False,
    store: Path | None = None,
    export_to: Path | None = None,
    progress: Callable[[Model], None] | None = None,
) -> Validation:
    """Validate, store the verdicts as a run, export them into `export_to`, and make the safe edits."""
    from zoo.results import export, open_store, recorded_run

    wanted = write_fields(write) if write else set()  # a misspelt field is bad input before any work
    if store is None:
        verdicts = validate_index(index, names, checkpoint=checkpoint, progress=progress)
        run_id = None
    else:
        with open_store(store) as results, recorded_run(results, "validate") as run:
            verdicts = validate_index(index, names, checkpoint=checkpoint, progress=progress)
            for verdict in verdicts:
                results.add_verdict(run.id, verdict)
            run_id = run.id
    exported: tuple[Path, ...] = ()
    if export_to is not None and store is not None:
        with open_store(store, readonly=True) as results:
            exported = tuple(export(results, export_to, run_id))
    if not write:
        return Validation(tuple(verdicts), run_id=run_id, exported=exported)
    writable, held = held_back(verdicts, wanted)
    edits, not_written = plan_edits(index, writable, list(write))
    diff = unified_diff(edits)  # before the files change
    written = () if dry_run else tuple(str(path) for path in apply_edits(edits))
    return Validation(tuple(verdicts), diff, written, (*held, *not_written), run_id, exported)


def held_back(verdicts: Sequence[Verdict], wanted: set[str]) -> tuple[list[Verdict], list[str]]:
    """The verdicts --write may act on, and why each asked-for value that differs is held back: an
    input config of weights not pinned to one timm tag (its value could be any tag's), or a file
    size that only an estimate says is off (an estimate never writes)."""
    pinned = {v.model for v in verdicts if v.field == "Weights" and v.measured is not None}
    writable, held = [], []
    for v in verdicts:
        if v.field in TAG_FIELDS and v.verdict == VerdictStatus.MISMATCH and v.model not in pinned:
            why = "the weights are not pinned to one timm tag"
        elif v.field == "File Size" and v.convention == "estimate" and v.verdict == VerdictStatus.UNKNOWN:
            why = "the size is an estimate (no declared file on disk)"
        else:
            writable.append(v)
            continue
        if v.field in wanted:
            held.append(f"{v.model} {v.field}: not written, {why}")
    return writable, held
