"""Safe, bounded YAML that remembers where every mapping key and value was written.

PyYAML's C parser turns the text into events; the data is built from them here rather than by
PyYAML's constructor, for three reasons:
- bounds: an alias reuses the built value (no copy), but what it would expand to is counted, so a
  "billion laughs" of nested aliases, a recursive alias or deep nesting is refused at once;
- positions: each mapping is a `LocatedDict` whose `lines` give each key's file line and whose
  `spans` give each scalar value's exact place, so `zoo validate --write` can rewrite just it;
- speed: no Node graph and no generators, which matters on an index of thousands of cards.
Only plain data is read: a tag that would construct an object is refused.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, NamedTuple

import yaml
from yaml import events

from zoo.index._errors import IndexFormatError

_SafeLoader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

MAX_NODES = 500_000  # nodes written in one YAML document (a 4 MB card of models holds about 330,000)
MAX_ALIAS_NODES = 100_000  # nodes that aliases may add on top of those written
MAX_DEPTH = 64  # nested collections; a model index needs about six

_STR = "tag:yaml.org,2002:str"
_MAP_TAGS = frozenset({None, "!", "tag:yaml.org,2002:map"})
_SEQ_TAGS = frozenset({None, "!", "tag:yaml.org,2002:seq"})
_MERGE = "tag:yaml.org,2002:merge"
_SCALAR_TAGS = frozenset(
    f"tag:yaml.org,2002:{name}" for name in ("null", "bool", "int", "float", "str", "timestamp")
)


class Span(NamedTuple):
    """Where a scalar is written: file lines (from 1) and columns (from 0) of its first and past-last
    characters, quotes included."""

    line: int
    column: int
    end_line: int
    end_column: int


class LocatedDict(dict[Any, Any]):
    """A mapping with the file line of itself and of each of its keys, and the span of each scalar
    value written in it once: none for a value under a YAML anchor (aliases may reuse it elsewhere),
    an anchored scalar, or a key a merge (`<<`) brought in."""

    line: int = 0
    lines: dict[Any, int]
    spans: dict[Any, Span]
    shared: bool = False
    # The text as written of each plain scalar value that YAML typed as other than a string
    # (`1.10`, `off`): a name is read from it, never from the typed value.
    texts: dict[Any, str]
    # Every key written twice anywhere in this mapping or below it: (key, first line, second line).
    duplicates: tuple[tuple[Any, int, int], ...] = ()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.lines = {}
        self.spans = {}
        self.texts = {}


@dataclass(slots=True)
class _Open:
    """A collection being built: its value, its expanded node count, and a mapping's pending key."""

    value: Any
    anchor: str | None
    size: int = 1
    key: Any = None
    has_key: bool = False
    key_line: int = 0
    merges: list[Any] | None = None
    duplicates: tuple[tuple[Any, int, int], ...] = ()


@lru_cache(maxsize=65536)
def _plain(value: str) -> Any:
    """A plain scalar's value as PyYAML's safe loader reads it (cached: an index repeats its keys and
    values, and every value built here is immutable)."""
    resolvers = _SafeLoader.yaml_implicit_resolvers
    tag = next(
        (
            tag
            for tag, pattern in [*resolvers.get(value[:1], []), *resolvers.get(None, [])]
            if pattern.match(value)
        ),
        _STR,
    )
    if tag == _STR:
        return value
    if tag == _MERGE:
        return _MERGE_KEY
    node = yaml.ScalarNode(tag, value)
    return _SafeLoader.yaml_constructors[tag](_CONSTRUCTOR, node)


class _Builder:
    """Builds one document from parser events with an explicit stack (no recursion, bounded).

    One loop handles every event: on a large index this is the hot path of `zoo list`.
    """

    def __init__(self, loader: yaml.SafeLoader, path: Path, first_line: int, first_column: int) -> None:
        self.loader = loader
        self.path = path
        self.first_line = first_line
        self.first_column = first_column
        self.stack: list[_Open] = []
        self.anchors: dict[str, tuple[Any, int]] = {}
        self.anchored = 0  # open collections with an anchor: what lies inside may be reused

    def line(self, mark: Any) -> int:
        return int(mark.line) + self.first_line

    def fail(self, message: str, mark: Any) -> IndexFormatError:
        return IndexFormatError(self.path, message, line=self.line(mark))

    def document(self) -> Any:
        """The single document's data (None for an empty stream)."""
        # PyYAML's stubs leave get_event unannotated; the loop tells events apart by exact type.
        get: Callable[[], Any] = self.loader.get_event
        get()  # stream start
        if isinstance(get(), events.StreamEndEvent):
            return None
        stack, anchors = self.stack, self.anchors
        first_line, first_column = self.first_line, self.first_column  # `line` and `span`, inlined below
        written = expanded = 0
        result: Any = None
        while True:
            event = get()
            kind = type(event)
            if kind is events.ScalarEvent:
                tag = event.tag
                if tag is None or tag == "!":  # as PyYAML resolves them
                    value = _plain(event.value) if event.implicit[0] else event.value
                else:
                    value = self.tagged(event)
                if value is _MERGE_KEY and (not stack or type(stack[-1].value) is list or stack[-1].has_key):
                    value = "<<"  # only a key merges; elsewhere `<<` is text
                size, anchor = 1, event.anchor
                written += 1
                expanded += 1
            elif kind is events.MappingStartEvent or kind is events.SequenceStartEvent:
                written += 1
                self.open(event)
                continue
            elif kind is events.MappingEndEvent or kind is events.SequenceEndEvent:
                done = stack.pop()
                if done.merges:
                    self.merge(done.value, done.merges, event.start_mark)
                if done.duplicates:
                    if type(done.value) is not list:
                        done.value.duplicates = done.duplicates
                    if stack:
                        stack[-1].duplicates += done.duplicates
                value, size = done.value, done.size
                anchor = done.anchor
                self.anchored -= anchor is not None
                expanded += 1  # the collection itself; its items were counted as they came
            elif kind is events.AliasEvent:
                value, size = self.alias(event)
                anchor = None
                written += 1
                expanded += size
            elif kind is events.DocumentEndEvent:
                break
            else:
                raise self.fail(f"unexpected YAML event {kind.__name__}", event.start_mark)
            if written > MAX_NODES:
                raise self.fail(f"more than {MAX_NODES} YAML nodes in one document", event.start_mark)
            if expanded - written > MAX_ALIAS_NODES:
                raise self.fail(
                    f"YAML aliases expand to more than {MAX_ALIAS_NODES} extra nodes", event.start_mark
                )
            if anchor is not None:
                anchors[anchor] = (value, size)
            if not stack:
                result = value
                continue
            parent = stack[-1]
            parent.size += size
            if type(parent.value) is list:
                parent.value.append(value)
            elif not parent.has_key:
                if isinstance(value, dict | list):
                    raise self.fail("a mapping key must be a plain value", event.start_mark)
                parent.key, parent.has_key, parent.key_line = value, True, event.start_mark.line + first_line
            elif parent.key is _MERGE_KEY:
                parent.has_key = False
                parent.merges = [*(parent.merges or []), *(value if isinstance(value, list) else [value])]
            else:
                parent.has_key = False
                mapping: LocatedDict = parent.value
                if parent.key in mapping:  # the later value would silently replace the first
                    parent.duplicates += ((parent.key, mapping.lines[parent.key], parent.key_line),)
                mapping[parent.key] = value
                mapping.lines[parent.key] = parent.key_line
                if kind is events.ScalarEvent:
                    if type(value) is not str and event.implicit[0]:
                        mapping.texts[parent.key] = event.value
                    if anchor is None and not mapping.shared:
                        start, end = event.start_mark, event.end_mark
                        mapping.spans[parent.key] = Span(
                            start.line + first_line,
                            start.column + (first_column if start.line == 0 else 0),
                            end.line + first_line,
                            end.column + (first_column if end.line == 0 else 0),
                        )
        if not isinstance(get(), events.StreamEndEvent):
            raise self.fail("expected a single YAML document, found another", event.end_mark)
        return result

    def tagged(self, event: events.ScalarEvent) -> Any:
        """A scalar with an explicit tag: a plain-data tag is read, any other refused."""
        tag = event.tag
        if tag == _STR:
            return event.value
        if tag not in _SCALAR_TAGS:
            raise self.fail(f"YAML tag {tag!r} is not allowed (only plain data is read)", event.start_mark)
        node = yaml.ScalarNode(tag, event.value, event.start_mark, event.end_mark, event.style)  # type: ignore[arg-type]
        try:
            return self.loader.yaml_constructors[tag](self.loader, node)
        except (ValueError, TypeError, yaml.YAMLError):
            kind = tag.rsplit(":", 1)[-1]
            raise self.fail(f"{event.value[:40]!r} is not a valid {kind}", event.start_mark) from None

    def open(self, event: Any) -> None:
        is_map = type(event) is events.MappingStartEvent
        if event.tag not in (_MAP_TAGS if is_map else _SEQ_TAGS):
            raise self.fail(
                f"YAML tag {event.tag!r} is not allowed (only plain data is read)", event.start_mark
            )
        if len(self.stack) >= MAX_DEPTH:
            raise self.fail(f"YAML nested more than {MAX_DEPTH} levels deep", event.start_mark)
        value: Any
        if event.anchor is not None:
            self.anchors.pop(event.anchor, None)  # an alias to it while it is open is recursive
            self.anchored += 1
        if is_map:
            value = LocatedDict()
            value.line = self.line(event.start_mark)
            value.shared = self.anchored > 0
        else:
            value = []
        self.stack.append(_Open(value, event.anchor))

    def alias(self, event: events.AliasEvent) -> tuple[Any, int]:
        found = self.anchors.get(event.anchor or "")
        if found is None:
            open_anchor = any(frame.anchor == event.anchor for frame in self.stack)
            problem = "a recursive YAML alias" if open_anchor else "an undefined YAML alias"
            raise self.fail(f"{problem} *{event.anchor}", event.start_mark)
        return found

    def merge(self, mapping: LocatedDict, sources: list[Any], mark: Any) -> None:
        """Apply `<<` merges: the first source to set a key wins, and the mapping's own keys over all."""
        for source in sources:
            if not isinstance(source, LocatedDict):
                raise self.fail("a YAML merge (<<) must name mappings", mark)
            for key, value in source.items():
                if key not in mapping:
                    mapping[key] = value
                    mapping.lines[key] = source.lines.get(key, source.line)


class _MergeKey:
    """The `<<` key: the mappings it names fill in the keys their mapping does not set itself."""


_MERGE_KEY = _MergeKey()
_CONSTRUCTOR = _SafeLoader("")  # PyYAML's scalar constructors need a loader; they read only the node


def load_yaml(text: str, path: Path, first_line: int = 1, first_column: int = 0) -> Any:
    """Parse one YAML document; `text` starts on file line `first_line`, at column `first_column`."""
    loader = _SafeLoader(text)
    try:
        return _Builder(loader, path, first_line, first_column).document()
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line = mark.line + first_line if mark else None
        problem = " ".join((error.problem or error.context or "invalid YAML").split())
        raise IndexFormatError(path, f"YAML error: {problem}", line=line) from None
    except yaml.YAMLError as error:
        raise IndexFormatError(path, f"YAML error: {error}") from None
    finally:
        loader.dispose()
