"""`zoo list` and `zoo show`: what the index declares."""

from __future__ import annotations

import argparse
from typing import Any

from zoo.cli._common import add_index_argument, add_json_argument, print_json, text_table
from zoo.index import Model, load_index


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    list_parser = commands.add_parser("list", help="one row per model in the index")
    add_index_argument(list_parser)
    add_json_argument(list_parser)
    list_parser.set_defaults(run=run_list)

    show_parser = commands.add_parser("show", help="everything declared about one model, and where")
    show_parser.add_argument("model", help="model name, e.g. tf_efficientnet_lite0")
    add_index_argument(show_parser)
    add_json_argument(show_parser)
    show_parser.set_defaults(run=run_show)


def summary_row(model: Model) -> dict[str, Any]:
    meta = model.metadata
    return {
        "name": model.name,
        "collection": model.collection,
        "image_size": meta.image_size,
        "crop_pct": meta.crop_pct,
        "interpolation": meta.interpolation,
        "params": meta.parameters,
        "flops": meta.flops,
        "problems": len(model.problems),
    }


def run_list(args: argparse.Namespace) -> int:
    index = load_index(args.index)
    rows = [summary_row(model) for model in index.models.values()]
    if args.json:
        print_json(rows)
        return 0
    print(text_table(rows) if rows else "(no models)")
    print(f"\n{len(rows)} models in {len(index.files)} files ({args.index})")
    return 0


def describe(model: Model) -> dict[str, Any]:
    """Everything declared about a model, each value with the file and line it came from, and the
    timm model and pretrained tag it is (a retired name as timm renamed it)."""
    return {
        "name": model.name,
        "declared_at": str(model.source),
        "collection": model.collection,
        "paper": None if model.paper is None else {"title": model.paper.title, "url": model.paper.url},
        "metadata": {
            d.key: {"value": d.value, "text": d.text, "declared_at": str(d.source)}
            for d in model.metadata.fields.values()
        },
        "results": [
            {
                "task": r.task,
                "dataset": r.dataset,
                "metrics": {m.key: m.value for m in r.metrics.values()},
                "declared_at": str(r.source),
            }
            for r in model.results
        ],
        "weights": model.weights,
        "code": model.code,
        "extra": dict(model.extra),
        "problems": list(model.problems),
        "timm": timm_identity(model),
    }


def timm_identity(model: Model) -> dict[str, Any]:
    """What `zoo validate` judges the model as: timm's architecture, and the tag its weights are (from
    the cached table of timm's tags: timm itself is not imported)."""
    from zoo.weights import resolve_pretrained

    pretrained = resolve_pretrained(model.name, model.weights)
    return {
        "architecture": pretrained.architecture,
        "renamed": pretrained.renamed,
        "tag": pretrained.tag,
        "pinned_by": pretrained.pinned_by,
        "candidates": list(pretrained.candidates),
        "weights_verdict": pretrained.verdict,
        "detail": pretrained.weights_detail,
        "judged_as": pretrained.judged_as,
    }


def run_show(args: argparse.Namespace) -> int:
    model = load_index(args.index).model(args.model)
    info = describe(model)
    if args.json:
        print_json(info)
        return 0
    print(f"{model.name}  (declared at {model.source})")
    for problem in model.problems:
        print(f"  problem: {problem}")
    print(f"  collection: {model.collection or '-'}")
    if model.paper:
        print(f"  paper: {model.paper.title or '-'} <{model.paper.url or '-'}>")
    print("  metadata:")
    for declared in model.metadata.fields.values():
        print(f"    {declared.key}: {declared.text}  [{declared.source}]")
    for result in model.results:
        metrics = ", ".join(f"{m.key} {m.text}" for m in result.metrics.values())
        print(f"  result: {result.task} on {result.dataset}: {metrics}  [{result.source}]")
    for label, value in (("weights", model.weights), ("code", model.code)):
        if value:
            print(f"  {label}: {value}")
    for key, value in model.extra.items():
        print(f"  {key}: {value}")
    timm = info["timm"]
    if timm["tag"]:
        print(f"  timm: {timm['tag']} (pinned by {timm['judged_as']})")
    else:
        print(f"  timm: {timm['architecture'] or '-'} ({timm['judged_as'] or timm['detail']})")
    if timm["architecture"] and timm["detail"] != "not declared":
        print(f"    weights: {timm['detail']}")
    return 0
