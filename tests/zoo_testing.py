"""Paths and names every test folder shares (importable as `zoo_testing`: pytest's `pythonpath`)."""

from __future__ import annotations

import functools
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from zoo.measure.plan import ModelSetup
    from zoo.spec import RunSpec

REPO = Path(__file__).resolve().parents[1]
INDEX = REPO / "model-index.yml"
CORPUS = REPO.parent / "shared" / "corpus" / "timm-docs"
LITE0 = "tf_efficientnet_lite0"


@functools.cache
def _setup(model: str, index: str | None) -> ModelSetup:
    from zoo.index import load_index
    from zoo.measure.plan import setup_model

    return setup_model(load_index(index).model(model) if index else model)


def make_spec(
    backend: str = "torch", model: str = LITE0, index: Path | None = INDEX, **fields: Any
) -> RunSpec:
    """A run spec as the driver builds it: the model resolved from `index` (or as a bare timm name)."""
    return _setup(model, str(index) if index else None).spec(backend, **fields)


def copy_project(target: Path) -> Path:
    """The bundled index and its card templates copied to `target` (results land beside it); its index."""
    import shutil

    shutil.copy(INDEX, target / INDEX.name)
    shutil.copytree(REPO / "docs" / "templates", target / "docs" / "templates")
    return target / INDEX.name


def fast_timing(min_time: str, max_time: str) -> list[str]:
    """`zoo bench` arguments for a short, single-thread timing whose confidence target is loose enough
    to be met on a busy machine (a run all contended and unconverged exits 1)."""
    return ["--min-time", min_time, "--max-time", max_time, "--min-iterations", "5", "--threads", "1",
            "--target-ci", "0.9"]  # fmt: skip


def pretend_cpu_flags(monkeypatch: pytest.MonkeyPatch, *flags: str) -> None:
    """Planning on a CPU with exactly these ISA flags (e.g. with or without native bf16), whatever this
    machine has: what a plan includes is decided from the flags alone."""
    import zoo.backends._base

    info = {**zoo.backends._base.cpu_info(), "flags": " ".join(flags)}
    monkeypatch.setattr(zoo.backends._base, "cpu_info", lambda: info)
