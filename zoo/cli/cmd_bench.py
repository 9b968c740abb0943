"""`zoo bench`: latency and throughput per model, backend, precision and batch, into the results store."""

from __future__ import annotations

import argparse
import contextlib
import shlex
import sys
from typing import Any

from zoo._errors import ZooError
from zoo.cli._common import (
    add_index_argument,
    add_json_argument,
    add_model_arguments,
    add_run_arguments,
    print_json,
    selected_backends,
    selected_models,
)


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser("bench", help="measure latency and throughput; every result is stored")
    add_model_arguments(parser, "measure")
    add_run_arguments(parser)
    parser.add_argument("--precision", action="append", choices=["fp32", "bf16"], help="default: fp32")
    parser.add_argument("--batch", action="append", type=int, help="batch size (repeatable; default: 1)")
    parser.add_argument("--min-time", type=float, default=2.0, help="seconds of timed iterations at least")
    parser.add_argument(
        "--max-time", type=float, default=10.0, help="seconds before giving up on the CI target"
    )
    parser.add_argument("--min-iterations", type=int, default=20)
    parser.add_argument("--target-ci", type=float, default=0.02, help="95%% CI of the median, relative width")
    parser.add_argument(
        "--timeout", type=float, default=600.0, help="seconds before a configuration is failed"
    )
    parser.add_argument(
        "--executor", choices=["local", "ray"], default="local", help="where configurations run"
    )
    parser.add_argument(
        "--address", help="Ray cluster address for --executor ray (default: a local instance)"
    )
    parser.add_argument(
        "--resume", action="store_true", help="continue the latest run, skipping what is done"
    )
    parser.add_argument("--checkpoint", help="weights file to use instead of the packaged ones")
    parser.add_argument("--db", help="results database (default: $ZOO_DB or .zoo/results.db)")
    add_index_argument(parser)
    add_json_argument(parser)
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from pathlib import Path

    from zoo.index import load_index
    from zoo.measure.environment import git_commit
    from zoo.measure.latency import BenchConfig
    from zoo.measure.sweep import plan
    from zoo.results import open_store

    models = [model.name for model in selected_models(args, load_index(args.index), "measure")]
    backends = selected_backends(args)
    if any(batch < 1 for batch in args.batch or [1]):
        raise ZooError("--batch must be positive")
    template = BenchConfig(
        model="",
        backend="",
        threads=args.threads,
        min_time_s=args.min_time,
        max_time_s=max(args.max_time, args.min_time),
        min_iterations=args.min_iterations,
        target_ci=args.target_ci,
        index=str(Path(args.index).resolve()),
        checkpoint=str(Path(args.checkpoint).resolve()) if args.checkpoint else None,
    )
    configs = plan(models, backends, args.precision or ["fp32"], args.batch or [1], template)
    executor = _executor(args)  # connects first: an unreachable cluster writes nothing

    with open_store(Path(args.db) if args.db else None) as store:
        run_id = store.latest_run() if args.resume else None
        done = store.done_keys(run_id) if run_id else set()
        if run_id is None:
            run_id = store.start_run(shlex.join(["zoo", *sys.argv[1:]]), executor.name, git_commit())
        with contextlib.redirect_stdout(sys.stderr):  # stdout is for the table or --json alone (Ray prints)
            results = _run_with_progress(configs, done, executor, store, run_id)
        failed = [m for m in results if m.status != "ok"]
        store.finish_run(run_id, "failed" if failed else "finished")

    if args.json:
        from zoo.results import as_row

        print_json({"run": run_id, "results": [as_row(m) for m in results]})
    else:
        _print_summary(results, run_id, len(done))
    return 1 if failed else 0


def _executor(args: argparse.Namespace) -> Any:
    if args.executor == "ray":
        from zoo.measure.ray_executor import RayExecutor

        return RayExecutor(args.address, args.timeout)
    if args.address:
        raise ZooError("--address is for --executor ray")
    from zoo.measure.executors import LocalExecutor

    return LocalExecutor(args.timeout)


def _run_with_progress(
    configs: list[Any], done: set[str], executor: Any, store: Any, run_id: int
) -> list[Any]:
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from zoo.measure.sweep import run_sweep

    todo = [c for c in configs if c.key not in done]
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=Console(stderr=True), transient=True) as progress:
        task = progress.add_task("starting", total=len(todo))

        def announce(config_iter: Any) -> Any:
            for config in config_iter:
                progress.update(task, description=config.key.replace("|", " "))
                yield config

        def record(measurement: Any) -> None:
            store.add(run_id, measurement)
            progress.advance(task)
            if measurement.status != "ok":
                progress.console.print(f"[red]failed[/] {measurement.config.key}: {measurement.reason}")

        try:
            return run_sweep(announce(todo), executor, record)
        except KeyboardInterrupt:
            store.finish_run(run_id, "interrupted")
            raise


def _print_summary(results: list[Any], run_id: int, skipped: int) -> None:
    import pandas as pd

    from zoo.results import results_frame

    frame = results_frame(results)
    if frame.empty:
        print(f"run {run_id}: nothing to measure ({skipped} configurations already done)")
        return
    ok = frame[frame.status == "ok"].copy()
    if not ok.empty:
        torch = ok[ok.backend == "torch"].set_index(["model", "precision", "batch", "threads"]).median_ms
        keys = list(zip(ok.model, ok.precision, ok.batch, ok.threads, strict=True))
        ok["vs_torch"] = [torch.get(k, float("nan")) / m for k, m in zip(keys, ok.median_ms, strict=True)]
        columns = ["model", "backend", "precision", "batch", "median_ms", "p90_ms", "vs_torch", "converged"]
        if (ok.batch > 1).any():
            columns.append("throughput_ips")
        with pd.option_context("display.float_format", "{:.2f}".format):
            print(ok[columns].to_string(index=False, na_rep="-"))
    for row in frame[frame.status != "ok"].itertuples():
        print(f"FAILED {row.model} {row.backend} {row.precision} b{row.batch}: {row.reason}")
    hosts = pd.Series([m.environment.get("host", "?") for m in results]).value_counts()
    if len(hosts) > 1:
        print("per node: " + ", ".join(f"{host} {count}" for host, count in hosts.items()))
    print(f"\nrun {run_id}: {len(ok)} measured, {len(frame) - len(ok)} failed, {skipped} skipped (--resume)")
