"""The typed data model of a model index: what a parsed Collection, Model, Result and Paper hold.

Every declared value keeps its text as written and the file and line it came from, so that
`zoo show` can say where a value was declared and `zoo validate --write` can change exactly it.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, cast
from urllib.parse import urlparse

from zoo.index._errors import Notice, UnknownModelError, display_path
from zoo.index._yaml import Span


@dataclass(frozen=True)
class Source:
    """Where an entry or value was declared."""

    path: Path
    line: int

    def __str__(self) -> str:
        return f"{display_path(self.path)}:{self.line}"


@dataclass(frozen=True)
class Declared:
    """One declared value: its key and text as written, its typed value, its source, and (for a
    scalar) the exact span of its text in the file, which `zoo validate --write` replaces."""

    key: str
    value: Any
    text: str
    source: Source
    span: Span | None = None


@lru_cache(maxsize=4096)
def normalize_key(key: str) -> str:
    """`In Collection`, `in_collection` and `In-Collection` all name the same field (cached: every
    entry of an index repeats the same few keys)."""
    return "_".join(str(key).strip().lower().replace("-", " ").replace("_", " ").split())


def local_weights(weights: str | None, declared_in: Path) -> Path | None:
    """The file a `Weights:` value names on this machine (relative to the file declaring it), or None
    for a URL or hub id. Only a path or a `file:` URL is local; other schemes are never read."""
    if not weights:
        return None
    parsed = urlparse(weights)
    if parsed.scheme == "file":
        return Path(parsed.path)
    if len(parsed.scheme) > 1:  # http, https, hf-hub... (one letter is a Windows drive)
        return None
    path = Path(weights).expanduser()
    return path if path.is_absolute() else declared_in.parent / path


def image_size_text(size: int | Sequence[int]) -> str:
    """`224`, or `320x256 (height x width)`: two sides are always shown with their order."""
    if isinstance(size, int):
        return str(size)
    return f"{'x'.join(f'{side:g}' for side in size)} (height x width)"


@dataclass(frozen=True)
class Metadata:
    """Declared metadata keyed by normalized name; unknown keys are kept as they were written."""

    fields: Mapping[str, Declared] = field(default_factory=dict)

    def get(self, key: str) -> Any:
        declared = self.fields.get(normalize_key(key))
        return None if declared is None else declared.value

    def merged_over(self, base: Metadata) -> Metadata:
        """This metadata with `base` filling in what it does not declare (model over collection)."""
        return Metadata({**base.fields, **self.fields})

    @property
    def flops(self) -> int | None:
        return cast("int | None", self.get("flops"))

    @property
    def parameters(self) -> int | None:
        return cast("int | None", self.get("parameters"))

    @property
    def file_size(self) -> int | None:
        return cast("int | None", self.get("file_size"))

    @property
    def image_size(self) -> int | tuple[int, int] | None:
        """One side in pixels, or (height, width) when not square."""
        return cast("int | tuple[int, int] | None", self.get("image_size"))

    @property
    def crop_pct(self) -> float | None:
        return cast("float | None", self.get("crop_pct"))

    @property
    def interpolation(self) -> str | None:
        return cast("str | None", self.get("interpolation"))


@dataclass(frozen=True)
class Paper:
    title: str | None
    url: str | None
    source: Source


@dataclass(frozen=True)
class Result:
    """One declared result; metric values are numbers (`74.83%` becomes 74.83)."""

    task: str | None
    dataset: str | None
    metrics: Mapping[str, Declared]
    source: Source

    def metric(self, name: str) -> float | None:
        declared = self.metrics.get(normalize_key(name))
        return None if declared is None else declared.value


@dataclass(frozen=True)
class Collection:
    name: str
    paper: Paper | None
    metadata: Metadata
    readme: str | None
    source: Source
    extra: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Model:
    """A model with its effective metadata (its own over its collection's)."""

    name: str
    collection: str | None
    metadata: Metadata
    paper: Paper | None
    results: tuple[Result, ...]
    weights: str | None
    code: str | None
    readme: str | None
    source: Source
    extra: Mapping[str, Any] = field(default_factory=dict)
    problems: tuple[str, ...] = ()  # located errors: each dropped a value this model declared

    def declared_accuracy(self, metric: str, dataset: str = "ImageNet") -> float | None:
        """The declared `Top 1 Accuracy` (or another metric) on a dataset, however its name is spelt."""
        wanted = dataset_key(dataset)
        for result in self.results:
            if dataset_key(result.dataset or "") == wanted and result.metric(metric) is not None:
                return result.metric(metric)
        return None


# ImageNet's validation set is named many ways: ImageNet, ImageNet-1k, imagenet_1k, ILSVRC2012, in1k.
_DATASET_ALIASES = {"imagenet1k": "imagenet", "ilsvrc2012": "imagenet", "in1k": "imagenet"}


def dataset_key(name: str) -> str:
    """One key per dataset: case, spaces and punctuation aside, its validation split named or not (a
    declared ImageNet top-1 is measured on ImageNet's validation set), ImageNet's other names mapped to it.
    ImageNet-sample or ImageNet-V2 stay datasets of their own."""
    key = re.sub(r"[^0-9a-z]+", "", name.lower())
    for split in ("validation", "val"):
        key = key.removesuffix(split) or key
    return _DATASET_ALIASES.get(key, key)


@dataclass(frozen=True)
class Index:
    """Everything one root index file reaches through its imports."""

    root: Path
    files: tuple[Path, ...]
    collections: Mapping[str, Collection]
    models: Mapping[str, Model]
    extra: Mapping[str, Any] = field(default_factory=dict)
    notices: tuple[Notice, ...] = ()  # what was read leniently, in file order

    @property
    def errors(self) -> tuple[Notice, ...]:
        """The notices that dropped a value or an entry: a command that read the index exits 1."""
        return tuple(n for n in self.notices if n.severity == "error")

    def model(self, name: str) -> Model:
        """The model called `name`, or an error that suggests the closest names."""
        if name in self.models:
            return self.models[name]
        close = difflib.get_close_matches(name, list(self.models), n=3, cutoff=0.5)
        hint = f"; did you mean {', '.join(close)}?" if close else ""
        raise UnknownModelError(f"unknown model {name!r} in {self.root}{hint}")

    def select(self, names: list[str] | None) -> list[Model]:
        """The named models in the order given, or every model when `names` is empty."""
        return [self.model(name) for name in names] if names else list(self.models.values())
