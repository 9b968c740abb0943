"""`zoo pick`: the model, backend and precision to deploy under a p90 latency budget, from stored results."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

from zoo.cli._common import (
    PRECISIONS,
    add_index_argument,
    add_json_argument,
    add_results_argument,
    print_json,
    results_path,
)

if TYPE_CHECKING:
    from zoo.cards import Picks, Point


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser(
        "pick",
        help="the most accurate configuration whose p90 latency meets a budget, and why the others lose",
    )
    parser.add_argument("--max-p90-ms", type=float, required=True, help="p90 latency budget, batch 1 (ms)")
    parser.add_argument("--min-top1", type=float, help="least top-1 accepted (%%)")
    parser.add_argument("--backend", help="only this backend")
    parser.add_argument("--precision", choices=PRECISIONS, help="only this precision")
    add_index_argument(parser)
    add_results_argument(parser)
    parser.add_argument(
        "--db", type=Path, help="read a results store (SQLite) instead of the committed export"
    )
    add_json_argument(parser)
    parser.set_defaults(run=run_pick)


def run_pick(args: argparse.Namespace) -> int:
    from zoo.cards import NothingFits, Request, pick, stored_results

    request = Request(args.max_p90_ms, args.min_top1, args.backend, args.precision)
    picks = pick(stored_results(results_path(args), args.db), request)
    if args.json:
        print_json(picks.as_dict())
        return 0 if picks.found else 1
    if not picks.found:
        raise NothingFits(picks.why_nothing())
    _print(picks)
    return 0


def _print(picks: Picks) -> None:
    for pick in picks.picks:
        print(pick.frontier.title)
        chosen = pick.chosen
        if chosen is None:
            print("  nothing fits here")
        else:
            print(
                f"  pick: {chosen.name}: p90 {chosen.p90_ms:.2f} ms, top-1 {chosen.top1:.2f}%{_note(chosen)}"
            )
        for runner in pick.runners_up:
            print(f"  - {runner.point.name}: {runner.reason}{_note(runner.point)}")
    for line in picks.frontiers.left_out_summary():
        print(f"not compared: {line}")


def _note(point: Point) -> str:
    """An accuracy cost over the budget, said beside the candidate wherever it is listed."""
    return f"; {point.budget_note}" if point.over_budget else ""
