"""`zoo validate`: does each declared FLOPs, Parameters, File Size, input config and result hold?"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from zoo._errors import ZooError
from zoo._text import terminal, visible
from zoo.cli._common import add_db_argument, add_index_argument, add_json_argument, print_json, store_path
from zoo.paths import project_paths

if TYPE_CHECKING:
    from zoo.index import Model
    from zoo.validate import Verdict

MARKS = {"ok": "✓", "mismatch": "✗", "unknown": "?", "error": "!"}  # per VerdictStatus (not imported here)


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser(
        "validate",
        help="measure every declared field of each model and say whether it holds",
        description="Build each model on the meta device and measure FLOPs (as flops, macs and the "
        "timm-docs-2021 convention), Parameters and File Size (cached in $ZOO_CACHE/validate); resolve "
        "the declared weights to a timm pretrained tag and check the input config against it (or, with "
        "no tag pinned, against any tag of the architecture); compare declared Top-1/Top-5 with the "
        "latest `zoo eval` export. Exits 0 when every declaration that could be checked holds; 1 when one "
        "does not hold or cannot be measured, when nothing at all could be checked, or when a model of "
        "the index has an error; 2 on bad usage or a file that cannot be read. A field that is not "
        "declared or that timm cannot judge is unknown (?), which alone is not a finding.",
    )
    parser.add_argument("models", nargs="*", metavar="MODEL", help="models to validate (default: all)")
    add_index_argument(parser)
    parser.add_argument("--checkpoint", type=Path, help="the weights file of the one model named")
    add_json_argument(parser)
    parser.add_argument(
        "--export", action="store_true", help="merge the verdicts into benchmarks/results/ beside the index"
    )
    add_db_argument(parser)
    parser.add_argument(
        "--write",
        action="append",
        metavar="FIELD",
        help="rewrite a mismatching declared value in its source file (repeatable, or 'all'); an input "
        "config only from a pinned timm tag",
    )
    parser.add_argument("--dry-run", action="store_true", help="with --write: show the diff, change nothing")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from zoo.index import load_index
    from zoo.validate import summarize, validate_and_write

    if args.dry_run and not args.write:
        raise ZooError("--dry-run shows what --write would change; name the fields with --write")
    if args.checkpoint is not None and not args.checkpoint.is_file():
        raise ZooError(f"checkpoint {args.checkpoint} does not exist")
    index = load_index(args.index)
    models = index.select(args.models or None)
    with _progress(len(models), enabled=not args.json) as advance:
        found = validate_and_write(
            index,
            args.models or None,
            checkpoint=args.checkpoint,
            write=args.write or (),
            dry_run=args.dry_run,
            store=store_path(args),
            export_to=project_paths(args.index).results if args.export else None,
            progress=advance,
        )
    summary = summarize(found.verdicts)
    exported = [str(path) for path in found.exported]
    if args.json:
        print_json(
            {
                "summary": summary,
                "verdicts": [v.as_dict() for v in found.verdicts],
                "diff": found.diff,
                "written": list(found.written),
                "not_written": list(found.not_written),
                "exported": exported,
                "run": found.run_id,
            }
        )
        return found.exit_code
    _print_table(found.verdicts)
    _print_findings(found.verdicts)
    _print_summary(summary)
    for line in found.not_written:
        print(line)
    if found.diff:
        print(("\nwould change (dry run):\n" if args.dry_run else "\nchanged:\n") + found.diff, end="")
    elif args.write:
        print("\nnothing to write")
    for path in exported:
        print(f"\nexported to {path}")
    return found.exit_code


@contextmanager
def _progress(total: int, enabled: bool) -> Iterator[Any]:
    """A live rich progress bar on stderr while models are measured; nothing when not a terminal."""
    from rich.console import Console
    from rich.markup import escape
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    console = Console(file=terminal(sys.stderr))
    columns = (
        TextColumn("validate {task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    )
    with Progress(
        *columns, console=console, transient=True, disable=not (enabled and console.is_terminal)
    ) as bar:
        task = bar.add_task("", total=total)

        def advance(model: Model) -> None:
            bar.update(task, advance=1, description=escape(visible(model.name)))

        yield advance


def _cell(verdict: Verdict) -> str:
    """A mark, then the measured value in short (for FLOPs, the convention it was judged by)."""
    from zoo.results.records import VerdictStatus

    mark = MARKS[verdict.verdict]
    if verdict.field == "Weights":
        tag = verdict.measured
        shown = tag.removeprefix(f"{verdict.model}.") if tag else None
    elif verdict.interval is not None:
        low, high = verdict.interval
        shown = f"{verdict.measured:.2f} [{low:.1f}, {high:.1f}]"
    elif verdict.field == "FLOPs":
        shown = None
        if verdict.verdict == VerdictStatus.OK:
            shown = verdict.convention if verdict.measured == verdict.declared else f"~{verdict.convention}"
        elif verdict.verdict == VerdictStatus.MISMATCH and verdict.measured:
            shown = f"none (x{verdict.declared / verdict.measured:.2f} {verdict.convention})"
    elif verdict.field == "File Size" and verdict.measured is not None:
        shown = f"{verdict.measured:,} ({verdict.convention})"
    elif isinstance(verdict.measured, int) and not isinstance(verdict.measured, bool):
        shown = f"{verdict.measured:,}"
    elif isinstance(verdict.measured, tuple):
        shown = ",".join(f"{v:g}" for v in verdict.measured)
    else:
        shown = verdict.measured
    return mark if shown is None else f"{mark} {shown}"


def _print_table(verdicts: Sequence[Verdict]) -> None:
    import pandas as pd

    from zoo.validate import FIELDS

    if not verdicts:
        print("(no models)")
        return
    frame = pd.DataFrame([{"model": v.model, "field": v.field, "cell": _cell(v)} for v in verdicts])
    table = frame.pivot(index="model", columns="field", values="cell")
    order = list(dict.fromkeys(v.model for v in verdicts))
    table = table.reindex(index=order, columns=[f for f in FIELDS if f in table.columns])
    table.columns = [f.replace(" Accuracy", "") for f in table.columns]
    print(table.to_string(na_rep="-", index_names=False))


def _print_findings(verdicts: Sequence[Verdict]) -> None:
    """Why each declaration does not hold or could not be measured, once per model and reason."""
    from zoo.results.records import VerdictStatus

    quiet = {"not declared", "not measured"}
    fields: dict[tuple[str, str, str], list[str]] = {}
    for v in verdicts:
        if v.verdict != VerdictStatus.OK and v.detail not in quiet:
            fields.setdefault((v.verdict, v.model, v.detail), []).append(v.field)
    lines = [
        f"{MARKS[verdict]} {model} {', '.join(names)}: {detail}"
        for (verdict, model, detail), names in fields.items()
    ]
    if lines:
        print("\n" + "\n".join(lines))


def _print_summary(summary: dict[str, Any]) -> None:
    models = ", ".join(f"{n} {verdict}" for verdict, n in summary["models_by_verdict"].items())
    fields = ", ".join(f"{n} {verdict}" for verdict, n in summary["verdicts"].items())
    conventions = ", ".join(f"{name} {n}" for name, n in summary["flops_conventions"].items() if n)
    print(f"\n{summary['models']} models: {models} (a model's worst field)")
    print(f"{summary['fields']} fields: {fields}")
    print(f"FLOPs declarations by convention: {conventions}")
