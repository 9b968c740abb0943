"""Arguments and output shared by the commands."""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from zoo._errors import ZooError

if TYPE_CHECKING:
    from zoo.index import Index, Model

DEFAULT_INDEX = "model-index.yml"


def add_index_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--index",
        type=Path,
        default=Path(os.environ.get("ZOO_INDEX", DEFAULT_INDEX)),
        help="root model-index file (default: $ZOO_INDEX or ./model-index.yml)",
    )


def add_results_argument(parser: argparse.ArgumentParser) -> None:
    """The committed results export that cards and the site are made from."""
    parser.add_argument(
        "--results",
        type=Path,
        default=Path("benchmarks/results"),
        help="the committed results export (default: benchmarks/results)",
    )


def add_json_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="print JSON for machines instead of a table")


def number(value: float | None, spec: str) -> str:
    """A table cell: the value formatted, or a dash where there is none."""
    return "-" if value is None else format(value, spec)


def print_json(data: Any) -> None:
    print(json.dumps(data, indent=2, default=str, ensure_ascii=False))


DEFAULT_BACKENDS = ("torch", "onnxruntime", "openvino")


def add_model_arguments(parser: argparse.ArgumentParser, verb: str) -> None:
    parser.add_argument("models", nargs="*", metavar="MODEL", help=f"models to {verb} (or --all)")
    parser.add_argument("--all", action="store_true", help="every model in the index")


def selected_models(args: argparse.Namespace, index: Index, verb: str) -> list[Model]:
    """The models named, or all with --all; naming none (or both) is a usage error."""
    if bool(args.models) == bool(args.all):
        raise ZooError(f"name the models to {verb}, or pass --all (not both)")
    checkpoint = getattr(args, "checkpoint", None)
    if checkpoint is not None:
        if len(args.models) != 1:
            raise ZooError("--checkpoint holds the weights of one model: name exactly one")
        if not Path(checkpoint).is_file():
            raise ZooError(f"checkpoint {checkpoint} does not exist")
    return index.select(args.models or None)


def add_run_arguments(parser: argparse.ArgumentParser) -> None:
    """Which backends run, and the thread budget every one of them gets."""
    parser.add_argument(
        "--backend",
        action="append",
        metavar="NAME",
        help=f"backend to run (repeatable; default: {', '.join(DEFAULT_BACKENDS)}; also torch-compile)",
    )
    parser.add_argument("--threads", type=int, default=os.cpu_count() or 1, help="thread budget per backend")


def selected_backends(args: argparse.Namespace) -> list[str]:
    """The backends asked for (default: the three), each known, in order, without repeats."""
    from zoo.backends import backend_class

    backends = list(dict.fromkeys(args.backend or DEFAULT_BACKENDS))
    for name in backends:
        backend_class(name)  # an unknown name is an error that lists the known ones
    if args.threads < 1:
        raise ZooError(f"--threads must be at least 1, got {args.threads}")
    return backends


def add_export_argument(parser: argparse.ArgumentParser, path: Path, what: str) -> None:
    parser.add_argument(
        "--export",
        nargs="?",
        const=path,
        type=Path,
        metavar="CSV",
        help=f"merge the {what} into {path} (relative to the index)",
    )


def export_target(args: argparse.Namespace, index: Index) -> Path:
    """Where `--export` writes: a relative path is taken beside the index's root file."""
    path: Path = args.export
    return path if path.is_absolute() else index.root.parent / path
