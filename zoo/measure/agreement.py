"""Do the backends compute the same function? Logits against PyTorch fp32 on the same real photos.

fp32 backends must match the reference to `FP32_TOLERANCE` (max absolute logit difference). A bf16
run is compared too, and reported as bf16 with its own agreement, never passed off as fp32: it
passes when it picks the same top-1 class on every photo.
"""

from __future__ import annotations

import dataclasses
import math
import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from zoo._errors import ZooError, one_line
from zoo.backends import BackendConfig, backend_class, create_backend
from zoo.measure.inputs import preprocessed_batch, sample_images
from zoo.weights import WeightsInfo, load_model

if TYPE_CHECKING:
    import numpy

    from zoo.index import Model

FP32_TOLERANCE = 1e-4  # fp32 backends measured here differ by ~1e-5 on lite0's logits
REFERENCE = "torch fp32"


@dataclass(frozen=True)
class Agreement:
    """One backend's logits against the reference; the columns of `agreement.csv`."""

    model: str
    backend: str
    precision: str
    weights: str  # WeightsInfo.kind
    reference: str
    images: int
    top1_agreement: float | None
    max_abs_diff: float | None
    mean_abs_diff: float | None
    status: str
    reason: str

    def as_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


def logit_differences(reference: numpy.ndarray, logits: numpy.ndarray) -> tuple[float, float, float]:
    """(top-1 agreement, max |diff|, mean |diff|) of two (batch, classes) arrays."""
    import numpy

    if logits.shape != reference.shape:
        raise ZooError(f"logits have shape {logits.shape}, the reference {reference.shape}")
    difference = numpy.abs(logits.astype(numpy.float64) - reference.astype(numpy.float64))
    top1 = float(numpy.mean(logits.argmax(axis=1) == reference.argmax(axis=1)))
    return top1, float(difference.max()), float(difference.mean())


def verdict(precision: str, top1: float, max_abs_diff: float, tolerance: float) -> tuple[str, str]:
    """(status, reason) for one comparison."""
    if precision == "fp32":
        if max_abs_diff <= tolerance:
            return "ok", ""
        return "disagrees", f"max |diff| {max_abs_diff:.2g} > fp32 tolerance {tolerance:g}"
    if top1 == 1.0:
        return "ok", f"{precision}: same top-1 on every image; not held to the fp32 tolerance"
    return "disagrees", f"{precision}: top-1 differs from {REFERENCE} on {1 - top1:.0%} of images"


def compare_backends(
    model: str,
    backends: list[str],
    precision: str = "fp32",
    declared: Model | None = None,
    checkpoint: Path | None = None,
    threads: int | None = None,
    tolerance: float = FP32_TOLERANCE,
    batch: int = 1,
) -> list[Agreement]:
    """Each backend's logits against PyTorch fp32; a backend that fails is a `failed` row, not an abort.

    Backends are built for `batch` (1 by default, the configuration `zoo bench` measures first) and
    run over the photos in batches, cycling the photos to fill the last one.
    """
    import torch

    for name in backends:
        backend_class(name)  # an unknown name fails before any work is done
    if batch < 1:
        raise ZooError(f"batch must be at least 1, got {batch}")
    count = math.ceil(len(sample_images()) / batch) * batch
    inputs = preprocessed_batch(model, count, declared)
    net, weights = load_model(model, checkpoint, declared)
    with torch.inference_mode():
        reference = net(torch.from_numpy(inputs)).numpy()
    del net
    config = BackendConfig(
        model,
        inputs.shape[1:],
        batch=batch,
        precision=precision,
        threads=threads or os.cpu_count() or 1,
        checkpoint=checkpoint,
        declared=declared,
    )
    return [_compare_one(name, config, inputs, reference, weights, tolerance) for name in backends]


def _compare_one(
    name: str,
    config: BackendConfig,
    inputs: numpy.ndarray,
    reference: numpy.ndarray,
    weights: WeightsInfo,
    tolerance: float,
) -> Agreement:
    import numpy

    row = {
        "model": config.model,
        "backend": name,
        "precision": config.precision,
        "weights": weights.kind,
        "reference": REFERENCE,
        "images": len(inputs),
    }
    try:
        backend = create_backend(name, config)
        report = backend.load()
        chunks = range(0, len(inputs), config.batch)
        logits = numpy.concatenate([backend.run(inputs[i : i + config.batch]) for i in chunks])
        top1, max_abs, mean_abs = logit_differences(reference, logits)
    except Exception as error:  # one backend's failure is its row; the others still run
        return Agreement(
            **row,
            top1_agreement=None,
            max_abs_diff=None,
            mean_abs_diff=None,
            status="failed",
            reason=one_line(error),
        )
    status, reason = verdict(config.precision, top1, max_abs, tolerance)
    row["weights"] = report.weights.kind
    return Agreement(
        **row,
        top1_agreement=top1,
        max_abs_diff=max_abs,
        mean_abs_diff=mean_abs,
        status=status,
        reason=reason,
    )


CSV_COLUMNS = tuple(field.name for field in dataclasses.fields(Agreement))
CSV_KEY = ["model", "backend", "precision"]


def export_csv(agreements: list[Agreement], path: Path) -> Path:
    """Merge rows into `agreement.csv`: one row per model, backend and precision; the newest wins."""
    from zoo.results import merge_csv

    return merge_csv([a.as_dict() for a in agreements], path, CSV_COLUMNS, CSV_KEY)
