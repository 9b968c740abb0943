"""The local executor: a configuration that hangs or dies is a recorded failure, not a crashed sweep."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import psutil
import pytest
from zoo_testing import make_spec

from zoo.measure.executors import decode, remove_stale_folders, run_in_subprocess
from zoo.results.records import AgreementRecord, LatencyRecord
from zoo.spec import RunSpec, Timing


def test_a_configuration_past_its_timeout_is_failed_with_the_reason() -> None:
    spec = make_spec("torch", threads=1, timing=Timing(min_time_s=30, max_time_s=30))
    result = decode(spec, run_in_subprocess(spec, timeout_s=1.0))
    assert isinstance(result, LatencyRecord)
    assert (result.status, result.reason) == ("failed", "timed out after 1 s")
    assert result.key == spec.key and result.stats is None and result.spec == spec.to_dict()


def test_a_dead_worker_is_the_failure_of_its_scenarios_record_type() -> None:
    """The executor decodes through the registry: an agreement job that died is an AgreementRecord."""
    spec = make_spec("torch", threads=1, scenario="agreement")
    result = decode(spec, {"died": "measuring process killed by SIGKILL (out of memory?)"})
    assert isinstance(result, AgreementRecord) and result.status == "failed" and result.key == spec.key
    assert "SIGKILL" in result.reason


DRIVER = """
import sys
from zoo_testing import make_spec
from zoo.measure.executors import run_in_subprocess
from zoo.spec import Timing
spec = make_spec("torch", threads=1, timing=Timing(min_time_s=60, max_time_s=60))
print("started", flush=True)
run_in_subprocess(spec, timeout_s=120)
"""


def test_a_killed_sweep_leaves_no_worker_and_its_folder_is_removed_next_time(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """kill -9 of the sweep's process: its worker dies with it, and the next sweep removes its folder.
    The sweep keeps its folder in a temporary directory of its own: a sweep of another test running
    beside this one would otherwise remove the dead sweep's folder first."""
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    environment = {
        **os.environ,
        "PYTHONPATH": str(Path(__file__).resolve().parents[1]),
        "TMPDIR": str(tmp_path),
    }
    driver = subprocess.Popen(
        [sys.executable, "-c", DRIVER], env=environment, stdout=subprocess.PIPE, text=True
    )
    assert driver.stdout is not None and driver.stdout.readline().strip() == "started"
    deadline = time.monotonic() + 60
    workers: list[psutil.Process] = []  # the launcher, and the configuration's process it forked
    while len(workers) < 2 and time.monotonic() < deadline:
        workers = psutil.Process(driver.pid).children(recursive=True)
        time.sleep(0.1)
    assert len(workers) == 2, "the worker never started"
    assert all("zoo.measure.zygote" in " ".join(p.cmdline()) for p in workers)
    folders = [f for f in Path(tempfile.gettempdir()).glob("zoo-bench-*") if (f / "owner.pid").is_file()]
    mine = [f for f in folders if (f / "owner.pid").read_text() == str(driver.pid)]
    assert mine
    driver.kill()
    driver.wait()
    _, alive = psutil.wait_procs(workers, timeout=10)
    assert not alive, "the launcher or the measuring process outlived its sweep"
    assert mine[0].exists()  # nothing removed it yet ...
    remove_stale_folders()
    assert not mine[0].exists()  # ... until the next sweep starts


def test_logits_left_on_another_node_travel_back_with_the_result(tmp_path: Path) -> None:
    """A Ray node's worker leaves logits in a folder the driver cannot see: they come back in the result
    and land where the driver reads them."""
    import numpy as np

    from zoo.measure.executors import with_logits
    from zoo.measure.outputs import load_logits, logits_path, save_logits
    from zoo.results.records import Status

    spec = make_spec("onnxruntime", threads=1, scenario="agreement", outputs=str(tmp_path / "run"))
    logits = np.arange(8, dtype=np.float32).reshape(2, 4)
    save_logits(spec, logits)  # on the node
    record = AgreementRecord.for_spec(spec, Status.OK, images=2)
    result = with_logits(spec, {"kind": record.KIND, "record": record.as_dict()})
    logits_path(spec).unlink()  # the driver's machine never had the file
    assert decode(spec, result).status == "ok"
    assert (load_logits(spec)[0] == logits).all()


def quick(backend: str) -> RunSpec:
    return make_spec(backend, threads=1, timing=Timing(min_time_s=0.2, max_time_s=0.5, warmup_s=0.05))


def test_each_configuration_is_a_fresh_fork_of_one_warm_launcher_per_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from zoo.measure import executors

    assert decode(quick("onnxruntime"), run_in_subprocess(quick("onnxruntime"), 300)).status == "ok"
    launcher = executors._launchers[0].process
    assert decode(quick("openvino"), run_in_subprocess(quick("openvino"), 300)).status == "ok"
    assert executors._launchers[0].process is launcher and launcher.poll() is None  # reused
    monkeypatch.setenv("ZOO_TEST_ANOTHER_ENVIRONMENT", "1")
    assert decode(quick("onnxruntime"), run_in_subprocess(quick("onnxruntime"), 300)).status == "ok"
    assert executors._launchers[0].process is not launcher and launcher.poll() is not None  # replaced


def test_a_configuration_killed_by_a_signal_says_so_and_the_launcher_serves_the_next() -> None:
    from zoo.measure import executors

    spec = make_spec("onnxruntime", threads=1, timing=Timing(min_time_s=60, max_time_s=60))
    results: list[dict[str, object]] = []
    sweep = threading.Thread(target=lambda: results.append(run_in_subprocess(spec, 300)))
    sweep.start()
    deadline, children = time.monotonic() + 120, list[psutil.Process]()
    while not children and time.monotonic() < deadline:
        time.sleep(0.2)
        launchers = executors._launchers
        children = psutil.Process(launchers[0].process.pid).children() if launchers else []
    assert children, "the configuration's process never started"
    children[0].kill()
    sweep.join(timeout=60)
    assert results == [{"died": "measuring process killed by SIGKILL (out of memory?)"}]
    after = decode(quick("onnxruntime"), run_in_subprocess(quick("onnxruntime"), 300))
    assert after.status == "ok", after.reason
