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

from zoo.results.analysis import SMOKE_DATASET, latest_measurements
from zoo.results.paired import OVER_BUDGET
from zoo.results.records import AccuracyRecord, AgreementRecord, LatencyRecord, Status
from zoo.results.store import ResultsStore
from zoo.spec import REFERENCE

__all__ = ["KINDS", "BenchSummary", "summarize"]

KINDS = ("bench", "eval", "check-backends")  # the runs `make bench` starts, in its order
MAX_FAILURES = 6  # listed one a line; the rest are counted, so the summary stays one screen


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

    def model_lines(self, model: str) -> list[str]:
        """The model's line and, indented, its latency, throughput, accuracy and INT8 verdicts."""
        timed = [r for r in self.latency if r.model == model and r.status == Status.OK]
        scored = [r for r in self.accuracy if r.model == model]
        lines = [
            model,
            f"  fastest:    {_fastest([r for r in timed if r.scenario == 'latency'])}",
            f"  throughput: {_throughput([r for r in timed if r.scenario == 'throughput'])}",
            f"  top-1:      {_top1(scored)}",
        ]
        if not any(r.status == Status.UNAVAILABLE for r in scored):  # random weights: no verdict either
            lines.append(f"  INT8:       {_int8(scored)}")
        return lines

    def lines(self) -> list[str]:
        """The summary, one screen: 4 or 5 lines a model and at most a dozen more."""
        if not self.runs:
            return ["no bench, eval or check-backends run in the results store yet"]
        runs = ", ".join(f"{kind} {run}" for kind, run in self.runs.items())
        out = [f"summary of runs {runs}"]
        for model in self.models:
            out += self.model_lines(model)
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
            "models": {model: self.model_lines(model)[1:] for model in self.models},
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


def _fastest(timed: list[LatencyRecord]) -> str:
    """The quiet configuration with the smallest p90 one request at a time (a contended one, said so,
    when nothing was quiet)."""
    quiet = [r for r in timed if not r.contended and r.stats] or [r for r in timed if r.stats]
    if not quiet:
        return "no latency measured"
    best = min(quiet, key=lambda r: (r.batch, r.stats.p90_ms if r.stats else 0.0, r.backend, r.precision))
    assert best.stats is not None
    note = " (CONTENDED: nothing was measured quietly)" if best.contended else ""
    return (
        f"{_name(best)}, p90 {best.stats.p90_ms:.2f} ms, median {best.stats.median_ms:.2f} ms "
        f"(batch {best.batch}, {best.threads} threads){note}"
    )


def _throughput(served: list[LatencyRecord]) -> str:
    counted = [r for r in served if r.throughput_ips]
    if not counted:
        return "not measured"
    best = max(counted, key=lambda r: (r.throughput_ips or 0.0, r.backend, r.precision))
    how = f"batch {best.serving.get('batch')}, {best.serving.get('streams')} session(s)"
    note = " (CONTENDED)" if best.contended else ""
    return f"{_name(best)}, {best.throughput_ips:.1f} images/s counted ({how}){note}"


def _top1(scored: list[AccuracyRecord]) -> str:
    """The reference's top-1 on the named dataset, with its N and interval; or why there is none."""
    if any(r.status == Status.UNAVAILABLE for r in scored):
        return "no accuracy, and so no INT8 verdict: random weights"
    reference = next((r for r in scored if REFERENCE.is_(r.backend, r.precision) and r.top1), None)
    ok = [r for r in scored if r.status == Status.OK and r.top1]
    shown = reference or (ok[0] if ok else None)
    if shown is None or shown.top1 is None:
        return "not measured" if not scored else "no accuracy (every configuration failed)"
    top1 = shown.top1
    if shown.dataset == SMOKE_DATASET:
        right = f"{top1.hits}/{top1.total} bundled photos right"
        return f"smoke check only: {right} ({_name(shown)}; not an accuracy)"
    others = [r.top1.percent for r in ok if r.top1]
    spread = f"; all configurations {min(others):.2f}-{max(others):.2f}%" if len(others) > 1 else ""
    return (
        f"{top1.percent:.2f}% [{top1.low:.1f}, {top1.high:.1f}] {_name(shown)} on {shown.dataset} "
        f"({shown.images} images){spread}"
    )


def _int8(scored: list[AccuracyRecord]) -> str:
    """Each INT8 configuration's verdict against torch fp32 (and any other configuration over budget)."""
    judged = [
        r for r in scored if r.cost is not None and (r.precision == "int8" or r.cost.verdict == OVER_BUDGET)
    ]
    if not judged:
        return "no verdict (no INT8 accuracy against torch fp32)"
    return "; ".join(
        f"{_name(r) if r.precision != 'int8' else r.backend} {r.cost.verdict} "
        f"(Δtop-1 {r.cost.delta_top1:+.2f} [{r.cost.delta_top1_low:+.2f}, {r.cost.delta_top1_high:+.2f}])"
        for r in sorted(judged, key=lambda r: (r.backend, r.precision))
        if r.cost is not None
    )
