"""The accuracy cost of a configuration against the reference (torch fp32) on the same images.

Both ran on the same images, so the comparison is paired: what matters is the images whose verdict
changed. The exact McNemar test asks whether the losses and gains are more lopsided than chance;
a seeded paired bootstrap gives the interval of Δtop-1. The verdict follows MLPerf's rule by
default: a configuration keeps at least 99% of the reference's top-1.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # numpy is imported by the comparison itself: records import this module, and
    import numpy as np  # `zoo list` imports records without comparing anything

__all__ = ["DEFAULT_BUDGET", "OVER_BUDGET", "WITHIN_BUDGET", "AccuracyCost", "accuracy_cost"]

DEFAULT_BUDGET = 0.99  # MLPerf: top-1 at least 99% of the fp32 reference's
WITHIN_BUDGET = "within budget"
OVER_BUDGET = "OVER BUDGET"  # the verdicts, as records, exports, cards and `zoo pick` spell them
BOOTSTRAP_SAMPLES = 2000
CONFIDENCE = 0.95


@dataclass(frozen=True)
class AccuracyCost:
    """A configuration's top-1 and top-5 against the reference's on the same images."""

    images: int
    delta_top1: float  # percentage points: this configuration minus the reference
    delta_top1_low: float  # the paired bootstrap's 95% interval of delta_top1
    delta_top1_high: float
    delta_top5: float
    changed_top1: int  # images whose top-1 class differs from the reference's
    lost: int  # right in the reference, wrong here
    gained: int  # wrong in the reference, right here
    mcnemar_p: float  # exact McNemar test of lost against gained
    kept: float | None  # top-1 over the reference's top-1 (None when the reference got none right)
    budget: float
    within_budget: bool

    @property
    def verdict(self) -> str:
        return WITHIN_BUDGET if self.within_budget else OVER_BUDGET

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "verdict": self.verdict}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> AccuracyCost:
        return cls(**{key: value for key, value in data.items() if key != "verdict"})


def accuracy_cost(
    reference_top5: np.ndarray,
    candidate_top5: np.ndarray,
    targets: np.ndarray,
    budget: float = DEFAULT_BUDGET,
    seed: int = 0,
) -> AccuracyCost:
    """Compare two configurations' top-5 class predictions (images x 5, best first) on `targets`."""
    import numpy as np
    from scipy.stats import binomtest

    if reference_top5.shape != candidate_top5.shape or len(targets) != len(reference_top5):
        raise ValueError("the reference and the candidate must have run on the same images")
    if not 0 < budget <= 1:
        raise ValueError(f"the accuracy budget is a fraction in (0, 1], got {budget:g}")
    n = len(targets)
    right = reference_top5[:, 0] == targets
    right_here = candidate_top5[:, 0] == targets
    in_top5 = (reference_top5 == targets[:, None]).any(axis=1)
    in_top5_here = (candidate_top5 == targets[:, None]).any(axis=1)
    lost = int((right & ~right_here).sum())
    gained = int((~right & right_here).sum())
    differences = right_here.astype(np.int8) - right.astype(np.int8)  # per image: -1, 0 or +1
    draws = np.random.default_rng(seed).integers(0, n, size=(BOOTSTRAP_SAMPLES, n))
    deltas = 100.0 * differences[draws].mean(axis=1)
    tail = (1 - CONFIDENCE) / 2
    low, high = np.quantile(deltas, [tail, 1 - tail])
    reference_top1 = int(right.sum())
    kept = int(right_here.sum()) / reference_top1 if reference_top1 else None
    discordant = lost + gained
    return AccuracyCost(
        images=n,
        delta_top1=100.0 * differences.mean(),
        delta_top1_low=float(low),
        delta_top1_high=float(high),
        delta_top5=100.0 * (in_top5_here.mean() - in_top5.mean()),
        changed_top1=int((reference_top5[:, 0] != candidate_top5[:, 0]).sum()),
        lost=lost,
        gained=gained,
        mcnemar_p=float(binomtest(min(lost, gained), discordant, 0.5).pvalue) if discordant else 1.0,
        kept=kept,
        budget=budget,
        within_budget=kept is not None and kept >= budget,
    )
