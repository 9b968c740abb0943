"""Find labelled ImageNet images in the layouts people keep them in.

- ImageFolder: `DIR[/split]/n01440764/*.JPEG`, walked once per real folder (links followed, loops
  not), labelled by the folder an image lies in as timm's `ReaderImageFolder` does, its folder names
  mapped through ImageNet-1k's sorted synsets (so a tree with a few synsets still maps right);
- flat: `DIR[/split]/*.JPEG` beside a labels file (see `zoo.data.labels`).
Unusable input (no folder, no images, an unknown layout, labels that name no image) is a one-line
`ZooError`; images that are only partly usable are counted in `ImageSet.warnings`.
"""

from __future__ import annotations

import os
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from timm.data import ImageDataset
from timm.data.readers import get_img_extensions
from timm.data.readers.reader import Reader
from timm.utils.misc import natural_key

from zoo._errors import ZooError
from zoo.data._bounds import BoundedTransform, check_header
from zoo.data.imagenet import is_synset, synset_to_index
from zoo.data.labels import find_labels_file, label_of, read_labels

IMAGEFOLDER = "imagefolder"
FLAT = "flat"


class DataError(ZooError):
    """A data folder that cannot be evaluated on."""


def _is_image(path: Path) -> bool:
    return path.suffix.lower() in get_img_extensions(as_set=True)


class LabelledFiles(Reader):
    """A timm reader over `(path, class index)` pairs found here (timm's own walk follows link loops)."""

    def __init__(self, root: Path, samples: Sequence[tuple[str, int]]) -> None:
        super().__init__()  # type: ignore[no-untyped-call]  # timm's Reader is unannotated
        self.root = str(root)
        self.samples = list(samples)

    def __getitem__(self, index: int) -> tuple[str, int]:
        """The path, not an open file: PIL then closes the file itself once the image is decoded. An
        image whose header declares too many pixels is refused here, before timm decodes it."""
        path, target = self.samples[index]
        check_header(path)
        return path, target

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

    def __len__(self) -> int:
        return len(self.samples)

    def dataset(self, transform: Callable[[Any], Any] | None = None) -> ImageDataset:
        """timm's `ImageDataset` over these images with one model's transform."""
        bounded = BoundedTransform(transform) if transform is not None else None
        return ImageDataset(str(self.root), reader=LabelledFiles(self.root, self.samples), transform=bounded)


def _split_root(data: Path, split: str) -> Path:
    candidate = data / split
    return candidate if split and candidate.is_dir() else data


def _walk_images(root: Path) -> list[tuple[Path, str]]:
    """Every image under `root` once, with the name of the folder it lies in (timm's ImageFolder label).

    Folder links are followed, so a tree of links to synset folders works, but each folder is read once
    by its (device, inode) and each file counted once: a link back up the tree (`n02123045/up -> ..`)
    can neither count an image twice nor loop. Real folders are read before linked ones, so a link
    never takes the place of the folder it points to.
    """
    seen_folders: set[tuple[int, int]] = set()
    seen_files: set[tuple[int, int]] = set()
    real, linked = deque([root]), deque[Path]()
    found: list[tuple[Path, str]] = []
    while real or linked:
        folder = real.popleft() if real else linked.popleft()
        try:
            status = folder.stat()
            if (status.st_dev, status.st_ino) in seen_folders:
                continue
            seen_folders.add((status.st_dev, status.st_ino))
            entries = sorted(os.scandir(folder), key=lambda entry: entry.name)
        except OSError:
            continue  # unreadable or a dangling link: nothing to count
        for entry in entries:
            try:
                if entry.is_dir():
                    (linked if entry.is_symlink() else real).append(Path(entry.path))
                elif entry.is_file() and _is_image(Path(entry.name)):
                    status = entry.stat()
                    if (status.st_dev, status.st_ino) not in seen_files:
                        seen_files.add((status.st_dev, status.st_ino))
                        found.append((Path(entry.path), folder.name))
            except OSError:
                continue
    return sorted(found, key=lambda item: natural_key(str(item[0])))


def _image_folder(root: Path, name: str) -> ImageSet:
    found = _walk_images(root)
    if not found:
        raise DataError(f"no images in the synset folders of {root}")
    known = synset_to_index()
    samples = tuple((str(path), known[label]) for path, label in found if label in known)
    if not samples:
        raise DataError(f"no images in ImageNet-1k synset folders of {root} ({len(found)} images elsewhere)")
    warnings = []
    if len(samples) < len(found):
        warnings.append(f"{len(found) - len(samples)} images outside ImageNet-1k synset folders were skipped")
    return ImageSet(name, root, IMAGEFOLDER, samples, tuple(warnings))


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
    name = f"folder {root.name}"  # where the images are, never what they are: see zoo.data.identity
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
