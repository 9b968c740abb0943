"""Top-1 / top-5 accuracy of each model on each backend, one backend per worker process.

The worker (`measure_accuracy`) reads the spec's dataset through the model's own timm data config
(or the index's declared values where they differ), runs one backend over it and leaves each image's
logits and class for the driver. The driver (`evaluate`) runs PyTorch fp32 as a job of its own and
compares every backend's logits with it (`zoo.measure.compare`). Weights that are `random` give no
accuracy at all, never a number: no worker runs them.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from zoo._errors import ZooError
from zoo.measure.outputs import save_logits
from zoo.measure.scenarios import register_scenario
from zoo.results.paired import DEFAULT_BUDGET, AccuracyCost, accuracy_cost
from zoo.results.records import AccuracyRecord, Status, now
from zoo.results.stats import Proportion
from zoo.spec import REFERENCE, Dataset, DatasetIdentity, Precision, RunSpec

if TYPE_CHECKING:
    import numpy as np

    from zoo.data import ImageSet, SkippedImage
    from zoo.measure.compare import Compared, Listener
    from zoo.measure.executors import Executor

__all__ = [
    "RANDOM_WEIGHTS", "REFERENCE", "EvalReport", "ImageOptions", "ModelEvaluation", "evaluate", "workers",
]  # fmt: skip

RANDOM_WEIGHTS = "accuracy unavailable: random weights"


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
    wall_s: float = 0.0  # the backends' passes over the images, together
    wait_s: float = 0.0  # of it, time the backends sat waiting for decoded images

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
        from zoo.data import SMOKE_NOTICE

        evaluations = [evaluation.as_dict() for evaluation in self.evaluations]
        return {**asdict(self), "notice": SMOKE_NOTICE if self.smoke else None, "evaluations": evaluations}


@dataclass(frozen=True)
class ImageOptions:
    """Which images, and how they are read: a spread of `limit` images, `workers` decoding processes."""

    limit: int | None = None
    workers: int = 0

    def __post_init__(self) -> None:
        Dataset(limit=self.limit, workers=self.workers)  # the one place their bounds are checked

    def dataset(self, image_set: ImageSet) -> Dataset:
        """The images as the spec carries them to each worker."""
        return Dataset(
            name=image_set.name,
            folder=None if image_set.smoke else str(image_set.root),
            layout=image_set.layout,
            labels=str(image_set.labels_file) if image_set.labels_file and not image_set.smoke else None,
            limit=self.limit,
            workers=self.workers,
        )


def image_set(dataset: Dataset) -> ImageSet:
    """The images a `Dataset` names, found again in the worker as the driver found them."""
    from zoo.data import find_images, smoke_set

    if dataset.folder is None:
        return smoke_set()
    labels = Path(dataset.labels) if dataset.labels else None
    return replace(find_images(Path(dataset.folder), "", labels), name=dataset.name)


def _pad(images: np.ndarray, batch: int) -> np.ndarray:
    """The static batch a backend was compiled for; the padding's logits are dropped after the run."""
    import numpy as np

    if len(images) == batch:
        return np.ascontiguousarray(images)
    padded = np.zeros((batch, *images.shape[1:]), dtype=np.float32)
    padded[: len(images)] = images
    return padded


@register_scenario("accuracy", AccuracyRecord, command="eval")
def measure_accuracy(spec: RunSpec, environment: dict[str, Any]) -> AccuracyRecord:
    """Top-1 / top-5 over the spec's dataset; each image's logits are left for the driver to compare."""
    import numpy as np
    from timm.data import create_transform

    from zoo.backends import create_backend
    from zoo.data import DataError, batches

    dataset = spec.dataset or Dataset()
    images = image_set(dataset)
    transform = create_transform(**spec.data.timm_config())
    backend = create_backend(spec)
    backend.load()
    backend.run(np.zeros(spec.input_shape, np.float32))  # warm-up, so images/s is steady
    logits: list[np.ndarray] = []
    targets: list[np.ndarray] = []
    skipped: list[SkippedImage] = []
    inference_s = wait_s = 0.0
    read = 0
    started = time.perf_counter()
    for chunk in batches(images, transform, spec.batch, limit=dataset.limit, workers=dataset.workers):
        wait_s += chunk.wait_s
        skipped.extend(chunk.skipped)
        count = len(chunk.targets)
        read += count + len(chunk.skipped)
        if count:
            inputs = _pad(chunk.images, spec.batch)
            begin = time.perf_counter()
            logits.append(backend.run(inputs)[:count].copy())
            inference_s += time.perf_counter() - begin
            targets.append(chunk.targets)
    wall_s = time.perf_counter() - started
    if read and len(skipped) == read:
        first = skipped[0]
        raise DataError(f"none of the {read} images could be read ({first.path}: {first.reason})")
    all_logits = np.concatenate(logits) if logits else np.empty((0, 0), np.float32)
    all_targets = np.concatenate(targets) if targets else np.empty(0, np.int64)
    save_logits(spec, all_logits, all_targets)
    top5 = np.argsort(-all_logits, axis=1)[:, :5]
    return AccuracyRecord.for_spec(
        spec,
        Status.OK,
        calibration=backend.describe().get("calibration"),
        images=len(all_targets),
        top1=Proportion.of(int((top5[:, 0] == all_targets).sum()), len(all_targets)),
        top5=Proportion.of(int((top5 == all_targets[:, None]).any(axis=1).sum()), len(all_targets)),
        inference_s=inference_s,
        environment=environment,
        skipped=tuple((item.path, item.reason) for item in skipped),
        wall_s=wall_s,
        wait_s=wait_s,
    )


def _compared(
    job: Compared,
    declared: tuple[float | None, float | None],
    identity: DatasetIdentity | None,
    budget: float,
) -> AccuracyRecord:
    """The worker's record with its dataset and the declared figures, and its logits against the
    reference's: their agreement, and the accuracy cost paired image by image."""
    record = _identified(_with_declared(job.record, declared), identity)
    if record.status != Status.OK or REFERENCE.is_(record.backend, record.precision):
        return record
    try:
        agreement = job.agreement()
    except ZooError:  # the reference read other images (one it could not decode): nothing to compare
        return record
    return replace(record, agreement=agreement, cost=_cost(job, budget))


def _cost(job: Compared, budget: float) -> AccuracyCost | None:
    """Top-1/top-5 against the reference's on the same images, when both read the same ones."""
    import numpy as np

    from zoo.measure.outputs import load_logits

    if job.reference is None or job.reference_record.status != Status.OK:
        return None
    logits, targets = job.logits()
    reference, reference_targets = load_logits(job.reference)
    if logits.shape != reference.shape or not np.array_equal(targets, reference_targets) or not len(targets):
        return None
    top5 = np.argsort(-logits, axis=1)[:, :5]
    return accuracy_cost(np.argsort(-reference, axis=1)[:, :5], top5, targets, budget)


def _identified(record: AccuracyRecord, identity: DatasetIdentity | None) -> AccuracyRecord:
    return record if identity is None else replace(record, dataset=identity.name, identity=identity)


def refuse_calibration_overlap(specs: Sequence[RunSpec], images: ImageSet) -> None:
    """Calibration images and evaluation images never overlap: an INT8 configuration calibrated on an
    image it is then scored on would flatter itself. One line naming one, before anything runs."""
    from zoo.data.calibration import calibration_set

    evaluated = [path for path, _ in images.samples]
    for folder in sorted({spec.calibration or "" for spec in specs if spec.precision == Precision.INT8}):
        shared = calibration_set(Path(folder) if folder else None).overlap(evaluated)
        if shared:
            source = folder or "the bundled photos"
            raise ZooError(
                f"INT8 calibration ({source}) and the evaluation images share {len(shared)} image(s), "
                f"e.g. {shared[0]}: calibrate on other images (--calibration DIR) or evaluate on others "
                "(--data DIR)"
            )


def _evaluation(specs: Sequence[RunSpec], rows: list[AccuracyRecord]) -> ModelEvaluation:
    """One model's rows, with the images its workers skipped and the time they spent."""
    from zoo.data import SkippedImage

    first = specs[0]
    ran = [row for row in rows if row.status == Status.OK]
    skipped = tuple(SkippedImage(path, reason) for path, reason in (ran[0].skipped if ran else ()))
    return ModelEvaluation(
        first.model,
        first.weights.kind,
        first.weights.note,
        first.data.timm_config(),
        first.data.differences,
        tuple(rows),
        skipped=skipped,
        wall_s=sum(row.wall_s for row in ran),
        wait_s=sum(row.wait_s for row in ran),
    )


def workers(specs: Sequence[RunSpec], reference: bool = True) -> int:
    """How many workers `evaluate` starts for `specs` (random weights run none): what progress counts."""
    from zoo.measure.compare import planned_jobs

    return planned_jobs([spec for spec in specs if not spec.weights.is_random], reference)


def evaluate(
    specs: Sequence[RunSpec],
    declared: dict[str, tuple[float | None, float | None]],
    images: ImageSet,
    options: ImageOptions | None = None,
    reference: bool = True,
    listener: Listener | None = None,
    executor: Executor | None = None,
    identity: DatasetIdentity | None = None,
    budget: float = DEFAULT_BUDGET,
) -> EvalReport:
    """Accuracy of each spec's model and backend over `images`, each backend in its own worker.

    `declared` gives each model's declared (top-1, top-5) on this dataset, to compare with. With
    `reference`, torch fp32 also runs (when not asked for) so every backend's logits are compared
    with it, and every other configuration's accuracy cost is judged against `budget`. `identity`
    names the dataset on every record.
    """
    from zoo.data import spread_indices
    from zoo.measure.compare import run_with_reference
    from zoo.measure.environment import fingerprint

    options = options or ImageOptions()
    if not specs:
        raise ZooError("no models to evaluate")
    refuse_calibration_overlap(specs, images)
    if identity is None:  # named by the folder's manifest, else unnamed: never by its layout
        from zoo.data.identity import identify

        identity = identify(images)
    dataset = options.dataset(images)
    environment = fingerprint(specs[0].threads)
    rows: dict[int, AccuracyRecord] = {}
    runnable = [(n, spec) for n, spec in enumerate(specs) if not spec.weights.is_random]
    for n, spec in enumerate(specs):
        if spec.weights.is_random:  # no image is run: random weights' numbers mislead
            unavailable = AccuracyRecord.for_spec(
                spec.with_(scenario="accuracy", dataset=dataset),
                Status.UNAVAILABLE,
                reason=RANDOM_WEIGHTS,
                environment=environment,
            )
            rows[n] = _identified(
                _with_declared(unavailable, declared.get(spec.model, (None, None))), identity
            )
    jobs = [spec for _, spec in runnable]
    with run_with_reference(jobs, "accuracy", executor, reference, listener, dataset=dataset) as compared:
        for (n, spec), job in zip(runnable, compared, strict=True):
            rows[n] = _compared(job, declared.get(spec.model, (None, None)), identity, budget)
    by_model: dict[str, list[int]] = {}
    for n, spec in enumerate(specs):
        by_model.setdefault(spec.model, []).append(n)
    evaluations = tuple(
        _evaluation([specs[n] for n in numbers], [rows[n] for n in numbers]) for numbers in by_model.values()
    )
    return EvalReport(
        dataset=identity.name if identity else images.name,
        root=str(images.root),
        layout=images.layout,
        smoke=images.smoke,
        images=len(spread_indices(len(images), options.limit)),
        warnings=images.warnings,
        evaluations=evaluations,
        environment=environment,
        measured_at=now(),
    )


def _with_declared(record: AccuracyRecord, declared: tuple[float | None, float | None]) -> AccuracyRecord:
    return replace(record, declared_top1=declared[0], declared_top5=declared[1])
