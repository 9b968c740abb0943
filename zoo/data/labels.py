"""Labels files for a flat validation folder (all images in one folder, classes in a file).

Two forms are in common use and both are read:
- Kaggle's `LOC_val_solution.csv`: `ImageId,PredictionString` with the synset first in the string;
- one `FILE LABEL` pair a line (space or comma separated), the label a synset (`n01440764`) or a
  class index in sorted-synset order (Caffe's `val.txt`).
The devkit's `ILSVRC2012_validation_ground_truth.txt` (one id a line) numbers classes in the
devkit's own order, not the models': it is refused with a message rather than read wrongly.
"""

from __future__ import annotations

import csv
from pathlib import Path

from zoo._errors import ZooError
from zoo.data.imagenet import is_synset, synset_to_index
from zoo.index import normalize_key

MAX_LABELS_BYTES = 256 * 1024 * 1024  # ImageNet's own labels files are a few MB
# Looked for in the split folder, then in the data folder, when no --labels is given.
LABEL_FILE_NAMES = ("LOC_val_solution.csv", "val.txt", "val_labels.txt", "labels.txt", "labels.csv")


class LabelsError(ZooError):
    """A labels file that cannot be read or does not describe ImageNet-1k classes."""


def find_labels_file(*folders: Path) -> Path | None:
    """The first labels file with a known name in the given folders."""
    for folder in folders:
        for name in LABEL_FILE_NAMES:
            if (folder / name).is_file():
                return folder / name
    return None


def _class_index(label: str, where: str) -> int:
    classes = synset_to_index()
    if is_synset(label):
        if label not in classes:
            raise LabelsError(f"{where}: {label!r} is not an ImageNet-1k synset")
        return classes[label]
    try:
        index = int(label)
    except ValueError:
        raise LabelsError(f"{where}: label {label!r} is neither a synset nor a class index") from None
    if not 0 <= index < len(classes):
        raise LabelsError(f"{where}: class index {index} is outside 0..{len(classes) - 1}")
    return index


def _kaggle_rows(lines: list[str], path: Path) -> list[tuple[int, str, str]]:
    rows = []
    for number, row in enumerate(csv.DictReader(lines), start=2):
        tokens = (row.get("PredictionString") or "").split()
        if not row.get("ImageId") or not tokens:
            raise LabelsError(f"{path}:{number}: expected 'ImageId,PredictionString' with a synset first")
        rows.append((number, row["ImageId"], tokens[0]))
    return rows


def _pair_rows(lines: list[str], path: Path) -> list[tuple[int, str, str]]:
    rows = []
    for number, raw in enumerate(lines, start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        fields = [f.strip() for f in line.split(",")] if "," in line else line.split()
        if len(fields) < 2:
            raise LabelsError(
                f"{path}:{number}: expected 'FILE LABEL' (a file name and a synset or class index); "
                "the devkit's one-id-a-line ground truth uses its own class order and is not read"
            )
        rows.append((number, fields[0], fields[1]))
    if rows and _is_header(rows[0][1], rows[0][2]):
        rows = rows[1:]
    return rows


# Column names a `FILE LABEL` file's header uses; a first row is a header only when both of its
# columns are such names, so a data row with a misspelt class is an error, never dropped as a header.
_FILE_COLUMNS = frozenset(
    {"file", "filename", "file_name", "image", "image_name", "image_id", "imageid", "path"}
)
_LABEL_COLUMNS = frozenset(
    {"label", "labels", "class", "class_id", "class_index", "synset", "wnid", "target", "category", "id"}
)


def _is_header(file: str, label: str) -> bool:
    return normalize_key(file) in _FILE_COLUMNS and normalize_key(label) in _LABEL_COLUMNS


def read_labels(path: Path) -> dict[str, int]:
    """`{file name or stem: class index}` from a labels file; a bad line is a one-line error."""
    try:
        size = path.stat().st_size
        if size > MAX_LABELS_BYTES:
            raise LabelsError(f"labels file {path} is {size} bytes, over the {MAX_LABELS_BYTES}-byte limit")
        lines = path.read_text(encoding="utf-8-sig").splitlines()  # Excel writes a byte-order mark
    except (OSError, UnicodeDecodeError) as error:
        raise LabelsError(f"cannot read labels file {path}: {error}") from None
    header = lines[0] if lines else ""
    kaggle = "ImageId" in header and "PredictionString" in header
    rows = _kaggle_rows(lines, path) if kaggle else _pair_rows(lines, path)
    if not rows:
        raise LabelsError(f"labels file {path} has no labels")
    labels: dict[str, int] = {}
    for number, name, label in rows:
        labels[name] = _class_index(label, f"{path}:{number}")
    return labels


def label_of(labels: dict[str, int], image: Path) -> int | None:
    """An image's class by its file name, or by its stem as Kaggle's ImageId gives it."""
    found = labels.get(image.name)
    return labels.get(image.stem) if found is None else found
