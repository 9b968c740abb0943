"""The accuracy cost against the reference: paired counts, exact McNemar, bootstrap interval, budget."""

from __future__ import annotations

import numpy as np
import pytest

from zoo.results.paired import AccuracyCost, accuracy_cost


def predictions(targets: np.ndarray, wrong: np.ndarray) -> np.ndarray:
    """Top-5 predictions that are right except at `wrong` (there the target is second)."""
    top5 = np.stack([(targets + k) % 1000 for k in range(5)], axis=1)
    top5[wrong, 0], top5[wrong, 1] = (targets[wrong] + 7) % 1000, targets[wrong]
    return top5


def test_identical_predictions_cost_nothing() -> None:
    targets = np.arange(400) % 1000
    reference = predictions(targets, np.arange(400) < 40)
    cost = accuracy_cost(reference, reference.copy(), targets)
    assert (cost.delta_top1, cost.changed_top1, cost.lost, cost.gained) == (0.0, 0, 0, 0)
    assert cost.mcnemar_p == 1.0 and cost.within_budget and cost.kept == 1.0


def test_a_collapse_is_over_budget_and_significant() -> None:
    targets = np.arange(300) % 1000
    reference = predictions(targets, np.arange(300) < 30)  # 90% top-1
    collapsed = predictions(targets, np.ones(300, dtype=bool))  # 0% top-1, still top-5
    cost = accuracy_cost(reference, collapsed, targets)
    assert cost.delta_top1 == pytest.approx(-90.0)
    assert cost.delta_top1_high < -80.0
    assert cost.lost == 270 and cost.gained == 0 and cost.changed_top1 == 270
    assert cost.mcnemar_p < 1e-50
    assert not cost.within_budget and cost.verdict == "OVER BUDGET"
    assert cost.delta_top5 == 0.0


def test_the_budget_is_mlperf_99_percent_by_default_and_can_be_changed() -> None:
    targets = np.arange(1000)
    reference = predictions(targets, np.arange(1000) < 100)  # 900 right
    slightly = predictions(targets, np.arange(1000) < 112)  # 888 right: 98.7% of the reference
    assert not accuracy_cost(reference, slightly, targets).within_budget
    relaxed = accuracy_cost(reference, slightly, targets, budget=0.98)
    assert relaxed.within_budget and relaxed.kept == pytest.approx(888 / 900)
    assert relaxed.delta_top1_low <= relaxed.delta_top1 <= relaxed.delta_top1_high
    assert AccuracyCost.from_dict(relaxed.as_dict()) == relaxed


def test_other_images_are_refused() -> None:
    targets = np.arange(10)
    with pytest.raises(ValueError, match="same images"):
        accuracy_cost(predictions(targets, targets < 1), predictions(targets[:9], targets[:9] < 1), targets)
