"""The one small interface every backend implements: load a model for a static shape, run a batch, describe.

A backend is created from a `RunSpec` and does nothing until `load()`; the caller times `load()`
(export, conversion, compilation all count) and `run()`. It runs the weights the spec names and never
looks for others. `describe()` says exactly what ran.
"""

from __future__ import annotations

import contextlib
import functools
import importlib.metadata
import platform
import time
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, Protocol

from zoo._errors import ZooError
from zoo.spec import CPU, Precision, RunSpec, Scenario, device_kind
from zoo.weights import WeightsInfo

if TYPE_CHECKING:
    import numpy


class BackendError(ZooError):
    """A backend could not load or run a model (missing library, failed export, unsupported precision)."""

    exit_code = 1


@dataclass(frozen=True)
class Served:
    """What serving for a fixed window gave: images completed in it, and each request's latency."""

    images: int
    seconds: float
    latencies_s: list[float]
    requests: int  # requests kept in flight at once


class RequestQueue(Protocol):
    """A runtime's own queue of asynchronous requests, as the server scenario drives it: `start(done)`
    returns `submit(i)`, the runtime calls `done(i)` when request i completes, `drain()` waits for all."""

    jobs: int  # requests the runtime holds at once; `submit` waits while all are busy

    def start(self, done: Callable[[int], None]) -> Callable[[int], None]: ...

    def drain(self) -> None: ...

    def describe(self) -> str: ...


@dataclass(frozen=True)
class LoadReport:
    """What `load()` did: whether converted artefacts came from the cache, and which weights were used."""

    cache_hit: bool | None  # None where the backend keeps no cache
    weights: WeightsInfo


class Backend(ABC):
    """Base of every backend; subclasses set `NAME`, the precisions they can honour and the scenarios
    they cannot run (every registered scenario applies unless listed)."""

    NAME: ClassVar[str]
    PRECISIONS: ClassVar[tuple[Precision, ...]] = (Precision.FP32,)
    UNSUPPORTED_SCENARIOS: ClassVar[tuple[Scenario, ...]] = ()
    DEVICES: ClassVar[tuple[str, ...]] = (CPU,)  # the kinds of device it can run on

    def __init__(self, spec: RunSpec) -> None:
        if spec.precision not in self.PRECISIONS:
            raise BackendError(
                f"backend {self.NAME} cannot run precision {spec.precision}; "
                f"it offers {', '.join(self.PRECISIONS)}"
            )
        self.spec = spec

    NATIVE_THROUGHPUT: ClassVar[bool] = False  # serve() runs many requests at once the runtime's own way
    LIBRARY: ClassVar[str] = ""  # the distribution that provides the runtime, for `zoo backends`

    @classmethod
    def availability(cls) -> tuple[str | None, str]:
        """(version, note): the runtime's installed version, or None and why it cannot load here."""
        import importlib.util

        if not cls.LIBRARY:
            return "plug-in", cls.__module__
        module = cls.LIBRARY.replace("-", "_")
        if importlib.util.find_spec(module) is None:
            return None, f"{cls.LIBRARY} is not installed: pip install {cls.LIBRARY}"
        return versions(cls.LIBRARY).get(cls.LIBRARY, "?"), ""

    @classmethod
    def runs(cls, scenario: Scenario) -> bool:
        return scenario not in cls.UNSUPPORTED_SCENARIOS

    @classmethod
    def unreachable(cls, device: str) -> str | None:
        """Why this backend cannot run on `device` on this machine, or None when it can. Planning asks
        before anything runs; a backend that offers an accelerator overrides this to look for it."""
        if device_kind(device) not in cls.DEVICES:
            return f"{cls.NAME} runs on {', '.join(cls.DEVICES)} only"
        return None

    @abstractmethod
    def load(self) -> LoadReport:
        """Build, export, convert and compile as needed; afterwards `run()` is ready."""

    @abstractmethod
    def run(self, inputs: numpy.ndarray) -> numpy.ndarray:
        """float32 NCHW batch of `spec.input_shape` -> float32 logits (batch, classes), on the host."""

    def infer(self, inputs: numpy.ndarray) -> None:
        """What the latency scenario times: one inference, finished (on an accelerator, synchronised),
        its outputs left where they are. A backend whose `run` copies outputs to the host overrides
        this so that the copy happens after the timed region."""
        self.run(inputs)

    def serve(self, inputs: numpy.ndarray, window_s: float) -> Served:
        """Requests back to back, one in flight, for `window_s`: a backend with its own way of serving
        many requests at once (OpenVINO's asynchronous queue) overrides this."""
        latencies = []
        started = time.perf_counter()
        end = started + window_s
        now = started
        while now < end:
            self.run(inputs)
            finished = time.perf_counter()
            latencies.append(finished - now)
            now = finished
        return Served(len(latencies) * len(inputs), now - started, latencies, 1)

    def request_queue(self, inputs: numpy.ndarray) -> RequestQueue | None:
        """The runtime's own asynchronous queue over `inputs`, for the server scenario; None (the
        default) where it has none, and the scenario serves through a pool of sessions instead."""
        return None

    @abstractmethod
    def settings(self) -> dict[str, Any]:
        """This backend's versions and effective settings (threads, precision, hint, streams), read back."""

    def describe(self) -> dict[str, Any]:
        """JSON-able facts about what ran: the configuration, the device, and the backend's settings."""
        return {
            "backend": self.NAME,
            "model": self.spec.model,
            "input_shape": list(self.spec.input_shape),
            "precision": str(self.spec.precision),
            "device": cpu_name() if self.spec.device == CPU else self.spec.device,
            **self.settings(),
        }

    def _check_inputs(self, inputs: numpy.ndarray) -> None:
        if inputs.shape != self.spec.input_shape:
            raise BackendError(
                f"{self.NAME} was loaded for inputs {self.spec.input_shape}, got {inputs.shape}"
            )


@functools.cache
def cpu_info() -> dict[str, str]:
    """The first processor's `/proc/cpuinfo` fields (Linux; empty elsewhere), read once."""
    info: dict[str, str] = {}
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            key, _, value = line.partition(":")
            info.setdefault(key.strip(), value.strip())
    return info


def cpu_name() -> str:
    """The processor's marketing name (Linux), else what the platform module knows."""
    return cpu_info().get("model name") or platform.processor() or platform.machine()


# The ISA extensions that run bf16 arithmetic natively; without them a runtime emulates bf16 (slower
# than fp32) or silently runs f32, and neither is a bf16 measurement.
NATIVE_BF16_FLAGS = frozenset({"avx512_bf16", "amx_bf16"})


# The ISA extensions with int8 dot products (u8 x s8 summed in int32, no int16 saturation).
VNNI_FLAGS = frozenset({"avx512_vnni", "avx_vnni", "amx_int8"})


def cpu_flags() -> frozenset[str]:
    return frozenset(cpu_info().get("flags", "").split())


def precision_unavailable(precision: Precision, device: str) -> str | None:
    """Why `precision` cannot be honoured natively on `device` of this machine, or None when it can."""
    native = cpu_flags() & NATIVE_BF16_FLAGS
    if precision == Precision.BF16 and device_kind(device) == CPU and not native:
        return f"this CPU has no native bf16 ({' or '.join(sorted(NATIVE_BF16_FLAGS))})"
    return None


def versions(*distributions: str) -> dict[str, str]:
    """Installed versions of the named distributions (those missing are left out)."""
    found = {}
    for name in distributions:
        with contextlib.suppress(importlib.metadata.PackageNotFoundError):
            found[name] = importlib.metadata.version(name)
    return found
