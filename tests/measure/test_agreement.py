"""Backend agreement: logits against PyTorch fp32, failures recorded per backend, the CSV export."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy
import pandas as pd
import pytest

from zoo.backends import Backend, LoadReport
from zoo.backends._registry import _BACKENDS
from zoo.cli import main
from zoo.measure.agreement import CSV_COLUMNS, compare_backends, logit_differences, verdict
from zoo.weights import find_weights

REPO = Path(__file__).resolve().parents[2]
LITE0 = "tf_efficientnet_lite0"
BATCH = 4  # the photos in one batch, as tests/backends exports lite0: one ONNX export serves both
README_COLUMNS = "model, backend, precision, weights, reference, images, top1_agreement, max_abs_diff, mean_abs_diff, status, reason"


@pytest.fixture(autouse=True)
def shared_cache(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The session's artefact cache (the one tests/backends uses), so lite0 is exported once."""
    root = tmp_path_factory.getbasetemp() / "zoo-cache"
    monkeypatch.setenv("ZOO_CACHE", str(root))
    return root


class BrokenBackend(Backend):
    """A backend whose conversion fails, as a model an exporter cannot handle does."""

    NAME = "broken"

    def load(self) -> LoadReport:
        raise RuntimeError("unsupported operator SomeOp")

    def run(self, inputs: numpy.ndarray) -> numpy.ndarray:
        raise AssertionError("never loaded")

    def settings(self) -> dict[str, Any]:
        return {}


class NoisyBackend(Backend):
    """A backend that runs but computes something else: PyTorch's logits plus 1e-3."""

    NAME = "noisy"

    def load(self) -> LoadReport:
        from zoo.backends import create_backend

        self._torch = create_backend("torch", self.config)
        return self._torch.load()

    def run(self, inputs: numpy.ndarray) -> numpy.ndarray:
        return self._torch.run(inputs) + numpy.float32(1e-3)

    def settings(self) -> dict[str, Any]:
        return {}


@pytest.fixture
def fake_backends(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setitem(_BACKENDS, "broken", BrokenBackend)
    monkeypatch.setitem(_BACKENDS, "noisy", NoisyBackend)
    yield


def test_logit_differences() -> None:
    reference = numpy.array([[0.0, 2.0, 1.0], [3.0, 0.0, 0.0]], dtype=numpy.float32)
    other = numpy.array([[0.0, 2.0, 1.5], [0.0, 4.0, 0.0]], dtype=numpy.float32)
    top1, max_abs, mean_abs = logit_differences(reference, other)
    assert (top1, max_abs) == (0.5, 4.0)
    assert mean_abs == pytest.approx((0.5 + 3.0 + 4.0) / 6)


@pytest.mark.parametrize(
    ("precision", "top1", "max_abs", "status"),
    [
        ("fp32", 1.0, 1e-5, "ok"),
        ("fp32", 1.0, 2e-4, "disagrees"),  # same classes, but not the same function
        ("bf16", 1.0, 0.3, "ok"),  # bf16 is judged by its top-1, and says it is bf16
        ("bf16", 0.75, 0.3, "disagrees"),
    ],
)
def test_verdict(precision: str, top1: float, max_abs: float, status: str) -> None:
    got, reason = verdict(precision, top1, max_abs, tolerance=1e-4)
    assert got == status
    if precision == "bf16":
        assert "bf16" in reason  # a bf16 row never reads as an fp32 one
    elif status == "ok":
        assert reason == ""


def test_every_backend_is_compared_and_failures_are_rows(fake_backends: None) -> None:
    rows = compare_backends(LITE0, ["broken", "onnxruntime", "noisy"], threads=2, batch=BATCH)
    by_backend = {row.backend: row for row in rows}
    assert [row.backend for row in rows] == ["broken", "onnxruntime", "noisy"]

    broken = by_backend["broken"]
    assert broken.status == "failed" and "unsupported operator SomeOp" in broken.reason
    assert broken.max_abs_diff is None and broken.weights == "packaged"

    ok = by_backend["onnxruntime"]
    assert (ok.status, ok.weights, ok.reference, ok.top1_agreement) == ("ok", "packaged", "torch fp32", 1.0)
    assert ok.max_abs_diff < 1e-4 and ok.images >= 4

    noisy = by_backend["noisy"]
    assert noisy.status == "disagrees" and noisy.max_abs_diff == pytest.approx(1e-3, rel=1e-2)


def test_backends_run_in_batches_of_the_size_asked_for(fake_backends: None) -> None:
    (row,) = compare_backends(LITE0, ["noisy"], batch=3, threads=2)
    assert row.images % 3 == 0 and row.images >= 4  # the photos cycled to fill the last batch
    assert row.status == "disagrees" and row.top1_agreement == 1.0


def test_check_backends_exports_the_readme_columns(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    csv = tmp_path / "agreement.csv"
    arguments = [
        "check-backends",
        LITE0,
        "--backend",
        "onnxruntime",
        "--index",
        str(REPO / "model-index.yml"),
    ]
    assert main([*arguments, "--threads", "2", "--json", "--export", str(csv)]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed["exported"] == str(csv) and printed["results"][0]["status"] == "ok"

    table = pd.read_csv(csv)
    assert list(table.columns) == list(CSV_COLUMNS) == README_COLUMNS.split(", ")
    assert table.loc[0, "weights"] == find_weights(LITE0).kind == "packaged"

    # bf16 on a backend without it: a failed row, but only fp32 failures fail the command.
    assert main([*arguments, "--precision", "bf16", "--export", str(csv)]) == 0
    assert "cannot run precision bf16" in capsys.readouterr().out
    table = pd.read_csv(csv)
    assert sorted(zip(table.precision, table.status, strict=True)) == [("bf16", "failed"), ("fp32", "ok")]
    assert "agreement.csv" in (REPO / "benchmarks" / "results" / "README.md").read_text()


def test_check_backends_exits_1_when_fp32_disagrees(
    fake_backends: None, capsys: pytest.CaptureFixture[str]
) -> None:
    index = str(REPO / "model-index.yml")
    assert main(["check-backends", LITE0, "--backend", "broken", "--index", index]) == 1
    assert "unsupported operator SomeOp" in capsys.readouterr().out
