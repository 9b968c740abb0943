"""What a result needs to say about the weights it ran with."""

from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from zoo._errors import ZooError

KINDS = ("checkpoint", "hub-cache", "packaged", "random")


class WeightsError(ZooError):
    """Weights that cannot be used: missing, corrupt, or not matching the model (never silently skipped)."""


@dataclass(frozen=True)
class WeightsInfo:
    """Where a model's weights came from; `random` means every accuracy from it is meaningless."""

    kind: str
    path: Path | None
    sha256: str | None
    license: str | None
    note: str

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"weights kind {self.kind!r} is not one of {', '.join(KINDS)}")

    @property
    def is_random(self) -> bool:
        return self.kind == "random"

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "path": None if self.path is None else str(self.path)}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> WeightsInfo:
        path = data.get("path")
        return cls(
            data["kind"],
            None if path is None else Path(path),
            data.get("sha256"),
            data.get("license"),
            data.get("note", ""),
        )


def file_sha256(path: Path) -> str:
    """The file's sha256, computed once per (path, size, mtime) since cache keys ask for it often."""
    stat = path.stat()
    return _cached_sha256(path.resolve(), stat.st_size, stat.st_mtime_ns)


@lru_cache(maxsize=64)
def _cached_sha256(path: Path, size: int, mtime_ns: int) -> str:
    with path.open("rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()
