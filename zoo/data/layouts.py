"""Find labelled ImageNet images in the layouts people keep them in.

- ImageFolder: `DIR[/split]/n01440764/*.JPEG`, read by timm's `ReaderImageFolder`, its folder names
  mapped through ImageNet-1k's sorted synsets (so a tree with a few synsets still maps right);
- flat: `DIR[/split]/*.JPEG` beside a labels file (see `zoo.data.labels`).
Unusable input (no folder, no images, an unknown layout, labels that name no image) is a one-line
`ZooError`; images that are only partly usable are counted in `ImageSet.warnings`.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

from timm.data import ImageDataset
from timm.data.readers import get_img_extensions
from timm.data.readers.reader import Reader
from timm.data.readers.reader_image_folder import ReaderImageFolder

from zoo._errors import ZooError
from zoo.data.imagenet import is_synset, synset_to_index
from zoo.data.labels import find_labels_file, label_of, read_labels

IMAGEFOLDER = "imagefolder"
FLAT = "flat"


class DataError(ZooError):
    """A data folder that cannot be evaluated on."""


def _is_image(path: Path) -> bool:
    return path.suffix.lower() in get_img_extensions(as_set=True)


class LabelledFiles(Reader):
    """A timm reader over `(path, class index)` pairs, for the layouts timm's readers do not walk."""

    def __init__(self, root: Path, samples: Sequence[tuple[str, int]]) -> None:
        super().__init__()
        self.root = str(root)
        self.samples = list(samples)

    def __getitem__(self, index: int) -> tuple[BinaryIO, int]:
        path, target = self.samples[index]
        return open(path, "rb"), target  # timm's ImageDataset reads and closes it

    def __len__(self) -> int:
        return len(self.samples)

    def _filename(self, index: int, basename: bool = False, absolute: bool = False) -> str:
        path = self.samples[index][0]
        return os.path.basename(path) if basename else path if absolute else os.path.relpath(path, self.root)


@dataclass(frozen=True)
class ImageSet:
    """Labelled images and how they were found; `dataset()` gives timm's `ImageDataset` over them."""

    name: str
    root: Path
    layout: str
    samples: tuple[tuple[str, int], ...]
    warnings: tuple[str, ...] = ()
    smoke: bool = False
    labels_file: Path | None = None
    reader: Reader | None = field(default=None, repr=False, compare=False)

    def __len__(self) -> int:
        return len(self.samples)

    def dataset(self, transform: Callable[[Any], Any] | None = None) -> ImageDataset:
        """timm's `ImageDataset` over these images with one model's transform."""
        reader = self.reader if self.reader is not None else LabelledFiles(self.root, self.samples)
        return ImageDataset(str(self.root), reader=reader, transform=transform)


def _split_root(data: Path, split: str) -> Path:
    candidate = data / split
    return candidate if split and candidate.is_dir() else data


def _image_folder(root: Path, name: str) -> ImageSet:
    found = sum(1 for _, _, files in os.walk(root, followlinks=True) for f in files if _is_image(Path(f)))
    if not found:
        raise DataError(f"no images in the synset folders of {root}")
    known = synset_to_index()
    reader = ReaderImageFolder(str(root), class_map=known) if _has_known_synset(root, known) else None
    samples = tuple(reader.samples) if reader is not None else ()
    if not samples:
        raise DataError(f"no images in ImageNet-1k synset folders of {root} ({found} images elsewhere)")
    warnings = []
    if len(samples) < found:
        warnings.append(f"{found - len(samples)} images outside ImageNet-1k synset folders were skipped")
    return ImageSet(name, root, IMAGEFOLDER, samples, tuple(warnings), reader=reader)


def _has_known_synset(root: Path, known: dict[str, int]) -> bool:
    return any(entry.is_dir() and entry.name in known for entry in root.iterdir())


def _flat_folder(root: Path, data: Path, name: str, images: list[Path], labels_path: Path | None) -> ImageSet:
    labels_path = labels_path or find_labels_file(root, data)
    if labels_path is None:
        raise DataError(
            f"{root} holds {len(images)} images in one folder but no labels file "
            f"(looked for LOC_val_solution.csv, val.txt, labels.txt...); pass --labels FILE"
        )
    if not labels_path.is_file():
        raise DataError(f"labels file not found: {labels_path}")
    labels = read_labels(labels_path)
    samples = []
    unlabelled = []
    for image in images:
        index = label_of(labels, image)
        if index is None:
            unlabelled.append(image.name)
        else:
            samples.append((str(image), index))
    if not samples:
        raise DataError(
            f"labels file {labels_path} names none of the {len(images)} images in {root} "
            f"(no label for {unlabelled[0]!r})"
        )
    warnings = (f"{len(unlabelled)} images have no label in {labels_path.name} and were skipped",)
    return ImageSet(name, root, FLAT, tuple(samples), warnings if unlabelled else (), labels_file=labels_path)


def find_images(data: Path, split: str = "val", labels: Path | None = None) -> ImageSet:
    """The labelled images under `data` (its `split` subfolder if there is one), in either layout."""
    if not data.exists():
        raise DataError(f"data folder not found: {data}")
    if not data.is_dir():
        raise DataError(f"--data must be a folder of images, not a file: {data}")
    root = _split_root(data, split)
    entries = sorted(root.iterdir())
    folders = [entry for entry in entries if entry.is_dir()]
    images = [entry for entry in entries if entry.is_file() and _is_image(entry)]
    name = f"imagenet-{split}" if split else "imagenet"
    if any(is_synset(folder.name) for folder in folders):
        return _image_folder(root, name)
    if images:
        return _flat_folder(root, data, name, images, labels)
    if folders:
        raise DataError(
            f"unknown layout in {root}: its folders ({folders[0].name!r}, ...) are not ImageNet synsets; "
            "expected n01440764/... folders or one folder of images with a labels file"
        )
    raise DataError(f"no images in {root} (looked for {', '.join(get_img_extensions())})")
