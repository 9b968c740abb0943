"""Validate a model: build it once on `meta`, measure every declared field from it, judge each one."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlparse

from zoo._errors import ZooError, one_line
from zoo.index import Index, Metadata, Model
from zoo.measure.meta_model import build_meta_model
from zoo.validate import _checks
from zoo.validate._meta import estimate_file_size
from zoo.validate._results import ACCURACY_CSV, load_accuracy, results
from zoo.validate._verdict import Verdict

if TYPE_CHECKING:
    import pandas as pd
    from torch import nn

# The fields measured from the model itself, in table order (Mean and Std join when declared).
MEASURED = ("FLOPs", "Parameters", "File Size", "Image Size", "Crop Pct", "Interpolation")


def validate_model(
    model: Model, checkpoint: Path | None = None, accuracy: pd.DataFrame | None = None
) -> list[Verdict]:
    """One verdict per field. A model timm does not know is `unknown`, one it cannot build `error`."""
    import timm

    try:
        module = build_meta_model(model.name)
    except Exception as error:
        known = timm.is_model(model.name)
        reason = (
            f"cannot build it in timm {timm.__version__}: {one_line(error)}"
            if known
            else f"timm {timm.__version__} has no model named {model.name!r}"
        )
        return [*_unmeasured(model, "error" if known else "unknown", reason), *results(model, accuracy)]
    try:
        measured = _measure(model, module, checkpoint)
    except ZooError:
        raise  # bad input, such as a checkpoint that is not this model's file
    except Exception as error:  # one model's surprise must not end a run over a whole index
        measured = _unmeasured(model, "error", f"cannot measure it: {one_line(error)}")
    return [*measured, *results(model, accuracy)]


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
    """
    models = index.select(names)
    if checkpoint is not None and len(models) != 1:
        raise ZooError(f"--checkpoint is one model's file; name exactly one model, not {len(models)}")
    accuracy = load_accuracy(accuracy_csv or index.root.parent / ACCURACY_CSV)
    verdicts: list[Verdict] = []
    for model in models:
        verdicts += validate_model(model, checkpoint, accuracy)
        if progress is not None:
            progress(model)
    return verdicts


def _unmeasured(model: Model, verdict: str, reason: str) -> list[Verdict]:
    fields = model.metadata.fields
    names = [*MEASURED, *(name for name in ("Mean", "Std") if name.lower() in fields)]
    return [
        Verdict(model.name, name, model.metadata.get(name), None, None, verdict, reason) for name in names
    ]


def _measure(model: Model, module: nn.Module, checkpoint: Path | None) -> list[Verdict]:
    from timm.data import resolve_model_data_config

    from zoo.measure.flops import count_flops

    fields = model.metadata.fields
    config = resolve_model_data_config(module)
    size, size_note = model.metadata.image_size, ""
    if size is None:
        size = config["input_size"][-1]
        size_note = f" (counted at timm's input size {size}: none declared)"
    parameters = sum(p.numel() for p in module.parameters())
    return [
        _checks.flops(model.name, fields.get("flops"), count_flops(module, size), size_note),
        _checks.parameters(model.name, fields.get("parameters"), parameters),
        _file_size(model, module, checkpoint),
        *_checks.input_config(model.name, fields, config, dict(module.pretrained_cfg)),
    ]


def _file_size(model: Model, module: nn.Module, checkpoint: Path | None) -> Verdict:
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
            return Verdict(model.name, "File Size", declared.value, None, None, "error", str(error))
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
    estimate = estimate_file_size(module)
    return _checks.file_size(
        model.name, declared, estimate, "estimate", f"estimated from the state dict ({why})"
    )
