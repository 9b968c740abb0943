"""`zoo bench`: every timed scenario (latency, throughput, server) per model, backend, precision, batch."""

from __future__ import annotations

import argparse
import contextlib
import sys
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING

from zoo._errors import ZooError
from zoo._text import visible
from zoo.cli._common import (
    add_db_argument,
    add_executor_arguments,
    add_index_argument,
    add_json_argument,
    add_matrix_argument,
    add_model_arguments,
    add_run_arguments,
    executor_from_args,
    matrix_precisions,
    plan_from_args,
    print_json,
    selected_models,
    store_path,
)
from zoo.cli._progress import failed, progress
from zoo.spec import REFERENCE, Timing, checked_sla_ms

if TYPE_CHECKING:
    from zoo.api import BenchResult
    from zoo.results.records import Measured


class _TimedScenarios:
    """The scenarios `zoo bench` runs, every one registered for it, looked up only when asked: the
    registry imports the scenarios (and numpy), which no other command's start-up should pay for."""

    def names(self) -> list[str]:
        from zoo.measure.scenarios import scenario_names

        return list(scenario_names("bench"))

    def __contains__(self, name: object) -> bool:
        return name in self.names()

    def __iter__(self) -> Iterator[str]:
        return iter(self.names())


_TIMED_SCENARIOS = _TimedScenarios()


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser(
        "bench", help="measure latency, throughput and serving under an SLA; every result is stored"
    )
    add_model_arguments(parser, "measure")
    add_run_arguments(parser, repeatable_precision=True)
    parser.add_argument("--batch", action="append", type=int, help="batch size (repeatable; default: 1)")
    parser.add_argument(
        "--scenario",
        action="append",
        choices=_TIMED_SCENARIOS,
        metavar="SCENARIO",  # argparse would list the choices, and so import them, at start-up
        help="one of %(choices)s (repeatable; default: latency)",
    )
    add_matrix_argument(parser, " and scenario (those of --scenario)")
    parser.add_argument("--min-time", type=float, default=2.0, help="seconds of timed iterations at least")
    parser.add_argument(
        "--max-time", type=float, default=10.0, help="seconds before giving up on the CI target"
    )
    parser.add_argument(
        "--max-trial",
        type=float,
        default=Timing.max_trial_s,
        help="server scenario: the longest one offered rate is served (the lowest rate searched is the "
        "one that reaches the minimum query count in that time)",
    )
    parser.add_argument("--min-iterations", type=int, default=20)
    parser.add_argument("--target-ci", type=float, default=0.02, help="95%% CI of the median, relative width")
    parser.add_argument(
        "--sla-ms",
        type=_sla,
        help="server scenario: the p99 latency to stay within (default: 3 x the single-stream p99, "
        "measured first in the same process)",
    )
    add_executor_arguments(parser, timeout_s=600.0)
    parser.add_argument(
        "--resume",
        nargs="?",
        const=True,
        default=False,
        type=int,
        metavar="RUN",
        help="continue the latest unfinished bench run of the same plan (or run RUN), skipping what is done",
    )
    parser.add_argument(
        "--repeat",
        default="1",
        metavar="N",
        help="run the same plan N times back to back, each a run of its own in the store "
        "(`zoo results noise` calibrates the regression gate from 3 or more)",
    )
    add_db_argument(parser)
    add_index_argument(parser)
    add_json_argument(parser)
    parser.set_defaults(run=run)


def _repeat(text: str) -> int:
    """`--repeat`: a whole number of runs, at least 1 (one line when it is not, not argparse's usage)."""
    count = int(text) if text.strip().isdigit() else 0
    if count < 1:
        raise ZooError(f"--repeat takes a whole number of runs, at least 1; got {text!r}")
    return count


def run(args: argparse.Namespace) -> int:
    from zoo.api import bench_repeatedly
    from zoo.index import load_index

    repeat = _repeat(args.repeat)
    if repeat > 1 and args.resume:
        raise ZooError("--resume continues one run: leave out --repeat")
    models = selected_models(args, load_index(args.index), "measure")
    if matrix_precisions(args):
        if args.scenario:
            raise ZooError("--matrix runs every scenario: leave out --scenario")
        args.scenario = _TIMED_SCENARIOS.names()
    specs = plan_from_args(
        args,
        models,
        batches=args.batch or [1],
        scenarios=args.scenario,
        skip_unsupported=args.matrix,
        min_time_s=args.min_time,
        max_time_s=args.max_time,
        max_trial_s=args.max_trial,
        min_iterations=args.min_iterations,
        target_ci=args.target_ci,
        sla_ms=args.sla_ms,
    ).specs
    executor = executor_from_args(args)  # connects first: an unreachable cluster writes nothing
    watch = progress("zoo bench", len(specs) * repeat, _outcome, lambda r: failed(r) or r.contended)
    with contextlib.redirect_stdout(sys.stderr), watch as listener:  # Ray prints
        results = bench_repeatedly(specs, store_path(args), repeat, executor, args.resume, listener)
    runs = [
        {"run": result.run_id, "results": [record.row() for record in result.records]} for result in results
    ]
    if args.json:
        print_json(runs[0] if repeat == 1 else {"runs": runs})
    else:
        for result in results:
            _print_summary(result)
    code = 0
    for result in results:
        reason = untrusted(result.records)
        if reason:
            print(f"zoo bench: run {result.run_id}: {reason}", file=sys.stderr)
        code = 1 if result.failed or reason else code
    if repeat >= 3:
        ids = " ".join(str(result.run_id) for result in results)
        print(
            f"zoo bench: `zoo results noise {ids}` calibrates the regression gate from them", file=sys.stderr
        )
    return code


def _sla(text: str) -> float:
    """`--sla-ms`, checked as it is parsed (not after the models are resolved)."""
    try:
        return checked_sla_ms(float(text))
    except (ValueError, ZooError):
        return checked_sla_ms(text)  # refused, naming what was typed


def untrusted(records: Sequence[Measured]) -> str | None:
    """Why a sweep gave no figure to trust, when it gave none: a finding, not a success. (A server
    result on a contended machine says so itself: it is INVALID.)"""
    from zoo.results.records import LatencyRecord

    timed = [r for r in records if isinstance(r, LatencyRecord)]
    if timed and len(timed) == len(records) and all(r.contended and not r.converged for r in timed):
        return "every configuration was contended and none converged; rerun on a quiet machine"
    return None


def _outcome(record: Measured) -> str:
    return record.summary()


def _print_summary(result: BenchResult) -> None:
    """The timed records as one table (with the speed-up against the reference); any other scenario's
    records (server, ...) one line each, as they summarise themselves."""
    import pandas as pd

    from zoo.results import results_frame
    from zoo.results.records import LatencyRecord, Status, speedup

    if not result.records:
        print(f"run {result.run_id}: nothing to measure ({result.skipped} configurations already done)")
        return
    frame = results_frame([r for r in result.records if isinstance(r, LatencyRecord)])
    ok = frame[frame.status == Status.OK].copy() if not frame.empty else frame
    if not ok.empty:
        reference = ok[
            (ok.backend == REFERENCE.backend)
            & (ok.precision == REFERENCE.precision)
            & (ok.scenario == "latency")
        ]
        torch = reference.set_index(["model", "batch", "threads"]).median_ms
        keys = list(zip(ok.model, ok.batch, ok.threads, strict=True))
        ok["vs_torch"] = [speedup(torch.get(k), m) for k, m in zip(keys, ok.median_ms, strict=True)]
        ok["note"] = [
            "CONTENDED" if contended else ("not converged" if not converged else "")
            for contended, converged in zip(ok.contended, ok.converged, strict=True)
        ]
        columns = ["model", "backend", "precision", "scenario", "batch", "median_ms", "p90_ms", "vs_torch"]
        columns += ["throughput_ips", "note"]
        with pd.option_context("display.float_format", "{:.2f}".format, "display.width", 200):
            print(ok[columns].to_string(index=False, na_rep="-"))
    if not frame.empty:
        for row in frame[frame.status != Status.OK].itertuples():
            print(f"FAILED {row.model} {row.backend} {row.precision} b{row.batch}: {row.reason}")
    for record in result.records:
        if not isinstance(record, LatencyRecord):
            print(f"{visible(record.key.replace('|', ' '))}: {visible(record.summary())}")
    hosts = pd.Series([m.environment.get("host", "?") for m in result.records]).value_counts()
    if len(hosts) > 1:
        print("per node: " + ", ".join(f"{host} {count}" for host, count in hosts.items()))
    measured = sum(record.status == Status.OK for record in result.records)
    print(
        f"\nrun {result.run_id}: {measured} measured, {len(result.records) - measured} failed, "
        f"{result.skipped} skipped (--resume)"
    )
    if any(record.contended for record in result.records if record.status == Status.OK):
        print("CONTENDED: other work took the CPU while these were measured; rerun them on a quiet machine")
