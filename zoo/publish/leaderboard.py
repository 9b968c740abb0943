"""The leaderboard: one row per model, backend, precision and scenario, from the committed results.

A row is plain data (`LeaderboardRow`); the site renders it as an HTML table. Every model of the
index gets at least one row, so a model that was never measured is listed and says so.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from zoo.cards import MISSING, NOT_MEASURED, RANDOM_WEIGHTS, ModelFacts, Row, is_missing
from zoo.results.records import Status, is_contended, speedup
from zoo.spec import LATENCY, REFERENCE


@dataclass(frozen=True)
class LeaderboardRow:
    """One measured configuration of one model, or the model alone when nothing was measured."""

    model: str
    collection: str
    backend: str
    precision: str
    scenario: str
    batch: int | None
    threads: int | None
    status: str  # "ok", the failure status with its reason, or "not measured yet"
    median_ms: float | None
    p90_ms: float | None
    throughput_ips: float | None
    accuracy: str  # the measured top-1, or why there is none
    top1: float | None
    speedup: float | None  # torch fp32 median / this median, same scenario, batch, threads, environment
    verdicts: str  # validation verdicts counted, e.g. "5 ok, 1 mismatch"
    real_weights: str  # "yes", "no (random)", or a dash when unknown
    environment: str
    server_ips: float | None = None  # latency rows: max images/s at p99 within the SLA (server.csv, VALID)
    server: str = ""  # how the server figure reads: its SLA, or why there is none


def leaderboard(facts: Iterable[ModelFacts]) -> list[LeaderboardRow]:
    """The rows of every model's latency results, in model order, then as the results order them."""
    rows = []
    for model_facts in facts:
        reference = _reference_medians(model_facts.latency)
        verdicts = _verdicts(model_facts.validation)
        collection = model_facts.model.collection or ""
        if not model_facts.latency:
            accuracy, top1 = _accuracy(model_facts, None, None)
            rows.append(
                LeaderboardRow(
                    model=model_facts.model.name,
                    collection=collection,
                    backend="",
                    precision="",
                    scenario="",
                    batch=None,
                    threads=None,
                    status=NOT_MEASURED,
                    median_ms=None,
                    p90_ms=None,
                    throughput_ips=None,
                    accuracy=accuracy,
                    top1=top1,
                    speedup=None,
                    verdicts=verdicts,
                    real_weights=_real(model_facts.weights_used),
                    environment="",
                )
            )
            continue
        for row in model_facts.latency:
            ok = row.get("status") == Status.OK
            median = row.get("median_ms") if ok else None
            base = None if contended(row) else reference.get(_key(row))
            random = row.get("weights") == "random"
            accuracy, top1 = _accuracy(model_facts, row["backend"], row["precision"], random)
            rows.append(
                LeaderboardRow(
                    model=model_facts.model.name,
                    collection=collection,
                    backend=str(row["backend"]),
                    precision=str(row["precision"]),
                    scenario=_scenario(row),
                    batch=_int(row.get("batch")),
                    threads=_int(row.get("threads")),
                    status=("ok, contended: the machine was busy" if contended(row) else "ok")
                    if ok
                    else f"{row.get('status') or 'no status'}: {row.get('reason') or MISSING}",
                    median_ms=median,
                    p90_ms=row.get("p90_ms") if ok else None,
                    throughput_ips=row.get("throughput_ips") if ok else None,
                    accuracy=accuracy,
                    top1=top1,
                    speedup=speedup(base, median),
                    verdicts=verdicts,
                    real_weights=_real((row["weights"],) if row.get("weights") else ()),
                    environment=str(row.get("environment") or ""),
                    **(_server(model_facts.server, row) if _scenario(row) == LATENCY else {}),
                )
            )
    return rows


def _server(server: tuple[Row, ...], row: Row) -> dict[str, Any]:
    """A latency row's server figure: the server result of its backend, precision, batch and threads
    (the last one the export holds), as `server_ips` when VALID, else why there is none."""
    names = ("backend", "precision", "batch", "threads")
    found = [s for s in server if all(s.get(name) == row.get(name) for name in names)]
    if not found:
        return {"server": NOT_MEASURED}
    result = found[-1]
    if result.get("status") != Status.OK:
        return {"server": f"{result.get('status') or 'no status'}: {result.get('reason') or MISSING}"}
    sla = f"SLA {float(result['sla_ms']):.2f} ms" if not is_missing(result.get("sla_ms")) else "SLA unknown"
    if result.get("verdict") != "VALID":
        return {"server": f"INVALID ({sla}): {result.get('reasons') or MISSING}"}
    return {"server_ips": result.get("max_rate_ips"), "server": sla}


def contended(row: Row) -> bool:
    """Measured while other work took the CPU (the `contended` column; absent in older exports)."""
    return is_contended(row.get("contended"))


def _scenario(row: Row) -> str:
    return str(row.get("scenario") or LATENCY)  # a row from before results named a scenario


def _key(row: Row) -> tuple[str, object, object, object]:
    return (_scenario(row), row.get("batch"), row.get("threads"), row.get("environment"))


def _reference_medians(latency: tuple[Row, ...]) -> dict[tuple[str, object, object, object], float]:
    return {
        _key(row): float(row["median_ms"])
        for row in latency
        if REFERENCE.is_(str(row["backend"]), str(row["precision"]))
        and row.get("status") == Status.OK
        and not contended(row)
        and not is_missing(row.get("median_ms"))
    }


def _accuracy(
    facts: ModelFacts, backend: str | None, precision: str | None, random: bool = False
) -> tuple[str, float | None]:
    """The top-1 of this backend and precision (real weights only), else why there is none.

    `random`: this configuration ran with random weights, so no accuracy of it would mean anything.
    """
    matching = [
        row
        for row in facts.accuracy
        if backend is None or (row["backend"], row["precision"]) == (backend, precision)
    ]
    for row in matching:
        if row.get("weights") != "random" and not is_missing(row.get("top1")):
            return f"{row['top1']:.2f} ({row['dataset']}, {row.get('images') or '?'} images)", row["top1"]
    if matching or random:
        return RANDOM_WEIGHTS, None
    if facts.accuracy_note:
        return facts.accuracy_note, None
    return f"{NOT_MEASURED} on {backend} {precision}", None


def _verdicts(validation: tuple[Row, ...]) -> str:
    counts = Counter(str(row.get("verdict") or "no verdict") for row in validation)
    return ", ".join(f"{count} {verdict}" for verdict, count in sorted(counts.items())) or NOT_MEASURED


def _real(weights: tuple[str, ...]) -> str:
    if not weights:
        return MISSING
    return "no (random)" if "random" in weights else "yes"


def _int(value: object) -> int | None:
    return None if is_missing(value) else int(value)  # type: ignore[call-overload]
