"""Write rendered cards into the output folder, or say which committed ones are stale.

Only files zoo generated are ever removed or reported as extra: a file in the folder that does not
carry the generated mark is someone else's and is left alone.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from zoo.cards._chart import GENERATED_MARK
from zoo.cards._render import CardFile
from zoo.index._errors import display_path

_GENERATED_SUFFIXES = frozenset({".md", ".svg", ".png"})


def _generated_files(out: Path) -> set[Path]:
    if not out.is_dir():
        return set()
    return {
        path
        for path in out.iterdir()
        if path.is_file() and path.suffix in _GENERATED_SUFFIXES and _starts_with_mark(path)
    }


def _starts_with_mark(path: Path) -> bool:
    with path.open("rb") as file:
        return GENERATED_MARK.encode() in file.read(4096)


def stale_cards(files: Iterable[CardFile], out: Path) -> list[str]:
    """One line per committed file that differs from what would be rendered, is missing or extra."""
    expected = {card.path: card.content for card in files}
    problems = []
    for path, content in expected.items():
        if not path.is_file():
            problems.append(f"{display_path(path)}: missing")
        elif path.read_bytes() != content:
            problems.append(f"{display_path(path)}: stale (differs from what the templates render)")
    for path in sorted(_generated_files(out) - set(expected)):
        problems.append(f"{display_path(path)}: extra (no template renders it)")
    return problems


def write_cards(files: Iterable[CardFile], out: Path) -> list[Path]:
    """Write the files that changed and remove generated files no template renders; what changed."""
    expected = {card.path: card.content for card in files}
    out.mkdir(parents=True, exist_ok=True)
    changed = []
    for path, content in expected.items():
        if not path.is_file() or path.read_bytes() != content:
            path.write_bytes(content)
            changed.append(path)
    for path in sorted(_generated_files(out) - set(expected)):
        path.unlink()
        changed.append(path)
    return changed
