"""The one small interface every backend implements: load a model for a static shape, run a batch, describe.

A backend is created from a `BackendConfig` and does nothing until `load()`; the caller times `load()`
(export, conversion, compilation all count) and `run()`. `describe()` says exactly what ran.
"""

from __future__ import annotations

import contextlib
import importlib.metadata
import os
import platform
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from zoo._errors import ZooError
from zoo.weights import WeightsInfo

if TYPE_CHECKING:
    import numpy

    from zoo.index import Model

PRECISIONS = ("fp32", "bf16")


class BackendError(ZooError):
    """A backend could not load or run a model (missing library, failed export, unsupported precision)."""

    exit_code = 1


@dataclass(frozen=True)
class BackendConfig:
    """One configuration to run: a model at a static input shape, batch, precision and thread budget."""

    model: str
    input_size: tuple[int, int, int]
    batch: int = 1
    precision: str = "fp32"
    threads: int = field(default_factory=lambda: os.cpu_count() or 1)
    checkpoint: Path | None = None
    declared: Model | None = None

    def __post_init__(self) -> None:
        if len(self.input_size) != 3 or min(self.input_size) < 1:
            raise ZooError(f"input size must be (channels, height, width), got {self.input_size}")
        object.__setattr__(self, "input_size", tuple(int(n) for n in self.input_size))
        if self.batch < 1 or self.threads < 1:
            raise ZooError(
                f"batch and threads must be at least 1, got batch {self.batch}, threads {self.threads}"
            )
        if self.precision not in PRECISIONS:
            raise ZooError(f"unknown precision {self.precision!r}; choose from {', '.join(PRECISIONS)}")

    @property
    def input_shape(self) -> tuple[int, int, int, int]:
        return (self.batch, *self.input_size)


@dataclass(frozen=True)
class LoadReport:
    """What `load()` did: whether converted artefacts came from the cache, and which weights were used."""

    cache_hit: bool | None  # None where the backend keeps no cache
    weights: WeightsInfo


class Backend(ABC):
    """Base of every backend; subclasses set `NAME` and the precisions they can honour."""

    NAME: ClassVar[str]
    PRECISIONS: ClassVar[tuple[str, ...]] = ("fp32",)

    def __init__(self, config: BackendConfig) -> None:
        if config.precision not in self.PRECISIONS:
            raise BackendError(
                f"backend {self.NAME} cannot run precision {config.precision}; "
                f"it offers {', '.join(self.PRECISIONS)}"
            )
        self.config = config

    @abstractmethod
    def load(self) -> LoadReport:
        """Build, export, convert and compile as needed; afterwards `run()` is ready."""

    @abstractmethod
    def run(self, inputs: numpy.ndarray) -> numpy.ndarray:
        """float32 NCHW batch of `config.input_shape` -> float32 logits (batch, classes)."""

    @abstractmethod
    def settings(self) -> dict[str, Any]:
        """This backend's versions and effective settings (threads, precision, hint, streams), read back."""

    def describe(self) -> dict[str, Any]:
        """JSON-able facts about what ran: the configuration, the device, and the backend's settings."""
        return {
            "backend": self.NAME,
            "model": self.config.model,
            "input_shape": list(self.config.input_shape),
            "precision": self.config.precision,
            "device": cpu_name(),
            **self.settings(),
        }

    def _check_inputs(self, inputs: numpy.ndarray) -> None:
        if inputs.shape != self.config.input_shape:
            raise BackendError(
                f"{self.NAME} was loaded for inputs {self.config.input_shape}, got {inputs.shape}"
            )


def cpu_name() -> str:
    """The processor's marketing name (Linux), else what the platform module knows."""
    try:
        with open("/proc/cpuinfo") as cpuinfo:
            for line in cpuinfo:
                if line.startswith("model name"):
                    return line.partition(":")[2].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def versions(*distributions: str) -> dict[str, str]:
    """Installed versions of the named distributions (those missing are left out)."""
    found = {}
    for name in distributions:
        with contextlib.suppress(importlib.metadata.PackageNotFoundError):
            found[name] = importlib.metadata.version(name)
    return found
