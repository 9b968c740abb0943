"""Tiny real ImageNet layouts built from the bundled photos, with labels this file states itself."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
INDEX = str(ROOT / "model-index.yml")
PHOTOS = ROOT / "zoo" / "data" / "photos"

# What each photo shows, as ImageNet-1k synset and class index, written here by hand (checked
# against the ImageNet class list in test_data.py), not read from the code under test.
TRUTH = {
    "grace_hopper.jpg": ("n03763968", 652),  # military uniform
    "chelsea.jpg": ("n02123045", 281),  # tabby, tabby cat
    "coffee.jpg": ("n07920052", 967),  # espresso
    "rocket.jpg": ("n03773504", 657),  # missile
}


def truncate(source: Path, target: Path) -> Path:
    """A JPEG cut off a third of the way through: PIL can open it but not decode it."""
    data = source.read_bytes()
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(data[: len(data) // 3])
    return target


def make_image_folder(root: Path) -> Path:
    """`root/data/val/<synset>/<photo>` for the photos, plus one truncated image that must be skipped."""
    val = root / "data" / "val"
    for name, (synset, _) in TRUTH.items():
        (val / synset).mkdir(parents=True, exist_ok=True)
        shutil.copy(PHOTOS / name, val / synset / name)
    truncate(PHOTOS / "coffee.jpg", val / "n07920052" / "broken.jpg")
    return root / "data"


@pytest.fixture
def image_folder(tmp_path: Path) -> Path:
    return make_image_folder(tmp_path)


@pytest.fixture
def flat_folder(tmp_path: Path) -> Path:
    """ImageNet's flat validation form: images in one folder named by number, classes in a CSV."""
    flat = tmp_path / "flat"
    flat.mkdir()
    lines = ["ImageId,PredictionString"]
    for number, (name, (synset, _)) in enumerate(TRUTH.items(), start=1):
        image_id = f"ILSVRC2012_val_{number:08d}"
        shutil.copy(PHOTOS / name, flat / f"{image_id}.JPEG")
        lines.append(f"{image_id},{synset} 1 2 3 4")
    (flat / "LOC_val_solution.csv").write_text("\n".join(lines) + "\n")
    return flat


@pytest.fixture(autouse=True)
def results_db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every `zoo eval` of a test keeps its history in the test's own database."""
    db = tmp_path / "results.db"
    monkeypatch.setenv("ZOO_DB", str(db))
    return db
