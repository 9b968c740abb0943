"""`zoo docs` must stay fast enough for CI to run `--check` on every push (all cards in under 2 s).

Three figures: the whole `zoo docs --check` command in a new process (imports included) on the
committed tree; rendering the project's cards with a latency chart in-process; and the corpus's 65
templates.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from pytest_benchmark.fixture import BenchmarkFixture

from zoo.cards import render_cards
from zoo.index import load_index

REPO = Path(__file__).resolve().parents[1]
CORPUS_TEMPLATES = REPO.parent / "shared" / "corpus" / "timm-docs" / "docs" / "models" / ".templates"


def test_zoo_docs_check_command(benchmark: BenchmarkFixture) -> None:
    def check() -> int:
        command = [sys.executable, "-m", "zoo", "docs", "--check"]
        return subprocess.run(command, cwd=REPO, capture_output=True, check=False).returncode

    assert benchmark.pedantic(check, rounds=5, warmup_rounds=1) == 0


@pytest.fixture
def latency_results(tmp_path: Path) -> Path:
    """Latency rows for every project model on three backends, so the chart is drawn."""
    rows = [
        {
            "model": model,
            "backend": backend,
            "precision": "fp32",
            "batch": 1,
            "threads": 2,
            "status": "ok",
            "reason": None,
            "weights": "packaged",
            "median_ms": median * scale,
            "p90_ms": median * scale * 1.05,
            "throughput_ips": 1000 / (median * scale),
            "load_s": 1.0,
            "first_inference_ms": median * scale * 3,
            "environment": "bench",
        }
        for scale, model in enumerate(load_index(REPO / "model-index.yml").models, start=1)
        for backend, median in (("torch", 11.0), ("onnxruntime", 6.0), ("openvino", 5.0))
    ]
    pd.DataFrame(rows).to_csv(tmp_path / "latency.csv", index=False)
    return tmp_path


def test_render_project_cards_with_chart(benchmark: BenchmarkFixture, latency_results: Path) -> None:
    index = load_index(REPO / "model-index.yml")
    templates = REPO / "docs" / "templates"
    files = benchmark(render_cards, templates, latency_results, latency_results / "out", index)
    assert any(f.path.suffix == ".svg" for f in files)


@pytest.mark.skipif(not CORPUS_TEMPLATES.is_dir(), reason="corpus not beside this checkout")
def test_render_corpus_templates(benchmark: BenchmarkFixture, tmp_path: Path) -> None:
    files = benchmark(render_cards, CORPUS_TEMPLATES, tmp_path / "no-results", tmp_path / "out")
    assert len(files) == 65
