"""Build an `Index` from a root file: follow `Import:` globs, then type and check every entry."""

from __future__ import annotations

import gc
import glob
import os
import reprlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from zoo.index._errors import IndexFormatError
from zoo.index._files import read_documents
from zoo.index._model import (
    Collection,
    Declared,
    Index,
    Metadata,
    Model,
    Paper,
    Result,
    Source,
    local_weights,
    normalize_key,
)
from zoo.index._yaml import LocatedDict


def _number(text: str) -> float:
    stripped = text.strip().removesuffix("%").strip()
    return float(stripped.replace("_", "")) if stripped else float("nan")


def _non_negative_int(raw: Any) -> int:
    value = raw if isinstance(raw, int) and not isinstance(raw, bool) else _number(str(raw))
    if value != value or value < 0 or value != int(value):
        raise ValueError("must be a non-negative integer")
    return int(value)


def _positive_int(raw: Any) -> int:
    value = _non_negative_int(raw)
    if value == 0:
        raise ValueError("must be a positive integer")
    return value


def _crop_pct(raw: Any) -> float:
    value = float(raw) if isinstance(raw, int | float) and not isinstance(raw, bool) else _number(str(raw))
    if not 0 < value <= 1:
        raise ValueError("must be in (0, 1]")
    return value


def _text(raw: Any) -> str:
    if isinstance(raw, dict | list):
        raise ValueError("must be text")
    return str(raw)


def _metric(raw: Any) -> float:
    if isinstance(raw, bool):
        raise ValueError("must be a number")
    value = float(raw) if isinstance(raw, int | float) else _number(str(raw))
    if value != value:
        raise ValueError("must be a number")
    return value


def _convert(convert: Callable[[Any], Any], raw: Any) -> Any:
    """A typed field's value; a list or mapping is refused before any conversion turns it into text."""
    if isinstance(raw, dict | list):
        raise ValueError("must be a single value")
    return convert(raw)


MAX_IMPORT_DEPTH = 32  # a file importing a file importing...; an index needs two levels

# Typed metadata fields; any other key is kept with its YAML value.
_METADATA_TYPES: dict[str, Callable[[Any], Any]] = {
    "flops": _non_negative_int,
    "parameters": _non_negative_int,
    "file_size": _non_negative_int,
    "image_size": _positive_int,
    "crop_pct": _crop_pct,
    "interpolation": _text,
}


@dataclass
class _Loader:
    root_dir: Path
    files: list[Path] = field(default_factory=list)
    seen: set[Path] = field(default_factory=set)
    collections: dict[str, Collection] = field(default_factory=dict)
    models: dict[str, Model] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)

    def load(self, path: Path, importing: tuple[Path, ...] = ()) -> None:
        resolved = path.resolve()
        if resolved in importing:
            chain = " -> ".join(p.name for p in (*importing, resolved))
            raise IndexFormatError(path, f"Import cycle: {chain}")
        if len(importing) >= MAX_IMPORT_DEPTH:
            raise IndexFormatError(path, f"Imports nested more than {MAX_IMPORT_DEPTH} files deep")
        if resolved in self.seen:
            return
        self.seen.add(resolved)
        self.files.append(resolved)
        for document in read_documents(path):
            keyed = {normalize_key(k): k for k in document}
            for key, original in keyed.items():
                if key not in {"import", "models", "collections"}:
                    self.extra.setdefault(str(original), document[original])
            if "import" in keyed:
                for target in self._imports(path, document, keyed["import"]):
                    self.load(target, (*importing, resolved))
            for entry in self._entries(path, document, keyed.get("collections"), "Collections"):
                self._add_collection(path, entry)
            for entry in self._entries(path, document, keyed.get("models"), "Models"):
                self._add_model(path, entry)

    def _imports(self, path: Path, document: LocatedDict, key: str) -> list[Path]:
        line = document.lines.get(key)
        patterns = document[key]
        if isinstance(patterns, str):
            patterns = [patterns]
        if not isinstance(patterns, list) or not all(isinstance(p, str) for p in patterns):
            raise IndexFormatError(path, "Import must be a list of paths or globs", line=line, field="Import")
        targets: list[Path] = []
        for pattern in patterns:
            if os.path.isabs(pattern):
                raise IndexFormatError(path, f"Import {pattern!r} is absolute", line=line, field="Import")
            full = os.path.normpath(path.resolve().parent / pattern)
            if not _inside(Path(full), self.root_dir):
                raise IndexFormatError(
                    path, f"Import {pattern!r} points outside {self.root_dir}", line=line, field="Import"
                )
            matches = sorted(Path(m) for m in glob.glob(full) if Path(m).is_file())
            if not matches:
                raise IndexFormatError(path, f"Import {pattern!r} matches nothing", line=line, field="Import")
            for match in matches:
                if not _inside(match.resolve(), self.root_dir):
                    raise IndexFormatError(
                        path,
                        f"Import {pattern!r} reaches {match} outside {self.root_dir} (symlink)",
                        line=line,
                        field="Import",
                    )
            targets.extend(matches)
        return targets

    @staticmethod
    def _entries(path: Path, document: LocatedDict, key: str | None, what: str) -> list[LocatedDict]:
        if key is None or document[key] is None:
            return []
        entries = document[key]
        line = document.lines.get(key)
        if not isinstance(entries, list):
            raise IndexFormatError(path, f"{what} must be a list", line=line, field=what)
        for number, entry in enumerate(entries, 1):
            if not isinstance(entry, LocatedDict):
                raise IndexFormatError(path, f"{what} entry #{number} is not a mapping", line=line)
        return entries

    @staticmethod
    def _unique_name(fields: _Fields, declared: dict[str, Collection] | dict[str, Model]) -> str:
        name = fields.name()
        if name in declared:
            raise IndexFormatError(
                fields.path,
                f"duplicate {fields.kind} name (first declared at {declared[name].source})",
                line=fields.entry.line,
                model=name,
                field="Name",
            )
        return name

    def _add_collection(self, path: Path, entry: LocatedDict) -> None:
        fields = _Fields(path, entry, "collection")
        name = self._unique_name(fields, self.collections)
        self.collections[name] = Collection(
            name=name,
            paper=fields.paper(),
            metadata=fields.metadata(),
            readme=fields.text("readme"),
            source=Source(path, entry.line),
            extra=fields.rest(),
        )

    def _add_model(self, path: Path, entry: LocatedDict) -> None:
        fields = _Fields(path, entry, "model")
        name = self._unique_name(fields, self.models)
        self._check_weights(fields)
        self.models[name] = Model(
            name=name,
            collection=fields.text("in_collection"),
            metadata=fields.metadata(),
            paper=fields.paper(),
            results=fields.results(),
            weights=fields.text("weights"),
            code=fields.text("code"),
            readme=fields.text("readme"),
            source=Source(path, entry.line),
            extra=fields.rest(),
        )

    def _check_weights(self, fields: _Fields) -> None:
        """A local `Weights:` file must lie in the index's folder after symlinks, like an import: an
        index must not make zoo read, hash or report the size of any other file."""
        weights = fields.text("weights")
        local = local_weights(weights, fields.path)
        if local is not None and not _inside(Path(os.path.realpath(local)), self.root_dir):
            raise fields.error(f"{weights!r} lies outside the index folder {self.root_dir}", "weights")

    def finish(self, root: Path) -> Index:
        """Resolve collections: each model must name one that exists, and inherits from it."""
        models: dict[str, Model] = {}
        for name, model in self.models.items():
            collection = self.collections.get(model.collection) if model.collection else None
            if model.collection and collection is None:
                known = ", ".join(sorted(self.collections)) or "none"
                raise IndexFormatError(
                    model.source.path,
                    f"collection {model.collection!r} does not exist (known: {known})",
                    line=model.source.line,
                    model=name,
                    field="In Collection",
                )
            if collection is not None:
                model = Model(
                    **{
                        **model.__dict__,
                        "metadata": model.metadata.merged_over(collection.metadata),
                        "paper": model.paper or collection.paper,
                    }
                )
            models[name] = model
        return Index(root, tuple(self.files), dict(self.collections), models, dict(self.extra))


class _Fields:
    """Case-insensitive access to one entry's keys, remembering which ones were used."""

    def __init__(self, path: Path, entry: LocatedDict, kind: str) -> None:
        self.path = path
        self.entry = entry
        self.kind = kind
        self.keys = {normalize_key(k): k for k in entry}
        self.used: set[str] = set()
        self.model_name: str | None = None

    def _raw(self, key: str) -> Any:
        self.used.add(key)
        original = self.keys.get(key)
        return None if original is None else self.entry[original]

    def _line(self, key: str) -> int:
        return self.entry.lines.get(self.keys.get(key), self.entry.line)

    def error(self, message: str, key: str, line: int | None = None) -> IndexFormatError:
        original = self.keys.get(key, key)
        return IndexFormatError(
            self.path, message, line=line or self._line(key), model=self.model_name, field=str(original)
        )

    def name(self) -> str:
        raw = self._raw("name")
        if raw is None or isinstance(raw, dict | list) or not str(raw).strip():
            raise IndexFormatError(self.path, f"{self.kind} without Name", line=self.entry.line, field="Name")
        self.model_name = str(raw).strip()
        return self.model_name

    def text(self, key: str) -> str | None:
        raw = self._raw(key)
        if raw is None:
            return None
        if isinstance(raw, dict | list):
            raise self.error("must be text", key)
        return str(raw)

    def paper(self) -> Paper | None:
        raw = self._raw("paper")
        line = self._line("paper")
        if raw is None:
            return None
        if isinstance(raw, str):
            is_url = raw.startswith(("http://", "https://"))
            return Paper(None if is_url else raw, raw if is_url else None, Source(self.path, line))
        if not isinstance(raw, dict):
            raise self.error("must be a mapping with Title and URL", "paper")
        keyed = {normalize_key(k): v for k, v in raw.items()}
        title, url = keyed.get("title"), keyed.get("url")
        return Paper(
            None if title is None else str(title), None if url is None else str(url), Source(self.path, line)
        )

    def metadata(self) -> Metadata:
        raw = self._raw("metadata")
        if raw is None:
            return Metadata()
        if not isinstance(raw, LocatedDict):
            raise self.error("must be a mapping", "metadata")
        fields: dict[str, Declared] = {}
        for key, value in raw.items():
            normalized = normalize_key(key)
            line = raw.lines.get(key, raw.line)
            convert = _METADATA_TYPES.get(normalized)
            typed = value
            if convert is not None and value is not None:
                try:
                    typed = _convert(convert, value)
                except (ValueError, TypeError) as error:
                    raise IndexFormatError(
                        self.path,
                        f"{error}, got {_short(value)}",
                        line=line,
                        model=self.model_name,
                        field=str(key),
                    ) from None
            span = raw.spans.get(key)
            fields[normalized] = Declared(str(key), typed, _as_text(value), Source(self.path, line), span)
        return Metadata(fields)

    def results(self) -> tuple[Result, ...]:
        raw = self._raw("results")
        if raw is None:
            return ()
        if not isinstance(raw, list):
            raise self.error("must be a list", "results")
        results = []
        for entry in raw:
            if not isinstance(entry, LocatedDict):
                raise self.error("each result must be a mapping", "results")
            keyed = {normalize_key(k): k for k in entry}
            metrics_raw = _metrics_mapping(entry.get(keyed.get("metrics"), None) or LocatedDict())
            if not isinstance(metrics_raw, dict):
                raise self.error(
                    "Metrics must be a mapping, or a list of metrics with name and value",
                    "results",
                    entry.line,
                )
            metrics: dict[str, Declared] = {}
            for key, value in metrics_raw.items():
                line = getattr(metrics_raw, "lines", {}).get(key, entry.line)
                try:
                    typed = _convert(_metric, value)
                except (ValueError, TypeError) as error:
                    raise IndexFormatError(
                        self.path,
                        f"{error}, got {_short(value)}",
                        line=line,
                        model=self.model_name,
                        field=str(key),
                    ) from None
                spans = getattr(metrics_raw, "spans", {})
                metrics[normalize_key(key)] = Declared(
                    str(key), typed, _as_text(value), Source(self.path, line), spans.get(key)
                )
            task, dataset = _label(entry.get(keyed.get("task"))), _label(entry.get(keyed.get("dataset")))
            results.append(
                Result(
                    None if task is None else str(task),
                    None if dataset is None else str(dataset),
                    metrics,
                    Source(self.path, entry.line),
                )
            )
        return tuple(results)

    def rest(self) -> dict[str, Any]:
        """Unknown keys, kept as written."""
        return {str(self.keys[k]): self.entry[self.keys[k]] for k in self.keys if k not in self.used}


def _label(value: Any) -> Any:
    """A result's task or dataset: text as written, or the `name` (else `type`) of a Hub-style mapping."""
    if isinstance(value, dict):
        keyed = {normalize_key(k): v for k, v in value.items()}
        return keyed.get("name", keyed.get("type"))
    return value


def _metrics_mapping(raw: Any) -> Any:
    """Hugging Face Hub cards list metrics as `{type, name, value}`: keyed here by name (else type).

    Anything else is returned as it is, for the caller to accept as a mapping or refuse.
    """
    if not isinstance(raw, list) or not all(isinstance(item, LocatedDict) for item in raw):
        return raw
    metrics = LocatedDict()
    metrics.line, metrics.lines = (raw[0].line if raw else 0), {}
    for item in raw:
        keyed = {normalize_key(k): v for k, v in item.items()}
        name = keyed.get("name", keyed.get("type"))
        if name is None or "value" not in keyed:
            return raw  # not a metric the Hub's format describes
        metrics[str(name)] = keyed["value"]
        metrics.lines[str(name)] = item.line
    return metrics


def _as_text(value: Any) -> str:
    """The declared text of a value: a string as written, a list as its items joined; a nested
    structure only as a bounded summary, never turned whole into text."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, list):
        return ", ".join(_short(item) if isinstance(item, dict | list) else str(item) for item in value)
    return _short(value) if isinstance(value, dict) else str(value)


def _short(value: Any) -> str:
    """A value as a message shows it, cut short however large or deep it is."""
    short = reprlib.Repr()
    short.maxlevel, short.maxstring, short.maxother = 3, 60, 60
    return short.repr(value)


@contextmanager
def _no_rescans() -> Iterator[None]:
    """Keep the cyclic garbage collector off while parsing. Parsing allocates millions of acyclic
    objects on a large index; each collection during it rescanned all of them, which made a
    10,000-model index take 10 s. Reference counting frees them as ever. (Moving them to the oldest
    generation with gc.freeze/unfreeze crashed a process that held torch, OpenVINO and ONNX Runtime.)"""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _inside(path: Path, folder: Path) -> bool:
    return path == folder or folder in path.parents


def load_index(path: Path | str) -> Index:
    """Read a root index file (or a single card) and everything it imports.

    Imports may not leave the root file's folder, so an index cannot read arbitrary files.
    """
    root = Path(path)
    if root.is_dir():
        root = root / "model-index.yml"
    if not root.is_file():
        raise IndexFormatError(root, "no such index file")
    loader = _Loader(root_dir=root.parent.resolve())
    with _no_rescans():
        loader.load(root)
        return loader.finish(root)
