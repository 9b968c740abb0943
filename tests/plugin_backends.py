"""Backends that fail on purpose, installed as a real plug-in distribution so that worker processes load
them through the `zoo.backends` entry points, as they would a third party's."""

from __future__ import annotations

import os
import sys
import textwrap
from pathlib import Path
from typing import Any

import numpy
import pytest

from zoo.backends import Backend, LoadReport, create_backend


class BrokenBackend(Backend):
    """A backend whose conversion fails, as a model an exporter cannot handle does."""

    NAME = "broken"

    def load(self) -> LoadReport:
        raise RuntimeError("unsupported operator SomeOp")

    def run(self, inputs: numpy.ndarray) -> numpy.ndarray:
        raise AssertionError("never loaded")

    def settings(self) -> dict[str, Any]:
        return {}


class NoisyBackend(Backend):
    """A backend that runs but computes something else: PyTorch's logits plus 1e-3."""

    NAME = "noisy"

    def load(self) -> LoadReport:
        self._torch = create_backend(self.spec.with_(backend="torch"))
        return self._torch.load()

    def run(self, inputs: numpy.ndarray) -> numpy.ndarray:
        return self._torch.run(inputs) + numpy.float32(1e-3)

    def settings(self) -> dict[str, Any]:
        return {}


def distribution(folder: Path, name: str, entry_points: str) -> None:
    """A distribution in `folder` that declares `zoo.backends` entry points, as pip would install it."""
    dist_info = folder / f"{name.replace('-', '_')}-0.1.dist-info"
    dist_info.mkdir()
    (dist_info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: 0.1\n")
    (dist_info / "entry_points.txt").write_text("[zoo.backends]\n" + textwrap.dedent(entry_points))


def install(folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`broken` and `noisy` as entry points of a distribution in `folder`, seen here and by workers."""
    distribution(
        folder,
        "zoo-plugin-backends",
        """\
        broken = plugin_backends:BrokenBackend
        noisy = plugin_backends:NoisyBackend
        """,
    )
    monkeypatch.syspath_prepend(str(folder))
    here = str(Path(__file__).parent)
    paths = [str(folder), here, *filter(None, os.environ.get("PYTHONPATH", "").split(os.pathsep))]
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(paths))
    assert here in sys.path  # pytest's `pythonpath`: this module imports as `plugin_backends`
