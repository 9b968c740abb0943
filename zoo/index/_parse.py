"""Build an `Index` from a root file: follow `Import:` globs, then type and check every entry.

A file that cannot be read stops reading (`IndexFormatError`, exit 2). Inside a readable file one bad
entry or value never hides the rest: it becomes a located `Notice` of the index, a warning when the
value is kept (empty means "not declared"; an unusual value inside its field's domain is kept) and an
error when it is left out (then the model carries it in `problems` and a command exits 1 naming it).
A key written twice is such an error: YAML keeps the second value, which is shown, and both lines are
named. Text fields are read as written, never as the number or boolean YAML would make of them.
"""

from __future__ import annotations

import dataclasses
import gc
import glob
import math
import os
import re
import reprlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal

from zoo.index._errors import IndexFormatError, Notice
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

# A count may carry an SI multiplier (`0.46 M`, `5.3M`, `0.06 G`), as results tables write them.
_MULTIPLIERS = {"": 1, "k": 10**3, "K": 10**3, "M": 10**6, "G": 10**9, "T": 10**12}
_MAX_COUNT = 2**63
_COUNT = re.compile(r"\s*([-+]?[0-9][0-9_]*\.?[0-9_]*(?:[eE][-+]?[0-9]+)?|[-+]?\.[0-9]+)\s*([kKMGT]?)\s*")


def _finite(value: float) -> float:
    if not math.isfinite(value):
        raise ValueError("must be a finite number")
    return value


def _number(text: str) -> float:
    return _finite(float(text.strip().removesuffix("%").strip().replace("_", "")))


def _count(raw: Any) -> int:
    """A non-negative whole count, written as an integer or with an SI multiplier."""
    if isinstance(raw, bool):
        raise ValueError("must be a non-negative integer")
    if isinstance(raw, int | float):
        value = _finite(float(raw)) if isinstance(raw, float) else raw
    else:
        written = _COUNT.fullmatch(str(raw))
        if written is None:
            raise ValueError("must be a non-negative integer, or a number with k, M, G or T")
        number, unit = written.groups()
        exact = Decimal(number.replace("_", "")) * _MULTIPLIERS[unit]
        if abs(exact) >= _MAX_COUNT:
            raise ValueError("must be below 2**63 (a count the results store can hold)")
        if exact != exact.to_integral_value() and not unit:
            raise ValueError("must be a non-negative integer")
        value = int(exact.to_integral_value())  # below a unit's last digit, a fraction is rounding
    if value < 0 or value != int(value):
        raise ValueError("must be a non-negative integer")
    if value >= _MAX_COUNT:
        raise ValueError("must be below 2**63 (a count the results store can hold)")
    return int(value)


def count_resolution(text: str) -> int | None:
    """The place of the last digit a count was written to, when its writing shows it: `0.46 M` is to
    the nearest 10,000 and `0.06 G` to the nearest 10,000,000, `5.3e6` to the nearest 100,000. None for
    a plain integer, whose trailing zeros alone cannot tell rounding from the count."""
    written = _COUNT.fullmatch(text)
    if written is None:
        return None
    number, unit = written.groups()
    exponent = Decimal(number.replace("_", "")).as_tuple().exponent
    if not unit and "." not in number and "e" not in number.lower():
        return None
    assert isinstance(exponent, int)  # a finite number, as the pattern reads only those
    return max(1, int(Decimal(1).scaleb(exponent) * _MULTIPLIERS[unit]))


def _positive_int(raw: Any) -> int:
    value = _count(raw)
    if value == 0:
        raise ValueError("must be a positive integer")
    return value


# Height and width written as one text: `320x256`, `320 x 256`, `(320, 256)`, `[320, 256]`, and with
# the multiplication sign U+00D7.
_SIDES = re.compile(r"\s*[(\[]?\s*([0-9]+)\s*(?:[x\u00d7,]|\s)\s*([0-9]+)\s*[)\]]?\s*")


def _image_size(raw: Any) -> int | tuple[int, int]:
    """One side in pixels, or (height, width) when the input is not square: `[320, 256]` or `320x256`
    is 320 high and 256 wide, in the order of timm's `input_size` (C, H, W) and of torch's tensors. A
    square pair is its one side, as timm's tables write it."""
    if isinstance(raw, list | tuple):
        sides = list(raw)
    elif isinstance(raw, str) and (pair := _SIDES.fullmatch(raw)) is not None:
        sides = list(pair.groups())
    else:
        return _positive_int(raw)
    if len(sides) != 2 or any(isinstance(side, dict | list) for side in sides):
        raise ValueError("must be one side in pixels, or [height, width]")
    height, width = (_positive_int(side) for side in sides)
    return height if height == width else (height, width)


def _crop_pct(raw: Any) -> float:
    """timm's domain: any positive fraction; above 1 the image is scaled up before the crop (volo)."""
    if isinstance(raw, bool):
        raise ValueError("must be a number")
    value = _finite(float(raw)) if isinstance(raw, int | float) else _number(str(raw))
    if value <= 0:
        raise ValueError("must be above 0")
    return value


def _text(raw: Any) -> str:
    if isinstance(raw, dict | list):
        raise ValueError("must be text")
    return str(raw)


def _metric(raw: Any) -> float:
    if isinstance(raw, bool):
        raise ValueError("must be a number")
    return _finite(float(raw)) if isinstance(raw, int | float) else _number(str(raw))


def _convert(convert: Callable[[Any], Any], raw: Any) -> Any:
    """A typed field's value; a mapping, or a list where one value is meant, is refused before any
    conversion turns it into text."""
    if isinstance(raw, dict) or (isinstance(raw, list) and convert is not _image_size):
        raise ValueError("must be a single value")
    return convert(raw)


def _empty(raw: Any) -> bool:
    """A value left blank (`Top 1 Accuracy:`), null or only spaces: not declared."""
    return raw is None or (isinstance(raw, str) and not raw.strip())


MAX_IMPORT_DEPTH = 32  # a file importing a file importing...; an index needs two levels

# Typed metadata fields; any other key is kept with its YAML value.
_METADATA_TYPES: dict[str, Callable[[Any], Any]] = {
    "flops": _count,
    "parameters": _count,
    "file_size": _count,
    "image_size": _image_size,
    "crop_pct": _crop_pct,
    "interpolation": _text,
}
# Values inside a field's domain that zoo flags because they are rare: kept, with a warning.
_UNUSUAL: dict[str, Callable[[Any], str | None]] = {
    "crop_pct": lambda v: f"{v:g} is above 1: timm scales the image up before the crop" if v > 1 else None,
}


@dataclass
class _Loader:
    """Reads every file an index reaches. A file that cannot be read stops it (exit 2); a bad entry or
    value is a `Notice`, and the rest of the index is read."""

    root_dir: Path
    files: list[Path] = field(default_factory=list)
    seen: set[Path] = field(default_factory=set)
    collections: dict[str, Collection] = field(default_factory=dict)
    models: dict[str, Model] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)
    notices: list[Notice] = field(default_factory=list)
    problems: dict[str, list[str]] = field(default_factory=dict)  # model -> its located errors

    def note(self, severity: Literal["warning", "error"], error: IndexFormatError) -> None:
        self.notices.append(Notice(severity, str(error), error.model))
        if severity == "error" and error.model is not None:
            self.problems.setdefault(error.model, []).append(str(error))

    def load(self, path: Path, importing: tuple[Path, ...] = (), resolved: Path | None = None) -> None:
        """Read `path` (`resolved`: its real path, when the importer has it) and what it imports."""
        resolved = resolved or path.resolve()
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
                for target, real in self._imports(path, resolved, document, keyed["import"]):
                    self.load(target, (*importing, resolved), real)
            collections = self._entries(path, document, keyed.get("collections"), "Collections")
            models = self._entries(path, document, keyed.get("models"), "Models")
            self._document_duplicates(path, document, [*collections, *models])
            for entry in collections:
                self._add(path, entry, "collection")
            for entry in models:
                self._add(path, entry, "model")

    def _document_duplicates(self, path: Path, document: LocatedDict, entries: list[LocatedDict]) -> None:
        """A key written twice outside any entry (two `Models:` lists): YAML kept only the last."""
        inside = {duplicate for entry in entries for duplicate in entry.duplicates}
        for key, first, second in document.duplicates:
            if (key, first, second) not in inside:
                message = f"{key!r} is written twice (lines {first} and {second}); only the second is read"
                self.note("error", IndexFormatError(path, message, line=second, field=str(key)))

    def _imports(
        self, path: Path, resolved: Path, document: LocatedDict, key: str
    ) -> list[tuple[Path, Path]]:
        """Each file an `Import:` names, with its real path (resolved once: an index may import thousands)."""
        line = document.lines.get(key)
        patterns = document[key]
        if isinstance(patterns, str):
            patterns = [patterns]
        if not isinstance(patterns, list) or not all(isinstance(p, str) for p in patterns):
            raise IndexFormatError(path, "Import must be a list of paths or globs", line=line, field="Import")
        targets: list[tuple[Path, Path]] = []
        for pattern in patterns:
            if os.path.isabs(pattern):
                raise IndexFormatError(path, f"Import {pattern!r} is absolute", line=line, field="Import")
            full = os.path.normpath(resolved.parent / pattern)
            if not _inside(Path(full), self.root_dir):
                raise IndexFormatError(
                    path, f"Import {pattern!r} points outside {self.root_dir}", line=line, field="Import"
                )
            matches = sorted(Path(m) for m in glob.glob(full) if Path(m).is_file())
            if not matches:
                raise IndexFormatError(path, f"Import {pattern!r} matches nothing", line=line, field="Import")
            for match in matches:
                real = Path(os.path.realpath(match))
                if not _inside(real, self.root_dir):
                    raise IndexFormatError(
                        path,
                        f"Import {pattern!r} reaches {match} outside {self.root_dir} (symlink)",
                        line=line,
                        field="Import",
                    )
                targets.append((match, real))
        return targets

    def _entries(self, path: Path, document: LocatedDict, key: str | None, what: str) -> list[LocatedDict]:
        if key is None or document[key] is None:
            return []
        entries = document[key]
        line = document.lines.get(key)
        if not isinstance(entries, list):
            self.note("error", IndexFormatError(path, f"{what} must be a list", line=line, field=what))
            return []
        kept = []
        for number, entry in enumerate(entries, 1):
            if isinstance(entry, LocatedDict):
                kept.append(entry)
            else:
                problem = f"{what} entry #{number} is not a mapping; it is skipped"
                self.note("error", IndexFormatError(path, problem, line=line))
        return kept

    def _add(self, path: Path, entry: LocatedDict, kind: Literal["model", "collection"]) -> None:
        """One entry; without a name it is skipped, and a second entry of a name is not read."""
        fields = _Fields(path, entry, kind, self.note)
        name = fields.name()
        if name is None:
            return
        declared: dict[str, Any] = self.models if kind == "model" else self.collections
        if name in declared:
            first = declared[name].source
            message = f"duplicate {kind} name: this entry is not read (first declared at {first})"
            error = IndexFormatError(path, message, line=entry.line, model=name, field="Name")
            self.note("error", error)
            return
        for key, first_line, second_line in entry.duplicates:
            message = (
                f"{key!r} is written twice (lines {first_line} and {second_line}); "
                "YAML keeps only the second, which is shown"
            )
            self.note("error", fields.error(message, normalize_key(str(key)), second_line))
        if kind == "collection":
            self.collections[name] = Collection(
                name=name,
                paper=fields.paper(),
                metadata=fields.metadata(),
                readme=fields.text("readme"),
                source=Source(path, entry.line),
                extra=fields.rest(),
            )
            return
        self.models[name] = Model(
            name=name,
            collection=fields.text("in_collection"),
            metadata=fields.metadata(),
            paper=fields.paper(),
            results=fields.results(),
            weights=self._weights(fields),
            code=fields.text("code"),
            readme=fields.text("readme"),
            source=Source(path, entry.line),
            extra=fields.rest(),
        )

    def _weights(self, fields: _Fields) -> str | None:
        """A local `Weights:` file must lie in the index's folder after symlinks, like an import: an
        index must not make zoo read, hash or report the size of any other file. One outside is dropped."""
        weights = fields.text("weights")
        local = local_weights(weights, fields.path)
        if local is not None and not _inside(Path(os.path.realpath(local)), self.root_dir):
            message = f"{weights!r} lies outside the index folder {self.root_dir}; it is not read"
            self.note("error", fields.error(message, "weights"))
            return None
        return weights

    def finish(self, root: Path) -> Index:
        """Resolve collections: each model inherits from the one it names; naming none that exists is an
        error of that model, which is kept without a collection."""
        models: dict[str, Model] = {}
        for name, model in self.models.items():
            collection = self.collections.get(model.collection) if model.collection else None
            changes: dict[str, Any] = {}
            if model.collection and collection is None:
                known = ", ".join(sorted(self.collections)) or "none"
                message = f"collection {model.collection!r} does not exist (known: {known})"
                error = IndexFormatError(
                    model.source.path, message, line=model.source.line, model=name, field="In Collection"
                )
                self.note("error", error)
                changes["collection"] = None
            if collection is not None:
                changes["metadata"] = model.metadata.merged_over(collection.metadata)
                changes["paper"] = model.paper or collection.paper
            if name in self.problems:
                changes["problems"] = tuple(self.problems[name])
            models[name] = dataclasses.replace(model, **changes) if changes else model
        return Index(
            root, tuple(self.files), dict(self.collections), models, dict(self.extra), tuple(self.notices)
        )


class _Fields:
    """Case-insensitive access to one entry's keys, remembering which ones were used; a value that
    cannot be read is reported through `note` and left out."""

    def __init__(
        self,
        path: Path,
        entry: LocatedDict,
        kind: str,
        note: Callable[[Literal["warning", "error"], IndexFormatError], None],
    ) -> None:
        self.path = path
        self.entry = entry
        self.kind = kind
        self.note = note
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

    def located(self, severity: Literal["warning", "error"], message: str, line: int, key: Any) -> None:
        """Report a nested value's problem (a metadata field, a metric) at its own line."""
        self.note(
            severity, IndexFormatError(self.path, message, line=line, model=self.model_name, field=str(key))
        )

    def _written(self, key: str) -> Any:
        """A text field's value as written: `1.10` stays "1.10" and `off` stays "off"."""
        raw = self._raw(key)
        original = self.keys.get(key)
        return self.entry.texts.get(original, raw) if raw is not None else None

    def name(self) -> str | None:
        raw = self._written("name")
        if raw is None or isinstance(raw, dict | list) or not str(raw).strip():
            problem = f"{self.kind} without Name; it is skipped"
            self.note("error", IndexFormatError(self.path, problem, line=self.entry.line, field="Name"))
            return None
        self.model_name = str(raw).strip()
        return self.model_name

    def text(self, key: str) -> str | None:
        """A text field; a mapping with a URL (`Code: {URL: ..., Version: ...}`) is read as its URL."""
        raw = self._written(key)
        if isinstance(raw, dict):
            raw = {normalize_key(k): v for k, v in raw.items()}.get("url")
            if raw is None:
                self.note("error", self.error("must be text, or a mapping with a URL", key))
        elif isinstance(raw, list):
            self.note("error", self.error("must be text", key))
            raw = None
        return None if _empty(raw) else str(raw)

    def paper(self) -> Paper | None:
        raw = self._raw("paper")
        line = self._line("paper")
        if raw is None:
            return None
        if isinstance(raw, str):
            is_url = raw.startswith(("http://", "https://"))
            return Paper(None if is_url else raw, raw if is_url else None, Source(self.path, line))
        if not isinstance(raw, dict):
            self.note("error", self.error("must be a mapping with Title and URL", "paper"))
            return None
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
            self.note("error", self.error("must be a mapping", "metadata"))
            return Metadata()
        fields: dict[str, Declared] = {}
        for key, value in raw.items():
            normalized = normalize_key(key)
            declared = self._value(raw, key, value, _METADATA_TYPES.get(normalized))
            if declared is not None:
                unusual = _UNUSUAL.get(normalized)
                if unusual is not None and (why := unusual(declared.value)):
                    self.located("warning", f"{why} (kept)", declared.source.line, key)
                fields[normalized] = declared
        return Metadata(fields)

    def _value(
        self, mapping: LocatedDict, key: Any, value: Any, convert: Callable[[Any], Any] | None
    ) -> Declared | None:
        """One declared value, typed: an empty one is not declared (a warning), one outside its field's
        domain is left out (an error of the model)."""
        line = mapping.lines.get(key, mapping.line)
        written = mapping.texts.get(key)
        if _empty(value):
            self.located("warning", "empty: not declared", line, key)
            return None
        typed = value
        if convert is not None:
            try:
                typed = _convert(convert, value)
            except (ValueError, TypeError, ArithmeticError) as error:
                got = _short(written if written is not None else value)
                self.located("error", f"{error}, got {got}; it is left out", line, key)
                return None
        text = written if written is not None else _as_text(value)
        return Declared(str(key), typed, text, Source(self.path, line), mapping.spans.get(key))

    def results(self) -> tuple[Result, ...]:
        raw = self._raw("results")
        if raw is None:
            return ()
        if not isinstance(raw, list):
            self.note("error", self.error("must be a list", "results"))
            return ()
        results = []
        for entry in raw:
            if not isinstance(entry, LocatedDict):
                self.note("error", self.error("each result must be a mapping; one is left out", "results"))
                continue
            keyed = {normalize_key(k): k for k in entry}
            metrics_raw = _metrics_mapping(entry.get(keyed.get("metrics"), None) or LocatedDict())
            if not isinstance(metrics_raw, LocatedDict):
                problem = "Metrics must be a mapping, or a list of metrics with name and value"
                self.note("error", self.error(problem, "results", entry.line))
                continue
            metrics: dict[str, Declared] = {}
            for key, value in metrics_raw.items():
                declared = self._value(metrics_raw, key, value, _metric)
                if declared is not None:
                    metrics[normalize_key(key)] = declared
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


_on_load: ContextVar[Callable[[Index], None] | None] = ContextVar("zoo_index_on_load", default=None)


@contextmanager
def on_index_loaded(callback: Callable[[Index], None]) -> Iterator[None]:
    """Call `callback` with every index read inside the block: the CLI prints each one's notices and
    exits 1 naming the models with errors, whichever command read it."""
    token = _on_load.set(callback)
    try:
        yield
    finally:
        _on_load.reset(token)


def load_index(path: Path | str) -> Index:
    """Read a root index file (or a single card) and everything it imports.

    Imports may not leave the root file's folder, so an index cannot read arbitrary files. A file that
    cannot be read is an `IndexFormatError`; a bad entry or value is a notice of the index (`notices`).
    """
    root = Path(path)
    if root.is_dir():
        root = root / "model-index.yml"
    if not root.is_file():
        raise IndexFormatError(root, "no such index file")
    loader = _Loader(root_dir=root.parent.resolve())
    with _no_rescans():
        loader.load(root)
        index = loader.finish(root)
    callback = _on_load.get()
    if callback is not None:
        callback(index)
    return index
