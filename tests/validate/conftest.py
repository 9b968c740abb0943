"""The bundled index, a writable copy of it, and weights searches that see only the caches a test builds."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import huggingface_hub.constants
import pytest

REPO = Path(__file__).resolve().parents[2]
INDEX = REPO / "model-index.yml"
CORPUS = REPO.parent / "shared" / "corpus" / "timm-docs" / "model-index.yml"
SEED_MODELS = [f"tf_efficientnet_lite{i}" for i in range(5)]


@pytest.fixture(autouse=True, scope="session")
def own_zoo_cache(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The tests' own ZOO_CACHE (what validate measured per model), shared by the session, never the user's."""
    with pytest.MonkeyPatch.context() as patch:
        cache = tmp_path_factory.mktemp("zoo-cache")
        patch.setenv("ZOO_CACHE", str(cache))
        yield cache


@pytest.fixture(autouse=True)
def empty_hub_caches(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A hub cache of the user's must not turn an estimate into a byte count (or the reverse) in a test."""
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch-home"))
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_CACHE", str(tmp_path / "hf-cache"))


@pytest.fixture
def index_copy(tmp_path: Path) -> Path:
    """A copy of the bundled index (root file and the cards it imports) that a test may edit."""
    root = tmp_path / "zoo"
    (root / "docs" / "templates").mkdir(parents=True)
    shutil.copy2(INDEX, root / "model-index.yml")
    shutil.copytree(REPO / "docs" / "templates" / "models", root / "docs" / "templates" / "models")
    return root / "model-index.yml"


@pytest.fixture
def lite_card(index_copy: Path) -> Path:
    return index_copy.parent / "docs" / "templates" / "models" / "tf-efficientnet-lite.md"


def replace_in_model(card: Path, model: str, old: str, new: str) -> None:
    """Change one declared value of one model in a card (the first `old` after the model's Name line)."""
    text = card.read_bytes()
    start = text.index(f"- Name: {model}\n".encode())
    at = text.index(old.encode(), start)
    card.write_bytes(text[:at] + new.encode() + text[at + len(old) :])
