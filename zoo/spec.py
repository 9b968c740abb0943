"""The one description of a run: which model, on which backend, how, with what inputs and weights.

The driver builds a `RunSpec` once from the index and the command line (`zoo.measure.plan`); the
measuring process, a Ray task or a backend receives it and never reads the index or looks for
weights again. It crosses process boundaries as JSON (`to_json` / `from_json`).
"""

from __future__ import annotations

import json
import math
import os
from dataclasses import asdict, dataclass, field, replace
from enum import StrEnum
from typing import Any

from zoo._errors import ZooError
from zoo.weights import WeightsInfo

__all__ = [
    "REFERENCE",
    "DataConfig",
    "Dataset",
    "DatasetIdentity",
    "Precision",
    "Reference",
    "RunSpec",
    "Scenario",
    "Timing",
    "device_kind",
]


class Precision(StrEnum):
    """The arithmetic a backend is asked to run; a backend that cannot honour it refuses."""

    FP32 = "fp32"
    BF16 = "bf16"
    INT8 = "int8"


Scenario = str
"""What is measured: the name of a scenario registered in `zoo.measure.scenarios` (which lists them)."""
LATENCY: Scenario = "latency"  # the default scenario; its configuration keys carry no suffix
CPU = "cpu"  # the default device; its configuration keys carry no suffix either
CUDA = "cuda"
DEVICES = (CPU, CUDA)  # the kinds of device a backend may reach


def device_kind(device: str) -> str:
    """ "cuda" for "cuda:1"; a device zoo cannot name ("cuda:abc", "cpu:0", "tpu") is bad usage."""
    kind, colon, card = device.partition(":")
    if kind not in DEVICES or (colon and (kind == CPU or not card.isdecimal())):
        raise ZooError(f"unknown device {device!r}; devices are {', '.join(DEVICES)} (or cuda:N)")
    return kind


@dataclass(frozen=True)
class Reference:
    """The configuration every other backend's logits are compared with."""

    backend: str
    precision: Precision

    @property
    def label(self) -> str:
        return f"{self.backend} {self.precision}"

    def is_(self, backend: str, precision: str) -> bool:
        return (backend, str(precision)) == (self.backend, str(self.precision))


REFERENCE = Reference("torch", Precision.FP32)


@dataclass(frozen=True)
class Dataset:
    """The labelled images an accuracy run reads, as the driver found them (`zoo.data.find_images`).

    `folder` None is the bundled smoke photos. Each worker finds the same images again from this.
    """

    name: str = "smoke"
    folder: str | None = None
    layout: str = "flat"
    labels: str | None = None  # the labels file of a flat folder
    limit: int | None = None  # a spread of this many images
    workers: int = 0  # image decoding processes

    def __post_init__(self) -> None:
        if self.limit is not None and self.limit < 1:
            raise ZooError(f"--limit must be at least 1, got {self.limit}")
        if self.workers < 0:
            raise ZooError(f"--workers cannot be negative, got {self.workers}")


@dataclass(frozen=True)
class DatasetIdentity:
    """The dataset a measurement ran on; `named_by` says where the name came from."""

    name: str
    images: int
    classes: int
    digest: str  # sha256 over (relative path, label, image bytes) of every image, in order
    named_by: str  # "option", "manifest", "bundled" or "unnamed"
    smoke: bool = False

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> DatasetIdentity:
        return cls(**data)


@dataclass(frozen=True)
class DataConfig:
    """timm's data config for a model, with the index's declared overrides applied (timm's own keys)."""

    input_size: tuple[int, int, int]
    interpolation: str
    mean: tuple[float, ...]
    std: tuple[float, ...]
    crop_pct: float
    crop_mode: str = "center"
    differences: tuple[str, ...] = ()  # e.g. "crop_pct: declared 0.9, timm 0.875" (declared wins)

    def __post_init__(self) -> None:
        if len(self.input_size) != 3 or min(self.input_size) < 1:
            raise ZooError(f"input size must be (channels, height, width), got {self.input_size}")

    def timm_config(self) -> dict[str, Any]:
        """The keyword arguments of `timm.data.create_transform`."""
        return {
            "input_size": self.input_size,
            "interpolation": self.interpolation,
            "mean": self.mean,
            "std": self.std,
            "crop_pct": self.crop_pct,
            "crop_mode": self.crop_mode,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> DataConfig:
        return cls(
            input_size=tuple(int(n) for n in data["input_size"]),  # type: ignore[arg-type]
            interpolation=str(data["interpolation"]),
            mean=tuple(float(v) for v in data["mean"]),
            std=tuple(float(v) for v in data["std"]),
            crop_pct=float(data["crop_pct"]),
            crop_mode=str(data.get("crop_mode", "center")),
            differences=tuple(data.get("differences", ())),
        )


@dataclass(frozen=True)
class Timing:
    """When a latency is trusted: minimum time and iterations, the median's CI target, and a ceiling;
    and how long the server scenario may serve one offered rate (long enough for its minimum query
    count at rates a slow configuration can keep within its SLA)."""

    min_time_s: float = 2.0
    min_iterations: int = 20
    max_time_s: float = 10.0
    target_ci: float = 0.02
    warmup_s: float = 0.5
    max_trial_s: float = 30.0

    def __post_init__(self) -> None:
        if self.min_time_s < 0 or self.warmup_s < 0:
            raise ZooError(f"--min-time must not be negative, got {self.min_time_s:g}")
        if self.max_time_s <= 0 or self.max_time_s < self.min_time_s:
            raise ZooError(
                f"--max-time ({self.max_time_s:g} s) must be positive and at least --min-time "
                f"({self.min_time_s:g} s)"
            )
        if not self.max_trial_s > 0:
            raise ZooError(f"--max-trial must be a positive number of seconds, got {self.max_trial_s:g}")
        if self.min_iterations < 2:
            raise ZooError(f"--min-iterations must be at least 2, got {self.min_iterations}")
        if not 0 < self.target_ci < 1:
            raise ZooError(f"--target-ci is a fraction between 0 and 1, got {self.target_ci:g}")


def _default_threads() -> int:
    return os.cpu_count() or 1


@dataclass(frozen=True)
class RunSpec:
    """One configuration: everything a worker needs, resolved by the driver."""

    model: str  # the name the index declares
    backend: str
    data: DataConfig
    weights: WeightsInfo
    timm_name: str = ""  # the architecture timm builds (a retired name maps to its new one)
    pretrained_tag: str | None = None
    precision: Precision = Precision.FP32
    batch: int = 1
    threads: int = field(default_factory=_default_threads)
    scenario: Scenario = LATENCY
    device: str = CPU  # "cpu", or "cuda" / "cuda:N"; each backend says whether it can reach it
    timing: Timing = field(default_factory=Timing)
    calibration: str | None = None  # INT8: the folder of calibration images (None: the bundled set)
    dataset: Dataset | None = None  # accuracy: the images to read
    outputs: str | None = None  # the driver's folder where a worker leaves logits for it to compare
    sla_ms: float | None = None  # server: the p99 latency to stay within (None: derived in the worker)

    def __post_init__(self) -> None:
        if not self.timm_name:
            object.__setattr__(self, "timm_name", self.model)
        object.__setattr__(self, "precision", Precision(self.precision))
        object.__setattr__(self, "scenario", str(self.scenario))  # checked by the plan against the registry
        if self.batch < 1:
            raise ZooError(f"--batch must be at least 1, got {self.batch}")
        if self.threads < 1:
            raise ZooError(f"--threads must be at least 1, got {self.threads}")
        if self.sla_ms is not None:
            checked_sla_ms(self.sla_ms)
        device_kind(self.device)

    @property
    def device_kind(self) -> str:
        """ "cuda" for "cuda:1": what a backend supports, whichever card it is."""
        return device_kind(self.device)

    @property
    def key(self) -> str:
        """What identifies a configuration across runs (for `--resume` and comparisons)."""
        return configuration_key(
            self.model, self.backend, self.precision, self.batch, self.threads, self.scenario, self.device
        )

    @property
    def input_shape(self) -> tuple[int, int, int, int]:
        return (self.batch, *self.data.input_size)

    def with_(self, **changes: Any) -> RunSpec:
        """This spec with some fields changed (another backend, precision, batch)."""
        return replace(self, **changes)

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["weights"] = self.weights.to_dict()
        return data

    def to_json(self) -> str:
        return json.dumps(self.to_dict())

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> RunSpec:
        return cls(
            **{
                **data,
                "data": DataConfig.from_dict(data["data"]),
                "weights": WeightsInfo.from_dict(data["weights"]),
                "timing": Timing(**data.get("timing", {})),
                "dataset": Dataset(**data["dataset"]) if data.get("dataset") else None,
            }
        )

    @classmethod
    def from_json(cls, text: str) -> RunSpec:
        return cls.from_dict(json.loads(text))


def checked_sla_ms(value: object) -> float:
    """`--sla-ms` as a positive, finite number of milliseconds; anything else is one line, exit 2."""
    number = value if isinstance(value, int | float) and not isinstance(value, bool) else math.nan
    if not 0 < number < math.inf:
        raise ZooError(f"--sla-ms must be a positive number of milliseconds, got {value!r}")
    return float(number)


def configuration_key(
    model: str,
    backend: str,
    precision: str,
    batch: int,
    threads: int,
    scenario: str = LATENCY,
    device: str = CPU,
) -> str:
    """`model|backend|precision|bN|tN`, then `|SCENARIO` for any but latency and `|DEVICE` for any but
    the CPU: the keys of CPU latency runs stay what they were."""
    key = f"{model}|{backend}|{precision}|b{batch}|t{threads}"
    key = key if scenario == LATENCY else f"{key}|{scenario}"
    return key if device == CPU else f"{key}|{device}"
