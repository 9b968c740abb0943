"""One record type per kind of result, each with its status vocabulary and its export columns.

The scenarios in `zoo.measure` produce these; the store keeps them as JSON; `zoo results export`
writes their `row()`s under `COLUMNS`; cards, validate and comparisons read the same fields. A
record names its configuration in plain fields and keeps the full run spec it came from (`spec`,
empty for rows migrated from schema v2, which did not keep one).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, fields
from enum import StrEnum
from typing import Any, ClassVar, Protocol, Self

from zoo.results.paired import AccuracyCost
from zoo.results.stats import Proportion, Stats
from zoo.spec import REFERENCE, DatasetIdentity, RunSpec, configuration_key

__all__ = [
    "EXPORTED",
    "INVALID",
    "SMOKE_DATASET",
    "VALID",
    "VERDICTS",
    "AccuracyRecord",
    "AgreementRecord",
    "Exported",
    "LatencyRecord",
    "LogitAgreement",
    "Measured",
    "RateTrial",
    "Record",
    "RunStatus",
    "ServerRecord",
    "Status",
    "Verdict",
    "VerdictStatus",
    "now",
]


class Status(StrEnum):
    """How a measurement ended, the one vocabulary of every record (`zoo validate`'s verdicts aside)."""

    OK = "ok"
    FAILED = "failed"  # the backend or the measuring process failed; the reason says why
    DISAGREES = "disagrees"  # agreement: the logits differ from the reference's beyond tolerance
    UNAVAILABLE = "unavailable"  # accuracy on random weights: no figure is ever reported

    @classmethod
    def _missing_(cls, value: object) -> Status | None:
        return cls.FAILED if value == "error" else None  # accuracy records before the one vocabulary


class Record(Protocol):
    """What every record type offers the worker, the executors and the store: see `zoo.measure.scenarios`."""

    KIND: ClassVar[str]  # the record type's name in a worker's result
    TABLE: ClassVar[str]  # its table in the results store (created from STORED when it is new)
    STORED: ClassVar[tuple[str, ...]]  # the attributes its table keeps as columns beside the JSON

    @property
    def measured_at(self) -> str: ...

    @property
    def model(self) -> str: ...

    @property
    def backend(self) -> str: ...

    @property
    def precision(self) -> str: ...

    @property
    def status(self) -> Status: ...

    @property
    def environment(self) -> dict[str, Any]: ...

    @property
    def reason(self) -> str | None: ...

    @property
    def key(self) -> str: ...

    def as_dict(self) -> dict[str, Any]: ...

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Self: ...

    @classmethod
    def failed(cls, spec: RunSpec, reason: str, **known: Any) -> Self: ...


class Exported(Record, Protocol):
    """A record type with a committed CSV of its own: `zoo results export` writes every type in
    `EXPORTED` the same way, so a new type needs no code in the export."""

    EXPORT: ClassVar[str]  # its file in the export folder
    COLUMNS: ClassVar[tuple[str, ...]]
    KEY: ClassVar[tuple[str, ...]]  # the columns that name a configuration (the environment added)
    DECIMALS: ClassVar[int | None]  # floats rounded to this many decimals in the file, or kept whole

    @property
    def exported(self) -> bool:
        """Whether this record belongs in the committed export (a smoke check or a failure may not)."""
        ...

    def row(self) -> dict[str, Any]: ...


class Measured(Exported, Protocol):
    """What `zoo bench` gets back from a scenario it runs: a record it can store, export and print."""

    @property
    def contended(self) -> bool: ...

    def summary(self) -> str:
        """The one line `zoo bench` prints when the configuration ends."""
        ...


class VerdictStatus(StrEnum):
    OK = "ok"
    MISMATCH = "mismatch"
    UNKNOWN = "unknown"  # could not be checked (not declared, not measured, too few images)
    ERROR = "error"  # the model could not be measured


VERDICTS = tuple(str(status) for status in VerdictStatus)


class RunStatus(StrEnum):
    RUNNING = "running"
    FINISHED = "finished"
    FAILED = "failed"
    INTERRUPTED = "interrupted"
    ABANDONED = "abandoned"  # its process ended without closing it (killed, or the machine went down)


def is_contended(flag: object) -> bool:
    """The `contended` flag as a record, a committed CSV (text "True") or an old export (absent) holds it."""
    return flag is True or str(flag).lower() == "true"


def speedup(reference_ms: object, median_ms: object) -> float | None:
    """How many times faster than the reference a median is (None when either is missing or zero)."""
    try:
        reference, median = float(reference_ms), float(median_ms)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    if not (reference > 0 and median > 0) or reference != reference or median != median:
        return None
    return reference / median


SMOKE_DATASET = "smoke"  # zoo.data's bundled photos: a smoke check, never a committed accuracy


def now() -> str:
    """UTC, to the second: when a record was measured."""
    import datetime

    return datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds")


_STAT_COLUMNS = ("median_ms", "p90_ms", "p99_ms", "mean_ms", "std_ms", "min_ms", "ci_low_ms", "ci_high_ms")


@dataclass(frozen=True)
class LatencyRecord:
    """One configuration's timing (latency or throughput scenario), or its failure with the reason."""

    KIND: ClassVar[str] = "latency"
    TABLE: ClassVar[str] = "measurements"
    EXPORT: ClassVar[str] = "latency.csv"
    KEY: ClassVar[tuple[str, ...]] = ("model", "backend", "precision", "scenario", "batch", "threads")
    DECIMALS: ClassVar[int | None] = 4  # enough for the cards, stable under reruns of `zoo docs`
    STORED: ClassVar[tuple[str, ...]] = (
        "config_key", "model", "backend", "precision", "batch", "threads", "scenario", "status", "median_ms",
    )  # fmt: skip
    model: str
    backend: str
    precision: str
    batch: int
    threads: int
    status: Status
    scenario: str = "latency"
    device: str = "cpu"
    reason: str | None = None
    weights: str | None = None  # WeightsInfo.kind
    load_s: float | None = None
    cache_hit: bool | None = None
    first_inference_ms: float | None = None
    stats: Stats | None = None  # per request (latency) or per request under load (throughput)
    converged: bool = False
    throughput_ips: float | None = None  # images/s: counted over a window in the throughput scenario
    peak_rss_mb: float | None = None
    serving: dict[str, Any] = field(default_factory=dict)  # throughput: streams, requests, batch, window
    contention: dict[str, Any] = field(
        default_factory=dict
    )  # load average, CPU share, steal: zoo.measure.noise
    backend_info: dict[str, Any] = field(default_factory=dict)
    environment: dict[str, Any] = field(default_factory=dict)
    samples_ms: tuple[float, ...] = ()
    measured_at: str = ""
    spec: dict[str, Any] = field(default_factory=dict)

    COLUMNS: ClassVar[tuple[str, ...]] = (
        "model", "backend", "precision", "batch", "threads", "scenario", "status", "reason", "weights",
        *_STAT_COLUMNS, "iterations", "total_s", "converged", "throughput_ips", "load_s", "cache_hit",
        "first_inference_ms", "peak_rss_mb", "serve_batch", "serve_streams", "serve_requests", "contended",
        "calibration", "environment", "measured_at",
    )  # fmt: skip

    @classmethod
    def for_spec(cls, spec: RunSpec, status: Status, **values: Any) -> LatencyRecord:
        return cls(
            model=spec.model,
            backend=spec.backend,
            precision=str(spec.precision),
            batch=spec.batch,
            threads=spec.threads,
            scenario=str(spec.scenario),
            device=spec.device,
            status=status,
            spec=_spec_dict(spec),
            measured_at=values.pop("measured_at", None) or now(),
            **values,
        )

    @classmethod
    def failed(cls, spec: RunSpec, reason: str, **known: Any) -> LatencyRecord:
        return cls.for_spec(spec, Status.FAILED, reason=reason, **known)

    @property
    def key(self) -> str:
        return configuration_key(
            self.model, self.backend, self.precision, self.batch, self.threads, self.scenario, self.device
        )

    @property
    def config_key(self) -> str:
        return self.key

    @property
    def exported(self) -> bool:
        return True  # a failure is committed too: the card says why a configuration has no figure

    @property
    def median_ms(self) -> float | None:
        return self.stats.median_ms if self.stats else None

    @property
    def contended(self) -> bool:
        """Measured while something else took the CPU: its figure is not to be trusted or compared."""
        return is_contended(self.contention.get("contended"))

    def summary(self) -> str:
        if self.status != Status.OK or self.stats is None:
            return f"FAILED: {self.reason}"
        text = f"median {self.stats.median_ms:.3f} ms, p90 {self.stats.p90_ms:.3f} ms"
        if self.scenario == "throughput":
            text = f"{self.throughput_ips:.1f} images/s counted; request {text}"
        if not self.converged:
            text += " (not converged)"
        if self.contended:
            text += f" (CONTENDED: {self.contention.get('reason')})"
        return text

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> LatencyRecord:
        data = dict(data)
        legacy = data.pop("config", None)  # schema v2 kept a BenchConfig here
        if legacy is not None:
            data.update(
                {name: legacy[name] for name in ("model", "backend", "precision", "batch", "threads")}
            )
        stats = data.get("stats")
        known = {f.name for f in fields(cls)}
        return cls(
            **{
                **{key: value for key, value in data.items() if key in known},
                "status": Status(data["status"]),
                "stats": Stats(**stats) if stats else None,
                "samples_ms": tuple(data.get("samples_ms", ())),
            }
        )

    def row(self) -> dict[str, Any]:
        """The flat row of `latency.csv`."""
        stats = self.stats
        values = {name: getattr(stats, name) if stats else None for name in _STAT_COLUMNS}
        values.update(
            iterations=stats.iterations if stats else None,
            total_s=stats.total_s if stats else None,
            environment=self.environment.get("id"),
            contended=self.contended,
            calibration=self.backend_info.get("calibration"),  # what calibrated an INT8 variant
            serve_batch=self.serving.get("batch"),
            serve_streams=self.serving.get("streams"),
            serve_requests=self.serving.get("requests_in_flight"),
        )
        return {name: values[name] if name in values else getattr(self, name) for name in self.COLUMNS}


@dataclass(frozen=True)
class LogitAgreement:
    """How closely a backend's logits follow the reference's (torch fp32) on the same images."""

    reference: str
    images: int
    top1_agreement: float  # fraction of the compared images whose top-1 class equals the reference's
    max_abs_diff: float
    mean_abs_diff: float
    max_rel_diff: float | None = None  # max |diff| over the reference logits' range: scale-aware


def _spec_dict(spec: RunSpec) -> dict[str, Any]:
    """The spec a record keeps: without the driver's temporary folder, which means nothing later."""
    return spec.with_(outputs=None).to_dict()


def _agreement_values(agreement: LogitAgreement | None) -> dict[str, Any]:
    names = ("top1_agreement", "max_abs_diff", "mean_abs_diff", "max_rel_diff")
    return {name: getattr(agreement, name) if agreement else None for name in names}


_IDENTITY_COLUMNS = ("dataset", "dataset_images", "dataset_classes", "dataset_digest")
_COST_COLUMNS = (
    "delta_top1", "delta_top1_ci_low", "delta_top1_ci_high", "delta_top5", "changed_top1", "mcnemar_p",
    "budget", "verdict",
)  # fmt: skip


def _identity_values(identity: DatasetIdentity | None) -> dict[str, Any]:
    """The dataset columns of a row: its name, images, classes and the head of its digest."""
    if identity is None:
        return {name: None for name in _IDENTITY_COLUMNS}
    return {
        "dataset": identity.name,
        "dataset_images": identity.images,
        "dataset_classes": identity.classes,
        "dataset_digest": identity.digest[:16],
    }


def _cost_values(cost: AccuracyCost | None) -> dict[str, Any]:
    """The accuracy-cost columns of a row (empty for the reference itself)."""
    if cost is None:
        return {name: None for name in _COST_COLUMNS}
    return {
        "delta_top1": _rounded(cost.delta_top1),
        "delta_top1_ci_low": _rounded(cost.delta_top1_low),
        "delta_top1_ci_high": _rounded(cost.delta_top1_high),
        "delta_top5": _rounded(cost.delta_top5),
        "changed_top1": cost.changed_top1,
        "mcnemar_p": None if cost.mcnemar_p is None else float(f"{cost.mcnemar_p:.3g}"),
        "budget": cost.budget,
        "verdict": cost.verdict,
    }


@dataclass(frozen=True)
class AgreementRecord:
    """`zoo check-backends`: one backend's logits against the reference on the bundled photos."""

    KIND: ClassVar[str] = "agreement"
    TABLE: ClassVar[str] = "agreement"
    EXPORT: ClassVar[str] = "agreement.csv"
    DECIMALS: ClassVar[int | None] = None
    STORED: ClassVar[tuple[str, ...]] = ("model", "backend", "precision", "status")
    model: str
    backend: str
    precision: str
    weights: str  # WeightsInfo.kind
    reference: str
    images: int
    status: Status
    reason: str = ""
    agreement: LogitAgreement | None = None
    environment: dict[str, Any] = field(default_factory=dict)
    measured_at: str = field(default_factory=now)
    spec: dict[str, Any] = field(default_factory=dict)
    identity: DatasetIdentity | None = None  # the images compared on, named, counted and digested

    COLUMNS: ClassVar[tuple[str, ...]] = (
        "model", "backend", "precision", "weights", "reference", "images", "top1_agreement", "max_abs_diff",
        "mean_abs_diff", "max_rel_diff", "status", "reason", *_IDENTITY_COLUMNS,
    )  # fmt: skip
    KEY: ClassVar[tuple[str, ...]] = ("model", "backend", "precision")

    @classmethod
    def for_spec(cls, spec: RunSpec, status: Status, **values: Any) -> AgreementRecord:
        values.setdefault("images", 0)
        return cls(
            spec.model, spec.backend, str(spec.precision), spec.weights.kind, REFERENCE.label,
            status=status, spec=_spec_dict(spec), **values,
        )  # fmt: skip

    @classmethod
    def failed(cls, spec: RunSpec, reason: str, **known: Any) -> AgreementRecord:
        return cls.for_spec(spec, Status.FAILED, reason=reason, **known)

    @property
    def key(self) -> str:
        return _key(self.spec, self.model, self.backend, self.precision)

    @property
    def exported(self) -> bool:
        return self.status != Status.FAILED  # a failed check never blanks a committed agreement

    def row(self) -> dict[str, Any]:
        values = {**asdict(self), **_agreement_values(self.agreement), **_identity_values(self.identity)}
        return {name: values[name] for name in self.COLUMNS}

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> AgreementRecord:
        agreement = data.get("agreement")
        identity = data.get("identity")
        return cls(
            **{
                **data,
                "status": Status(data["status"]),
                "agreement": LogitAgreement(**agreement) if agreement else None,
                "identity": DatasetIdentity.from_dict(identity) if identity else None,
            }
        )


def _rounded(value: float | None, digits: int = 3) -> float | None:
    return None if value is None else round(value, digits)


@dataclass(frozen=True)
class AccuracyRecord:
    """`zoo eval`: a model on one backend and precision over one dataset."""

    KIND: ClassVar[str] = "accuracy"
    TABLE: ClassVar[str] = "accuracy"
    EXPORT: ClassVar[str] = "accuracy.csv"
    DECIMALS: ClassVar[int | None] = None  # `row()` rounds each figure as its own precision asks
    STORED: ClassVar[tuple[str, ...]] = ("model", "backend", "precision", "dataset", "status")
    model: str
    backend: str
    precision: str
    dataset: str
    weights: str
    status: Status
    reason: str = ""
    images: int = 0
    top1: Proportion | None = None
    top5: Proportion | None = None
    declared_top1: float | None = None
    declared_top5: float | None = None
    agreement: LogitAgreement | None = None
    inference_s: float = 0.0  # the backend's runs alone
    environment: dict[str, Any] = field(default_factory=dict)
    measured_at: str = field(default_factory=now)
    spec: dict[str, Any] = field(default_factory=dict)
    skipped: tuple[tuple[str, str], ...] = ()  # (path, why) of each image that could not be read
    wall_s: float = 0.0  # the pass over the images, decoding included
    wait_s: float = 0.0  # of it, waiting for decoded images
    identity: DatasetIdentity | None = None  # the dataset, named by the user, counted and digested
    cost: AccuracyCost | None = None  # against the reference on the same images (not for the reference)
    calibration: str | None = None  # what calibrated an INT8 configuration

    COLUMNS: ClassVar[tuple[str, ...]] = (
        "model", "backend", "precision", "dataset", *_IDENTITY_COLUMNS[1:], "images", "weights", "top1",
        "top1_ci_low", "top1_ci_high", "top5", "top5_ci_low", "top5_ci_high", "declared_top1",
        "declared_top5", *_COST_COLUMNS, "calibration", "images_per_s", "end_to_end_images_per_s",
        "environment", "measured_at",
    )  # fmt: skip
    KEY: ClassVar[tuple[str, ...]] = ("model", "backend", "precision", "dataset")

    @classmethod
    def for_spec(cls, spec: RunSpec, status: Status, **values: Any) -> AccuracyRecord:
        dataset = spec.dataset.name if spec.dataset else "smoke"
        return cls(
            spec.model, spec.backend, str(spec.precision), dataset, spec.weights.kind, status,
            spec=_spec_dict(spec), **values,
        )  # fmt: skip

    @classmethod
    def failed(cls, spec: RunSpec, reason: str, **known: Any) -> AccuracyRecord:
        return cls.for_spec(spec, Status.FAILED, reason=reason, **known)

    @property
    def key(self) -> str:
        return _key(self.spec, self.model, self.backend, self.precision)

    @property
    def exported(self) -> bool:
        """A failure or a smoke check never blanks a committed accuracy."""
        return self.status != Status.FAILED and self.dataset != SMOKE_DATASET

    @property
    def images_per_s(self) -> float | None:
        """Images/s of inference alone: what the backend itself sustains on these images."""
        return self.images / self.inference_s if self.images and self.inference_s > 0 else None

    @property
    def end_to_end_images_per_s(self) -> float | None:
        """Images/s from JPEG to logits (reading, decoding, preprocessing and inference): what the
        evaluation sustained, and how far decoding holds the backend back."""
        return self.images / self.wall_s if self.images and self.wall_s > 0 else None

    @property
    def top1_difference(self) -> float | None:
        """Measured minus declared top-1, in percentage points."""
        return _minus(self.top1, self.declared_top1)

    @property
    def top5_difference(self) -> float | None:
        return _minus(self.top5, self.declared_top5)

    def as_dict(self) -> dict[str, Any]:
        return {
            **asdict(self),
            "cost": self.cost.as_dict() if self.cost else None,
            "images_per_s": self.images_per_s,
            "end_to_end_images_per_s": self.end_to_end_images_per_s,
            "top1_difference": self.top1_difference,
            "top5_difference": self.top5_difference,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> AccuracyRecord:
        known = {f.name for f in fields(cls)}
        values = {key: value for key, value in data.items() if key in known}
        if not isinstance(values.get("environment", {}), dict):  # schema v2 kept only the id here
            values["environment"] = {"id": values["environment"]}
        agreement = data.get("agreement")
        identity, cost = data.get("identity"), data.get("cost")
        return cls(
            **{
                **values,
                "identity": DatasetIdentity.from_dict(identity) if identity else None,
                "cost": AccuracyCost.from_dict(cost) if cost else None,
                "status": Status(data["status"]),
                "skipped": tuple(tuple(pair) for pair in data.get("skipped", ())),
                "top1": Proportion(**data["top1"]) if data.get("top1") else None,
                "top5": Proportion(**data["top5"]) if data.get("top5") else None,
                "agreement": LogitAgreement(**agreement) if agreement else None,
            }
        )

    def row(self) -> dict[str, Any]:
        """The `accuracy.csv` row: percentages and their Wilson intervals, rounded for a stable file."""
        values: dict[str, Any] = {name: getattr(self, name) for name in self.KEY}
        values.update(images=self.images or None, weights=self.weights)
        for name, proportion in (("top1", self.top1), ("top5", self.top5)):
            values[name] = _rounded(proportion.percent) if proportion else None
            values[f"{name}_ci_low"] = _rounded(proportion.low) if proportion else None
            values[f"{name}_ci_high"] = _rounded(proportion.high) if proportion else None
        values.update(declared_top1=self.declared_top1, declared_top5=self.declared_top5)
        identity = _identity_values(self.identity)
        del identity["dataset"]  # the record's own dataset name: the identity's, or an older record's
        values.update(identity, calibration=self.calibration)
        values.update(_cost_values(self.cost))
        values.update(
            images_per_s=_rounded(self.images_per_s, 2),
            end_to_end_images_per_s=_rounded(self.end_to_end_images_per_s, 2),
            environment=self.environment.get("id"),
        )
        values["measured_at"] = self.measured_at
        return {name: values[name] for name in self.COLUMNS}


def _key(spec: dict[str, Any], model: str, backend: str, precision: str) -> str:
    """A record's configuration key from the spec it kept (older rows kept none: batch 1, no threads)."""
    return configuration_key(
        model,
        backend,
        precision,
        spec.get("batch", 1),
        spec.get("threads", 0),
        spec.get("scenario", "latency"),
        spec.get("device", "cpu"),
    )


def _minus(measured: Proportion | None, declared: float | None) -> float | None:
    return None if measured is None or declared is None else measured.percent - declared


def _cell(value: Any) -> Any:
    """A CSV cell: a tuple (mean, std) as its numbers joined; a missing value as an empty cell."""
    if isinstance(value, tuple | list):
        return ", ".join(f"{v:g}" if isinstance(v, float) else str(v) for v in value)
    return "" if value is None else value


@dataclass(frozen=True)
class Verdict:
    """`zoo validate`: one declared field of one model against what was measured. `convention` says what
    `measured` means (a FLOPs convention, or how a file size, an input config or the weights tag was
    obtained); `by_convention` holds every FLOPs count."""

    model: str
    field: str
    declared: Any
    measured: Any
    convention: str | None
    verdict: str  # a VerdictStatus value
    detail: str
    by_convention: Mapping[str, int | None] = dataclasses.field(default_factory=dict)
    interval: tuple[float, float] | None = None  # a measured accuracy's 95% interval (Wilson)

    COLUMNS: ClassVar[tuple[str, ...]] = (
        "model",
        "field",
        "declared",
        "measured",
        "convention",
        "verdict",
        "detail",
    )
    KEY: ClassVar[tuple[str, ...]] = ("model",)  # a model validated again replaces all its rows

    def __post_init__(self) -> None:
        if self.verdict not in VERDICTS:
            raise ValueError(f"verdict {self.verdict!r} is not one of {', '.join(VERDICTS)}")

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Verdict:
        interval = data.get("interval")
        return cls(**{**data, "interval": tuple(interval) if interval else None})

    def row(self) -> dict[str, Any]:
        """The `validation.csv` row."""
        return {column: _cell(getattr(self, column)) for column in self.COLUMNS}


VALID, INVALID = "VALID", "INVALID"  # a server result's verdict, after MLPerf LoadGen's


@dataclass(frozen=True)
class RateTrial:
    """One offered rate of the server scenario served for a while: what came out, and why it is
    INVALID if it is (`reasons` empty: VALID). Latencies in seconds, rates in queries per second."""

    offered_rate: float
    achieved_rate: float  # queries completed per second of the run
    queries: int
    duration_s: float
    p50_s: float
    p90_s: float
    p99_s: float
    p99_bound_s: float | None  # LoadGen's early-stopping bound of p99 (None: too few queries)
    reasons: tuple[str, ...] = ()

    @property
    def valid(self) -> bool:
        return not self.reasons

    @property
    def verdict(self) -> str:
        return VALID if self.valid else INVALID

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "valid": self.valid}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> RateTrial:
        known = {f.name for f in fields(cls)}
        values = {key: value for key, value in data.items() if key in known}
        return cls(**{**values, "reasons": tuple(data.get("reasons", ()))})

    def summary(self, batch: int = 1) -> str:
        """`120.0/s VALID: p99 5.10 ms, bound 5.32 ms`: one tried rate, as the export spells it."""
        bound = "none" if self.p99_bound_s is None else f"{self.p99_bound_s * 1000:.2f} ms"
        return (
            f"{self.offered_rate * batch:.1f}/s {self.verdict} (achieved {self.achieved_rate * batch:.1f}/s,"
            f" p99 {self.p99_s * 1000:.2f} ms, bound {bound})"
        )


def _ms(seconds: float | None) -> float | None:
    return None if seconds is None or seconds != seconds else round(seconds * 1000, 4)


@dataclass(frozen=True)
class ServerRecord:
    """The server scenario: the most images/s of Poisson traffic served with p99 within the SLA.

    `trial` is the rate reported: the highest VALID one tried, else the lowest tried (INVALID, with its
    reasons). `verdict` is VALID only when that trial is and the machine was quiet; `reasons` says why
    not. `status` is about the measurement (ok, or failed with its reason), the verdict about the result.
    """

    KIND: ClassVar[str] = "server"
    TABLE: ClassVar[str] = "server"
    STORED: ClassVar[tuple[str, ...]] = (
        "config_key", "model", "backend", "precision", "batch", "threads", "status", "verdict",
    )  # fmt: skip
    EXPORT: ClassVar[str] = "server.csv"
    KEY: ClassVar[tuple[str, ...]] = ("model", "backend", "precision", "batch", "threads")
    DECIMALS: ClassVar[int | None] = 4
    model: str
    backend: str
    precision: str
    batch: int
    threads: int
    status: Status
    scenario: str = "server"
    device: str = "cpu"
    reason: str | None = None
    weights: str | None = None
    verdict: str = INVALID
    reasons: tuple[str, ...] = ()
    sla_ms: float | None = None
    sla_source: str = ""  # "--sla-ms", or how the default was derived
    single_stream_p99_ms: float | None = None  # the short one-at-a-time pass before the search
    trial: RateTrial | None = None
    tried: tuple[RateTrial, ...] = ()  # every rate, in the order the search tried them
    served_by: str = ""  # how requests were served: OpenVINO's AsyncInferQueue, or a pool of sessions
    sessions: int | None = None  # requests served at once (infer requests, or sessions of the pool)
    load_s: float | None = None
    contention: dict[str, Any] = field(default_factory=dict)
    backend_info: dict[str, Any] = field(default_factory=dict)
    environment: dict[str, Any] = field(default_factory=dict)
    measured_at: str = ""
    spec: dict[str, Any] = field(default_factory=dict)

    COLUMNS: ClassVar[tuple[str, ...]] = (
        "model", "backend", "precision", "batch", "threads", "scenario", "status", "reason", "weights",
        "verdict", "reasons", "sla_ms", "sla_source", "max_rate_ips", "achieved_ips", "p50_ms", "p90_ms",
        "p99_ms", "p99_bound_ms", "queries", "duration_s", "single_stream_p99_ms", "served_by", "sessions",
        "rates_tried", "contended", "environment", "measured_at",
    )  # fmt: skip

    @classmethod
    def for_spec(cls, spec: RunSpec, status: Status, **values: Any) -> ServerRecord:
        return cls(
            model=spec.model,
            backend=spec.backend,
            precision=str(spec.precision),
            batch=spec.batch,
            threads=spec.threads,
            scenario=str(spec.scenario),
            device=spec.device,
            status=status,
            weights=spec.weights.kind,
            spec=_spec_dict(spec),
            measured_at=values.pop("measured_at", None) or now(),
            **values,
        )

    @classmethod
    def failed(cls, spec: RunSpec, reason: str, **known: Any) -> ServerRecord:
        return cls.for_spec(spec, Status.FAILED, reason=reason, **known)

    @property
    def key(self) -> str:
        return configuration_key(
            self.model, self.backend, self.precision, self.batch, self.threads, self.scenario, self.device
        )

    @property
    def config_key(self) -> str:
        return self.key

    @property
    def valid(self) -> bool:
        return self.status == Status.OK and self.verdict == VALID

    @property
    def contended(self) -> bool:
        return is_contended(self.contention.get("contended"))

    @property
    def max_rate_ips(self) -> float | None:
        """Images/s offered at the reported rate: the most served within the SLA when VALID."""
        return self.trial.offered_rate * self.batch if self.trial else None

    @property
    def achieved_ips(self) -> float | None:
        return self.trial.achieved_rate * self.batch if self.trial else None

    @property
    def exported(self) -> bool:
        return True  # an INVALID or failed result is committed with its reasons

    def summary(self) -> str:
        """One line for `zoo bench`'s progress and summary."""
        if self.status != Status.OK:
            return f"FAILED: {self.reason}"
        trial = self.trial
        assert trial is not None
        bound = "none" if trial.p99_bound_s is None else f"{trial.p99_bound_s * 1000:.2f} ms"
        text = (
            f"{self.verdict}: {self.max_rate_ips:.1f} images/s offered ({self.achieved_ips:.1f} achieved) at "
            f"p99 {trial.p99_s * 1000:.2f} ms, bound {bound}, SLA {self.sla_ms:.2f} ms ({self.sla_source})"
        )
        return f"{text}; {'; '.join(self.reasons)}" if self.reasons else text

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ServerRecord:
        known = {f.name for f in fields(cls)}
        values = {key: value for key, value in data.items() if key in known}
        trial = data.get("trial")
        return cls(
            **{
                **values,
                "status": Status(data["status"]),
                "reasons": tuple(data.get("reasons", ())),
                "trial": RateTrial.from_dict(trial) if trial else None,
                "tried": tuple(RateTrial.from_dict(t) for t in data.get("tried", ())),
            }
        )

    def row(self) -> dict[str, Any]:
        """The `server.csv` row: figures in ms and images/s, each rate tried in one cell."""
        trial = self.trial
        values = {
            "reasons": "; ".join(self.reasons),
            "max_rate_ips": self.max_rate_ips,
            "achieved_ips": self.achieved_ips,
            "p50_ms": _ms(trial.p50_s) if trial else None,
            "p90_ms": _ms(trial.p90_s) if trial else None,
            "p99_ms": _ms(trial.p99_s) if trial else None,
            "p99_bound_ms": _ms(trial.p99_bound_s) if trial else None,
            "queries": trial.queries if trial else None,
            "duration_s": trial.duration_s if trial else None,
            "rates_tried": "; ".join(t.summary(self.batch) for t in self.tried),
            "contended": self.contended,
            "environment": self.environment.get("id"),
        }
        return {name: values[name] if name in values else getattr(self, name) for name in self.COLUMNS}


EXPORTED: tuple[type[Exported], ...] = (LatencyRecord, AccuracyRecord, AgreementRecord, ServerRecord)
"""The record types with a committed CSV each, in the order `zoo results export` writes them."""
