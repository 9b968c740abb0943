"""A `Verdict`: what one declared field says, what was measured, and whether the declaration holds."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from typing import Any

from zoo.results.records import VERDICTS, Verdict, VerdictStatus

__all__ = ["FIELDS", "VERDICTS", "Verdict", "exit_code", "model_verdict", "summarize"]

# The fields `zoo validate` checks, in table order; Mean and Std only when an index declares them.
# Weights is the timm pretrained tag the declared weights are: the input config is judged against it.
FIELDS = (
    "Weights",
    "FLOPs",
    "Parameters",
    "File Size",
    "Image Size",
    "Crop Pct",
    "Interpolation",
    "Mean",
    "Std",
    "Top 1 Accuracy",
    "Top 5 Accuracy",
)


def exit_code(verdicts: Iterable[Verdict]) -> int:
    """0 when every declaration that could be checked holds and at least one could be; 1 when one does
    not hold, could not be measured, or nothing at all could be checked (an index timm has no model
    of, or one that declares nothing zoo measures): silence is not a pass."""
    found = {v.verdict for v in verdicts}
    return 1 if found & {VerdictStatus.MISMATCH, VerdictStatus.ERROR} or VerdictStatus.OK not in found else 0


def model_verdict(verdicts: Iterable[Verdict]) -> str:
    """One model's verdict from its fields: a mismatch, else an error, else ok when any field was checked."""
    found = {v.verdict for v in verdicts}
    return next(
        (
            verdict
            for verdict in (VerdictStatus.MISMATCH, VerdictStatus.ERROR, VerdictStatus.OK)
            if verdict in found
        ),
        VerdictStatus.UNKNOWN,
    )


def summarize(verdicts: Iterable[Verdict]) -> dict[str, Any]:
    """Models and fields counted apart, per verdict, and how many FLOPs declarations match each convention.

    A model counts once: `mismatch` when any of its fields is one, else `error`, else `ok` when any
    field could be checked, else `unknown`.
    """
    verdicts = list(verdicts)
    per_model: dict[str, list[Verdict]] = {}
    for v in verdicts:
        per_model.setdefault(v.model, []).append(v)
    flops = [v for v in verdicts if v.field == "FLOPs"]
    conventions = Counter(
        f"{v.convention} ({'exact' if v.measured == v.declared else 'within tolerance'})"
        for v in flops
        if v.verdict == VerdictStatus.OK
    )
    conventions["none"] = sum(v.verdict == VerdictStatus.MISMATCH for v in flops)
    conventions["not measured"] = sum(
        v.verdict in (VerdictStatus.UNKNOWN, VerdictStatus.ERROR) for v in flops
    )
    return {
        "models": len(per_model),
        "models_by_verdict": _in_order(Counter(model_verdict(found) for found in per_model.values())),
        "fields": len(verdicts),
        "verdicts": _in_order(Counter(v.verdict for v in verdicts)),
        "flops_conventions": dict(sorted(conventions.items())),
    }


def _in_order(counts: Counter[str]) -> dict[str, int]:
    return {verdict: counts[verdict] for verdict in VERDICTS if counts[verdict]}
