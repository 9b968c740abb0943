"""Safe YAML that remembers the line of every mapping key.

It is PyYAML's safe loader (no tags that construct objects) with one addition: each mapping
is a `LocatedDict` whose `lines` give the source line of each key, offset to the position of
the YAML text inside its file (a Markdown comment block starts mid-file).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml

from zoo.index._errors import IndexFormatError

_SafeLoader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class LocatedDict(dict[Any, Any]):
    """A mapping with the file line of itself and of each of its keys."""

    line: int = 0
    lines: dict[Any, int]


class _LocatingLoader(_SafeLoader):  # type: ignore[valid-type, misc]
    first_line: int = 1


def _construct_located_map(loader: _LocatingLoader, node: yaml.MappingNode) -> Iterator[LocatedDict]:
    data = LocatedDict()
    data.line = node.start_mark.line + loader.first_line
    data.lines = {}
    yield data
    data.update(loader.construct_mapping(node))
    for key_node, _ in node.value:
        if isinstance(key_node, yaml.ScalarNode):
            data.lines[loader.construct_object(key_node)] = key_node.start_mark.line + loader.first_line


_LocatingLoader.add_constructor("tag:yaml.org,2002:map", _construct_located_map)


def load_yaml(text: str, path: Path, first_line: int = 1) -> Any:
    """Parse one YAML document; `first_line` is the file line on which `text` starts."""
    loader = _LocatingLoader(text)
    loader.first_line = first_line
    try:
        return loader.get_single_data()
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line = mark.line + first_line if mark else None
        problem = error.problem or error.context or "invalid YAML"
        if "could not determine a constructor" in problem:
            problem = f"YAML tag {_tag_of(problem)} is not allowed (only plain data is read)"
        raise IndexFormatError(path, f"YAML error: {problem}", line=line) from None
    except yaml.YAMLError as error:
        raise IndexFormatError(path, f"YAML error: {error}") from None
    finally:
        loader.dispose()


def _tag_of(problem: str) -> str:
    start = problem.find("'")
    return problem[start:].strip() if start >= 0 else "with a constructor"
