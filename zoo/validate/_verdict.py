"""A `Verdict`: what one declared field says, what was measured, and whether the declaration holds."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

VERDICTS = ("ok", "mismatch", "unknown", "error")

# The fields `zoo validate` checks, in table order; Mean and Std only when an index declares them.
FIELDS = (
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


@dataclass(frozen=True)
class Verdict:
    """One field of one model. `convention` says what `measured` means (a FLOPs convention, or how
    a file size or an input config was obtained); `by_convention` holds every FLOPs count."""

    model: str
    field: str
    declared: Any
    measured: Any
    convention: str | None
    verdict: str
    detail: str
    by_convention: Mapping[str, int | None] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.verdict not in VERDICTS:
            raise ValueError(f"verdict {self.verdict!r} is not one of {', '.join(VERDICTS)}")

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def exit_code(verdicts: Iterable[Verdict]) -> int:
    """0 when every declaration that could be checked holds, 1 when one does not or could not be measured."""
    return 1 if any(v.verdict in ("mismatch", "error") for v in verdicts) else 0


def summarize(verdicts: Iterable[Verdict]) -> dict[str, Any]:
    """Counts per verdict, models seen, and how many FLOPs declarations match each convention."""
    verdicts = list(verdicts)
    flops = [v for v in verdicts if v.field == "FLOPs"]
    conventions = Counter(
        f"{v.convention} ({'exact' if v.measured == v.declared else 'within tolerance'})"
        for v in flops
        if v.verdict == "ok"
    )
    conventions["none"] = sum(v.verdict == "mismatch" for v in flops)
    conventions["not measured"] = sum(v.verdict in ("unknown", "error") for v in flops)
    return {
        "models": len({v.model for v in verdicts}),
        "verdicts": dict(Counter(v.verdict for v in verdicts)),
        "flops_conventions": dict(sorted(conventions.items())),
    }
