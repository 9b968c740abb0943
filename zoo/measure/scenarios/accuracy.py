"""Top-1 / top-5 accuracy of each model on each backend, from one preprocessing of each image.

Every image is decoded and preprocessed once per model (the model's own timm data config, or the
index's declared values where they differ) and the same float32 batch is fed to every backend, so
the backends differ only by what they compute. PyTorch fp32 is the reference that each backend's
logits are compared with. Weights that are `random` give no accuracy at all, never a number.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from zoo._errors import ZooError, one_line
from zoo.backends import Backend, create_backend
from zoo.data import SMOKE_NOTICE, DataError, ImageSet, SkippedImage, batches, spread_indices
from zoo.measure.scenarios.agreement import REFERENCE as REFERENCE_NAME
from zoo.results.records import AccuracyRecord, AccuracyStatus, LogitAgreement, now
from zoo.results.stats import Proportion
from zoo.spec import Precision, RunSpec
from zoo.weights import WeightsError

__all__ = ["RANDOM_WEIGHTS", "REFERENCE", "EvalReport", "ModelEvaluation", "evaluate"]

REFERENCE = ("torch", Precision.FP32.value)  # (backend, precision) every backend's logits are compared with
RANDOM_WEIGHTS = "accuracy unavailable: random weights"

Progress = Callable[[str, int, int], None]  # (model, images done, images in all)
Key = tuple[str, str]  # (backend, precision)


@dataclass(frozen=True)
class ModelEvaluation:
    """One model over the images: its preprocessing, where it came from, and one record per backend."""

    model: str
    weights: str
    weights_note: str
    data_config: dict[str, Any]
    differences: tuple[str, ...]
    results: tuple[AccuracyRecord, ...]
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
    """Everything `zoo eval` measured, as plain data for tables, JSON and the store."""

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
    def rows(self) -> list[AccuracyRecord]:
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
    reference_low: float = np.inf
    reference_high: float = -np.inf

    def add(self, logits: np.ndarray, targets: np.ndarray, reference: np.ndarray | None) -> None:
        top5 = np.argsort(-logits, axis=1)[:, :5]
        self.images += len(targets)
        self.top1 += int((top5[:, 0] == targets).sum())
        self.top5 += int((top5 == targets[:, None]).any(axis=1).sum())
        if reference is not None:
            difference = np.abs(logits.astype(np.float64) - reference.astype(np.float64))
            self.compared_images += len(targets)
            self.agreeing += int((logits.argmax(axis=1) == reference.argmax(axis=1)).sum())
            self.max_diff = max(self.max_diff, float(difference.max()))
            self.sum_diff += float(difference.sum())
            self.compared_logits += logits.size
            self.reference_low = min(self.reference_low, float(reference.min()))
            self.reference_high = max(self.reference_high, float(reference.max()))

    def agreement(self) -> LogitAgreement | None:
        if not self.compared_images:
            return None
        spread = self.reference_high - self.reference_low
        return LogitAgreement(
            REFERENCE_NAME,
            self.compared_images,
            self.agreeing / self.compared_images,
            self.max_diff,
            self.sum_diff / self.compared_logits,
            self.max_diff / spread if spread > 0 else None,
        )


def _pad(images: np.ndarray, batch: int) -> np.ndarray:
    """The static batch a backend was compiled for; the padding's logits are dropped after the run."""
    if len(images) == batch:
        return np.ascontiguousarray(images)
    padded = np.zeros((batch, *images.shape[1:]), dtype=np.float32)
    padded[: len(images)] = images
    return padded


def _load(specs: Sequence[RunSpec]) -> tuple[dict[Key, Backend], dict[Key, str]]:
    """Each backend loaded and warmed up once; one that cannot load is kept as a reason, not raised."""
    loaded: dict[Key, Backend] = {}
    failures: dict[Key, str] = {}
    for spec in specs:
        key = (spec.backend, str(spec.precision))
        try:
            backend = create_backend(spec)
            backend.load()
            backend.run(np.zeros(spec.input_shape, np.float32))  # warm-up, so images/s is steady
        except WeightsError:  # weights the user named that cannot be used: bad input, not a backend's fault
            raise
        except Exception as error:  # one backend's failure is its row; the others still run
            failures[key] = one_line(error)
            continue
        loaded[key] = backend
    return loaded, failures


@dataclass(frozen=True)
class ImageOptions:
    """Which images, and how they are read: a spread of `limit` images, `workers` decoding processes."""

    limit: int | None = None
    workers: int = 0

    def __post_init__(self) -> None:
        if self.limit is not None and self.limit < 1:
            raise ZooError(f"--limit must be at least 1, got {self.limit}")
        if self.workers < 0:
            raise ZooError(f"--workers cannot be negative, got {self.workers}")


@dataclass
class _Pass:
    """What one pass of the images over the loaded backends gathered."""

    tallies: dict[Key, _Tally]
    failures: dict[Key, str]
    skipped: list[SkippedImage]
    images: int = 0  # read or skipped
    wall_s: float = 0.0
    wait_s: float = 0.0


def _run_images(
    name: str,
    loaded: dict[Key, Backend],
    image_set: ImageSet,
    transform: Callable[[Any], Any],
    batch: int,
    options: ImageOptions,
    progress: Progress | None,
) -> _Pass:
    """Each batch preprocessed once, then run on every backend; padding is cut from the logits."""
    result = _Pass({key: _Tally() for key in loaded}, {}, [])
    if not loaded:  # every backend failed to load: nothing to decode images for
        return result
    total = len(spread_indices(len(image_set), options.limit))
    started = time.perf_counter()
    for chunk in batches(image_set, transform, batch, limit=options.limit, workers=options.workers):
        result.wait_s += chunk.wait_s
        result.skipped.extend(chunk.skipped)
        count = len(chunk.targets)
        if count:
            inputs = _pad(chunk.images, batch)
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
    specs: Sequence[RunSpec],
    declared: tuple[float | None, float | None],
    image_set: ImageSet,
    options: ImageOptions,
    reference: bool,
    environment: dict[str, Any],
    progress: Progress | None,
) -> ModelEvaluation:
    """One model's specs (one per backend and precision) over the images."""
    from timm.data import create_transform

    first = specs[0]
    weights = first.weights

    def row(spec: RunSpec, status: AccuracyStatus, **values: Any) -> AccuracyRecord:
        return AccuracyRecord(
            spec.model,
            spec.backend,
            str(spec.precision),
            image_set.name,
            weights.kind,
            status,
            declared_top1=declared[0],
            declared_top5=declared[1],
            environment=environment,
            spec=spec.to_dict(),
            **values,
        )

    def evaluation(rows: list[AccuracyRecord], **values: Any) -> ModelEvaluation:
        data = first.data
        config = data.timm_config()
        return ModelEvaluation(
            first.model, weights.kind, weights.note, config, data.differences, tuple(rows), **values
        )

    if weights.is_random:  # no image is run: random weights' numbers mislead
        return evaluation([row(spec, AccuracyStatus.UNAVAILABLE, reason=RANDOM_WEIGHTS) for spec in specs])
    wanted = {(spec.backend, str(spec.precision)): spec for spec in specs}
    to_load = dict(wanted)
    if reference and REFERENCE not in to_load:
        to_load = {REFERENCE: first.with_(backend=REFERENCE[0], precision=REFERENCE[1]), **to_load}
    if progress is not None:  # the bar shows while backends export and compile
        progress(first.model, 0, len(spread_indices(len(image_set), options.limit)))
    loaded, failures = _load(list(to_load.values()))
    transform = create_transform(**first.data.timm_config())
    run = _run_images(first.model, loaded, image_set, transform, first.batch, options, progress)
    failures.update(run.failures)
    rows = []
    for key, spec in wanted.items():
        tally = run.tallies.get(key)
        if key in failures or tally is None:
            rows.append(row(spec, AccuracyStatus.ERROR, reason=failures.get(key, "not run")))
            continue
        rows.append(
            row(
                spec,
                AccuracyStatus.OK,
                images=tally.images,
                top1=Proportion.of(tally.top1, tally.images),
                top5=Proportion.of(tally.top5, tally.images),
                agreement=None if key == REFERENCE else tally.agreement(),
                inference_s=tally.seconds,
            )
        )
    return evaluation(rows, skipped=tuple(run.skipped), wall_s=run.wall_s, wait_s=run.wait_s)


def evaluate(
    specs: Sequence[RunSpec],
    declared: dict[str, tuple[float | None, float | None]],
    image_set: ImageSet,
    options: ImageOptions | None = None,
    reference: bool = True,
    progress: Progress | None = None,
) -> EvalReport:
    """Accuracy of each spec's model and backend over `image_set`, each image preprocessed once per model.

    `declared` gives each model's declared (top-1, top-5) to compare with. With `reference`, torch
    fp32 also runs (when not asked for) so every backend's logits are compared with it.
    """
    from zoo.measure.environment import fingerprint

    options = options or ImageOptions()
    if not specs:
        raise ZooError("no models to evaluate")
    environment = fingerprint(specs[0].threads)
    by_model: dict[str, list[RunSpec]] = {}
    for spec in specs:
        by_model.setdefault(spec.model, []).append(spec)
    evaluations = tuple(
        _evaluate_model(
            group, declared.get(model, (None, None)), image_set, options, reference, environment, progress
        )
        for model, group in by_model.items()
    )
    return EvalReport(
        dataset=image_set.name,
        root=str(image_set.root),
        layout=image_set.layout,
        smoke=image_set.smoke,
        images=len(spread_indices(len(image_set), options.limit)),
        warnings=image_set.warnings,
        evaluations=evaluations,
        environment=environment,
        measured_at=now(),
    )
