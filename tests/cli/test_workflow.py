"""The whole daily workflow on an index zoo was not built around, run from another working directory.

The index is corpus cards of several architectures (tests/validate/data/corpus-sample); every default
path (store, results, templates, cards) must come from the index's folder, never the working directory.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from zoo_testing import REPO, fast_timing

SAMPLE = REPO / "tests" / "validate" / "data" / "corpus-sample"
MODEL = "regnetx_008"  # small, random weights here
FAST = fast_timing(min_time="0.3", max_time="1")


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("project")
    shutil.copytree(SAMPLE / "cards", root / "docs" / "templates" / "models")
    (root / "model-index.yml").write_text("Import:\n- docs/templates/models/*.md\n")
    return root


@pytest.fixture(scope="module")
def elsewhere(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("elsewhere")


def zoo(project: Path, cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    environment = {k: v for k, v in os.environ.items() if k != "ZOO_DB"}  # the store beside the index
    done = subprocess.run(
        [sys.executable, "-m", "zoo", *args, "--index", str(project / "model-index.yml")],
        cwd=cwd,
        env=environment,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert "Traceback" not in done.stderr, done.stderr
    return done


def test_the_daily_workflow_from_another_folder(project: Path, elsewhere: Path) -> None:
    listed = zoo(project, elsewhere, "list", "--json")
    assert listed.returncode == 0 and MODEL in listed.stdout and "inception_v3" in listed.stdout

    shown = zoo(project, elsewhere, "show", "resnet50")
    assert shown.returncode == 0 and "ram_in1k" in shown.stdout  # the tag its declared weights are

    validated = zoo(project, elsewhere, "validate", MODEL, "resnet18", "--export")
    assert validated.returncode in (0, 1), validated.stderr
    results = project / "benchmarks" / "results"
    assert set(pd.read_csv(results / "validation.csv").model) == {MODEL, "resnet18"}

    checked = zoo(
        project, elsewhere, "check-backends", MODEL, "--backend", "onnxruntime", "--export", "--threads", "1"
    )
    assert checked.returncode == 0, checked.stderr + checked.stdout
    assert pd.read_csv(results / "agreement.csv").status.tolist() == ["ok"]

    benched = zoo(project, elsewhere, "bench", MODEL, "--backend", "onnxruntime", *FAST)
    assert benched.returncode == 0, benched.stderr
    assert "zoo bench: end   regnetx_008 onnxruntime" in benched.stderr  # not a terminal: plain lines

    evaluated = zoo(project, elsewhere, "eval", MODEL, "--backend", "onnxruntime", "--workers", "0")
    assert evaluated.returncode == 0 and "random weights" in evaluated.stdout

    runs = json.loads(zoo(project, elsewhere, "results", "list", "--json").stdout)
    assert [run["kind"] for run in runs] == ["validate", "check-backends", "bench", "eval"]
    assert (project / ".zoo" / "results.db").is_file() and not (elsewhere / ".zoo").exists()

    exported = zoo(project, elsewhere, "results", "export")
    assert exported.returncode == 0 and (results / "latency.csv").is_file()

    rendered = zoo(project, elsewhere, "docs")
    assert rendered.returncode == 0, rendered.stderr
    card = (project / "docs" / "models" / "regnetx.md").read_text()
    assert "onnxruntime" in card and "random" in card  # measured sections on a plain corpus template
    assert zoo(project, elsewhere, "docs", "--check").returncode == 0
    assert not list(elsewhere.iterdir())  # nothing was written where the commands ran
