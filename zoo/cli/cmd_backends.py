"""`zoo backends`: what each backend runs (precisions, scenarios), its version, and whether it loads here."""

from __future__ import annotations

import argparse

from zoo.cli._common import add_json_argument, print_json, text_table


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser(
        "backends", help="each backend's precisions, scenarios, version and availability"
    )
    add_json_argument(parser)
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Versions come from package metadata: no runtime is imported, so this answers at once."""
    from zoo.backends import capabilities
    from zoo.measure.scenarios import scenario_names

    found = capabilities(scenario_names())
    if args.json:
        print_json([row.as_dict() for row in found])
        return 0
    shown = [
        {**row.as_dict(), "precisions": ", ".join(row.precisions), "scenarios": ", ".join(row.scenarios)}
        for row in found
    ]
    print(text_table(shown))
    return 0
