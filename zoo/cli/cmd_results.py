"""`zoo results`: list runs, show one, compare two, export the latest for the model cards."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

from zoo._errors import ZooError
from zoo.cli._common import add_db_argument, add_index_argument, add_json_argument, print_json, store_path
from zoo.paths import project_paths

if TYPE_CHECKING:
    from zoo.results import AccuracyRecord, AgreementRecord, ResultsStore


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser("results", help="the results history: list, show, compare, export")
    add_db_argument(parser)
    add_index_argument(parser)
    # The same flags after the action (`zoo results list --db X`); they win when given there.
    after = argparse.ArgumentParser(add_help=False, argument_default=argparse.SUPPRESS)
    after.add_argument("--db", type=Path, help=argparse.SUPPRESS)
    after.add_argument("--index", type=Path, help=argparse.SUPPRESS)
    actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")

    def action(name: str, help: str) -> argparse.ArgumentParser:
        return actions.add_parser(name, help=help, parents=[after])

    listing = action("list", "one line per run")
    add_json_argument(listing)
    listing.set_defaults(run=run_list)

    show = action("show", "every measurement of one run")
    show.add_argument("run_id", type=int, nargs="?", help="default: the latest run")
    add_json_argument(show)
    show.set_defaults(run=run_show)

    comparison = action("compare", "ratio of medians per configuration; exit 1 on a regression")
    comparison.add_argument("baseline", type=int)
    comparison.add_argument("candidate", type=int)
    comparison.add_argument(
        "--threshold", type=float, default=0.05, help="smallest relative change that counts"
    )
    comparison.add_argument("--force", action="store_true", help="compare runs from different environments")
    add_json_argument(comparison)
    comparison.set_defaults(run=run_compare)

    exporting = action("export", "write the latest results (CSV/JSON) for the model cards")
    exporting.add_argument("--run", dest="run_id", type=int, help="one run only (default: latest of each)")
    exporting.add_argument("--format", choices=["csv", "json"], default="csv")
    exporting.add_argument("--out", type=Path, help="default: benchmarks/results/ beside the index")
    exporting.set_defaults(run=run_export)


def _store(args: argparse.Namespace) -> ResultsStore:
    """Opened read-only: reading never changes (or needs to write) the store."""
    from zoo.results import open_store

    return open_store(store_path(args), readonly=True)


def _check_run(store: ResultsStore, run_id: int | None) -> None:
    if run_id is None or not store.run_exists(run_id):
        raise ZooError(f"no run {run_id} in {store.path}; `zoo results list` shows the runs")


def run_list(args: argparse.Namespace) -> int:
    import pandas as pd

    with _store(args) as store:
        runs = store.runs()
    if args.json:
        print_json([run.__dict__ for run in runs])
    else:
        print(pd.DataFrame([run.__dict__ for run in runs]).to_string(index=False) if runs else "(no runs)")
    return 0


def run_show(args: argparse.Namespace) -> int:
    import pandas as pd

    from zoo.results import results_frame

    with _store(args) as store:
        run_id = args.run_id if args.run_id is not None else store.latest_run()
        _check_run(store, run_id)
        records = list(store.measurements(run_id))
        others: list[AccuracyRecord | AgreementRecord] = [*store.accuracy(run_id), *store.agreement(run_id)]
    frame = results_frame(records)
    if args.json:  # each record whole, with the environment it was measured in
        print_json(
            {
                "run": run_id,
                "results": [r.as_dict() for r in records],
                "others": [r.as_dict() for r in others],
            }
        )
        return 0
    columns = [
        "model",
        "backend",
        "precision",
        "scenario",
        "batch",
        "status",
        "median_ms",
        "p90_ms",
        "p99_ms",
    ]
    columns += [
        "ci_low_ms",
        "ci_high_ms",
        "iterations",
        "load_s",
        "first_inference_ms",
        "contended",
        "environment",
    ]
    with pd.option_context("display.float_format", "{:.3f}".format, "display.width", 200):
        print(f"run {run_id}")
        print(frame[columns].to_string(index=False) if not frame.empty else "(no latency measurements)")
        if others:
            print(f"and {len(others)} accuracy or agreement records (--json shows them)")
    return 0


def run_compare(args: argparse.Namespace) -> int:
    from zoo.results import compare

    with _store(args) as store:
        for run_id in (args.baseline, args.candidate):
            _check_run(store, run_id)
        comparisons = compare(store, args.baseline, args.candidate, threshold=args.threshold)
    if not comparisons:
        raise ZooError(f"runs {args.baseline} and {args.candidate} share no measured configuration")
    foreign = [c.key for c in comparisons if not c.comparable]
    if foreign and not args.force:
        raise ZooError(
            f"{len(foreign)} configurations were measured on different environments (e.g. {foreign[0]}); "
            "their timings are not comparable (--force to compare anyway)"
        )
    if args.json:
        print_json([{**c.__dict__, "regression": c.regression} for c in comparisons])
    else:
        for c in comparisons:
            if not c.reliable:
                verdict = "unreliable: measured while the machine was busy (contended)"
            elif c.significant:
                verdict = "REGRESSION" if c.regression else "faster"
            else:
                verdict = "no significant change"
            p_text = "-" if c.p_value is None else f"{c.p_value:.2g}"
            print(
                f"{c.key:55} {c.baseline_ms:9.3f} -> {c.candidate_ms:9.3f} ms"
                f"  x{c.ratio:.3f}  p={p_text}  {verdict}"
            )
    return 1 if any(c.regression for c in comparisons) else 0


def run_export(args: argparse.Namespace) -> int:
    from zoo.results import export

    with _store(args) as store:
        if args.run_id is not None:
            _check_run(store, args.run_id)
        written = export(store, args.out or project_paths(args.index).results, args.run_id, args.format)
    for path in written:
        print(f"wrote {path}")
    return 0
