"""`zoo eval`: top-1 / top-5 accuracy per model and backend, each image preprocessed once per model."""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
from pathlib import Path
from typing import Any

from zoo._errors import ZooError
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
from zoo.cli._progress import progress
from zoo.results.paired import DEFAULT_BUDGET
from zoo.results.records import Status
from zoo.spec import REFERENCE


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser(
        "eval",
        help="ImageNet top-1/top-5 per model and backend (a bundled smoke check without --data)",
        description="Accuracy per model and backend with each model's own preprocessing. Without --data it "
        "runs a few bundled photos: a smoke check, not an ImageNet accuracy.",
    )
    add_model_arguments(parser, "evaluate")
    add_run_arguments(parser, repeatable_precision=True)
    add_matrix_argument(parser)
    parser.add_argument(
        "--data",
        type=Path,
        help="ImageNet: synset folders (n01440764/...) or one folder of images + labels file",
    )
    parser.add_argument(
        "--split", default="val", help="subfolder of --data to use when it exists (default: val)"
    )
    parser.add_argument(
        "--labels",
        type=Path,
        help="labels file for a flat folder: FILE,LABEL lines (CSV, TSV or spaces; a header may name the "
        "columns), the label a class index 0-999, a synset n01440764 or a WordNet id 01440764-n; or "
        "Kaggle's LOC_val_solution.csv (default: looked for beside the images)",
    )
    parser.add_argument(
        "--dataset-name",
        help="what the images are (default: the `name:` of zoo-dataset.yml in --data, else unnamed); a "
        "declared top-1 is compared only with a measurement on the dataset it was declared for",
    )
    parser.add_argument(
        "--accuracy-budget",
        type=float,
        default=DEFAULT_BUDGET,
        help="the share of torch fp32's top-1 a configuration must keep (default: MLPerf's 0.99)",
    )
    parser.add_argument("--limit", type=int, help="evaluate N images spread evenly over the set")
    parser.add_argument("--batch", type=int, default=1, help="static batch size every backend is built for")
    parser.add_argument(
        "--workers",
        type=int,
        default=min(4, max((os.cpu_count() or 1) - 1, 0)),
        help="image decoding processes",
    )
    parser.add_argument(
        "--no-reference",
        action="store_true",
        help="do not run torch fp32 to compare logits with, unless asked",
    )
    parser.add_argument(
        "--export", action="store_true", help="merge the accuracy into benchmarks/results/ beside the index"
    )
    add_executor_arguments(parser, timeout_s=86400.0)
    add_db_argument(parser)
    add_index_argument(parser)
    add_json_argument(parser)
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from zoo.api import evaluate
    from zoo.data import find_images, smoke_set
    from zoo.data.identity import declared_figures, identify
    from zoo.index import load_index
    from zoo.measure.scenarios.accuracy import ImageOptions, workers

    models = selected_models(args, load_index(args.index), "evaluate")
    if args.export and not args.data:
        raise ZooError(
            "--export writes ImageNet accuracy for the model cards, and the bundled photos are only a smoke "
            "check: pass --data DIR"
        )
    options = ImageOptions(args.limit, args.workers)
    matrix = matrix_precisions(args)
    specs = plan_from_args(
        args, models, batches=[args.batch], scenarios=["accuracy"], skip_unsupported=matrix
    ).specs
    image_set = find_images(args.data, args.split, args.labels) if args.data else smoke_set()
    identity = identify(image_set, args.dataset_name)
    declared = {model.name: declared_figures(model, identity) for model in models}
    executor = executor_from_args(args)  # connects first: an unreachable cluster writes nothing
    watch = progress("zoo eval", workers(specs, not args.no_reference), _outcome)
    with contextlib.redirect_stdout(sys.stderr), watch as listener:  # Ray prints
        report, run_id = evaluate(
            specs,
            declared,
            image_set,
            options,
            not args.no_reference,
            listener,
            store_path(args),
            executor,
            identity,
            args.accuracy_budget,
        )
    exported = export_run(args, run_id) if args.export else []
    if args.json:
        print_json({**report.as_dict(), "run": run_id, "exported": [str(p) for p in exported]})
    else:
        print_report(report)
        print(f"\nstored as run {run_id}; `zoo results list` shows the history")
        for path in exported:
            print(f"exported to {path}")
    return 1 if any(result.status == Status.FAILED for result in report.rows) else 0


def _outcome(record: Any) -> str:
    """How one worker's pass over the images ended, for the progress line."""
    if record.status != Status.OK:
        return f"{str(record.status).upper()}: {record.reason}"
    return (
        f"top-1 {_interval(record.top1)} % on {record.images} images; images/s "
        f"{number(record.images_per_s, '.1f')} inference, {number(record.end_to_end_images_per_s, '.1f')} "
        "JPEG to logits"
    )


def _interval(proportion: Any) -> str:
    if proportion is None:
        return "-"
    return f"{proportion.percent:.2f} [{proportion.low:.1f}, {proportion.high:.1f}]"


def _table_row(result: Any) -> dict[str, Any]:
    if result.status != Status.OK:
        return {"backend": result.backend, "precision": result.precision, "top-1 % [95% CI]": result.reason}
    agreement = result.agreement
    unmatched = "reference" if REFERENCE.is_(result.backend, result.precision) else "-"
    return {
        "backend": result.backend,
        "precision": result.precision,
        "images": result.images,
        "top-1 % [95% CI]": _interval(result.top1),
        "top-5 % [95% CI]": _interval(result.top5),
        "declared 1/5": f"{number(result.declared_top1, '.2f')}/{number(result.declared_top5, '.2f')}",
        "diff top-1": number(result.top1_difference, "+.2f"),
        "agree top-1 %": unmatched if agreement is None else f"{100 * agreement.top1_agreement:.2f}",
        "max |dlogit|": "-" if agreement is None else f"{agreement.max_abs_diff:.2e}",
        "Δtop-1 vs torch fp32 [95% CI]": _cost(result.cost),
        "verdict": "-" if result.cost is None else result.cost.verdict,
        "images/s inference": number(result.images_per_s, ".1f"),
        "images/s JPEG to logits": number(result.end_to_end_images_per_s, ".1f"),
    }


def _cost(cost: Any) -> str:
    """Δtop-1 with its paired interval, the images whose top-1 changed, McNemar's p."""
    if cost is None:
        return "-"
    return (
        f"{cost.delta_top1:+.2f} [{cost.delta_top1_low:+.2f}, {cost.delta_top1_high:+.2f}], "
        f"{cost.changed_top1} changed, p={cost.mcnemar_p:.2g}"
    )


def _preprocessing(config: dict[str, Any]) -> str:
    size = "x".join(str(n) for n in config["input_size"][1:])
    crop = f"crop {config.get('crop_pct')} {config.get('crop_mode', 'center')}"
    normalize = f"mean {tuple(config.get('mean', ()))}, std {tuple(config.get('std', ()))}"
    return f"{size}, {crop}, {config.get('interpolation')}, {normalize}"


def print_report(report: Any) -> None:
    import pandas as pd

    from zoo.data import SMOKE_NOTICE

    if report.smoke:
        print(f"SMOKE CHECK on {report.images} bundled photos: {SMOKE_NOTICE}.")
        print("Pass --data DIR to evaluate on ImageNet.\n")
    else:
        print(f"{report.dataset}: {report.images} images, {report.layout} layout in {report.root}\n")
    if not report.smoke and all(row.declared_top1 is None for row in report.rows):
        print("declared top-1 figures are not compared: they were declared on another dataset\n")
    for warning in report.warnings:
        print(f"warning: {warning}")
    for evaluation in report.evaluations:
        print(f"{evaluation.model}  weights: {evaluation.weights}; {evaluation.weights_note}")
        print(f"  preprocessing: {_preprocessing(evaluation.data_config)}")
        for difference in evaluation.differences:
            print(f"  declared differs from timm, declared used: {difference}")
        table = pd.DataFrame([_table_row(result) for result in evaluation.results]).fillna("")
        if report.smoke:  # four photos against an ImageNet figure: a difference that means nothing
            table = table.drop(columns="diff top-1", errors="ignore")
        print("  " + table.to_string(index=False).replace("\n", "\n  "))
        if evaluation.skipped:
            print(f"  skipped {len(evaluation.skipped)} unreadable images:")
            for skipped in evaluation.skipped[:5]:
                print(f"    {skipped.path}: {skipped.reason}")
        if evaluation.loading_share is not None:
            print(
                f"  {evaluation.wall_s:.1f} s in all; {100 * evaluation.loading_share:.0f}% of it waiting "
                "for image loading and decoding"
            )
        print()
    if report.smoke:
        print(f"(smoke check: {SMOKE_NOTICE})")
