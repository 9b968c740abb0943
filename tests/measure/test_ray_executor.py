"""The `ray` executor on a real Ray head started on loopback for the test."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import psutil
import pytest
from zoo_testing import REPO, fast_timing

ray = pytest.importorskip("ray")

# Ray 2.5x authenticates with a token by default; the test's own head on loopback runs without, and so
# must every client that joins it.
LOOPBACK_RAY = {"RAY_AUTH_MODE": "disabled"}
FAST = fast_timing(min_time="0.3", max_time="0.6")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="module")
def ray_head(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    port = free_port()
    ray_cli = str(Path(sys.executable).with_name("ray"))
    environment = {**os.environ, "RAY_USAGE_STATS_ENABLED": "0", **LOOPBACK_RAY}
    subprocess.run(
        [ray_cli, "start", "--head", "--node-ip-address", "127.0.0.1", "--port", str(port), "--num-cpus", "2",
         "--include-dashboard", "false", "--object-store-memory", str(200 * 1024 * 1024), "--disable-usage-stats"],
        check=True, capture_output=True, env=environment, timeout=120,
    )  # fmt: skip
    try:
        yield f"127.0.0.1:{port}"
    finally:
        subprocess.run(
            [ray_cli, "stop", "--force"], capture_output=True, env=environment, timeout=120, check=False
        )


def zoo(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    environment = {
        **os.environ,
        "ZOO_CACHE": str(cwd / "cache"),
        "RAY_USAGE_STATS_ENABLED": "0",
        **LOOPBACK_RAY,
    }
    return subprocess.run(
        [sys.executable, "-m", "zoo", *args],
        cwd=cwd,
        env=environment,
        capture_output=True,
        text=True,
        check=False,
    )


def bench_args(db: Path, *extra: str) -> list[str]:
    return [
        "bench",
        "tf_efficientnet_lite0",
        "--index",
        str(REPO / "model-index.yml"),
        "--db",
        str(db),
        *FAST,
        *extra,
    ]


def test_sweep_on_ray_matches_a_local_run(ray_head: str, tmp_path: Path) -> None:
    db = tmp_path / "r.db"
    backends = ["--backend", "onnxruntime", "--backend", "openvino"]
    on_ray = zoo(
        *bench_args(db, *backends, "--executor", "ray", "--address", ray_head, "--json"), cwd=tmp_path
    )
    assert on_ray.returncode == 0, on_ray.stderr
    local = zoo(*bench_args(db, *backends, "--json"), cwd=tmp_path)
    assert local.returncode == 0, local.stderr
    ray_rows, local_rows = (json.loads(done.stdout)["results"] for done in (on_ray, local))
    assert [set(r) for r in ray_rows] == [set(r) for r in local_rows]
    assert {r["status"] for r in ray_rows} == {"ok"}
    assert {r["environment"] for r in ray_rows} == {r["environment"] for r in local_rows}  # same machine

    listed = json.loads(zoo("results", "list", "--db", str(db), "--json", cwd=tmp_path).stdout)
    assert [run["executor"] for run in listed] == ["ray", "local"]


def test_a_killed_worker_is_retried(ray_head: str, tmp_path: Path) -> None:
    killed: list[int] = []

    def kill_first_task_worker() -> None:
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline and not killed:
            for process in psutil.process_iter(["pid", "cmdline"]):
                if "ray::_measure_on_node" in " ".join(process.info["cmdline"] or []):
                    time.sleep(1.0)  # let it get into the measurement
                    os.kill(process.info["pid"], signal.SIGKILL)
                    killed.append(process.info["pid"])
                    return
            time.sleep(0.2)

    killer = threading.Thread(target=kill_first_task_worker)
    killer.start()
    args = bench_args(
        tmp_path / "r.db", "--backend", "onnxruntime", "--executor", "ray", "--address", ray_head
    )
    done = zoo(*args, "--json", "--min-time", "3", "--max-time", "4", cwd=tmp_path)
    killer.join()
    assert killed, "no Ray task worker was seen to kill"
    assert done.returncode == 0, done.stderr
    [row] = json.loads(done.stdout)["results"]
    assert row["status"] == "ok"


def test_unreachable_address_is_one_line_and_writes_nothing(tmp_path: Path) -> None:
    db = tmp_path / "r.db"
    done = zoo(*bench_args(db, "--executor", "ray", "--address", f"127.0.0.1:{free_port()}"), cwd=tmp_path)
    assert done.returncode == 2
    assert done.stderr.startswith("zoo: error: no Ray cluster reachable at 127.0.0.1:")
    assert not db.exists()


def test_a_ray_task_uses_the_declared_preprocessing_without_the_index(
    ray_head: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The spec carries the declared data config: the index is gone before any task runs."""
    import shutil

    from zoo.index import load_index
    from zoo.measure.plan import plan
    from zoo.measure.ray_executor import RayExecutor
    from zoo.results import LatencyRecord
    from zoo.spec import Timing

    project = tmp_path / "project"
    project.mkdir()
    (project / "model-index.yml").write_text(
        "Models:\n- Name: tf_efficientnet_lite0\n  Metadata:\n    Image Size: '256'\n    Crop Pct: '1.0'\n"
    )
    models = load_index(project / "model-index.yml").select(None)
    specs = plan(
        models, ["onnxruntime"], threads=1, timing=Timing(min_time_s=0.2, max_time_s=0.5, min_iterations=5)
    ).specs
    shutil.rmtree(project)
    monkeypatch.setenv("ZOO_CACHE", str(tmp_path / "cache"))
    monkeypatch.setenv("RAY_AUTH_MODE", "disabled")
    monkeypatch.chdir(tmp_path)
    executor = RayExecutor(ray_head, timeout_s=300)
    try:
        [record] = list(executor.run(specs))
    finally:
        executor.shutdown()
    assert isinstance(record, LatencyRecord)
    assert record.status == "ok", record.reason
    assert record.backend_info["input_shape"] == [1, 3, 256, 256]
    assert record.spec["data"]["crop_pct"] == 1.0 and record.spec["data"]["differences"]
