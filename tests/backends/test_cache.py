"""Converted artefacts are reused on the second load, and a damaged entry is rebuilt, never used."""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from subprocess import PIPE

import numpy
import pytest

from zoo.backends import cache_root, create_backend
from zoo.backends._cache import MANIFEST, entry_path
from zoo.backends._onnx import artefact_key
from zoo.spec import RunSpec


def _load(name: str, spec: RunSpec, photos: numpy.ndarray) -> tuple[bool | None, numpy.ndarray, Path]:
    backend = create_backend(spec.with_(backend=name))
    report = backend.load()
    return report.cache_hit, backend.run(photos), Path(backend.describe()["artefact"])


def test_cache_root_follows_zoo_cache_then_xdg(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ZOO_CACHE", str(tmp_path / "zoo"))
    assert cache_root() == tmp_path / "zoo"
    monkeypatch.delenv("ZOO_CACHE")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert cache_root() == tmp_path / "xdg" / "zoo"


def test_second_load_reuses_and_corrupt_entries_are_rebuilt(
    lite0_spec: RunSpec,
    photos: numpy.ndarray,
    reference_logits: numpy.ndarray,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """On a copy of the session's entries: other test workers read the session's cache meanwhile."""
    onnx_entry = entry_path("onnx", artefact_key(lite0_spec))
    existed = onnx_entry.exists()  # another test of the session may have exported it already
    hit, _, artefact = _load("onnxruntime", lite0_spec, photos)
    assert hit is existed and artefact == onnx_entry and onnx_entry.is_relative_to(cache_root())
    _, _, ir_entry = _load("openvino", lite0_spec, photos)  # the IR is built from the cached ONNX file
    session_cache = cache_root()
    monkeypatch.setenv("ZOO_CACHE", str(tmp_path))
    for entry in (onnx_entry, ir_entry):
        shutil.copytree(entry, tmp_path / entry.relative_to(session_cache))
    onnx_entry, ir_entry = (tmp_path / entry.relative_to(session_cache) for entry in (onnx_entry, ir_entry))

    hit, _, artefact = _load("onnxruntime", lite0_spec, photos)
    assert hit is True and artefact == onnx_entry
    manifest = json.loads((onnx_entry / MANIFEST).read_text())
    assert manifest["key"]["model"] == lite0_spec.model and "model.onnx" in manifest["files"]
    assert _load("openvino", lite0_spec, photos)[0] is True

    # A corrupt weights file (same size, other bytes) is found by its sha256 and converted again.
    weights_file = ir_entry / "model.bin"
    data = bytearray(weights_file.read_bytes())
    data[len(data) // 2] ^= 0xFF
    weights_file.write_bytes(bytes(data))
    hit, logits, _ = _load("openvino", lite0_spec, photos)
    assert hit is False
    assert numpy.abs(logits - reference_logits).max() < 1e-4

    # A half-written entry (files but no manifest) is never used.
    (ir_entry / MANIFEST).unlink()
    hit, logits, _ = _load("openvino", lite0_spec, photos)
    assert hit is False and (ir_entry / MANIFEST).is_file()
    assert numpy.abs(logits - reference_logits).max() < 1e-4
    assert not [p for p in ir_entry.parent.iterdir() if p.name.startswith(".")]  # no staging left behind


def test_each_shape_weights_and_version_is_its_own_entry(lite0_spec: RunSpec) -> None:
    key = artefact_key(lite0_spec)
    other_shape = lite0_spec.with_(batch=1)
    assert entry_path("onnx", artefact_key(other_shape)) != entry_path("onnx", key)
    other_weights = lite0_spec.with_(weights=dataclasses.replace(lite0_spec.weights, sha256="0" * 64))
    assert entry_path("onnx", artefact_key(other_weights)) != entry_path("onnx", key)
    assert key["versions"]["torch"] and key["opset"] >= 18


_BUILD_ONCE = """
import sys, time
from zoo.backends._cache import cached

def build(directory):
    with open(sys.argv[1], "a") as builds:
        builds.write("built\\n")
    time.sleep(2)  # long enough for the other process to find the entry missing too
    (directory / "artefact").write_text("converted")

print(cached("test", {"model": "m"}, build).path)
"""


def test_two_processes_wanting_one_entry_build_it_once(tmp_path: Path) -> None:
    """Test workers share the session's cache: the second waits for the first's entry and reuses it."""
    builds = tmp_path / "builds"
    environment = {**os.environ, "ZOO_CACHE": str(tmp_path / "cache")}
    processes = [
        subprocess.Popen(
            [sys.executable, "-c", _BUILD_ONCE, str(builds)], env=environment, stdout=PIPE, text=True
        )
        for _ in range(2)
    ]
    entries = {process.communicate(timeout=300)[0].strip() for process in processes}
    assert [process.returncode for process in processes] == [0, 0]
    assert len(entries) == 1 and builds.read_text() == "built\n"
    assert (Path(entries.pop()) / "artefact").read_text() == "converted"
