"""`zoo check-backends`: does every backend compute what PyTorch fp32 computes, on real photos?"""

from __future__ import annotations

import argparse
import contextlib
import sys
from typing import Any

from zoo.cli._common import (
    add_db_argument,
    add_executor_arguments,
    add_index_argument,
    add_json_argument,
    add_matrix_argument,
    add_model_arguments,
    add_run_arguments,
    executor_from_args,
    export_run,
    matrix_precisions,
    number,
    plan_from_args,
    print_json,
    selected_models,
    store_path,
)
from zoo.cli._progress import failed, progress


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser(
        "check-backends",
        help="compare each backend's logits with PyTorch fp32 on real photos",
        description="Run each model on each backend and compare the logits with PyTorch fp32 on the same "
        "preprocessed photos. Exits 1 when an fp32 backend disagrees beyond tolerance or fails.",
    )
    add_model_arguments(parser, "check")
    add_run_arguments(parser, repeatable_precision=True)
    add_matrix_argument(parser)
    parser.add_argument("--batch", type=int, default=1, help="static batch each backend is built for")
    parser.add_argument(
        "--export", action="store_true", help="merge the agreement into benchmarks/results/ beside the index"
    )
    add_executor_arguments(parser, timeout_s=600.0)
    add_db_argument(parser)
    add_index_argument(parser)
    add_json_argument(parser)
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from zoo.api import check_backends
    from zoo.index import load_index
    from zoo.measure.compare import planned_jobs

    models = selected_models(args, load_index(args.index), "check")
    matrix = matrix_precisions(args)
    specs = plan_from_args(
        args, models, batches=[args.batch], scenarios=["agreement"], skip_unsupported=matrix
    ).specs
    executor = executor_from_args(args)  # connects first: an unreachable cluster writes nothing
    watch = progress("zoo check-backends", planned_jobs(specs), _outcome)
    with contextlib.redirect_stdout(sys.stderr), watch as listener:  # Ray prints
        rows, run_id = check_backends(specs, store_path(args), executor, listener)
    exported = export_run(args, run_id) if args.export else []
    if args.json:
        print_json({"results": [row.as_dict() for row in rows], "exported": [str(p) for p in exported]})
    else:
        print_table(rows)
        for path in exported:
            print(f"exported to {path}")
    return 1 if any(row.precision == "fp32" and failed(row) for row in rows) else 0


def _outcome(record: Any) -> str:
    """How one worker ended, for the progress line (its logits are compared once all have run)."""
    if failed(record):
        return f"{str(record.status).upper()}: {record.reason}"
    return f"logits of {record.images} photos kept to compare"


def _table_row(row: Any) -> dict[str, Any]:
    values = row.row()
    return {
        "backend": row.backend,
        "precision": row.precision,
        "images": row.images,
        "top-1 agree": number(values["top1_agreement"], ".0%"),
        "max |dlogit|": number(values["max_abs_diff"], ".2e"),
        "max rel": number(values["max_rel_diff"], ".1e"),
        "mean |dlogit|": number(values["mean_abs_diff"], ".2e"),
        "status": row.status,
        "reason": row.reason,
    }


def print_table(rows: list[Any]) -> None:
    import pandas as pd

    from zoo.measure.scenarios.agreement import FP32_ABS_TOLERANCE, FP32_REL_TOLERANCE, REFERENCE

    for model in dict.fromkeys(row.model for row in rows):
        mine = [row for row in rows if row.model == model]
        weights = mine[0].weights
        caveat = ": agreement only, these logits say nothing about accuracy" if weights == "random" else ""
        print(f"{model}  (weights: {weights}{caveat})")
        table = pd.DataFrame([_table_row(row) for row in mine])
        print("  " + table.to_string(index=False).replace("\n", "\n  "))
        print()
    print(
        f"reference: {REFERENCE.label} on the same photos; fp32 passes at max |dlogit| <= "
        f"{FP32_ABS_TOLERANCE:g} or <= {FP32_REL_TOLERANCE:g} of the reference logits' range"
    )
