"""Is `zoo eval` bound by inference, not by image decoding? lite0 on each backend, and decoding alone.

Each evaluation runs one backend (no torch reference) over 64 real JPEGs in an ImageFolder; its
`extra_info` records images/s of inference and the share of the loop spent waiting on decoding.
Run one backend at a time for clean numbers (`-k openvino`).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from timm.data import create_transform

from zoo.data import ImageSet, batches, find_images, smoke_labels
from zoo.data.smoke import smoke_folder
from zoo.index import load_index
from zoo.measure.plan import plan
from zoo.measure.scenarios.accuracy import ImageOptions, evaluate

MODEL = "tf_efficientnet_lite0"
INDEX = Path(__file__).resolve().parents[1] / "model-index.yml"
COPIES = 16  # of each bundled photo: 64 images
WORKERS = min(4, max((os.cpu_count() or 1) - 1, 0))


@pytest.fixture(scope="module")
def image_set(tmp_path_factory: pytest.TempPathFactory) -> ImageSet:
    root = tmp_path_factory.mktemp("imagenet") / "val"
    for record in smoke_labels():
        folder = root / record["synset"]
        folder.mkdir(parents=True, exist_ok=True)
        for copy in range(COPIES):
            shutil.copy(smoke_folder() / record["file"], folder / f"{copy}-{record['file']}")
    return find_images(root.parent)


@pytest.mark.parametrize("backend_name", ["torch", "onnxruntime", "openvino"])
def test_eval_lite0(benchmark, image_set: ImageSet, backend_name: str) -> None:
    model = load_index(INDEX).model(MODEL)
    specs = plan([model], [backend_name], batches=[8]).specs
    options = ImageOptions(workers=WORKERS)
    report = benchmark.pedantic(evaluate, args=(specs, {}, image_set, options, False), rounds=2)
    (evaluation,) = report.evaluations
    (row,) = evaluation.results
    assert row.status == "ok" and row.images == len(image_set)
    benchmark.extra_info.update(
        images=row.images,
        images_per_s=row.images_per_s,
        end_to_end_images_per_s=row.end_to_end_images_per_s,
        loading_share=evaluation.loading_share,
        decode_workers=WORKERS,
    )


@pytest.mark.parametrize("workers", sorted({0, WORKERS}))
def test_decode_only(benchmark, image_set: ImageSet, workers: int) -> None:
    """Decoding and preprocessing alone: its images/s must stay well above any backend's."""
    [spec] = plan([load_index(INDEX).model(MODEL)], ["torch"]).specs
    transform = create_transform(**spec.data.timm_config())

    def decode_all() -> int:
        return sum(len(chunk.targets) for chunk in batches(image_set, transform, 8, workers=workers))

    assert benchmark.pedantic(decode_all, rounds=3) == len(image_set)
    benchmark.extra_info["images"] = len(image_set)
