"""`zoo site`: build the offline static site (cards, leaderboard, environments), or preview it."""

from __future__ import annotations

import argparse
from pathlib import Path

from zoo._errors import ZooError
from zoo.cli._common import (
    add_db_argument,
    add_index_argument,
    add_results_argument,
    results_path,
    store_path,
)
from zoo.index import display_path
from zoo.paths import project_paths, refuse_overlap


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser(
        "site",
        help="build an offline static site: every card, a sortable leaderboard and the environments",
    )
    add_index_argument(parser)
    parser.add_argument("--out", type=Path, help="where the site goes (default: site/ beside the index)")
    add_results_argument(parser)
    add_db_argument(parser)  # the history pages' runs
    parser.add_argument(
        "--templates",
        type=Path,
        default=None,
        help="folder above the collection templates (default: the one above the index's models/ folder)",
    )
    parser.add_argument(
        "--serve", action="store_true", help="after building, preview the site on http://127.0.0.1:PORT/"
    )
    parser.add_argument("--port", type=int, default=8000, help="port for --serve (default: 8000)")
    parser.set_defaults(run=run_site)


def run_site(args: argparse.Namespace) -> int:
    from zoo.index import load_index
    from zoo.publish import build_site, serve

    paths = project_paths(args.index)
    args.out = args.out or paths.site
    inputs = {"index": paths.root, "results": results_path(args)}
    refuse_overlap(args.out, {**inputs, "templates": args.templates} if args.templates else inputs)
    if args.db and not args.db.is_file():
        raise ZooError(f"no results database at {args.db} (--db)")
    store = store_path(args)
    built = build_site(load_index(args.index), results_path(args), args.out, args.templates, store)
    print(
        f"{display_path(built.out)}: {built.cards} card(s), {built.models} model(s), "
        f"{built.rows} leaderboard row(s) in {built.seconds:.1f} s; open {display_path(built.out)}/index.html"
    )
    if args.serve:
        try:
            serve(args.out, args.port)
        except KeyboardInterrupt:
            print("zoo site: preview stopped")
    return 0
