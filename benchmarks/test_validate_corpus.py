"""`zoo validate` over the whole timm-docs corpus (272 models): the goal is 20 s with a warm cache.

Each model is built once on the meta device and counted under three FLOPs conventions from shapes
alone, by a pool of one process per core; what the structure gives is cached per (model, input size,
timm, torch and zoo's counting code) in `ZOO_CACHE/validate/`. The cold run measures everything, the
warm one reads the cache. Each figure is the whole command in a new process, imports included.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from pytest_benchmark.fixture import BenchmarkFixture

REPO = Path(__file__).resolve().parents[1]
CORPUS = REPO.parent / "shared" / "corpus" / "timm-docs" / "model-index.yml"


@pytest.fixture(scope="module")
def cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("zoo-cache")


def validate(cache: Path) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "zoo", "validate", "--index", str(CORPUS), "--json"]
    env = {**os.environ, "ZOO_CACHE": str(cache)}
    return subprocess.run(command, cwd=REPO, capture_output=True, text=True, check=False, env=env)


@pytest.mark.skipif(not CORPUS.is_file(), reason="corpus not beside this checkout")
@pytest.mark.parametrize("run", ["cold", "warm"])  # in this order: the cold run fills the cache
def test_validate_corpus(benchmark: BenchmarkFixture, cache: Path, run: str) -> None:
    done = benchmark.pedantic(validate, args=(cache,), rounds=1, iterations=1)
    assert done.returncode == 1, done.stderr  # the corpus has declarations that do not hold
    report = json.loads(done.stdout)
    assert report["summary"]["models"] == 272
    assert len(list((cache / "validate").glob("*.json"))) == 271  # gluon_xception65 is gone from timm
