"""Backends that fail or slow down on purpose, installed as a real plug-in distribution so that worker
processes load them through the `zoo.backends` entry points, as they would a third party's."""

from __future__ import annotations

import os
import sys
import textwrap
import time
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


class SlowBackend(Backend):
    """ONNX Runtime made slower by a known fraction, for the regression gate: after each call it spins
    for `$ZOO_TEST_SLOWDOWN` (default 0) times that call's own time, so 0.10 is a 10% slowdown however
    fast or noisy the call was. It spins rather than sleeps: on a VM a sleeping vCPU wakes late, and a
    10% sleep measured as 20-30% more. The record's settings say which fraction ran."""

    NAME = "slow"
    SLOWDOWN = "ZOO_TEST_SLOWDOWN"

    def load(self) -> LoadReport:
        self._fraction = float(os.environ.get(self.SLOWDOWN, "0"))
        self._inner = create_backend(self.spec.with_(backend="onnxruntime"))
        return self._inner.load()

    def run(self, inputs: numpy.ndarray) -> numpy.ndarray:
        started = time.perf_counter()
        outputs = self._inner.run(inputs)
        if self._fraction:
            now = time.perf_counter()
            until = now + (now - started) * self._fraction
            while time.perf_counter() < until:
                pass
        return outputs

    def settings(self) -> dict[str, Any]:
        return {**self._inner.settings(), "slowdown": self._fraction}


ENTRY_POINTS = """\
broken = plugin_backends:BrokenBackend
noisy = plugin_backends:NoisyBackend
slow = plugin_backends:SlowBackend
"""


def distribution(folder: Path, name: str, entry_points: str) -> None:
    """A distribution in `folder` that declares `zoo.backends` entry points, as pip would install it."""
    dist_info = folder / f"{name.replace('-', '_')}-0.1.dist-info"
    dist_info.mkdir()
    (dist_info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: 0.1\n")
    (dist_info / "entry_points.txt").write_text("[zoo.backends]\n" + textwrap.dedent(entry_points))


def search_path(folder: Path) -> str:
    """The PYTHONPATH under which a process finds the distribution in `folder` and this module."""
    here = str(Path(__file__).parent)
    return os.pathsep.join(
        [str(folder), here, *filter(None, os.environ.get("PYTHONPATH", "").split(os.pathsep))]
    )


def install(folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """This module's backends as entry points of a distribution in `folder`, seen here and by workers."""
    distribution(folder, "zoo-plugin-backends", ENTRY_POINTS)
    monkeypatch.syspath_prepend(str(folder))
    monkeypatch.setenv("PYTHONPATH", search_path(folder))
    here = str(Path(__file__).parent)
    assert here in sys.path  # pytest's `pythonpath`: this module imports as `plugin_backends`
