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

    gating = action("gate", "regression gate: exit 0 none, 1 a regression, 3 cannot judge")
    sides = "run ids: one (7), a list (1,3,5) or a range (1-5); several runs per side, interleaved with "
    gating.add_argument("baseline", type=_run_ids, help=sides + "the candidate's, beat drift")
    gating.add_argument("candidate", type=_run_ids, help="run ids, as for the baseline")
    gating.add_argument("--markdown", type=Path, help="also write the summary here (a PR comment)")
    add_json_argument(gating)
    gating.set_defaults(run=run_gate)

    calibrating = action("noise", "measure this machine's run-to-run noise from repeated runs, for the gate")
    calibrating.add_argument(
        "runs", type=int, nargs="*", help="the repeated runs (default: every run in the store)"
    )
    add_json_argument(calibrating)
    calibrating.set_defaults(run=run_noise)

    past = action("history", "a model's median per configuration over runs, with the steps marked")
    past.add_argument("model")
    add_json_argument(past)
    past.set_defaults(run=run_history)

    summing = action("summary", "one screen on the newest bench, eval and check-backends runs")
    summing.add_argument("--log", type=Path, help="the log the runs wrote, to name at the end")
    add_json_argument(summing)
    summing.set_defaults(run=run_summary)

    exporting = action("export", "write the latest results (CSV/JSON) for the model cards")
    exporting.add_argument("--run", dest="run_id", type=int, help="one run only (default: latest of each)")
    exporting.add_argument("--format", choices=["csv", "json"], default="csv")
    exporting.add_argument("--out", type=Path, help="default: benchmarks/results/ beside the index")
    exporting.set_defaults(run=run_export)


def _store(args: argparse.Namespace) -> ResultsStore:
    """Opened read-only: reading never changes (or needs to write) the store."""
    from zoo.results import open_store

    return open_store(store_path(args), readonly=True)


def _run_ids(text: str) -> tuple[int, ...]:
    """'7', '1,3,5' or '1-5' (and mixes: '1-3,7'): the run ids, in order, each once."""
    ids: list[int] = []
    try:
        for part in text.split(","):
            first, _, last = part.strip().partition("-")
            ids += range(int(first), int(last or first) + 1)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not run ids: {text!r} (say 7, 1,3,5 or 1-5)") from None
    if not ids:
        raise argparse.ArgumentTypeError(f"no run ids in {text!r}")
    return tuple(dict.fromkeys(ids))


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


def run_gate(args: argparse.Namespace) -> int:
    from zoo.results import latest_measurements
    from zoo.results.gate import gate

    with _store(args) as store:
        for run_id in (*args.baseline, *args.candidate):
            _check_run(store, run_id)
        report = gate(
            [record for run_id in args.baseline for record in latest_measurements(store, run_id)],
            [record for run_id in args.candidate for record in latest_measurements(store, run_id)],
            store.noise(),
            args.baseline,
            args.candidate,
        )
    summary = report.markdown()
    if args.markdown:
        from zoo._atomic import write_atomically

        write_atomically(args.markdown, summary)
    if args.json:
        print_json({"exit_code": report.exit_code, "rows": [row.__dict__ for row in report.rows]})
    else:
        print(summary, end="")
    return report.exit_code


def run_noise(args: argparse.Namespace) -> int:
    from zoo.results import open_store
    from zoo.results.gate import calibrate_noise, threshold

    with open_store(store_path(args)) as store:
        for run_id in args.runs:
            _check_run(store, run_id)
        wanted = set(args.runs)
        records = [record for run, record in store.measurements_by_run() if not wanted or run in wanted]
        found = calibrate_noise(records)
        for noise in found:
            store.set_noise(noise)
    if args.json:
        print_json(
            [
                {**noise.__dict__, "threshold": threshold(noise), "threshold_3_runs": threshold(noise, 3, 3)}
                for noise in found
            ]
        )
        return 0
    if not found:
        raise ZooError(
            "no configuration was measured quietly in 3 runs or more: run `zoo bench ... --repeat 3` first"
        )
    for noise in found:
        print(
            f"{noise.key:55} {noise.runs:3} runs  noise {noise.sigma:.2%}  "
            f"gate threshold {threshold(noise):.1%} one run a side, {threshold(noise, 3, 3):.1%} three  "
            f"({noise.environment})"
        )
    return 0


def run_history(args: argparse.Namespace) -> int:
    from zoo.results.history import history

    with _store(args) as store:
        series = history(store.measurements_by_run(args.model), store.noise())
    if not series:
        raise ZooError(f"no quiet measurement of {args.model!r} in {store.path}")
    if args.json:
        print_json([_series_dict(s) for s in series])
        return 0
    for one in series:
        print(f"{one.key} on {one.machine} (a step moves more than the noise allows: ±{one.threshold:.1%})")
        for point in one.points:
            versions = " ".join(
                f"{name} {point.libraries.get(name, '-')}" for name in ("torch", "onnxruntime", "openvino")
            )
            mark = f"  <- step {point.change:+.1%}" if point.step and point.change is not None else ""
            commit = (point.git_commit or "-")[:12]
            print(f"  run {point.run:4}  {point.median_ms:9.3f} ms  {commit:12}  {versions}{mark}")
    return 0


def _series_dict(series: object) -> dict[str, object]:
    from dataclasses import asdict, is_dataclass

    assert is_dataclass(series) and not isinstance(series, type)
    return asdict(series)


def run_summary(args: argparse.Namespace) -> int:
    from zoo.results.summary import summarize

    paths = project_paths(args.index)
    places = {"results": paths.results, "cards": paths.cards, "site": paths.site, "store": store_path(args)}
    if args.log:
        places["log"] = args.log
    with _store(args) as store:
        summary = summarize(store, places)
    if args.json:
        print_json(summary.as_dict())
    else:
        print("\n".join(summary.lines()))
    return 0


def run_export(args: argparse.Namespace) -> int:
    from zoo.results import export

    with _store(args) as store:
        if args.run_id is not None:
            _check_run(store, args.run_id)
        written = export(store, args.out or project_paths(args.index).results, args.run_id, args.format)
    for path in written:
        print(f"wrote {path}")
    return 0
