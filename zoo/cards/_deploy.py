"""What someone deploying a model asks of its results: images/s under load, and what INT8 buys and costs.

Figures are compared only in pairs that differ in the one thing compared: a throughput row beside
the latency scenario on the same backend, precision, threads and environment; an INT8 row beside
fp32 on the same backend, batch, threads, scenario and environment. A pair from two machines would
compare machines. Where several rows qualify, an uncontended one is taken first.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from zoo.cards._format import is_missing
from zoo.cards._results import Row
from zoo.results.records import Status, is_contended, speedup
from zoo.spec import LATENCY

THROUGHPUT = "throughput"  # the scenario whose rows this module pairs with latency rows
INT8 = "int8"
FP32 = "fp32"


def scenario(row: Row) -> str:
    """The row's scenario; a row from before scenarios timed one request at a time."""
    return str(row.get("scenario") or LATENCY)


def contended(row: Row | None) -> bool:
    return row is not None and is_contended(row.get("contended"))


def _timed(row: Row) -> bool:
    return row.get("status") == Status.OK and not is_missing(row.get("median_ms"))


def _match(row: Row, candidates: Iterable[Row], keys: tuple[str, ...], **fixed: str) -> Row | None:
    """The timed candidate equal to `row` in `keys` and to `fixed`: uncontended first, then smallest batch."""
    found = [
        c
        for c in candidates
        if _timed(c)
        and all(c.get(key) == row.get(key) for key in keys)
        and all(c.get(key) == value for key, value in fixed.items())
    ]
    return min(found, key=lambda c: (contended(c), c.get("batch") or 0), default=None)


@dataclass(frozen=True)
class Throughput:
    """A throughput-scenario row, and the latency-scenario row it is shown beside (None if unmeasured)."""

    row: Row
    latency: Row | None

    @property
    def latency_mode_ips(self) -> float | None:
        """Images/s one request at a time: the latency row's batch over its median."""
        if self.latency is None:
            return None
        return float(self.latency["batch"]) * 1000 / float(self.latency["median_ms"])


def throughput_rows(latency: tuple[Row, ...]) -> tuple[Throughput, ...]:
    """Every throughput row of a model's `latency.csv` rows, each paired with its latency-mode row."""
    one_at_a_time = [row for row in latency if scenario(row) == LATENCY]
    keys = ("backend", "precision", "threads", "environment")
    return tuple(
        Throughput(row, _match(row, one_at_a_time, keys)) for row in latency if scenario(row) == THROUGHPUT
    )


@dataclass(frozen=True)
class Int8Accuracy:
    """An INT8 accuracy row beside fp32's on the same backend and dataset (None if unmeasured or random)."""

    row: Row
    fp32: Row | None


@dataclass(frozen=True)
class Int8Variant:
    """One INT8 timing (or a backend's INT8 agreement or accuracy alone) with what it is judged against."""

    backend: str
    timing: Row | None
    fp32: Row | None  # the fp32 timing of the same backend, batch, threads, scenario and environment
    agreement: Row | None  # against the reference (torch fp32), on the same images
    accuracy: tuple[Int8Accuracy, ...]

    @property
    def speedup(self) -> float | None:
        """fp32 median over INT8 median: above 1 when INT8 is faster."""
        if self.timing is None or self.fp32 is None or not _timed(self.timing):
            return None
        return speedup(self.fp32["median_ms"], self.timing["median_ms"])

    @property
    def contended(self) -> bool:
        """Either timing was taken under contention, so the speed-up is not to be trusted."""
        return contended(self.timing) or contended(self.fp32)


def int8_variants(
    latency: tuple[Row, ...], agreement: tuple[Row, ...], accuracy: tuple[Row, ...]
) -> tuple[Int8Variant, ...]:
    """One variant per INT8 timing, then one per backend with only INT8 agreement or accuracy."""
    agreement_of = {str(row["backend"]): row for row in agreement if row.get("precision") == INT8}
    accuracy_of: dict[str, list[Int8Accuracy]] = {}
    for row in accuracy:
        if row.get("precision") == INT8:
            fp32 = next(
                (
                    r
                    for r in accuracy
                    if (r.get("precision"), r.get("backend"), r.get("dataset"))
                    == (FP32, row.get("backend"), row.get("dataset"))
                    and r.get("weights") != "random"
                ),
                None,
            )
            accuracy_of.setdefault(str(row["backend"]), []).append(Int8Accuracy(row, fp32))
    timings = [row for row in latency if row.get("precision") == INT8]
    keys = ("backend", "batch", "threads", "scenario", "environment")
    variants = [
        Int8Variant(
            str(row["backend"]),
            row,
            _match(row, latency, keys, precision=FP32),
            agreement_of.get(str(row["backend"])),
            tuple(accuracy_of.get(str(row["backend"]), ())),
        )
        for row in timings
    ]
    timed_backends = {variant.backend for variant in variants}
    for backend in sorted((agreement_of.keys() | accuracy_of.keys()) - timed_backends):
        variants.append(
            Int8Variant(backend, None, None, agreement_of.get(backend), tuple(accuracy_of.get(backend, ())))
        )
    return tuple(variants)
