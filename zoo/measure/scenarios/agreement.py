"""Do the backends compute the same function? Logits against PyTorch fp32 on the same real photos.

An fp32 backend must match the reference within a tolerance that scales with the logits: the larger
of `FP32_ABS_TOLERANCE` and `FP32_REL_TOLERANCE` times the range of the reference logits, so a model
on random weights whose logits reach 1e12 is judged as fairly as a trained one. A bf16 or int8 run is
reported under its own precision, never passed off as fp32: it passes when it picks the same top-1
class on every photo.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from zoo._errors import ZooError, one_line
from zoo.measure.inputs import preprocessed_batch, sample_images
from zoo.measure.scenarios._common import load
from zoo.results.records import AgreementRecord, AgreementStatus, LogitAgreement
from zoo.spec import Precision, RunSpec
from zoo.weights import load_model

if TYPE_CHECKING:
    import numpy

__all__ = [
    "FP32_ABS_TOLERANCE",
    "FP32_REL_TOLERANCE",
    "REFERENCE",
    "compare_backends",
    "logit_agreement",
    "verdict",
]

FP32_ABS_TOLERANCE = 1e-4  # fp32 backends measured here differ by ~1e-5 on lite0's logits (range ~25)
FP32_REL_TOLERANCE = 4e-6  # of the reference logits' range: the absolute tolerance at lite0's range
REFERENCE = "torch fp32"


def logit_agreement(reference: numpy.ndarray, logits: numpy.ndarray) -> LogitAgreement:
    """Top-1 agreement, max and mean |diff|, and max |diff| relative to the reference's range."""
    import numpy

    if logits.shape != reference.shape:
        raise ZooError(f"logits have shape {logits.shape}, the reference {reference.shape}")
    difference = numpy.abs(logits.astype(numpy.float64) - reference.astype(numpy.float64))
    spread = float(numpy.ptp(reference.astype(numpy.float64)))
    max_abs = float(difference.max())
    return LogitAgreement(
        reference=REFERENCE,
        images=len(reference),
        top1_agreement=float(numpy.mean(logits.argmax(axis=1) == reference.argmax(axis=1))),
        max_abs_diff=max_abs,
        mean_abs_diff=float(difference.mean()),
        max_rel_diff=max_abs / spread if spread > 0 else (0.0 if max_abs == 0 else math.inf),
    )


def verdict(precision: str, agreement: LogitAgreement) -> tuple[AgreementStatus, str]:
    """(status, reason) for one comparison."""
    if precision == Precision.FP32:
        if agreement.max_rel_diff is not None and agreement.max_rel_diff <= FP32_REL_TOLERANCE:
            return AgreementStatus.OK, ""
        if agreement.max_abs_diff <= FP32_ABS_TOLERANCE:
            return AgreementStatus.OK, ""
        return AgreementStatus.DISAGREES, (
            f"max |diff| {agreement.max_abs_diff:.2g} ({agreement.max_rel_diff:.2g} of the logits' range) "
            f"> fp32 tolerance {FP32_ABS_TOLERANCE:g} or {FP32_REL_TOLERANCE:g} of the range"
        )
    if agreement.top1_agreement == 1.0:
        return AgreementStatus.OK, f"{precision}: same top-1 on every image; not held to the fp32 tolerance"
    share = 1 - agreement.top1_agreement
    return AgreementStatus.DISAGREES, f"{precision}: top-1 differs from {REFERENCE} on {share:.0%} of images"


def reference_logits(spec: RunSpec, inputs: numpy.ndarray) -> numpy.ndarray:
    """PyTorch fp32, eager, on the spec's weights: what every backend is compared with."""
    import torch

    net = load_model(spec.model, spec.weights)
    with torch.inference_mode():
        return net(torch.from_numpy(inputs)).numpy()


def compare_backends(
    specs: Sequence[RunSpec], environment: dict[str, Any] | None = None
) -> list[AgreementRecord]:
    """Each spec's backend against PyTorch fp32 on the bundled photos; a failure is a row, not an abort.

    The specs are one model's (same data config and weights). Backends are built for the spec's batch
    and run over the photos in batches, cycling the photos to fill the last one.
    """
    import numpy

    if not specs:
        return []
    first = specs[0]
    batch = first.batch
    count = math.ceil(len(sample_images()) / batch) * batch
    inputs = preprocessed_batch(first.data, count)
    reference = reference_logits(first, inputs)
    rows = []
    for spec in specs:
        values: dict[str, Any] = {
            "model": spec.model,
            "backend": spec.backend,
            "precision": str(spec.precision),
            "weights": spec.weights.kind,
            "reference": REFERENCE,
            "images": len(inputs),
            "spec": spec.to_dict(),
            "environment": environment or {},
        }
        try:
            backend = load(spec, inputs[:batch]).backend
            chunks = range(0, len(inputs), batch)
            logits = numpy.concatenate([backend.run(inputs[i : i + batch]) for i in chunks])
            agreement = logit_agreement(reference, logits)
        except Exception as error:  # one backend's failure is its row; the others still run
            rows.append(AgreementRecord(**values, status=AgreementStatus.FAILED, reason=one_line(error)))
            continue
        status, reason = verdict(spec.precision, agreement)
        rows.append(AgreementRecord(**values, status=status, reason=reason, agreement=agreement))
    return rows
