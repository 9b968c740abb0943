"""`zoo backends`: what each backend runs (precisions, scenarios), its version, and whether it loads here."""

from __future__ import annotations

import argparse

from zoo.cli._common import add_json_argument, print_json


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser(
        "backends", help="each backend's precisions, scenarios, version and availability"
    )
    add_json_argument(parser)
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    import pandas as pd

    from zoo.backends import capabilities

    rows = [row.as_dict() for row in capabilities()]
    if args.json:
        print_json(rows)
        return 0
    table = pd.DataFrame(rows)
    for column in ("precisions", "scenarios"):
        table[column] = table[column].map(", ".join)
    print(table.to_string(index=False))
    return 0
