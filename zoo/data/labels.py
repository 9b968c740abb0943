"""Labels files for a flat validation folder (all images in one folder, classes in a file).

The forms in common use are all read:
- Kaggle's `LOC_val_solution.csv`: `ImageId,PredictionString` with the synset first in the string;
- one `FILE LABEL` pair a line: comma separated (CSV, quoted fields allowed), tab separated (TSV, so
  a file name may hold spaces) or space separated (Caffe's `val.txt`). The label is a class index in
  the models' order (0-999, ImageNet-1k's sorted synsets), a WordNet synset id as ImageNet names its
  folders (`n01440764`), or the same WordNet id as NLTK writes it, offset and part of speech
  (`01440764-n`). An optional header row names the columns (`filename,label`, `image\tsynset`,
  `label,file`...): the file and label columns are then taken by name, in either order, and other
  columns are ignored. Without a header, the file comes first and the label second.
The devkit's `ILSVRC2012_validation_ground_truth.txt` (one id a line) numbers classes in the
devkit's own order, not the models': it is refused with a message rather than read wrongly.
"""

from __future__ import annotations

import csv
import re
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


_WORDNET_OFFSET = re.compile(r"(\d{8})-n")  # NLTK's form of a noun synset: offset, part of speech


def _class_index(label: str, where: str) -> int:
    classes = synset_to_index()
    offset = _WORDNET_OFFSET.fullmatch(label)
    if offset:
        label = f"n{offset.group(1)}"
    if is_synset(label):
        if label not in classes:
            raise LabelsError(f"{where}: {label!r} is not an ImageNet-1k synset")
        return classes[label]
    try:
        index = int(label)
    except ValueError:
        raise LabelsError(
            f"{where}: label {label!r} is neither a class index (0-999), a synset (n01440764) nor a "
            "WordNet id (01440764-n)"
        ) from None
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


def _fields(line: str) -> list[str]:
    """A line's fields: tab separated (TSV), else comma separated (CSV, quotes read), else spaces."""
    if "\t" in line:
        return [field.strip() for field in line.split("\t")]
    if "," in line:
        return [field.strip() for field in next(csv.reader([line]))]
    return line.split()


# Column names a `FILE LABEL` file's header uses; a first row is a header only when it names both a
# file column and a label column, so a data row with a misspelt class is an error, never dropped.
_FILE_COLUMNS = frozenset(
    {"file", "filename", "file_name", "image", "image_name", "image_id", "imageid", "path"}
)
_LABEL_COLUMNS = frozenset(
    {"label", "labels", "class", "class_id", "class_index", "synset", "wnid", "target", "category", "id"}
)


def _header(fields: list[str]) -> tuple[int, int] | None:
    """(file column, label column) when `fields` is a header row naming both, else None."""
    names = [normalize_key(field) for field in fields]
    file = next((n for n, name in enumerate(names) if name in _FILE_COLUMNS), None)
    label = next((n for n, name in enumerate(names) if name in _LABEL_COLUMNS and n != file), None)
    return None if file is None or label is None else (file, label)


def _pair_rows(lines: list[str], path: Path) -> list[tuple[int, str, str]]:
    numbered = [
        (number, _fields(line.strip()))
        for number, line in enumerate(lines, start=1)
        if line.strip() and not line.strip().startswith("#")
    ]
    columns = _header(numbered[0][1]) if numbered else None
    file, label = columns or (0, 1)
    rows = []
    for number, fields in numbered[1:] if columns else numbered:
        if len(fields) <= max(file, label) or not fields[file] or not fields[label]:
            raise LabelsError(
                f"{path}:{number}: expected 'FILE LABEL' (a file name and a class index, synset or "
                "WordNet id); the devkit's one-id-a-line ground truth uses its own class order and is "
                "not read"
            )
        rows.append((number, fields[file], fields[label]))
    return rows


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
