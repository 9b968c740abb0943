"""`zoo validate` over the whole timm-docs corpus (272 models) should finish in under 60 s.

Each model is built once on the meta device and counted under three FLOPs conventions from shapes
alone; the figure is the whole command in a new process, imports included, as a user runs it.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from pytest_benchmark.fixture import BenchmarkFixture

REPO = Path(__file__).resolve().parents[1]
CORPUS = REPO.parent / "shared" / "corpus" / "timm-docs" / "model-index.yml"


@pytest.mark.skipif(not CORPUS.is_file(), reason="corpus not beside this checkout")
def test_validate_corpus(benchmark: BenchmarkFixture) -> None:
    def validate() -> subprocess.CompletedProcess[str]:
        command = [sys.executable, "-m", "zoo", "validate", "--index", str(CORPUS), "--json"]
        return subprocess.run(command, cwd=REPO, capture_output=True, text=True, check=False)

    done = benchmark.pedantic(validate, rounds=1, iterations=1)
    assert done.returncode == 1, done.stderr  # the corpus has declarations that do not hold
    report = json.loads(done.stdout)
    assert report["summary"]["models"] == 272
