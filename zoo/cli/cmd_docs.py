"""`zoo docs`: render the model cards from the templates and the committed results (never re-measures)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from zoo.cli._common import DEFAULT_INDEX, add_index_argument, add_results_argument
from zoo.index._errors import display_path


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser(
        "docs",
        help="render one model card per collection template from the index and the committed results",
    )
    add_index_argument(parser)
    parser.add_argument(
        "--templates",
        type=Path,
        default=Path("docs/templates"),
        help="templates folder; its models/ subfolder holds one template per card (default: docs/templates)",
    )
    parser.add_argument(
        "--out", type=Path, default=Path("docs/models"), help="where cards go (default: docs/models)"
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
    from zoo.cards import render_cards, stale_cards, write_cards
    from zoo.index import load_index

    # Without the default index the templates are read alone; an index asked for must exist.
    use_index = args.index.exists() or args.index != Path(DEFAULT_INDEX)
    index = load_index(args.index) if use_index else None
    if args.format == "hf":
        from zoo.publish.hf import run_hf_docs

        return run_hf_docs(load_index(args.index), args)
    files = render_cards(args.templates, args.results, args.out, index)
    if args.check:
        problems = stale_cards(files, args.out)
        for problem in problems:
            print(problem, file=sys.stderr)
        if problems:
            print("zoo docs: run `zoo docs` to render the cards again", file=sys.stderr)
            return 1
        print(f"{display_path(args.out)}: all {len(files)} rendered file(s) are up to date")
        return 0
    changed = write_cards(files, args.out)
    for path in changed:
        print(f"wrote {display_path(path)}" if path.exists() else f"removed {display_path(path)}")
    print(f"{display_path(args.out)}: {len(files)} rendered file(s), {len(changed)} changed")
    return 0
