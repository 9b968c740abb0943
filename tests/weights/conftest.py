"""A weights search that sees only the caches a test builds, never the user's."""

from __future__ import annotations

from pathlib import Path

import huggingface_hub.constants
import pytest


@pytest.fixture(autouse=True)
def empty_hub_caches(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, Path]:
    """Point the torch hub (TORCH_HOME) and Hugging Face caches at empty folders under tmp_path."""
    torch_home = tmp_path / "torch-home"
    hf_cache = tmp_path / "hf-cache"
    monkeypatch.setenv("TORCH_HOME", str(torch_home))
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_CACHE", str(hf_cache))
    return {"torch": torch_home / "hub" / "checkpoints", "hf": hf_cache}
