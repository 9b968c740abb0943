"""`zoo eval` on a flat folder of real photos with a labels file, against timm's own pipeline.

The photos are chosen by rule, not by hand: the bundled photos whose classes the shared ImageNet
sample does not hold, and the photo of every 25th synset of the sample in sorted order. They are
copied into one folder under names that say nothing of their class (`photo-001.jpg`...), and their
true classes written in the common labels-file forms (CSV with class indices, TSV with synsets,
space separated with NLTK's WordNet ids). The expected predictions come from timm alone:
`resolve_data_config`, `create_transform`, PIL, one forward pass per photo. On torch fp32, zoo's
top-1 must be timm's for every photo; on ONNX Runtime and OpenVINO fp32 it may differ on 2 at most.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image
from timm.data import create_transform, resolve_data_config
from zoo_testing import INDEX, LITE0, REPO

from zoo.cli import main
from zoo.data import find_images, smoke_labels, synset_to_index
from zoo.data.smoke import smoke_folder
from zoo.index import load_index
from zoo.measure.compare import run_with_reference
from zoo.measure.plan import plan
from zoo.measure.scenarios.accuracy import ImageOptions
from zoo.weights import find_weights, load_model

SAMPLE = REPO.parent / "shared" / "imagenet-sample"
BACKENDS = ("torch", "onnxruntime", "openvino")
EVERY = 25  # every 25th synset folder of the sample: 20 photos
TOLERANCE = 2  # photos whose top-1 may differ from timm's on ONNX Runtime and OpenVINO fp32


def chosen_photos() -> list[tuple[Path, str]]:
    """(photo, true synset): the bundled photos of classes the sample lacks, then every 25th of it."""
    held = {folder.name for folder in SAMPLE.iterdir() if folder.is_dir()}
    bundled = [(smoke_folder() / r["file"], r["synset"]) for r in smoke_labels() if r["synset"] not in held]
    sampled = [
        (next(folder.iterdir()), folder.name)
        for folder in sorted(f for f in SAMPLE.iterdir() if f.is_dir())[::EVERY]
    ]
    return bundled + sampled


@pytest.fixture(scope="module")
def flat(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[int]]:
    """The folder, its three labels files, and each photo's true class index in file order."""
    folder = tmp_path_factory.mktemp("unseen") / "photos"
    folder.mkdir()
    classes = synset_to_index()
    csv_lines, tsv_lines, wordnet_lines, truth = ["filename,label"], ["image\tsynset"], [], []
    for number, (photo, synset) in enumerate(chosen_photos(), start=1):
        name = f"photo-{number:03d}{photo.suffix.lower()}"
        shutil.copy(photo, folder / name)
        csv_lines.append(f"{name},{classes[synset]}")
        tsv_lines.append(f"{name}\t{synset}")
        wordnet_lines.append(f"{name} {synset[1:]}-n")
        truth.append(classes[synset])
    labels = folder.parent
    (labels / "labels.csv").write_text("\n".join(csv_lines) + "\n")
    (labels / "labels.tsv").write_text("\n".join(tsv_lines) + "\n")
    (labels / "labels.txt").write_text("\n".join(wordnet_lines) + "\n")
    return folder, truth


@pytest.fixture(scope="module")
def timm_top1(flat: tuple[Path, list[int]]) -> list[int]:
    """Each photo's top-1 class in timm's own pipeline, one photo at a time."""
    folder, _ = flat
    net = load_model(LITE0, find_weights(LITE0)).eval()
    transform = create_transform(**resolve_data_config({}, model=net))
    predictions = []
    with torch.inference_mode():
        for photo in sorted(folder.iterdir()):
            with Image.open(photo) as image:
                predictions.append(int(net(transform(image.convert("RGB"))[None])[0].argmax()))
    return predictions


def test_the_photos_classes_and_labels_files(flat: tuple[Path, list[int]]) -> None:
    folder, truth = flat
    held = {f.name for f in SAMPLE.iterdir()}
    unseen = [r for r in smoke_labels() if r["synset"] not in held]
    assert len(unseen) >= 3 and len(truth) == len(unseen) + len(range(0, 500, EVERY))
    found = [
        find_images(folder, labels=folder.parent / name)
        for name in ("labels.csv", "labels.tsv", "labels.txt")
    ]
    assert found[0].samples == found[1].samples == found[2].samples  # one truth, three forms
    assert [index for _, index in found[0].samples] == truth
    assert all(f.layout == "flat" and not f.warnings for f in found)


def test_zoo_eval_scores_what_timm_scores(
    flat: tuple[Path, list[int]], timm_top1: list[int], capsys: pytest.CaptureFixture[str]
) -> None:
    folder, truth = flat
    args = ["eval", LITE0, *(f"--backend={b}" for b in BACKENDS), "--data", str(folder), "--labels"]
    args += [str(folder.parent / "labels.tsv"), "--dataset-name", "unseen photos", "--workers", "0"]
    assert main([*args, "--threads", "1", "--index", str(INDEX), "--json"]) == 0
    (evaluation,) = json.loads(capsys.readouterr().out)["evaluations"]
    rows = {row["backend"]: row for row in evaluation["results"]}
    hits = sum(p == t for p, t in zip(timm_top1, truth, strict=True))
    assert rows["torch"]["top1"]["hits"] == hits and rows["torch"]["images"] == len(truth)
    for backend in ("onnxruntime", "openvino"):
        row = rows[backend]
        assert abs(row["top1"]["hits"] - hits) <= TOLERANCE
        assert row["cost"]["changed_top1"] <= TOLERANCE  # against torch fp32, image for image
        assert row["identity"]["name"] == "unseen photos"


def test_image_for_image_each_backend_predicts_what_timm_predicts(
    flat: tuple[Path, list[int]], timm_top1: list[int]
) -> None:
    """The workers `zoo eval` starts, their logits read image by image before the folder goes."""
    folder, truth = flat
    image_set = find_images(folder, labels=folder.parent / "labels.csv")
    specs = plan([load_index(INDEX).model(LITE0)], list(BACKENDS), threads=1, scenarios=["accuracy"]).specs
    dataset = ImageOptions(workers=0).dataset(image_set)
    with run_with_reference(specs, "accuracy", dataset=dataset) as compared:
        predicted = {}
        for job in compared:
            assert job.record.status == "ok", job.record.reason
            logits, targets = job.logits()
            assert targets.tolist() == truth
            predicted[job.spec.backend] = np.argmax(logits, axis=1).tolist()
    assert predicted["torch"] == timm_top1
    for backend in ("onnxruntime", "openvino"):
        differ = sum(a != b for a, b in zip(predicted[backend], timm_top1, strict=True))
        assert differ <= TOLERANCE, (backend, differ)
