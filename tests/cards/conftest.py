"""A small, real-looking results export (the columns of benchmarks/results/README.md) for card tests.

The rows are written here, so each test knows exactly which text the card must show.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from zoo.cli import main

REPO = Path(__file__).resolve().parents[2]
ENVIRONMENT_ID = "3f2a9c1b7d4e"

LATENCY_COLUMNS = [
    "model",
    "backend",
    "precision",
    "batch",
    "threads",
    "status",
    "reason",
    "weights",
    "median_ms",
    "p90_ms",
    "p99_ms",
    "mean_ms",
    "std_ms",
    "min_ms",
    "ci_low_ms",
    "ci_high_ms",
    "iterations",
    "total_s",
    "converged",
    "throughput_ips",
    "load_s",
    "cache_hit",
    "first_inference_ms",
    "peak_rss_mb",
    "environment",
    "measured_at",
]


def latency_row(
    model: str, backend: str, precision: str, weights: str, median: float, **extra: object
) -> dict[str, object]:
    row = dict.fromkeys(LATENCY_COLUMNS)
    row.update(
        model=model,
        backend=backend,
        precision=precision,
        batch=1,
        threads=2,
        status="ok",
        weights=weights,
        median_ms=median,
        p90_ms=round(median * 1.04, 4),
        p99_ms=round(median * 1.1, 4),
        mean_ms=median,
        std_ms=0.2,
        min_ms=round(median * 0.97, 4),
        ci_low_ms=round(median * 0.99, 4),
        ci_high_ms=round(median * 1.01, 4),
        iterations=200,
        total_s=round(median * 0.2, 4),
        converged=True,
        throughput_ips=round(1000 / median, 4),
        load_s=1.25,
        cache_hit=False,
        first_inference_ms=round(median * 3, 4),
        peak_rss_mb=412.5,
        environment=ENVIRONMENT_ID,
        measured_at="2025-11-25T21:00:00+00:00",
    )
    row.update(extra)
    return row


LATENCY = [
    latency_row("tf_efficientnet_lite0", "torch", "fp32", "packaged", 11.5213),
    latency_row("tf_efficientnet_lite0", "onnxruntime", "fp32", "packaged", 6.4121),
    latency_row("tf_efficientnet_lite0", "openvino", "fp32", "packaged", 4.8702),
    latency_row(
        "tf_efficientnet_lite0",
        "openvino",
        "bf16",
        "packaged",
        float("nan"),
        status="failed",
        reason="CPU has no bf16 support",
        p90_ms=None,
        throughput_ips=None,
        first_inference_ms=None,
    ),
    latency_row("tf_efficientnet_lite3", "torch", "fp32", "random", 38.2301),
    latency_row("tf_efficientnet_lite3", "onnxruntime", "fp32", "random", 22.9012),
    latency_row("tf_efficientnet_lite3", "openvino", "fp32", "random", 17.1033),
]

ACCURACY = [
    {
        "model": "tf_efficientnet_lite0",
        "backend": "torch",
        "precision": "fp32",
        "dataset": "imagenet-val-500",
        "images": 500,
        "weights": "packaged",
        "top1": 74.2,
        "top1_ci_low": 70.2,
        "top1_ci_high": 77.8,
        "top5": 92.4,
        "top5_ci_low": 89.7,
        "top5_ci_high": 94.5,
        "declared_top1": 74.83,
        "declared_top5": 92.17,
        "images_per_s": 61.3,
        "environment": ENVIRONMENT_ID,
        "measured_at": "2025-11-25T21:05:00+00:00",
    },
    {  # a random-weights row must never show a number, even if one slipped into the export
        "model": "tf_efficientnet_lite3",
        "backend": "torch",
        "precision": "fp32",
        "dataset": "imagenet-val-500",
        "images": 500,
        "weights": "random",
        "top1": 0.137,
        "top1_ci_low": None,
        "top1_ci_high": None,
        "top5": 0.611,
        "top5_ci_low": None,
        "top5_ci_high": None,
        "declared_top1": 79.83,
        "declared_top5": 94.91,
        "images_per_s": 20.1,
        "environment": ENVIRONMENT_ID,
        "measured_at": "2025-11-25T21:06:00+00:00",
    },
]

AGREEMENT = [
    {
        "model": "tf_efficientnet_lite0",
        "backend": "onnxruntime",
        "precision": "fp32",
        "weights": "packaged",
        "reference": "torch fp32",
        "images": 16,
        "top1_agreement": 1.0,
        "max_abs_diff": 2.13e-05,
        "mean_abs_diff": 3.4e-06,
        "status": "ok",
        "reason": None,
    },
    {
        "model": "tf_efficientnet_lite0",
        "backend": "openvino",
        "precision": "fp32",
        "weights": "packaged",
        "reference": "torch fp32",
        "images": 16,
        "top1_agreement": 0.9375,
        "max_abs_diff": 0.0417,
        "mean_abs_diff": 0.0051,
        "status": "disagrees",
        "reason": "max |diff| 0.042 > fp32 tolerance 0.0001",
    },
]

VALIDATION = [
    ("parameters", "4650000", "4652008", "", "mismatch", "off by 0.04%"),
    ("flops", "488052032", "385399064", "MACs from torch.utils.flop_counter (FLOPs / 2)", "mismatch", ""),
    ("file_size", "18820223", "18820223", "", "ok", ""),
    ("image_size", "224", "224", "", "ok", ""),
    ("crop_pct", "0.875", "0.875", "", "ok", ""),
    ("interpolation", "bicubic", "bicubic", "", "ok", ""),
    ("mean", "", "0.5, 0.5, 0.5", "timm pretrained_cfg", "unknown", "not declared"),
    ("num_classes", "", "1000", "", "unknown", "not declared"),
]

ENVIRONMENTS = {
    ENVIRONMENT_ID: {
        "cpu_model": "AMD EPYC 7B13",
        "logical_cores": 2,
        "isa": ["avx2", "fma"],
        "libraries": {"onnxruntime": "1.32.0", "openvino": "2026.4.0", "torch": "2.14.1"},
        "threads": 2,
        "id": ENVIRONMENT_ID,
    }
}


def docs(templates: Path, results: Path, out: Path, *extra: str) -> list[str]:
    """The `zoo docs` arguments for rendering `templates` with `results` into `out`."""
    return ["docs", "--index", str(REPO / "model-index.yml"), "--templates", str(templates),
            "--results", str(results), "--out", str(out), *extra]  # fmt: skip


def write_results(folder: Path) -> Path:
    """Write all five files of a results export into `folder`."""
    folder.mkdir(parents=True, exist_ok=True)
    pd.DataFrame(LATENCY, columns=LATENCY_COLUMNS).to_csv(folder / "latency.csv", index=False)
    pd.DataFrame(ACCURACY).to_csv(folder / "accuracy.csv", index=False)
    pd.DataFrame(AGREEMENT).to_csv(folder / "agreement.csv", index=False)
    validation = pd.DataFrame(
        VALIDATION, columns=["field", "declared", "measured", "convention", "verdict", "detail"]
    )
    validation.insert(0, "model", "tf_efficientnet_lite0")
    validation.to_csv(folder / "validation.csv", index=False)
    (folder / "environments.json").write_text(json.dumps(ENVIRONMENTS, indent=2) + "\n")
    return folder


def write_template(
    root: Path,
    body: str,
    name: str = "family",
    model: str = "tf_efficientnet_lite0",
    interpolation: str = "bicubic",
    collection: str = "Family",
) -> Path:
    """A collection template: `body`, then a model-index block declaring `model`."""
    (root / "models").mkdir(parents=True, exist_ok=True)
    block = (
        f"<!--\nType: model-index\nCollections:\n- Name: {json.dumps(collection)}\nModels:\n"
        f"- Name: {json.dumps(model)}\n  In Collection: {json.dumps(collection)}\n  Metadata:\n    Parameters: 4650000\n"
        f"    FLOPs: 488052032\n    Image Size: '224'\n    Interpolation: {json.dumps(interpolation)}\n-->\n"
    )
    path = root / "models" / f"{name}.md"
    path.write_text(body + "\n" + block)
    return path


def render(templates: Path, results: Path, out: Path, *extra: str) -> int:
    """`zoo docs` on `templates` and `results` into `out`: its exit status."""
    return main(docs(templates, results, out, *extra))


@pytest.fixture
def results_dir(tmp_path: Path) -> Path:
    return write_results(tmp_path / "results")


@pytest.fixture
def environment_id() -> str:
    """The environment every row of `results_dir` was measured on."""
    return ENVIRONMENT_ID


@pytest.fixture
def repo() -> Path:
    return REPO


@pytest.fixture
def project_templates() -> Path:
    return REPO / "docs" / "templates"
