"""The bundled smoke set: a few real photos with the ImageNet class a person saw in each.

It answers "do this model, its weights and its preprocessing work at all?" in seconds, without
ImageNet on disk. Four photos are not a sample of ImageNet: its top-1 is never an accuracy.
"""

from __future__ import annotations

import json
from importlib.resources import files
from pathlib import Path
from typing import Any

from zoo.data.imagenet import synset_to_index
from zoo.data.layouts import FLAT, ImageSet

SMOKE = "smoke"
SMOKE_NOTICE = "a few photos say whether a model works at all; this is not an ImageNet accuracy"


def smoke_folder() -> Path:
    return Path(str(files("zoo.data") / "photos"))


def smoke_labels() -> list[dict[str, Any]]:
    """The bundled photos' records: file, synset, class, what was seen, source and license."""
    images: list[dict[str, Any]] = json.loads((smoke_folder() / "labels.json").read_text(encoding="utf-8"))[
        "images"
    ]
    return images


def smoke_set() -> ImageSet:
    folder = smoke_folder()
    classes = synset_to_index()
    samples = tuple((str(folder / record["file"]), classes[record["synset"]]) for record in smoke_labels())
    return ImageSet(SMOKE, folder, FLAT, samples, smoke=True, labels_file=folder / "labels.json")
