"""Top-1 / top-5 accuracy of each model on each backend, from one preprocessing of each image.

Every image is decoded and preprocessed once per model (the model's own timm data config, or the
index's declared values where they differ) and the same float32 batch is fed to every backend, so
the backends differ only by what they compute. PyTorch fp32 is the reference that each backend's
logits are compared with. Weights that are `random` give no accuracy at all, never a number.
"""

from __future__ import annotations

import datetime
import os
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from zoo._errors import ZooError, one_line
from zoo.data import SMOKE_NOTICE, DataError, ImageSet, SkippedImage, batches, spread_indices
from zoo.index import Model
from zoo.measure.agreement import REFERENCE as AGREEMENT_REFERENCE
from zoo.measure.agreement import logit_differences
from zoo.weights import WeightsError

CONFIDENCE = 0.95
REFERENCE_NAME = AGREEMENT_REFERENCE  # every backend's logits are compared with torch fp32's
REFERENCE = tuple(REFERENCE_NAME.split())  # (backend, precision)
RANDOM_WEIGHTS = "accuracy unavailable: random weights"
CSV_COLUMNS = (
    "model", "backend", "precision", "dataset", "images", "weights", "top1", "top1_ci_low", "top1_ci_high",
    "top5", "top5_ci_low", "top5_ci_high", "declared_top1", "declared_top5", "images_per_s", "environment",
    "measured_at",
)  # fmt: skip
CSV_KEY = ["model", "backend", "precision", "dataset"]

Progress = Callable[[str, int, int], None]  # (model, images done, images in all)


@dataclass(frozen=True)
class Proportion:
    """`hits` of `total` in percent, with its Wilson score interval (sound at 0%, 100% and small n)."""

    hits: int
    total: int
    percent: float
    low: float
    high: float

    @classmethod
    def of(cls, hits: int, total: int, confidence: float = CONFIDENCE) -> Proportion | None:
        """None for no images: no proportion, rather than a 0% that was never measured."""
        from scipy.stats import binomtest

        if not total:
            return None
        interval = binomtest(hits, total).proportion_ci(confidence_level=confidence, method="wilson")
        return cls(hits, total, 100.0 * hits / total, 100.0 * interval.low, 100.0 * interval.high)


@dataclass(frozen=True)
class LogitAgreement:
    """How closely a backend's logits follow the reference's on the same preprocessed images."""

    reference: str
    images: int
    top1_agreement: float  # fraction of the compared images whose top-1 class equals the reference's
    max_abs_diff: float
    mean_abs_diff: float


def _minus(measured: Proportion | None, declared: float | None) -> float | None:
    return None if measured is None or declared is None else measured.percent - declared


@dataclass(frozen=True)
class BackendAccuracy:
    """One row: a model on one backend and precision over one dataset."""

    model: str
    backend: str
    precision: str
    dataset: str
    weights: str
    status: str  # "ok", "unavailable" (random weights) or "error" (the backend failed)
    reason: str = ""
    images: int = 0
    top1: Proportion | None = None
    top5: Proportion | None = None
    declared_top1: float | None = None
    declared_top5: float | None = None
    agreement: LogitAgreement | None = None
    inference_s: float = 0.0

    @property
    def images_per_s(self) -> float | None:
        return self.images / self.inference_s if self.images and self.inference_s > 0 else None

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
            "images_per_s": self.images_per_s,
            "top1_difference": self.top1_difference,
            "top5_difference": self.top5_difference,
        }


@dataclass(frozen=True)
class ModelEvaluation:
    """One model over the images: its preprocessing, where it came from, and one row per backend."""

    model: str
    weights: str
    weights_note: str
    data_config: dict[str, Any]
    differences: tuple[str, ...]
    results: tuple[BackendAccuracy, ...]
    skipped: tuple[SkippedImage, ...] = ()
    wall_s: float = 0.0
    wait_s: float = 0.0  # time the backends sat waiting for decoded images

    @property
    def loading_share(self) -> float | None:
        """Share of the evaluation loop spent waiting on image loading and decoding."""
        return self.wait_s / self.wall_s if self.wall_s > 0 else None

    def as_dict(self) -> dict[str, Any]:
        return {
            **asdict(self),
            "results": [result.as_dict() for result in self.results],
            "loading_share": self.loading_share,
        }


@dataclass(frozen=True)
class EvalReport:
    """Everything `zoo eval` measured, as plain data for tables, JSON and the CSV export."""

    dataset: str
    root: str
    layout: str
    smoke: bool
    images: int
    warnings: tuple[str, ...]
    evaluations: tuple[ModelEvaluation, ...]
    environment: dict[str, Any]  # the fingerprint of the machine that measured
    measured_at: str

    @property
    def rows(self) -> list[BackendAccuracy]:
        return [result for evaluation in self.evaluations for result in evaluation.results]

    def as_dict(self) -> dict[str, Any]:
        evaluations = [evaluation.as_dict() for evaluation in self.evaluations]
        return {**asdict(self), "notice": SMOKE_NOTICE if self.smoke else None, "evaluations": evaluations}


@dataclass
class _Tally:
    """Running counts for one backend; logits are compared with the reference batch by batch."""

    images: int = 0
    top1: int = 0
    top5: int = 0
    seconds: float = 0.0
    compared_images: int = 0  # only those the reference also ran on
    agreeing: int = 0
    max_diff: float = 0.0
    sum_diff: float = 0.0
    compared_logits: int = 0

    def add(self, logits: np.ndarray, targets: np.ndarray, reference: np.ndarray | None) -> None:
        top5 = np.argsort(-logits, axis=1)[:, :5]
        self.images += len(targets)
        self.top1 += int((top5[:, 0] == targets).sum())
        self.top5 += int((top5 == targets[:, None]).any(axis=1).sum())
        if reference is not None:
            top1, max_diff, mean_diff = logit_differences(reference, logits)
            self.compared_images += len(targets)
            self.agreeing += round(top1 * len(targets))
            self.max_diff = max(self.max_diff, max_diff)
            self.sum_diff += mean_diff * logits.size
            self.compared_logits += logits.size

    def agreement(self, reference: str) -> LogitAgreement | None:
        if not self.compared_images:
            return None
        return LogitAgreement(
            reference,
            self.compared_images,
            self.agreeing / self.compared_images,
            self.max_diff,
            self.sum_diff / self.compared_logits,
        )


def _pad(images: np.ndarray, batch: int) -> np.ndarray:
    """The static batch a backend was compiled for; the padding's logits are dropped after the run."""
    if len(images) == batch:
        return np.ascontiguousarray(images)
    padded = np.zeros((batch, *images.shape[1:]), dtype=np.float32)
    padded[: len(images)] = images
    return padded


def _load(keys: Sequence[tuple[str, str]], config_for: Callable[[str], Any]) -> tuple[dict, dict, str | None]:
    """Each backend loaded and warmed up once; one that cannot load is kept as a reason, not raised.
    The weights kind is what the backends actually loaded (None when none could load)."""
    from zoo.backends import create_backend

    loaded: dict[tuple[str, str], Any] = {}
    failures: dict[tuple[str, str], str] = {}
    weights = None
    for name, precision in keys:
        try:
            backend = create_backend(name, config_for(precision))
            weights = backend.load().weights.kind
            backend.run(np.zeros(backend.config.input_shape, np.float32))  # warm-up, so images/s is steady
        except WeightsError:  # weights the user named that cannot be used: bad input, not a backend's fault
            raise
        except Exception as error:  # one backend's failure is its row; the others still run
            failures[name, precision] = one_line(error)
            continue
        loaded[name, precision] = backend
    return loaded, failures, weights


@dataclass
class _Pass:
    """What one pass of the images over the loaded backends gathered."""

    tallies: dict[tuple[str, str], _Tally]
    failures: dict[tuple[str, str], str]
    skipped: list[SkippedImage]
    images: int = 0  # read or skipped
    wall_s: float = 0.0
    wait_s: float = 0.0


def _run_images(
    name: str,
    loaded: dict[tuple[str, str], Any],
    image_set: ImageSet,
    transform: Callable[[Any], Any],
    options: EvalOptions,
    progress: Progress | None,
) -> _Pass:
    """Each batch preprocessed once, then run on every backend; padding is cut from the logits."""
    result = _Pass({key: _Tally() for key in loaded}, {}, [])
    if not loaded:  # every backend failed to load: nothing to decode images for
        return result
    total = len(spread_indices(len(image_set), options.limit))
    started = time.perf_counter()
    for chunk in batches(image_set, transform, options.batch, limit=options.limit, workers=options.workers):
        result.wait_s += chunk.wait_s
        result.skipped.extend(chunk.skipped)
        count = len(chunk.targets)
        if count:
            inputs = _pad(chunk.images, options.batch)
            logits = {}
            for key, backend in list(loaded.items()):
                run_started = time.perf_counter()
                try:
                    logits[key] = backend.run(inputs)[:count]
                except Exception as error:  # a backend that fails mid-way is reported, the others go on
                    result.failures[key] = one_line(error)
                    del loaded[key]
                    continue
                result.tallies[key].seconds += time.perf_counter() - run_started
            for key, output in logits.items():
                result.tallies[key].add(
                    output, chunk.targets, None if key == REFERENCE else logits.get(REFERENCE)
                )
        result.images += count + len(chunk.skipped)
        if progress is not None:
            progress(name, result.images, total)
    result.wall_s = time.perf_counter() - started
    if result.images and len(result.skipped) == result.images:
        first = result.skipped[0]
        raise DataError(f"none of the {result.images} images could be read ({first.path}: {first.reason})")
    return result


def _evaluate_model(
    model: Model,
    image_set: ImageSet,
    backends: Sequence[str],
    options: EvalOptions,
    progress: Progress | None,
) -> ModelEvaluation:
    from timm.data import create_transform

    from zoo.backends import BackendConfig
    from zoo.measure.inputs import resolve_data_config
    from zoo.weights import find_weights

    data = resolve_data_config(model.name, declared=model)
    found = find_weights(model.name, options.checkpoint, declared=model)
    declared = {
        "declared_top1": model.declared_accuracy("Top 1 Accuracy"),
        "declared_top5": model.declared_accuracy("Top 5 Accuracy"),
    }
    wanted = [(name, options.precision) for name in backends]

    def row(key: tuple[str, str], weights: str, **values: Any) -> BackendAccuracy:
        return BackendAccuracy(model.name, key[0], key[1], image_set.name, weights, **declared, **values)

    def evaluation(rows: list[BackendAccuracy], weights: str, **values: Any) -> ModelEvaluation:
        config, differences = dict(data.config), tuple(data.differences)
        return ModelEvaluation(model.name, weights, found.note, config, differences, tuple(rows), **values)

    def unavailable(weights: str) -> ModelEvaluation:  # no image is run: random weights' numbers mislead
        return evaluation(
            [row(key, weights, status="unavailable", reason=RANDOM_WEIGHTS) for key in wanted], weights
        )

    if found.is_random:
        return unavailable(found.kind)

    def config_for(precision: str) -> Any:
        return BackendConfig(
            model.name,
            tuple(data.config["input_size"]),
            batch=options.batch,
            precision=precision,
            threads=options.threads,
            checkpoint=options.checkpoint,
            declared=model,
        )

    keys = list(dict.fromkeys([REFERENCE, *wanted] if options.reference else wanted))
    if progress is not None:  # the bar shows while backends export and compile
        progress(model.name, 0, len(spread_indices(len(image_set), options.limit)))
    loaded, failures, loaded_weights = _load(keys, config_for)
    if loaded_weights == "random":
        return unavailable(loaded_weights)
    weights = loaded_weights or found.kind
    transform = create_transform(**data.config)
    run = _run_images(model.name, loaded, image_set, transform, options, progress)
    failures.update(run.failures)
    rows = []
    for key in wanted:
        tally = run.tallies.get(key)
        if key in failures or tally is None:
            rows.append(row(key, weights, status="error", reason=failures.get(key, "not run")))
            continue
        rows.append(
            row(
                key,
                weights,
                status="ok",
                images=tally.images,
                top1=Proportion.of(tally.top1, tally.images),
                top5=Proportion.of(tally.top5, tally.images),
                agreement=None if key == REFERENCE else tally.agreement(REFERENCE_NAME),
                inference_s=tally.seconds,
            )
        )
    return evaluation(rows, weights, skipped=tuple(run.skipped), wall_s=run.wall_s, wait_s=run.wait_s)


@dataclass(frozen=True)
class EvalOptions:
    """How to run: static batch, precision, images (limit), decode workers, threads, weights, reference."""

    batch: int = 1
    precision: str = "fp32"
    limit: int | None = None
    workers: int = 0
    threads: int = field(default_factory=lambda: os.cpu_count() or 1)
    checkpoint: Path | None = None
    reference: bool = True  # also run torch fp32 when it was not asked for, to compare logits with

    def __post_init__(self) -> None:
        if self.batch < 1:
            raise ZooError(f"--batch must be at least 1, got {self.batch}")
        if self.limit is not None and self.limit < 1:
            raise ZooError(f"--limit must be at least 1, got {self.limit}")
        if self.workers < 0:
            raise ZooError(f"--workers cannot be negative, got {self.workers}")


def evaluate(
    models: Sequence[Model],
    image_set: ImageSet,
    backends: Sequence[str] = ("torch", "onnxruntime", "openvino"),
    options: EvalOptions | None = None,
    progress: Progress | None = None,
) -> EvalReport:
    """Accuracy of each model on each backend over `image_set`, each image preprocessed once per model."""
    from zoo.measure.environment import fingerprint

    options = options or EvalOptions()
    if not models:
        raise ZooError("no models to evaluate")
    evaluations = tuple(_evaluate_model(model, image_set, backends, options, progress) for model in models)
    return EvalReport(
        dataset=image_set.name,
        root=str(image_set.root),
        layout=image_set.layout,
        smoke=image_set.smoke,
        images=len(spread_indices(len(image_set), options.limit)),
        warnings=image_set.warnings,
        evaluations=evaluations,
        environment=fingerprint(options.threads),
        measured_at=datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
    )


def _rounded(value: float | None, digits: int = 3) -> float | None:
    return None if value is None else round(value, digits)


def csv_rows(report: EvalReport) -> list[dict[str, Any]]:
    """The `accuracy.csv` rows of a report: measured rows and random-weights rows (which carry no
    accuracy); a backend that failed is left out, so it cannot blank an earlier measurement."""
    rows = []
    for result in (result for result in report.rows if result.status != "error"):
        row: dict[str, Any] = {key: getattr(result, key) for key in CSV_KEY}
        row.update(images=result.images or None, weights=result.weights)
        for name, proportion in (("top1", result.top1), ("top5", result.top5)):
            row[name] = _rounded(proportion and proportion.percent)
            row[f"{name}_ci_low"] = _rounded(proportion and proportion.low)
            row[f"{name}_ci_high"] = _rounded(proportion and proportion.high)
        row.update(declared_top1=result.declared_top1, declared_top5=result.declared_top5)
        row.update(images_per_s=_rounded(result.images_per_s, 2), environment=report.environment.get("id"))
        rows.append({**row, "measured_at": report.measured_at})
    return rows


def export_csv(report: EvalReport, path: Path) -> Path:
    """Merge the report into `accuracy.csv`: one row per model, backend, precision, dataset; newest wins."""
    from zoo.results import merge_csv

    return merge_csv(csv_rows(report), path, CSV_COLUMNS, CSV_KEY)
