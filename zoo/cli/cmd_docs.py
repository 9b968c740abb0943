"""`zoo docs`: render the model cards from the templates and the committed results (never re-measures)."""

from __future__ import annotations

import argparse
import shlex
import sys
from pathlib import Path
from typing import Any

from zoo.cli._common import DEFAULT_INDEX, add_index_argument, add_results_argument, results_path
from zoo.index import display_path
from zoo.paths import project_paths, refuse_overlap


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser(
        "docs",
        help="render one model card per collection template from the index and the committed results",
    )
    add_index_argument(parser)
    parser.add_argument(
        "--templates",
        type=Path,
        help="templates folder; its models/ subfolder holds one template per card "
        "(default: docs/templates beside the index)",
    )
    parser.add_argument(
        "--out",
        type=Path,
        help="where cards go (default: docs/models beside the index; docs/hf with --format hf); zoo removes "
        "there only the files its manifest (.zoo-docs.json) lists",
    )
    add_results_argument(parser)
    parser.add_argument(
        "--check",
        action="store_true",
        help="write nothing; exit 1 naming every card or chart that is stale, missing or extra",
    )
    parser.add_argument(
        "--format",
        choices=("md", "hf"),
        default="md",
        help="md: one card per collection; hf: one Hugging Face Hub README.md per model, in OUT/MODEL/",
    )
    parser.set_defaults(run=run_docs)


def run_docs(args: argparse.Namespace) -> int:
    from zoo.cards import left_alone, render_cards, stale_cards, write_cards
    from zoo.index import load_index

    # Without the default index the templates are read alone; an index asked for must exist.
    use_index = args.index.exists() or args.index != Path(DEFAULT_INDEX)
    index = load_index(args.index) if use_index else None
    paths = project_paths(args.index)
    args.templates = args.templates or paths.templates
    out = args.out or (paths.hub_cards if args.format == "hf" else paths.cards)
    inputs = {"templates": args.templates / "models", "results": results_path(args)}
    refuse_overlap(out, {**inputs, "index": paths.root} if index is not None else inputs)
    problems: list[str] = []
    if args.check:  # the committed results first: damaged ones cannot render, stale ones must not pass
        from zoo.results import check_export

        problems, warnings, readable = check_export(results_path(args))
        for line in [*warnings, *problems]:
            print(line, file=sys.stderr)
        if not readable:
            return 1
    if args.format == "hf":
        status = _hub_cards(load_index(args.index), args.templates, results_path(args), out, args.check)
        return 1 if problems else status
    args.out = out
    files = render_cards(args.templates, results_path(args), args.out, index)
    for line in left_alone(files, args.out):
        print(line, file=sys.stderr)
    if args.check:
        stale = stale_cards(files, args.out)
        for problem in stale:
            print(problem, file=sys.stderr)
        if stale:
            again = shlex.join(["zoo", *(arg for arg in sys.argv[1:] if arg != "--check")])
            print(f"zoo docs: run `{again}` to render the cards again", file=sys.stderr)
        if stale or problems:
            return 1
        print(f"{display_path(args.out)}: all {len(files)} rendered file(s) are up to date")
        return 0
    changed = write_cards(files, args.out)
    for path in changed:
        print(f"wrote {display_path(path)}" if path.exists() else f"removed {display_path(path)}")
    print(f"{display_path(args.out)}: {len(files)} rendered file(s), {len(changed)} changed")
    return 0


def _hub_cards(index: Any, templates: Path, results: Path, out: Path, check: bool) -> int:
    """`--format hf`: write the Hub cards, or with --check name the stale ones."""
    from zoo.cards import write_owned
    from zoo.publish.hf import hf_cards

    files = hf_cards(index, results, templates, out)
    if check:
        stale = [f.path for f in files if not f.path.is_file() or f.path.read_bytes() != f.content]
        for path in stale:
            print(f"{display_path(path)}: stale or missing", file=sys.stderr)
        print(f"{display_path(out)}: {len(files) - len(stale)} of {len(files)} Hub card(s) up to date")
        return 1 if stale else 0
    for path in write_owned(files, out):
        print(f"wrote {display_path(path)}")
    print(f"{display_path(out)}: {len(files)} Hub card(s)")
    return 0
