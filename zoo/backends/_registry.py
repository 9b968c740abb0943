"""Backends by name: built-ins register with `@register_backend`, third parties through entry points.

A package adds a backend without editing zoo by declaring, in its pyproject.toml:

    [project.entry-points."zoo.backends"]
    my-backend = "my_package.module:MyBackend"

Entry points are loaded only when their backend is created, so a broken plug-in cannot stop zoo.
"""

from __future__ import annotations

import importlib.metadata
import warnings
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import TypeVar

from zoo._errors import ZooError
from zoo.backends._base import Backend, BackendError
from zoo.spec import RunSpec

ENTRY_POINT_GROUP = "zoo.backends"
_BACKENDS: dict[str, type[Backend]] = {}
B = TypeVar("B", bound=type[Backend])


class UnknownBackendError(ZooError):
    """A backend name that neither zoo nor an installed plug-in provides."""


def register_backend(cls: B) -> B:
    """Class decorator: make `cls` available under `cls.NAME`."""
    if cls.NAME in _BACKENDS and _BACKENDS[cls.NAME] is not cls:
        warnings.warn(f"backend {cls.NAME!r} registered twice; {cls.__qualname__} replaces it", stacklevel=2)
    _BACKENDS[cls.NAME] = cls
    return cls


def _entry_points() -> dict[str, importlib.metadata.EntryPoint]:
    return {ep.name: ep for ep in importlib.metadata.entry_points(group=ENTRY_POINT_GROUP)}


def list_backends() -> list[str]:
    """Every backend name: the built-ins and those installed packages declare."""
    return sorted(set(_BACKENDS) | set(_entry_points()))


def backend_class(name: str) -> type[Backend]:
    if name in _BACKENDS:
        return _BACKENDS[name]
    entry_point = _entry_points().get(name)
    if entry_point is None:
        raise UnknownBackendError(f"unknown backend {name!r}; backends are {', '.join(list_backends())}")
    try:
        cls = entry_point.load()
    except Exception as error:
        raise BackendError(
            f"plug-in backend {name!r} ({entry_point.value}) failed to import: {error}"
        ) from None
    if not (isinstance(cls, type) and issubclass(cls, Backend)):
        raise BackendError(f"plug-in backend {name!r} ({entry_point.value}) is not a zoo.backends.Backend")
    return cls


@dataclass(frozen=True)
class Capability:
    """What one backend offers here: `zoo backends` prints these, planning refuses what is not offered."""

    name: str
    precisions: tuple[str, ...]
    scenarios: tuple[str, ...]
    version: str
    available: bool
    note: str  # why it is not available, or where it comes from

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


def capabilities(scenarios: Sequence[str]) -> list[Capability]:
    """Every backend, built-in or plug-in, with its precisions, the `scenarios` it runs (the scenario
    registry sits above the backends: its caller passes the names), version and availability."""
    found = []
    for name in list_backends():
        try:
            cls = backend_class(name)
        except ZooError as error:
            found.append(Capability(name, (), (), "-", False, str(error)))
            continue
        version, note = cls.availability()
        found.append(
            Capability(
                name,
                tuple(str(p) for p in cls.PRECISIONS),
                tuple(name for name in scenarios if cls.runs(name)),
                version or "-",
                version is not None,
                note,
            )
        )
    return found


def create_backend(spec: RunSpec) -> Backend:
    """The spec's backend, ready to `load()`; an unknown name is an error that lists the known ones."""
    return backend_class(spec.backend)(spec)
