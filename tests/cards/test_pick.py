"""`zoo pick` on results exports written here in the committed format, and on a real results store."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pandas as pd
import pytest

from zoo.cli import main
from zoo.results import (
    AccuracyRecord,
    LatencyRecord,
    Proportion,
    Stats,
    open_store,
)
from zoo.results.records import Status

from .conftest import ENVIRONMENT_ID, ENVIRONMENTS, LATENCY_COLUMNS, REPO, latency_row
from .test_frontier import LITE0, LITE1, LITE2, accuracy_row, p90

LATENCY = [
    p90(LITE0, "onnxruntime", "fp32", 5.30),
    p90(LITE0, "openvino", "fp32", 5.49),
    p90(LITE0, "torch", "fp32", 19.24),
    p90(LITE1, "onnxruntime", "fp32", 7.99),
    p90(LITE1, "openvino", "fp32", 7.87),
    p90(LITE2, "openvino", "fp32", 11.34),
    p90(LITE2, "onnxruntime", "int8", 6.10),  # fast, but no accuracy of its own: no point
    latency_row("tf_efficientnet_lite3", "openvino", "fp32", "random", 18.0),
]
ACCURACY = [
    accuracy_row(LITE0, "onnxruntime", "fp32", 87.0),
    accuracy_row(LITE0, "openvino", "fp32", 86.2),
    accuracy_row(LITE0, "torch", "fp32", 86.2),
    accuracy_row(LITE1, "onnxruntime", "fp32", 88.4),
    accuracy_row(LITE1, "openvino", "fp32", 88.0),
    accuracy_row(LITE2, "openvino", "fp32", 89.6),
    accuracy_row(LITE2, "torch", "fp32", 89.6),  # accuracy, but no latency: no point either
]


@pytest.fixture
def results(tmp_path: Path) -> Path:
    folder = tmp_path / "results"
    folder.mkdir()
    pd.DataFrame(LATENCY, columns=LATENCY_COLUMNS).to_csv(folder / "latency.csv", index=False)
    pd.DataFrame(ACCURACY).to_csv(folder / "accuracy.csv", index=False)
    (folder / "environments.json").write_text(json.dumps(ENVIRONMENTS))
    return folder


def pick(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    status = main(["pick", "--index", str(REPO / "model-index.yml"), *args])
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def test_the_most_accurate_configuration_within_the_budget_and_why_the_others_lose(
    results: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    status, out, _ = pick(capsys, "--max-p90-ms", "10", "--results", str(results))
    assert status == 0
    lines = out.splitlines()
    assert lines[0] == f"environment {ENVIRONMENT_ID}, 2 threads, top-1 on imagenet-sample-500"
    assert lines[1] == f"  pick: {LITE1} onnxruntime fp32: p90 7.99 ms, top-1 88.40%"
    assert lines[2:] == [
        f"  - {LITE0} onnxruntime fp32: less accurate: top-1 87.00% < 88.40% of {LITE1} onnxruntime fp32",
        f"  - {LITE0} openvino fp32: dominated by {LITE0} onnxruntime fp32 (p90 5.30 ms, top-1 87.00%)",
        f"  - {LITE1} openvino fp32: less accurate: top-1 88.00% < 88.40% of {LITE1} onnxruntime fp32",
        f"  - {LITE2} openvino fp32: slower than the budget: p90 11.34 ms > 10 ms",
        f"  - {LITE0} torch fp32: slower than the budget: p90 19.24 ms > 10 ms",
        f"not compared: no accuracy measured on its own backend and precision: {LITE2} (onnxruntime int8)",
        "not compared: random weights, so no accuracy: tf_efficientnet_lite3 (openvino fp32)",
    ]
    again = pick(capsys, "--max-p90-ms", "10", "--results", str(results))
    assert again == (status, out, "")  # deterministic


def test_filters_and_least_accuracy(results: Path, capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = pick(capsys, "--max-p90-ms", "30", "--backend", "openvino", "--results", str(results))
    assert status == 0
    assert f"  pick: {LITE2} openvino fp32: p90 11.34 ms, top-1 89.60%" in out
    assert f"  - {LITE1} onnxruntime fp32: backend onnxruntime, not openvino" in out
    status, out, err = pick(capsys, "--max-p90-ms", "30", "--backend", "tensorrt", "--results", str(results))
    assert (status, err) == (
        2,
        "zoo: error: --backend tensorrt: no stored result names it (stored: onnxruntime, openvino, torch)\n",
    )
    status, out, _ = pick(capsys, "--max-p90-ms", "6", "--min-top1", "86.5", "--results", str(results))
    assert f"  pick: {LITE0} onnxruntime fp32: p90 5.30 ms, top-1 87.00%" in out
    assert f"  - {LITE0} openvino fp32: below --min-top1: top-1 86.20% < 86.5%" in out


def test_json_for_machines(results: Path, capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = pick(capsys, "--max-p90-ms", "7.9", "--json", "--results", str(results))
    assert status == 0
    data = json.loads(out)
    assert data["request"] == {"max_p90_ms": 7.9, "min_top1": None, "backend": None, "precision": None}
    (answer,) = data["picks"]
    assert answer["chosen"] == {
        "model": LITE1,
        "backend": "openvino",
        "precision": "fp32",
        "p90_ms": 7.87,
        "top1": 88.0,
        "over_budget": False,
        "accuracy": {  # the whole row, so what the export adds later (digest, delta, verdict) comes along
            "dataset": "imagenet-sample-500",
            "images": 500,
            "weights": "packaged",
            "top1": 88.0,
            "top1_ci_low": 85.0,
            "top1_ci_high": 91.0,
            "top5": 95.0,
            "environment": ENVIRONMENT_ID,
        },
        "environment": ENVIRONMENT_ID,
        "threads": 2,
    }
    reasons = {(r["model"], r["backend"]): r["reason"] for r in answer["runners_up"]}
    assert reasons[(LITE1, "onnxruntime")] == "slower than the budget: p90 7.99 ms > 7.9 ms"
    assert [item["reason"] for item in data["left_out"]] == [
        "no accuracy measured on its own backend and precision",
        "random weights, so no accuracy",
    ]


def test_a_candidate_over_the_accuracy_budget_is_said_so(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """An INT8 configuration that lost more than the budget allows is named so wherever it is listed."""
    folder = tmp_path / "results"
    folder.mkdir()
    latency = [*LATENCY, p90(LITE0, "openvino", "int8", 3.1)]
    cost = {"delta_top1": -2.2, "delta_top1_ci_low": -3.8, "delta_top1_ci_high": -0.6, "budget": 0.99}
    accuracy = [*ACCURACY, accuracy_row(LITE0, "openvino", "int8", 84.8, verdict="OVER BUDGET", **cost)]
    pd.DataFrame(latency, columns=LATENCY_COLUMNS).to_csv(folder / "latency.csv", index=False)
    pd.DataFrame(accuracy).to_csv(folder / "accuracy.csv", index=False)
    (folder / "environments.json").write_text(json.dumps(ENVIRONMENTS))
    note = "OVER BUDGET: Δtop-1 -2.20 points vs torch fp32 [-3.80, -0.60] (budget: keep 99% of its top-1)"
    status, out, _ = pick(capsys, "--max-p90-ms", "4", "--results", str(folder))
    assert status == 0
    assert f"  pick: {LITE0} openvino int8: p90 3.10 ms, top-1 84.80%; {note}" in out.splitlines()
    status, out, _ = pick(capsys, "--max-p90-ms", "10", "--results", str(folder))
    assert (
        f"  - {LITE0} openvino int8: less accurate: top-1 84.80% < 88.40% of {LITE1} onnxruntime fp32; {note}"
        in out
    )
    assert out.count("OVER BUDGET") == 1  # the within-budget and unjudged points say nothing
    status, out, _ = pick(capsys, "--max-p90-ms", "4", "--json", "--results", str(folder))
    (answer,) = json.loads(out)["picks"]
    assert answer["chosen"]["over_budget"] is True
    assert all(runner["over_budget"] is False for runner in answer["runners_up"])


def test_nothing_fits_is_exit_1_with_one_line(results: Path, capsys: pytest.CaptureFixture[str]) -> None:
    status, out, err = pick(capsys, "--max-p90-ms", "5", "--results", str(results))
    assert (status, out) == (1, "")
    assert err == (
        "zoo: error: nothing fits a p90 of 5 ms; the fastest configuration measured is "
        f"{LITE0} onnxruntime fp32 at p90 5.30 ms, top-1 87.00%\n"
    )
    status, out, _ = pick(capsys, "--max-p90-ms", "5", "--json", "--results", str(results))
    assert status == 1 and json.loads(out)["found"] is False


def test_no_accuracy_at_all_is_exit_1_naming_why(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    committed = shutil.copytree(REPO / "benchmarks" / "results", tmp_path / "results")
    (committed / "accuracy.csv").unlink(missing_ok=True)  # the committed timings, with no accuracy at all
    status, _, err = pick(capsys, "--max-p90-ms", "100", "--results", str(committed))
    assert status == 1
    assert err.startswith("zoo: error: no configuration has both a p90 latency and a top-1 of its own (")
    assert len(err.splitlines()) == 1


@pytest.mark.parametrize(
    "args", [["--max-p90-ms", "0"], ["--max-p90-ms", "nan"], ["--max-p90-ms", "5", "--min-top1", "120"]]
)
def test_a_budget_that_means_nothing_is_exit_2(
    args: list[str], results: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    status, out, err = pick(capsys, *args, "--results", str(results))
    assert (status, out) == (2, "")
    assert err.startswith("zoo: error: --m") and len(err.splitlines()) == 1


@pytest.mark.parametrize("args", [["--max-p90-ms", "abc"], [], ["--max-p90-ms", "5", "--precision", "fp64"]])
def test_bad_arguments_are_exit_2(args: list[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["pick", *args])
    assert exited.value.code == 2


def test_a_results_store_gives_the_same_answer(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`--db`: the newest records of a SQLite store, exported the way the committed results are."""
    environment = {**ENVIRONMENTS[ENVIRONMENT_ID], "date": "2025-11-25T21:00:00+00:00"}
    with open_store(tmp_path / "results.db") as store:
        run = store.start_run("zoo bench", "local", None)
        for model, backend, p90_ms, top1 in (
            (LITE0, "onnxruntime", 5.3, 87.0),
            (LITE1, "openvino", 7.87, 88.0),
        ):
            stats = Stats(200, 1.0, 4.0, 5.0, 0.2, 5.0, p90_ms, p90_ms + 1, 4.9, 5.1)
            store.add(
                run,
                LatencyRecord(model, backend, "fp32", 1, 2, Status.OK, weights="packaged", stats=stats,
                              environment=environment),
            )  # fmt: skip
            hits = round(top1 * 5)
            store.add(
                run,
                AccuracyRecord(model, backend, "fp32", "imagenet-sample-500", "packaged", Status.OK,
                               images=500, top1=Proportion(hits, 500, top1, top1 - 3, top1 + 3),
                               environment=environment),
            )  # fmt: skip
    status, out, _ = pick(capsys, "--max-p90-ms", "10", "--db", str(tmp_path / "results.db"))
    assert status == 0
    assert f"  pick: {LITE1} openvino fp32: p90 7.87 ms, top-1 88.00%" in out
    assert pick(capsys, "--max-p90-ms", "10", "--db", str(tmp_path / "none.db"))[0] == 2
