"""The one description of a run: which model, on which backend, how, with what inputs and weights.

The driver builds a `RunSpec` once from the index and the command line (`zoo.measure.plan`); the
measuring process, a Ray task or a backend receives it and never reads the index or looks for
weights again. It crosses process boundaries as JSON (`to_json` / `from_json`).
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field, replace
from enum import StrEnum
from typing import Any

from zoo._errors import ZooError
from zoo.weights import WeightsInfo

__all__ = ["DataConfig", "Precision", "RunSpec", "Scenario", "Timing"]


class Precision(StrEnum):
    """The arithmetic a backend is asked to run; a backend that cannot honour it refuses."""

    FP32 = "fp32"
    BF16 = "bf16"
    INT8 = "int8"


class Scenario(StrEnum):
    """What is measured: one request at a time (latency) or as many images per second as it serves."""

    LATENCY = "latency"
    THROUGHPUT = "throughput"


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
    """When a latency is trusted: minimum time and iterations, the median's CI target, and a ceiling."""

    min_time_s: float = 2.0
    min_iterations: int = 20
    max_time_s: float = 10.0
    target_ci: float = 0.02
    warmup_s: float = 0.5

    def __post_init__(self) -> None:
        if self.min_time_s < 0 or self.warmup_s < 0:
            raise ZooError(f"--min-time must not be negative, got {self.min_time_s:g}")
        if self.max_time_s <= 0 or self.max_time_s < self.min_time_s:
            raise ZooError(
                f"--max-time ({self.max_time_s:g} s) must be positive and at least --min-time "
                f"({self.min_time_s:g} s)"
            )
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
    scenario: Scenario = Scenario.LATENCY
    device: str = "cpu"
    timing: Timing = field(default_factory=Timing)
    calibration: str | None = None  # INT8: the folder of calibration images (None: the bundled set)

    def __post_init__(self) -> None:
        if not self.timm_name:
            object.__setattr__(self, "timm_name", self.model)
        object.__setattr__(self, "precision", Precision(self.precision))
        object.__setattr__(self, "scenario", Scenario(self.scenario))
        if self.batch < 1:
            raise ZooError(f"--batch must be at least 1, got {self.batch}")
        if self.threads < 1:
            raise ZooError(f"--threads must be at least 1, got {self.threads}")

    @property
    def key(self) -> str:
        """What identifies a configuration across runs (for `--resume` and comparisons)."""
        return configuration_key(
            self.model, self.backend, self.precision, self.batch, self.threads, self.scenario
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
            }
        )

    @classmethod
    def from_json(cls, text: str) -> RunSpec:
        return cls.from_dict(json.loads(text))


def configuration_key(
    model: str, backend: str, precision: str, batch: int, threads: int, scenario: str = "latency"
) -> str:
    """`model|backend|precision|bN|tN`, with `|throughput` for that scenario (latency keys as before)."""
    key = f"{model}|{backend}|{precision}|b{batch}|t{threads}"
    return key if scenario == Scenario.LATENCY else f"{key}|{scenario}"
