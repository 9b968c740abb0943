"""Every test runs against caches and a results store of its session's own, never the user's."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import huggingface_hub.constants
import pytest
from zoo_testing import CORPUS


def pytest_sessionstart(session: pytest.Session) -> None:
    """Under CI the corpus beside the checkout is part of the test suite: its absence fails loudly."""
    if os.environ.get("CI") and not CORPUS.is_dir():
        raise pytest.UsageError(f"CI: the corpus {CORPUS} is missing; its tests would be skipped silently")


@pytest.fixture(scope="session", autouse=True)
def isolated_state(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """ZOO_CACHE, ZOO_DB and the torch and Hugging Face hub caches in the session's temporary folder.

    The artefact cache is shared by the session's tests, and by all its xdist workers, so lite0 is
    exported and converted once per session (the cache locks an entry while one process builds it); each
    worker has its own results store. A test that needs an empty cache or store sets its own.
    """
    root = tmp_path_factory.mktemp("zoo-state")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("ZOO_CACHE", str(_session_folder(tmp_path_factory, "zoo-cache")))
        patch.setenv("ZOO_DB", str(root / "results.db"))
        patch.setenv("TORCH_HOME", str(root / "torch-home"))
        patch.setenv("HF_HUB_OFFLINE", "1")
        patch.setenv("HF_HUB_CACHE", str(root / "hf-cache"))
        patch.setattr(huggingface_hub.constants, "HF_HUB_CACHE", str(root / "hf-cache"))
        yield root


def _session_folder(tmp_path_factory: pytest.TempPathFactory, name: str) -> Path:
    """A folder of the whole test session: under xdist, the one all workers share (the parent of each
    worker's own temporary folder, which belongs to this session only). Whichever worker comes first
    creates it; `mkdir(exist_ok=True)` is atomic, so no lock is needed for that."""
    if "PYTEST_XDIST_WORKER" not in os.environ:
        return tmp_path_factory.mktemp(name)
    folder = tmp_path_factory.getbasetemp().parent / name
    folder.mkdir(exist_ok=True)
    return folder
