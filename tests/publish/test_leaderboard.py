"""The leaderboard rows: every model, every configuration, speed-ups within one scenario and machine."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest

from zoo.cards import load_results
from zoo.cards._context import NOT_MEASURED, RANDOM_WEIGHTS, model_facts
from zoo.index import Index, load_index
from zoo.publish import LeaderboardRow, leaderboard
from zoo.results.records import RateTrial, ServerRecord, Status


def _rows(index: Index, results: Path) -> list[LeaderboardRow]:
    loaded = load_results(results)
    return leaderboard(model_facts(model, loaded) for model in index.models.values())


def test_one_row_per_measured_configuration(index: Index, results_dir: Path) -> None:
    rows = _rows(index, results_dir)
    latency = pd.read_csv(results_dir / "latency.csv")
    assert len(rows) == len(latency)
    assert [r.model for r in rows] == [m for m in index.models for _ in range((latency.model == m).sum())]
    for record in latency.itertuples():
        (row,) = [
            r
            for r in rows
            if (r.model, r.backend, r.precision) == (record.model, record.backend, record.precision)
        ]
        torch = latency[(latency.model == record.model) & (latency.backend == "torch")].median_ms.item()
        assert row.scenario == "latency"  # the export has no scenario column yet
        assert (row.median_ms, row.p90_ms, row.throughput_ips) == (
            record.median_ms,
            record.p90_ms,
            record.throughput_ips,
        )
        assert row.speedup == pytest.approx(torch / record.median_ms)
        assert row.real_weights == ("no (random)" if record.weights == "random" else "yes")


@pytest.mark.parametrize(
    ("model", "backend", "accuracy", "top1"),
    [
        ("tf_efficientnet_lite0", "onnxruntime", "74.10 (smoke-photos, 4 images)", 74.1),
        ("tf_efficientnet_lite0", "torch", "not measured yet on torch fp32", None),
        (
            "tf_efficientnet_lite3",
            "torch",
            RANDOM_WEIGHTS,
            None,
        ),  # a number from random weights is no accuracy
        ("tf_efficientnet_lite3", "openvino", RANDOM_WEIGHTS, None),
        ("tf_efficientnet_lite1", "openvino", NOT_MEASURED, None),
    ],
)
def test_accuracy_or_why_not(
    index: Index, results_dir: Path, model: str, backend: str, accuracy: str, top1: float | None
) -> None:
    (row,) = [r for r in _rows(index, results_dir) if (r.model, r.backend) == (model, backend)]
    assert (row.accuracy, row.top1) == (accuracy, top1)


def test_verdicts_are_counted(index: Index, results_dir: Path) -> None:
    validation = pd.read_csv(results_dir / "validation.csv")
    counts = validation[validation.model == "tf_efficientnet_lite0"].verdict.value_counts()
    expected = ", ".join(f"{n} {v}" for v, n in sorted(counts.items()))
    assert {r.verdicts for r in _rows(index, results_dir) if r.model == "tf_efficientnet_lite0"} == {expected}


def test_scenarios_and_failures(index: Index, results_dir: Path, tmp_path: Path) -> None:
    """A scenario column splits the speed-ups; a failed run keeps its row and its reason."""
    results = tmp_path / "results"
    shutil.copytree(results_dir, results)
    latency = pd.read_csv(results / "latency.csv", dtype={"reason": object})
    latency["scenario"] = "latency"
    throughput = latency[latency.model == "tf_efficientnet_lite0"].assign(scenario="throughput", batch=8)
    throughput.loc[throughput.backend == "torch", "median_ms"] = 100.0
    throughput.loc[throughput.backend == "openvino", ["status", "reason", "median_ms"]] = [
        "failed",
        "out of memory",
        None,
    ]
    pd.concat([latency, throughput]).to_csv(results / "latency.csv", index=False)
    rows = [
        r for r in _rows(index, results) if r.model == "tf_efficientnet_lite0" and r.scenario == "throughput"
    ]
    by_backend = {r.backend: r for r in rows}
    onnx = throughput[throughput.backend == "onnxruntime"].median_ms.item()
    assert by_backend["onnxruntime"].speedup == pytest.approx(100.0 / onnx)
    assert by_backend["openvino"].status == "failed: out of memory"
    assert by_backend["openvino"].median_ms is None and by_backend["openvino"].speedup is None


def test_a_model_never_measured_is_listed(tmp_path: Path) -> None:
    card = tmp_path / "models" / "one.md"
    card.parent.mkdir()
    card.write_text(
        "# One\n\n<!--\nModels:\n- Name: resnet_never_run\n  Metadata:\n    Parameters: 1000\n-->\n"
    )
    (row,) = _rows(load_index(card), tmp_path / "no-results")
    assert (row.model, row.status, row.accuracy, row.verdicts) == (
        "resnet_never_run",
        NOT_MEASURED,
        NOT_MEASURED,
        NOT_MEASURED,
    )


def test_a_contended_row_says_so_and_gives_no_speedup(
    index: Index, results_dir: Path, tmp_path: Path
) -> None:
    """A figure taken while the machine was busy is flagged, and never a side of a speed-up."""
    results = tmp_path / "results"
    shutil.copytree(results_dir, results)  # the session's results stay as the other tests expect them
    latency = pd.read_csv(results / "latency.csv")
    latency["contended"] = (latency.backend == "torch") & (latency.model == "tf_efficientnet_lite0")
    latency.to_csv(results / "latency.csv", index=False)
    rows = [r for r in _rows(index, results) if r.model == "tf_efficientnet_lite0"]
    by_backend = {r.backend: r for r in rows}
    assert by_backend["torch"].status.startswith("ok, contended")
    assert by_backend["onnxruntime"].status == "ok" and by_backend["onnxruntime"].speedup is None


def test_the_server_figure_stands_beside_latency_with_its_sla(
    index: Index, results_dir: Path, tmp_path: Path
) -> None:
    results = tmp_path / "results"
    shutil.copytree(results_dir, results)
    (results / "server.csv").unlink(missing_ok=True)
    assert {row.server for row in _rows(index, results)} <= {NOT_MEASURED, ""}  # no server.csv
    over = ("p99 bound 21.00 ms over the SLA 15.00 ms",)
    rows = [server_row("openvino", 180.0), server_row("onnxruntime", 60.0, over)]
    pd.DataFrame(rows, columns=list(ServerRecord.COLUMNS)).to_csv(results / "server.csv", index=False)
    board = {(r.model, r.backend): r for r in _rows(index, results) if r.scenario == "latency"}
    openvino = board[("tf_efficientnet_lite0", "openvino")]
    assert (openvino.server_ips, openvino.server) == (180.0, "SLA 15.00 ms")
    onnxruntime = board[("tf_efficientnet_lite0", "onnxruntime")]
    assert onnxruntime.server_ips is None and onnxruntime.server == f"INVALID (SLA 15.00 ms): {over[0]}"
    assert board[("tf_efficientnet_lite0", "torch")].server == NOT_MEASURED


def server_row(backend: str, offered: float, reasons: tuple[str, ...] = ()) -> dict[str, object]:
    """A `server.csv` row of lite0 fp32, batch 1, 2 threads (the committed latency rows' threads)."""
    trial = RateTrial(offered, offered, 1800, 5.1, 0.004, 0.006, 0.009, 0.010, reasons)
    return ServerRecord(
        "tf_efficientnet_lite0", backend, "fp32", 1, 2, Status.OK, verdict=trial.verdict, reasons=reasons,
        sla_ms=15.0, sla_source="--sla-ms", trial=trial, tried=(trial,),
    ).row()  # fmt: skip
