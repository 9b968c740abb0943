"""Logits a worker leaves for the driver: one row per image, in the driver's folder, named by the key.

Accuracy and agreement run one backend per worker; the driver pairs their saved outputs image by image
(`zoo.measure.compare`), so no process ever holds two runtimes.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import TYPE_CHECKING

from zoo._errors import ZooError
from zoo.spec import RunSpec

if TYPE_CHECKING:
    import numpy

__all__ = ["load_logits", "logits_path", "save_logits"]


def logits_path(spec: RunSpec) -> Path:
    """Where a worker leaves `spec`'s logits for the driver: in the driver's folder, named by the key."""
    if spec.outputs is None:
        raise ZooError(f"{spec.scenario} needs a folder for its logits (RunSpec.outputs)")
    digest = hashlib.sha256(spec.key.encode()).hexdigest()[:16]
    return Path(spec.outputs) / f"{digest}.npz"


def save_logits(spec: RunSpec, logits: numpy.ndarray, targets: numpy.ndarray | None = None) -> None:
    """The logits of each image (and its class, when known), written atomically: one row per image,
    so the driver can compare backends and pair their predictions image by image."""
    import numpy

    path = logits_path(spec)
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".partial.npz")
    numpy.savez(partial, logits=logits, targets=targets if targets is not None else numpy.empty(0))
    os.replace(partial, path)


def load_logits(spec: RunSpec) -> tuple[numpy.ndarray, numpy.ndarray]:
    """(logits, targets) a worker saved for `spec`."""
    import numpy

    with numpy.load(logits_path(spec)) as saved:
        return saved["logits"], saved["targets"]
