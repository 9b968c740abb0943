"""Agreement with the reference counts only the images the reference also ran on."""

from __future__ import annotations

import numpy as np

from zoo.measure.scenarios.accuracy import _Tally


def test_images_without_reference_logits_do_not_dilute_agreement() -> None:
    logits = np.eye(2, 1000, dtype=np.float32)  # image 0 -> class 0, image 1 -> class 1
    targets = np.array([0, 1])
    tally = _Tally()
    tally.add(logits, targets, reference=logits.copy())  # the reference agreed on both
    tally.add(logits, targets, reference=None)  # the reference failed for this batch
    agreement = tally.agreement()
    assert tally.images == 4
    assert agreement is not None and (agreement.images, agreement.top1_agreement) == (2, 1.0)
    assert agreement.max_abs_diff == 0.0 and agreement.max_rel_diff == 0.0
