"""Validate a model: resolve its timm tag, measure its structure once (or read it from the cache), judge
every declared field."""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlparse

from zoo._errors import ZooError, one_line
from zoo._processes import worker_context
from zoo.index import Index, Metadata, Model, image_size_text
from zoo.results.records import VerdictStatus
from zoo.validate import _checks
from zoo.validate._results import ACCURACY_CSV, load_accuracy, results
from zoo.validate._structure import CannotBuild, structure
from zoo.validate._verdict import Verdict
from zoo.weights import resolve_pretrained

if TYPE_CHECKING:
    import pandas as pd

# The fields measured from the model's structure, and those its pretrained tag decides (in table order;
# Mean and Std join when declared).
STRUCTURAL = ("FLOPs", "Parameters", "File Size")
MEASURED = (*STRUCTURAL, "Image Size", "Crop Pct", "Interpolation")
# Below this many models a worker pool costs more than it saves.
_POOL_MIN_MODELS = 8


def validate_model(
    model: Model, checkpoint: Path | None = None, accuracy: pd.DataFrame | None = None
) -> list[Verdict]:
    """One verdict per field. A model timm does not know is `unknown`, one it cannot build `error`."""
    import timm

    pretrained = resolve_pretrained(model.name, model.weights)
    weights = _checks.weights(model.name, model.weights, pretrained)
    fields = model.metadata.fields
    if pretrained.architecture is None:
        names = [*MEASURED, *(name for name in ("Mean", "Std") if name.lower() in fields)]
        unknown = _unmeasured(model, names, VerdictStatus.UNKNOWN, pretrained.detail)
        return [weights, *unknown, *results(model, accuracy)]
    size, size_note = model.metadata.image_size, ""
    if size is None:
        size = _checks.input_side(pretrained.default_config()["input_size"])
        size_note = f" (counted at timm's input size {image_size_text(size)}: none declared)"
    try:
        found = structure(model.name, size)
        measured = [
            _checks.flops(model.name, fields.get("flops"), found.flops, size_note),
            _checks.parameters(model.name, fields.get("parameters"), found.parameters),
            _file_size(model, found.estimated_file_size, checkpoint),
        ]
    except CannotBuild as error:
        reason = f"cannot build it in timm {timm.__version__}: {error}"
        measured = _unmeasured(model, STRUCTURAL, VerdictStatus.ERROR, reason)
    except ZooError:
        raise  # bad input, such as a checkpoint that is not this model's file
    except Exception as error:  # one model's surprise must not end a run over a whole index
        measured = _unmeasured(
            model, STRUCTURAL, VerdictStatus.ERROR, f"cannot measure it: {one_line(error)}"
        )
    config = _checks.input_config(model.name, fields, pretrained)  # the tag's, not the structure's
    return [weights, *measured, *config, *results(model, accuracy)]


def validate_index(
    index: Index,
    names: list[str] | None = None,
    *,
    checkpoint: Path | None = None,
    accuracy_csv: Path | None = None,
    progress: Callable[[Model], None] | None = None,
) -> list[Verdict]:
    """Validate the named models (every model when `names` is empty), calling `progress` after each.

    Declared accuracy is compared with `accuracy_csv`, by default the `zoo eval` export beside the index.
    Many models are validated by a pool of processes, one per core; the verdicts keep the index's order.
    """
    models = index.select(names)
    if checkpoint is not None and len(models) != 1:
        raise ZooError(f"--checkpoint is one model's file; name exactly one model, not {len(models)}")
    accuracy = load_accuracy(accuracy_csv or index.root.parent / ACCURACY_CSV)
    verdicts: list[Verdict] = []
    with _pool(len(models), accuracy) as pool:
        validated = (
            pool.map(_validate_in_worker, models, chunksize=2)
            if pool is not None
            else (validate_model(model, checkpoint, accuracy) for model in models)
        )
        for model, found in zip(models, validated, strict=True):
            verdicts += found
            if progress is not None:
                progress(model)
    return verdicts


@contextmanager
def _pool(models: int, accuracy: pd.DataFrame | None) -> Iterator[ProcessPoolExecutor | None]:
    """A process per core when there are enough models and cores, started from zoo's forkserver (which
    has imported torch, timm and pandas once). None (validate in this process) where a platform offers
    no process pool."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    workers = min(cores, models)
    if models < _POOL_MIN_MODELS or workers < 2:
        yield None
        return
    try:
        pool = ProcessPoolExecutor(workers, worker_context(), initializer=_start_worker, initargs=(accuracy,))
    except (OSError, ImportError, NotImplementedError):  # no semaphores, as in some sandboxes
        yield None
        return
    with pool:
        yield pool


_worker_accuracy: pd.DataFrame | None = None


def _start_worker(accuracy: pd.DataFrame | None) -> None:
    """Each worker measures on one thread: the pool, not torch, uses the cores."""
    import torch

    global _worker_accuracy
    _worker_accuracy = accuracy
    torch.set_num_threads(1)


def _validate_in_worker(model: Model) -> list[Verdict]:
    return validate_model(model, None, _worker_accuracy)


def _unmeasured(model: Model, names: Sequence[str], verdict: str, reason: str) -> list[Verdict]:
    return [
        Verdict(model.name, name, model.metadata.get(name), None, None, verdict, reason) for name in names
    ]


def _file_size(model: Model, estimate: int, checkpoint: Path | None) -> Verdict:
    """Bytes of the declared file when it is on disk; otherwise an estimate from the state dict."""
    from zoo.weights import WeightsError, find_weights

    declared = model.metadata.fields.get("file_size")
    if declared is None:
        return _checks.undeclared(model.name, "File Size")
    # find_weights refuses a declared file of another size; here that size is the finding to report.
    unsized = dataclasses.replace(
        model, metadata=Metadata({k: v for k, v in model.metadata.fields.items() if k != "file_size"})
    )
    try:
        weights = find_weights(model.name, checkpoint, declared=unsized)
    except WeightsError as error:
        if checkpoint is not None:
            raise
        if isinstance(error, FileNotFoundError):  # a declared file that is missing is a finding
            return Verdict(
                model.name, "File Size", declared.value, None, None, VerdictStatus.ERROR, str(error)
            )
        why = str(error)
    else:
        declared_name = Path(urlparse(model.weights or "").path).name
        if weights.path is not None and (
            weights.kind == "checkpoint"
            or (weights.kind == "hub-cache" and weights.path.name == declared_name)
        ):
            size = weights.path.stat().st_size
            return _checks.file_size(
                model.name, declared, size, weights.kind, f"{weights.kind} {weights.path}"
            )
        why = {
            "random": "no weights file on disk",
            "packaged": f"{weights.note} is another serialization than the declared file",
            "hub-cache": f"{weights.note} is not the declared {declared_name or 'file'}",
        }.get(weights.kind, weights.note)
    return _checks.file_size(
        model.name, declared, estimate, "estimate", f"estimated from the state dict ({why})"
    )
