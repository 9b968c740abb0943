"""Arguments and output shared by the commands."""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from zoo._errors import ZooError
from zoo.paths import project_paths
from zoo.spec import Precision

if TYPE_CHECKING:
    from zoo.index import Index, Model
    from zoo.measure.executors import Executor
    from zoo.measure.plan import Plan

DEFAULT_INDEX = "model-index.yml"
DEFAULT_BACKENDS = ("torch", "onnxruntime", "openvino")
PRECISIONS = [str(p) for p in Precision]


def add_index_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--index",
        type=Path,
        default=Path(os.environ.get("ZOO_INDEX", DEFAULT_INDEX)),
        help="root model-index file (default: $ZOO_INDEX or ./model-index.yml); "
        "the default paths of results, templates and cards are beside it",
    )


def add_db_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--db", type=Path, help="results database (default: $ZOO_DB or .zoo/results.db beside the index)"
    )


def store_path(args: argparse.Namespace) -> Path:
    """`--db`, else the project's store beside the index."""
    return Path(args.db) if args.db else project_paths(args.index).store


def add_results_argument(parser: argparse.ArgumentParser) -> None:
    """The committed results export that cards and the site are made from."""
    parser.add_argument(
        "--results",
        type=Path,
        help="the committed results export (default: benchmarks/results/ beside the index)",
    )


def results_path(args: argparse.Namespace) -> Path:
    """`--results`, else the project's committed results beside the index."""
    return Path(args.results) if args.results else project_paths(args.index).results


def add_json_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="print JSON for machines instead of a table")


def number(value: float | None, spec: str) -> str:
    """A table cell: the value formatted, or a dash where there is none."""
    return "-" if value is None else format(value, spec)


def text_table(rows: list[dict[str, Any]]) -> str:
    """Rows as a right-aligned text table (pandas' `to_string` look, without importing pandas: `zoo
    list` on a large index answers in the time of reading it)."""
    columns = list(rows[0])
    cells = [columns, *([("-" if row[c] is None else str(row[c])) for c in columns] for row in rows)]
    widths = [max(len(line[i]) for line in cells) for i in range(len(columns))]
    return "\n".join(
        " ".join(cell.rjust(width) for cell, width in zip(line, widths, strict=True)) for line in cells
    )


def print_json(data: Any) -> None:
    print(json.dumps(data, indent=2, default=str, ensure_ascii=False))


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


def add_run_arguments(parser: argparse.ArgumentParser, repeatable_precision: bool = False) -> None:
    """Which backends run, at which precision, with the thread budget every one of them gets."""
    parser.add_argument(
        "--backend",
        action="append",
        metavar="NAME",
        help=f"backend to run (repeatable; default: {', '.join(DEFAULT_BACKENDS)}; also torch-compile; "
        "`zoo backends` lists them)",
    )
    parser.add_argument("--threads", type=int, default=os.cpu_count() or 1, help="thread budget per backend")
    parser.add_argument(
        "--device", default="cpu", help="cpu (default), or cuda / cuda:N where a backend reaches one"
    )
    if repeatable_precision:
        parser.add_argument(
            "--precision", action="append", choices=PRECISIONS, help="repeatable; default: fp32"
        )
    else:
        parser.add_argument(
            "--precision", default="fp32", choices=PRECISIONS, help="(the reference stays fp32)"
        )
    parser.add_argument("--checkpoint", type=Path, help="weights file to use instead of the packaged ones")
    parser.add_argument(
        "--calibration",
        type=Path,
        help="INT8: calibration images, any layout --data reads (default: bundled)",
    )


def add_matrix_argument(parser: argparse.ArgumentParser, what: str = "") -> None:
    parser.add_argument(
        "--matrix",
        action="store_true",
        help=f"every precision{what} each backend can run (fp32, bf16, int8); pairs a backend cannot run "
        "are skipped with a notice",
    )


def matrix_precisions(args: argparse.Namespace) -> bool:
    """With `--matrix`, every precision (each backend then runs those it can); whether it was given."""
    if args.matrix:
        if args.precision:
            raise ZooError("--matrix runs every precision: leave out --precision")
        args.precision = list(PRECISIONS)
    return bool(args.matrix)


def add_executor_arguments(parser: argparse.ArgumentParser, timeout_s: float) -> None:
    """Where configurations run (`zoo bench`, `eval`, `check-backends` alike), and how long each may."""
    parser.add_argument(
        "--timeout", type=float, default=timeout_s, help="seconds before a configuration is failed"
    )
    parser.add_argument(
        "--executor", choices=["local", "ray"], default="local", help="where configurations run"
    )
    parser.add_argument(
        "--address", help="Ray cluster address for --executor ray (default: a local instance)"
    )


def executor_from_args(args: argparse.Namespace) -> Executor:
    from zoo.measure.executors import make_executor

    if args.timeout <= 0:
        raise ZooError(f"--timeout must be positive, got {args.timeout:g}")
    return make_executor(args.executor, args.address, args.timeout)


def plan_from_args(
    args: argparse.Namespace,
    models: list[Model],
    batches: list[int],
    scenarios: list[str] | None = None,
    skip_unsupported: bool = False,
    sla_ms: float | None = None,
    **timing: Any,
) -> Plan:
    """The run specs the arguments describe; a backend named explicitly that cannot run a precision or
    scenario is refused (unless `skip_unsupported`), a default one is skipped with a notice on stderr."""
    from zoo.backends import backend_class
    from zoo.measure.plan import plan
    from zoo.spec import LATENCY, Timing

    if args.threads < 1:
        raise ZooError(f"--threads must be at least 1, got {args.threads}")
    if args.threads > (os.cpu_count() or 1):
        print(
            f"zoo: warning: --threads {args.threads} is more than the {os.cpu_count()} cores here",
            file=sys.stderr,
        )
    backends = list(dict.fromkeys(args.backend or DEFAULT_BACKENDS))
    for name in backends:
        backend_class(name)  # an unknown name is an error that lists the known ones
    precision = args.precision
    precisions = precision if isinstance(precision, list) else [precision or "fp32"]
    if args.calibration is not None and not Path(args.calibration).is_dir():
        raise ZooError(f"--calibration {args.calibration} is not a folder of images")
    made = plan(
        models,
        backends,
        explicit_backends=bool(args.backend) and not skip_unsupported,
        precisions=precisions,
        batches=batches,
        scenarios=scenarios or [LATENCY],
        threads=args.threads,
        timing=Timing(**timing) if timing else None,
        checkpoint=Path(args.checkpoint).resolve() if args.checkpoint else None,
        calibration=str(Path(args.calibration).resolve()) if args.calibration else None,
        device=args.device,
        sla_ms=sla_ms,
    )
    for notice in made.notices:
        print(f"zoo: {notice}", file=sys.stderr)
    return made


def export_run(args: argparse.Namespace, run_id: int | None) -> list[Path]:
    """`--export`: this run's records into the results folder beside the index (`zoo results export`)."""
    from zoo.results import export, open_store

    with open_store(store_path(args), readonly=True) as store:
        return export(store, project_paths(args.index).results, run_id)
