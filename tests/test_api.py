"""zoo's public surface: the README's Python example runs, and each package's `__all__` is pinned."""

from __future__ import annotations

import importlib
import os
import re
import subprocess
import sys

import pytest
from zoo_testing import REPO

# What each package offers; a change here is a change of zoo's API, made on purpose.
PINNED = {
    "zoo": [
        "AccuracyRecord", "AgreementRecord", "LatencyRecord", "Precision", "RunSpec", "Scenario", "Verdict",
        "ZooError", "__version__", "bench", "build_site", "check_backends", "evaluate", "export", "load_index",
        "open_store", "plan", "project_paths", "render_cards", "validate_index",
    ],
    "zoo.spec": [
        "REFERENCE", "DataConfig", "Dataset", "DatasetIdentity", "Precision", "Reference", "RunSpec", "Scenario",
        "Timing", "device_kind",
    ],
    "zoo.paths": ["ProjectPaths", "cache_root", "project_paths", "refuse_overlap"],
    "zoo.api": ["BenchResult", "bench", "bench_repeatedly", "check_backends", "evaluate"],
    "zoo.measure.plan": ["ModelSetup", "Plan", "plan", "resolve_data", "setup_model"],
    "zoo.measure.scenarios": [
        "RegisteredScenario", "record_type", "register_scenario", "run_scenario", "scenario", "scenario_names",
    ],
    "zoo.results.records": [
        "AccuracyRecord", "AgreementRecord", "EXPORTED", "Exported", "INVALID", "LatencyRecord", "LogitAgreement", "Measured", "RateTrial", "Record",
        "RunStatus", "SMOKE_DATASET", "ServerRecord", "Status", "VALID", "VERDICTS", "Verdict", "VerdictStatus",
        "now",
    ],
    "zoo.backends": [
        "ENTRY_POINT_GROUP", "Backend", "BackendError", "Capability", "LoadReport", "Served", "UnknownBackendError",
        "WeightsInfo", "backend_class", "cache_root", "capabilities", "cpu_info", "cpu_name", "create_backend",
        "list_backends", "precision_unavailable", "register_backend", "versions",
    ],
}  # fmt: skip


@pytest.mark.parametrize("module", sorted(PINNED))
def test_exported_names_are_pinned(module: str) -> None:
    imported = importlib.import_module(module)
    assert sorted(imported.__all__) == sorted(PINNED[module])
    for name in imported.__all__:
        assert getattr(imported, name) is not None


def test_import_zoo_stays_cheap() -> None:
    """`import zoo` loads none of the heavy libraries: the command line starts fast."""
    code = "import sys, zoo; print(sorted(m for m in ('torch', 'pandas', 'openvino') if m in sys.modules))"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"


def test_the_readme_example_runs(tmp_path) -> None:
    readme = (REPO / "README.md").read_text()
    [example] = re.findall(r"## Python API.*?```python\n(.*?)```", readme, flags=re.S)
    environment = {**os.environ, "ZOO_DB": str(tmp_path / "r.db")}
    done = subprocess.run(
        [sys.executable, "-c", example],
        cwd=REPO,
        env=environment,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert [line.split()[0] for line in lines] == [
        "tf_efficientnet_lite0|onnxruntime|fp32|b1|t2",
        "tf_efficientnet_lite0|openvino|fp32|b1|t2",
    ]
    assert all(" ok " in line and line.endswith(" ms") for line in lines)
