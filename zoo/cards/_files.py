"""Write rendered cards into the output folder, or say which committed ones are stale.

The output folder is shared with people: zoo removes only what it wrote. A manifest beside the
cards (`MANIFEST`, itself written and checked like a card) lists the files of the last render; a
file is removed only when the manifest lists it, no template renders it any more and it still
starts the way zoo's files start. Anything else is left alone, and named when it looks like an
old generated file.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path

from zoo._errors import ZooError
from zoo._files import confined, replace_all
from zoo.cards._chart import GENERATED_MARK
from zoo.cards._render import CardFile
from zoo.index import display_path

MANIFEST = ".zoo-docs.json"
_HEADS = (f"<!-- {GENERATED_MARK} from ".encode(), b"<?xml ")  # how a card and a chart begin
_SVG_MARK = f"{GENERATED_MARK}; do not edit.".encode()


def _with_manifest(files: Iterable[CardFile], out: Path) -> dict[Path, bytes]:
    """The rendered files and the manifest that lists them, by path."""
    expected = {card.path: card.content for card in files}
    names = sorted(path.name for path in expected)
    manifest = {"generator": "zoo docs", "note": "the files zoo docs wrote here; it removes only these"}
    text = json.dumps({**manifest, "files": names}, indent=2) + "\n"
    expected[out / MANIFEST] = text.encode()
    return expected


def _listed(out: Path) -> set[Path]:
    """The files the manifest of the last render names (plain names in `out`, nothing else)."""
    path = out / MANIFEST
    if not path.is_file():
        return set()
    try:
        names = json.loads(path.read_text(encoding="utf-8"))["files"]
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise ZooError(
            f"{display_path(path)}: not a zoo docs manifest ({error}); remove it to start again"
        ) from None
    if not isinstance(names, list):
        raise ZooError(f"{display_path(path)}: `files` is not a list of file names")
    for name in names:
        if not isinstance(name, str) or Path(name).name != name or name in ("", ".", "..", MANIFEST):
            raise ZooError(f"{display_path(path)}: {name!r} is not a file name in this folder")
    return {out / name for name in names}


def _is_ours(path: Path) -> bool:
    """Whether `path` is a regular file that starts as zoo's cards and charts start."""
    if path.is_symlink() or not path.is_file():
        return False
    with path.open("rb") as file:
        head = file.read(4096)
    return head.startswith(_HEADS[0]) or (head.startswith(_HEADS[1]) and _SVG_MARK in head)


def _removable(expected: dict[Path, bytes], out: Path) -> list[Path]:
    return sorted(path for path in _listed(out) - set(expected) if _is_ours(path))


def left_alone(files: Iterable[CardFile], out: Path) -> list[str]:
    """One line per file zoo will not touch although it may be an old card: the user decides."""
    expected = _with_manifest(files, out)
    if not out.is_dir():
        return []
    listed = _listed(out)
    lines = []
    for path in sorted(out.iterdir()):
        if path in expected:
            continue
        if path in listed and not _is_ours(path):
            lines.append(f"{display_path(path)}: left alone (zoo wrote it once, but it was changed since)")
        elif path not in listed and _is_ours(path):
            lines.append(
                f"{display_path(path)}: left alone (looks like an old card, but zoo did not list it)"
            )
    return lines


def stale_cards(files: Iterable[CardFile], out: Path) -> list[str]:
    """One line per committed file that differs from what would be rendered, is missing or extra."""
    expected = _with_manifest(files, out)
    problems = []
    for path, content in expected.items():
        if not path.is_file():
            problems.append(f"{display_path(path)}: missing")
        elif path.read_bytes() != content:
            problems.append(f"{display_path(path)}: stale (differs from what the templates render)")
    for path in _removable(expected, out):
        problems.append(f"{display_path(path)}: extra (no template renders it)")
    return problems


def write_cards(files: Iterable[CardFile], out: Path) -> list[Path]:
    """Write the files that changed and remove the listed files no template renders; what changed.

    A file zoo did not write (not in the manifest, not starting as zoo's cards start) is never replaced.
    """
    expected = _with_manifest(files, out)
    out.mkdir(parents=True, exist_ok=True)
    listed = _listed(out)
    for path in expected:
        confined(path, out)
        if path.is_file() and path.name != MANIFEST and path not in listed and not _is_ours(path):
            raise ZooError(
                f"{display_path(path)}: not written by zoo (its manifest does not list it); "
                "move it aside or pick another --out"
            )
    removable = _removable(expected, out)
    changed = {path: content for path, content in expected.items() if not _same(path, content)}
    replace_all(changed)
    for path in removable:
        path.unlink()
    return [*changed, *removable]


def _same(path: Path, content: bytes) -> bool:
    return path.is_file() and path.read_bytes() == content


def write_owned(files: Iterable[CardFile], out: Path) -> list[Path]:
    """Write files into folders under `out` (the Hub cards: `out/MODEL/README.md`), replacing only the
    files `out`'s manifest lists; a file someone else wrote there is refused before anything is written."""
    expected = {file.path: file.content for file in files}
    manifest = out / MANIFEST
    listed: set[Path] = set()
    if manifest.is_file():
        try:
            names = [Path(str(name)) for name in json.loads(manifest.read_text("utf-8"))["files"]]
        except (OSError, ValueError, KeyError, TypeError) as error:
            raise ZooError(
                f"{display_path(manifest)}: not a zoo manifest ({error}); remove it to start again"
            ) from None
        listed = {out / name for name in names if ".." not in name.parts and not name.is_absolute()}
    for path in expected:
        confined(path, out)
        if path.exists() and path not in listed:
            raise ZooError(
                f"{display_path(path)}: not written by zoo (its manifest does not list it); "
                "move it aside or pick another --out"
            )
    listing = sorted(path.relative_to(out).as_posix() for path in {*listed, *expected})
    note = "the files zoo wrote here; it replaces only these"
    expected[manifest] = (
        json.dumps({"generator": "zoo docs", "note": note, "files": listing}, indent=2) + "\n"
    ).encode()
    changed = {path: content for path, content in expected.items() if not _same(path, content)}
    replace_all(changed)
    return [path for path in changed if path != manifest]
