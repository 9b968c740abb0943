"""`zoo check-backends`: does every backend compute what PyTorch fp32 computes, on real photos?"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from zoo._errors import ZooError
from zoo.cli._common import (
    add_export_argument,
    add_index_argument,
    add_json_argument,
    add_model_arguments,
    add_run_arguments,
    export_target,
    number,
    print_json,
    selected_backends,
    selected_models,
)

EXPORT_PATH = Path("benchmarks/results/agreement.csv")  # beside the index's root file


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser(
        "check-backends",
        help="compare each backend's logits with PyTorch fp32 on real photos",
        description="Run each model on each backend and compare the logits with PyTorch fp32 on the same "
        "preprocessed photos. Exits 1 when an fp32 backend disagrees beyond tolerance or fails.",
    )
    add_model_arguments(parser, "check")
    add_run_arguments(parser)
    parser.add_argument(
        "--precision", default="fp32", choices=["fp32", "bf16"], help="(the reference is fp32)"
    )
    parser.add_argument("--batch", type=int, default=1, help="static batch each backend is built for")
    parser.add_argument("--checkpoint", type=Path, help="weights file for the one model named")
    add_export_argument(parser, EXPORT_PATH, "results")
    add_index_argument(parser)
    add_json_argument(parser)
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from zoo.index import load_index
    from zoo.measure.agreement import compare_backends, export_csv

    if args.batch < 1:
        raise ZooError(f"--batch must be at least 1, got {args.batch}")
    backends = selected_backends(args)  # an unknown backend is an error before any model is loaded
    index = load_index(args.index)
    models = selected_models(args, index, "check")
    rows = []
    for model in models:
        if not args.json:
            print(f"checking {model.name} ...", file=sys.stderr, flush=True)
        rows += compare_backends(
            model.name, backends, args.precision, model, args.checkpoint, args.threads, batch=args.batch
        )
    exported = None
    if args.export:
        target = export_target(args, index)
        exported = str(export_csv(rows, target))
    if args.json:
        print_json({"results": [row.as_dict() for row in rows], "exported": exported})
    else:
        print_table(rows)
        if exported:
            print(f"\nexported to {exported}")
    return 1 if any(row.precision == "fp32" and row.status != "ok" for row in rows) else 0


def _table_row(row: Any) -> dict[str, Any]:
    return {
        "backend": row.backend,
        "precision": row.precision,
        "images": row.images,
        "top-1 agree": number(row.top1_agreement, ".0%"),
        "max |dlogit|": number(row.max_abs_diff, ".2e"),
        "mean |dlogit|": number(row.mean_abs_diff, ".2e"),
        "status": row.status,
        "reason": row.reason,
    }


def print_table(rows: list[Any]) -> None:
    import pandas as pd

    from zoo.measure.agreement import FP32_TOLERANCE, REFERENCE

    for model in dict.fromkeys(row.model for row in rows):
        mine = [row for row in rows if row.model == model]
        weights = mine[0].weights
        caveat = ": agreement only, these logits say nothing about accuracy" if weights == "random" else ""
        print(f"{model}  (weights: {weights}{caveat})")
        table = pd.DataFrame([_table_row(row) for row in mine])
        print("  " + table.to_string(index=False).replace("\n", "\n  "))
        print()
    print(f"reference: {REFERENCE} on the same photos; fp32 passes at max |dlogit| <= {FP32_TOLERANCE:g}")
