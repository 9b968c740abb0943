"""One screen at the end of `make bench`: what the sweep found, per model, and where it all went.

It reads the newest run of each kind the main job starts (`bench`, `eval`, `check-backends`) from the
results store, so it says what this sweep measured, not what an older export holds. Per model: the
fastest quiet configuration one request at a time (by p90), the most images/s counted under load,
the reference's top-1 on the dataset named (with its N and interval), and every INT8 configuration's
accuracy verdict; then the failures with their reasons and the contended timings.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from zoo.results.analysis import latest_measurements
from zoo.results.paired import OVER_BUDGET
from zoo.results.records import SMOKE_DATASET, AccuracyRecord, AgreementRecord, LatencyRecord, Status
from zoo.results.store import ResultsStore
from zoo.spec import REFERENCE

__all__ = ["KINDS", "BenchSummary", "ModelSummary", "summarize"]

KINDS = ("bench", "eval", "check-backends")  # the runs `make bench` starts, in its order
MAX_FAILURES = 6  # listed one a line; the rest are counted, so the summary stays one screen


@dataclass(frozen=True)
class ModelSummary:
    """What one model gave: the records chosen to stand for it, each None when there is none."""

    model: str
    fastest: LatencyRecord | None  # the smallest p90 one request at a time, quiet unless none was
    throughput: LatencyRecord | None  # the most images/s counted under load
    top1: AccuracyRecord | None  # torch fp32's, else the first configuration's that scored
    scored: int  # accuracy records of the model, failed ones included
    random: bool  # random weights: no accuracy, so no verdict
    judged: tuple[AccuracyRecord, ...]  # INT8 (and any other over budget) against torch fp32

    @classmethod
    def of(cls, model: str, timed: list[LatencyRecord], scored: list[AccuracyRecord]) -> ModelSummary:
        latency = [r for r in timed if r.scenario == "latency" and r.stats]
        quiet = [r for r in latency if not r.contended] or latency
        counted = [r for r in timed if r.scenario == "throughput" and r.throughput_ips]
        ok = [r for r in scored if r.status == Status.OK and r.top1]
        reference = [r for r in ok if REFERENCE.is_(r.backend, r.precision)]
        judged = [
            r
            for r in scored
            if r.cost is not None and (r.precision == "int8" or r.cost.verdict == OVER_BUDGET)
        ]
        return cls(
            model,
            min(quiet, key=lambda r: (r.batch, r.stats.p90_ms if r.stats else 0.0, r.backend, r.precision))
            if quiet
            else None,
            max(counted, key=lambda r: (r.throughput_ips or 0.0, r.backend, r.precision))
            if counted
            else None,
            next(iter(reference or ok), None),
            len(scored),
            any(r.status == Status.UNAVAILABLE for r in scored),
            tuple(sorted(judged, key=lambda r: (r.backend, r.precision))),
        )

    def lines(self) -> list[str]:
        """The model's name and, indented, its latency, throughput, accuracy and INT8 verdicts."""
        lines = [
            self.model,
            f"  fastest:    {_fastest(self.fastest)}",
            f"  throughput: {_throughput(self.throughput)}",
            f"  top-1:      {self._top1()}",
        ]
        if not self.random:
            lines.append(f"  INT8:       {_verdicts(self.judged)}")
        return lines

    def _top1(self) -> str:
        if self.random:
            return "no accuracy, and so no INT8 verdict: random weights"
        shown = self.top1
        if shown is None or shown.top1 is None:
            return "no accuracy (every configuration failed)" if self.scored else "not measured"
        top1 = shown.top1
        if shown.dataset == SMOKE_DATASET:
            right = f"{top1.hits}/{top1.total} bundled photos right"
            return f"smoke check only: {right} ({_name(shown)}; not an accuracy)"
        return (
            f"{top1.percent:.2f}% [{top1.low:.1f}, {top1.high:.1f}] {_name(shown)} on {shown.dataset} "
            f"({shown.images} images)"
        )

    def as_dict(self) -> dict[str, Any]:
        fastest, served, shown = self.fastest, self.throughput, self.top1
        return {
            "fastest": None
            if fastest is None or fastest.stats is None
            else {
                "key": fastest.key,
                "p90_ms": fastest.stats.p90_ms,
                "median_ms": fastest.stats.median_ms,
                "contended": fastest.contended,
            },
            "throughput": None
            if served is None
            else {"key": served.key, "images_per_s": served.throughput_ips, "serving": served.serving},
            "top1": None
            if shown is None or shown.top1 is None
            else {
                "backend": shown.backend,
                "precision": shown.precision,
                "dataset": shown.dataset,
                "images": shown.images,
                "percent": shown.top1.percent,
                "ci": [shown.top1.low, shown.top1.high],
            },
            "random_weights": self.random,
            "verdicts": [
                {"backend": r.backend, "precision": r.precision, **r.cost.as_dict()}
                for r in self.judged
                if r.cost is not None
            ],
        }


@dataclass(frozen=True)
class BenchSummary:
    """The newest run of each kind and their records, newest of each configuration."""

    runs: dict[str, int]  # kind -> run id
    latency: tuple[LatencyRecord, ...] = ()
    accuracy: tuple[AccuracyRecord, ...] = ()
    agreement: tuple[AgreementRecord, ...] = ()
    places: dict[str, str] = field(default_factory=dict)  # what -> where it was written

    @property
    def models(self) -> list[str]:
        records: list[LatencyRecord | AccuracyRecord | AgreementRecord] = [
            *self.latency,
            *self.accuracy,
            *self.agreement,
        ]
        return sorted({r.model for r in records})

    def failures(self) -> list[str]:
        """One line per configuration that did not end ok, with its reason."""
        lines = [
            f"{r.model} {r.backend} {r.precision} {r.scenario} b{r.batch}: {r.reason}"
            for r in self.latency
            if r.status != Status.OK
        ]
        lines += [
            f"{r.model} {r.backend} {r.precision} accuracy: {r.reason}"
            for r in self.accuracy
            if r.status == Status.FAILED
        ]
        lines += [
            f"{r.model} {r.backend} {r.precision} agreement ({r.status}): {r.reason}"
            for r in self.agreement
            if r.status != Status.OK
        ]
        return lines

    def contended(self) -> list[LatencyRecord]:
        return [r for r in self.latency if r.status == Status.OK and r.contended]

    def model(self, model: str) -> ModelSummary:
        timed = [r for r in self.latency if r.model == model and r.status == Status.OK]
        return ModelSummary.of(model, timed, [r for r in self.accuracy if r.model == model])

    def lines(self) -> list[str]:
        """The summary, one screen: 4 or 5 lines a model and at most a dozen more."""
        if not self.runs:
            return ["no bench, eval or check-backends run in the results store yet"]
        runs = ", ".join(f"{kind} {run}" for kind, run in self.runs.items())
        out = [f"summary of runs {runs}"]
        for model in self.models:
            out += self.model(model).lines()
        failures = self.failures()
        out.append(f"failed: {len(failures)}" + (":" if failures else ""))
        out += [f"  {line}" for line in failures[:MAX_FAILURES]]
        if len(failures) > MAX_FAILURES:
            out.append(f"  ... and {len(failures) - MAX_FAILURES} more (`zoo results show RUN` lists them)")
        contended = self.contended()
        timings = sum(1 for r in self.latency if r.status == Status.OK)
        out.append(f"contended: {len(contended)} of {timings} timings")
        if contended:
            shown = ", ".join(f"{r.model} {r.backend} {r.precision} {r.scenario}" for r in contended[:3])
            more = f" and {len(contended) - 3} more" if len(contended) > 3 else ""
            out.append(f"  {shown}{more}: measured while other work took the CPU; rerun on a quiet machine")
        places = [f"{what}: {where}" for what, where in self.places.items()]
        out += ["; ".join(places[n : n + 3]) for n in range(0, len(places), 3)]
        return out

    def as_dict(self) -> dict[str, Any]:
        return {
            "runs": self.runs,
            "models": {model: self.model(model).as_dict() for model in self.models},
            "failures": self.failures(),
            "contended": [r.key for r in self.contended()],
            "places": self.places,
        }


def summarize(store: ResultsStore, places: Mapping[str, Path | str] | None = None) -> BenchSummary:
    """The newest run of each of `KINDS` in `store`, summed up; `places` says where the export, the
    cards, the site and the log were written."""
    newest: dict[str, int] = {}
    for run in store.runs():
        if run.kind in KINDS:
            newest[run.kind] = run.id
    runs = {kind: newest[kind] for kind in KINDS if kind in newest}
    return BenchSummary(
        runs,
        tuple(latest_measurements(store, runs["bench"])) if "bench" in runs else (),
        tuple(_newest(store.accuracy(runs["eval"]))) if "eval" in runs else (),
        tuple(_newest(store.agreement(runs["check-backends"]))) if "check-backends" in runs else (),
        {what: str(where) for what, where in (places or {}).items()},
    )


_R = TypeVar("_R", AccuracyRecord, AgreementRecord)


def _newest(records: Sequence[_R]) -> list[_R]:
    """The newest record of each configuration (records come oldest first)."""
    newest: dict[str, _R] = {}
    for record in records:
        newest[record.key] = record
    return list(newest.values())


def _name(record: LatencyRecord | AccuracyRecord) -> str:
    return f"{record.backend} {record.precision}"


def _fastest(best: LatencyRecord | None) -> str:
    if best is None or best.stats is None:
        return "no latency measured"
    note = " (CONTENDED: nothing was measured quietly)" if best.contended else ""
    return (
        f"{_name(best)}, p90 {best.stats.p90_ms:.2f} ms, median {best.stats.median_ms:.2f} ms "
        f"(batch {best.batch}, {best.threads} threads){note}"
    )


def _throughput(best: LatencyRecord | None) -> str:
    if best is None:
        return "not measured"
    how = f"batch {best.serving.get('batch')}, {best.serving.get('streams')} session(s)"
    note = " (CONTENDED)" if best.contended else ""
    return f"{_name(best)}, {best.throughput_ips:.1f} images/s counted ({how}){note}"


def _verdicts(judged: Sequence[AccuracyRecord]) -> str:
    """Each INT8 configuration's verdict against torch fp32 (and any other configuration over budget)."""
    if not judged:
        return "no verdict (no INT8 accuracy against torch fp32)"
    return "; ".join(
        f"{_name(r) if r.precision != 'int8' else r.backend} {r.cost.verdict} "
        f"(Δtop-1 {r.cost.delta_top1:+.2f} [{r.cost.delta_top1_low:+.2f}, {r.cost.delta_top1_high:+.2f}])"
        for r in judged
        if r.cost is not None
    )
