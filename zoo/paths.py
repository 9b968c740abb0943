"""Where things live, resolved in one place from the index's folder, whatever the working directory.

A project is the folder of its root model-index file: the results it commits, its card templates, the
rendered cards, the site and the local results store all sit beside it unless a flag says otherwise.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from zoo._errors import ZooError

__all__ = ["ProjectPaths", "cache_root", "project_paths", "refuse_overlap"]


@dataclass(frozen=True)
class ProjectPaths:
    """The default locations of one project; every command's defaults come from here."""

    root: Path  # the folder holding the root model-index file

    @property
    def results(self) -> Path:
        """The committed export the cards render from (`zoo results export` writes it)."""
        return self.root / "benchmarks" / "results"

    @property
    def templates(self) -> Path:
        return self.root / "docs" / "templates"

    @property
    def cards(self) -> Path:
        return self.root / "docs" / "models"

    @property
    def hub_cards(self) -> Path:
        """`zoo docs --format hf`: one folder per model holding its Hugging Face Hub README.md."""
        return self.root / "docs" / "hf"

    @property
    def site(self) -> Path:
        return self.root / "site"

    @property
    def store(self) -> Path:
        """The local results history: `$ZOO_DB`, else `.zoo/results.db` beside the index."""
        return Path(os.environ["ZOO_DB"]) if os.environ.get("ZOO_DB") else self.root / ".zoo" / "results.db"


def project_paths(index: Path) -> ProjectPaths:
    """The paths of the project whose root index is `index`: a file, whose folder is the project, or a
    folder, which is the project itself (its index files lie in it, not beside it)."""
    resolved = Path(index).expanduser().resolve()
    return ProjectPaths(resolved if resolved.is_dir() else resolved.parent)


def refuse_overlap(out: Path, inputs: dict[str, Path], flag: str = "--out") -> None:
    """An output folder that equals or holds an input folder would overwrite or sweep up the input: one
    line naming both, before anything is written."""
    target = Path(out).expanduser().resolve()
    for name, folder in inputs.items():
        source = Path(folder).expanduser().resolve()
        if source.is_relative_to(target):
            raise ZooError(f"{flag} {out}: holds the {name} folder {folder}; pick a folder apart from it")


def cache_root() -> Path:
    """zoo's cache (exports, IR, structure counts, timm's tag table): `$ZOO_CACHE`, else
    `$XDG_CACHE_HOME/zoo`, else `~/.cache/zoo`. Not beside the index: it is per machine, not per project."""
    if os.environ.get("ZOO_CACHE"):
        return Path(os.environ["ZOO_CACHE"]).expanduser()
    return Path(os.environ.get("XDG_CACHE_HOME") or "~/.cache").expanduser() / "zoo"
