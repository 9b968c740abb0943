"""Do the backends compute the same function? Logits against PyTorch fp32 on the same real photos.

The worker runs one backend over the bundled photos and leaves its logits; the driver runs the
reference (torch fp32) as a job of its own and compares (`compare_backends`). An fp32 backend must
match the reference within a tolerance that scales with the logits: the larger of `FP32_ABS_TOLERANCE`
and `FP32_REL_TOLERANCE` times the range of the reference logits, so a model on random weights whose
logits reach 1e12 is judged as fairly as a trained one. A bf16 or int8 run is reported under its own
precision, never passed off as fp32: it passes when it picks the same top-1 class on every photo.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from zoo.measure.compare import logit_agreement
from zoo.measure.inputs import preprocessed_batch, sample_images
from zoo.measure.outputs import save_logits
from zoo.measure.scenarios import register_scenario
from zoo.measure.scenarios._common import load
from zoo.results.records import AgreementRecord, LogitAgreement, Status
from zoo.spec import REFERENCE, Precision, RunSpec

if TYPE_CHECKING:
    from zoo.measure.compare import Listener
    from zoo.measure.executors import Executor

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


def verdict(precision: str, agreement: LogitAgreement) -> tuple[Status, str]:
    """(status, reason) for one comparison."""
    if precision == Precision.FP32:
        if agreement.max_rel_diff is not None and agreement.max_rel_diff <= FP32_REL_TOLERANCE:
            return Status.OK, ""
        if agreement.max_abs_diff <= FP32_ABS_TOLERANCE:
            return Status.OK, ""
        return Status.DISAGREES, (
            f"max |diff| {agreement.max_abs_diff:.2g} ({agreement.max_rel_diff:.2g} of the logits' range) "
            f"> fp32 tolerance {FP32_ABS_TOLERANCE:g} or {FP32_REL_TOLERANCE:g} of the range"
        )
    if agreement.top1_agreement == 1.0:
        return Status.OK, f"{precision}: same top-1 on every image; not held to the fp32 tolerance"
    share = 1 - agreement.top1_agreement
    return Status.DISAGREES, f"{precision}: top-1 differs from {REFERENCE.label} on {share:.0%} of images"


@register_scenario("agreement", AgreementRecord, command="check-backends")
def measure_agreement(spec: RunSpec, environment: dict[str, Any]) -> AgreementRecord:
    """Logits on the bundled photos, left for the driver to compare with torch fp32's.

    The backend is built for the spec's batch and runs the photos in batches, cycling them to fill
    the last one."""
    import numpy

    batch = spec.batch
    inputs = preprocessed_batch(spec.data, math.ceil(len(sample_images()) / batch) * batch)
    backend = load(spec, inputs[:batch]).backend
    logits = numpy.concatenate([backend.run(inputs[i : i + batch]) for i in range(0, len(inputs), batch)])
    save_logits(spec, logits)
    return AgreementRecord.for_spec(spec, Status.OK, images=len(inputs), environment=environment)


def compare_backends(
    specs: Sequence[RunSpec], executor: Executor | None = None, listener: Listener | None = None
) -> list[AgreementRecord]:
    """Each spec's backend against PyTorch fp32 on the bundled photos; a failure is a row, not an abort."""
    from zoo.data import smoke_set
    from zoo.data.identity import identify
    from zoo.measure.compare import run_with_reference

    identity = identify(smoke_set())  # the photos every worker ran, named, counted and digested
    rows = []
    with run_with_reference(specs, "agreement", executor, listener=listener) as compared:
        for job in compared:
            record: AgreementRecord = replace(job.record, identity=identity)
            if record.status != Status.OK:
                rows.append(record)
                continue
            if job.reference_record.status != Status.OK:
                reason = f"the reference {REFERENCE.label} failed: {job.reference_record.reason}"
                rows.append(replace(record, status=Status.FAILED, reason=reason))
                continue
            agreement = job.agreement()
            assert agreement is not None
            status, reason = verdict(job.spec.precision, agreement)
            rows.append(replace(record, status=status, reason=reason, agreement=agreement))
    return rows
