"""Finding labelled images: layouts, labels files, class indices, the smoke set, skipped images."""

from __future__ import annotations

import json
import os
import re
import shutil
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from timm.data import create_transform, resolve_data_config

from zoo.data import (
    FLAT,
    IMAGEFOLDER,
    LabelsError,
    batches,
    class_name,
    find_images,
    read_labels,
    smoke_labels,
    smoke_set,
    spread_indices,
    synset_to_index,
)
from zoo.data.labels import MAX_LABELS_BYTES

from .conftest import PHOTOS, TRUTH

TRANSFORM = create_transform(**resolve_data_config({"input_size": (3, 32, 32)}))


def test_truth_table_is_imagenet() -> None:
    """The hand-written classes in conftest agree with timm's ImageNet-1k list (sorted synsets)."""
    classes = synset_to_index()
    assert len(classes) == 1000
    assert list(classes) == sorted(classes)
    for synset, index in TRUTH.values():
        assert classes[synset] == index
    assert class_name(281) == "tabby, tabby cat"


def test_image_folder_maps_synsets_to_imagenet_indices(image_folder: Path) -> None:
    """Four synset folders must map to 652, 281, 967, 657, not to 0..3 as a plain ImageFolder would."""
    found = find_images(image_folder)
    assert found.layout == IMAGEFOLDER
    assert found.root == image_folder / "val"
    labels = {Path(path).name: index for path, index in found.samples}
    assert labels == {"broken.jpg": 967, **{name: index for name, (_, index) in TRUTH.items()}}
    assert found.warnings == ()


def test_image_folder_without_split_folder(image_folder: Path) -> None:
    """--data may name the split folder itself."""
    assert find_images(image_folder / "val", split="val").root == image_folder / "val"


def test_folder_outside_imagenet_is_counted(image_folder: Path) -> None:
    extra = image_folder / "val" / "not-a-class"
    extra.mkdir()
    shutil.copy(PHOTOS / "coffee.jpg", extra / "coffee.jpg")
    found = find_images(image_folder)
    assert len(found) == 5
    assert found.warnings == ("1 images outside ImageNet-1k synset folders were skipped",)


def test_flat_folder_with_kaggle_csv(flat_folder: Path) -> None:
    found = find_images(flat_folder)
    assert found.layout == FLAT
    assert found.labels_file == flat_folder / "LOC_val_solution.csv"
    assert sorted(index for _, index in found.samples) == sorted(index for _, index in TRUTH.values())


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("a.JPEG n02123045\nb.JPEG 967\n", {"a.JPEG": 281, "b.JPEG": 967}),  # synset or class index
        ("file,label\na.JPEG,n02123045\n", {"a.JPEG": 281}),  # header and commas
        ("Image\tClass\na.JPEG\t281\n", {"a.JPEG": 281}),
        ("path , synset\na.JPEG , n02123045\n", {"a.JPEG": 281}),
        ("filename label\n", None),  # a header only: no labels
        ("# comment\n\na.JPEG\t652\n", {"a.JPEG": 652}),
        ("ImageId,PredictionString\na,n03773504 1 2 3 4 n03773504 5 6 7 8\n", {"a": 657}),  # Kaggle
        ("\ufeffImageId,PredictionString\na,n03773504 1 2 3 4\n", {"a": 657}),  # saved by Excel: a BOM
        ("label,filename\n281,a.JPEG\n", {"a.JPEG": 281}),  # columns taken by name, in either order
        ("filename,wnid\na.JPEG,02123045-n\nb.JPEG,n02123045\n", {"a.JPEG": 281, "b.JPEG": 281}),  # NLTK's
        ('"my photo, 1.JPEG",n02123045\n', {"my photo, 1.JPEG": 281}),  # CSV quoting
        ("image\tclass\tsource\nmy photo.JPEG\t281\tflickr\n", {"my photo.JPEG": 281}),  # TSV, more columns
    ],
)
def test_labels_file_forms(tmp_path: Path, text: str, expected: dict[str, int] | None) -> None:
    path = tmp_path / "val.txt"
    path.write_text(text)
    if expected is None:
        with pytest.raises(LabelsError, match="has no labels"):
            read_labels(path)
    else:
        assert read_labels(path) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("a.JPEG,tabby\n", "val.txt:1: label 'tabby' is neither a class index (0-999), a synset"),
        ("filename,label\na.JPEG\n", "val.txt:2: expected 'FILE LABEL'"),
        ("a.JPEG,99999999-n\n", "val.txt:1: 'n99999999' is not an ImageNet-1k synset"),
    ],
)
def test_a_bad_label_line_is_named(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "val.txt"
    path.write_text(text)
    with pytest.raises(LabelsError, match=re.escape(message)):
        read_labels(path)


def _link(source: str, target: str) -> Callable[[Path], None]:
    """A folder link `val/source` -> `target` (relative to the link's folder)."""
    return lambda val: os.symlink(target, val / source, target_is_directory=True)


# case id -> (links made in the image folder, the images found by file name -> class index)
LINKS: dict[str, tuple[list[Callable[[Path], None]], dict[str, int]]] = {
    "link back to the split folder": ([_link("n02123045/up1", "..")], {}),
    "two links back": ([_link("n02123045/up1", ".."), _link("n02123045/up2", "..")], {}),
    "link to the data folder": ([_link("n02123045/top", "../..")], {}),
    "link loop between two folders": (
        [_link("n02123045/to_espresso", "../n07920052"), _link("n07920052/to_cat", "../n02123045")],
        {},
    ),
    "self link": ([_link("n02123045/self", ".")], {}),
    "link to a folder outside, as a new class": (
        [lambda val: os.symlink(PHOTOS, val / "n01440764", target_is_directory=True)],
        {name: 0 for name in TRUTH},
    ),
    "link named before the folder it points to": ([_link("a_cat", "n02123045")], {}),
}


@pytest.mark.parametrize("case", list(LINKS))
def test_folder_links_count_each_image_once(case: str, image_folder: Path) -> None:
    links, added = LINKS[case]
    val = image_folder / "val"
    for make in links:
        make(val)
    found = find_images(image_folder)
    expected = {"broken.jpg": 967, **{name: index for name, (_, index) in TRUTH.items()}}
    pairs = sorted((Path(path).name, index) for path, index in found.samples)
    assert pairs == sorted([*expected.items(), *added.items()])


def test_flat_folder_counts_unlabelled_images(flat_folder: Path) -> None:
    shutil.copy(PHOTOS / "rocket.jpg", flat_folder / "extra.jpg")
    found = find_images(flat_folder)
    assert len(found) == 4
    assert found.warnings == ("1 images have no label in LOC_val_solution.csv and were skipped",)


def test_smoke_set_records() -> None:
    """Every bundled photo is listed once, with a synset that matches its class name."""
    records = smoke_labels()
    assert sorted(record["file"] for record in records) == sorted(p.name for p in PHOTOS.glob("*.jpg"))
    for record in records:
        assert TRUTH[record["file"]][0] == record["synset"]
        assert class_name(synset_to_index()[record["synset"]]) == record["class"]
        assert record["source"] and record["license"] and record["seen"]
    found = smoke_set()
    assert found.smoke and len(found) == len(TRUTH)
    assert "not an ImageNet accuracy" in json.loads((PHOTOS / "labels.json").read_text())["about"]


def test_truncated_image_is_skipped_and_counted(image_folder: Path) -> None:
    """timm would hand back the next image in its place; here it is skipped once, with a reason."""
    found = find_images(image_folder)
    chunks = list(batches(found, TRANSFORM, batch=2))
    targets = np.concatenate([chunk.targets for chunk in chunks])
    skipped = [item for chunk in chunks for item in chunk.skipped]
    assert sorted(targets.tolist()) == sorted(index for _, index in TRUTH.values())
    assert [Path(item.path).name for item in skipped] == ["broken.jpg"]
    assert "truncated" in skipped[0].reason
    assert all(chunk.images.dtype == np.float32 for chunk in chunks if len(chunk.targets))


def test_batches_in_worker_processes_match(image_folder: Path) -> None:
    found = find_images(image_folder)
    inline = np.concatenate([c.images for c in batches(found, TRANSFORM, batch=3) if len(c.targets)])
    workers = np.concatenate(
        [c.images for c in batches(found, TRANSFORM, batch=3, workers=1) if len(c.targets)]
    )
    np.testing.assert_array_equal(inline, workers)


@pytest.mark.parametrize(
    ("total", "limit", "expected"),
    [(10, None, list(range(10))), (10, 3, [0, 4, 9]), (5, 9, list(range(5))), (1000, 1, [0])],
)
def test_limit_spreads_over_the_set(total: int, limit: int | None, expected: list[int]) -> None:
    assert spread_indices(total, limit) == expected


def test_a_huge_labels_file_is_refused_unread(tmp_path: Path) -> None:
    path = tmp_path / "val.txt"
    with path.open("wb") as handle:  # sparse: no disk is used
        handle.truncate(MAX_LABELS_BYTES + 1)
    with pytest.raises(LabelsError, match="over the 268435456-byte limit"):
        read_labels(path)
