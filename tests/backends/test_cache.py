"""Converted artefacts are reused on the second load, and a damaged entry is rebuilt, never used."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import numpy
import pytest

from zoo.backends import BackendConfig, cache_root, create_backend
from zoo.backends._cache import MANIFEST, entry_path
from zoo.backends._onnx import artefact_key
from zoo.weights import find_weights


def _load(name: str, config: BackendConfig, photos: numpy.ndarray) -> tuple[bool | None, numpy.ndarray, Path]:
    backend = create_backend(name, config)
    report = backend.load()
    return report.cache_hit, backend.run(photos), Path(backend.describe()["artefact"])


def test_cache_root_follows_zoo_cache_then_xdg(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ZOO_CACHE", str(tmp_path / "zoo"))
    assert cache_root() == tmp_path / "zoo"
    monkeypatch.delenv("ZOO_CACHE")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert cache_root() == tmp_path / "xdg" / "zoo"


def test_second_load_reuses_and_corrupt_entries_are_rebuilt(
    session_cache: Path,
    lite0_config: BackendConfig,
    photos: numpy.ndarray,
    reference_logits: numpy.ndarray,
) -> None:
    weights = find_weights(lite0_config.model)
    onnx_entry = entry_path("onnx", artefact_key(lite0_config, weights))
    existed = onnx_entry.exists()  # another test of the session may have exported it already
    hit, _, artefact = _load("onnxruntime", lite0_config, photos)
    assert hit is existed and artefact == onnx_entry and onnx_entry.is_relative_to(session_cache)
    hit, _, _ = _load("onnxruntime", lite0_config, photos)
    assert hit is True
    manifest = json.loads((onnx_entry / MANIFEST).read_text())
    assert manifest["key"]["model"] == lite0_config.model and "model.onnx" in manifest["files"]

    _, _, ir_entry = _load("openvino", lite0_config, photos)  # the IR is built from the cached ONNX file
    assert _load("openvino", lite0_config, photos)[0] is True

    # A corrupt weights file (same size, other bytes) is found by its sha256 and converted again.
    weights_file = ir_entry / "model.bin"
    data = bytearray(weights_file.read_bytes())
    data[len(data) // 2] ^= 0xFF
    weights_file.write_bytes(bytes(data))
    hit, logits, _ = _load("openvino", lite0_config, photos)
    assert hit is False
    assert numpy.abs(logits - reference_logits).max() < 1e-4

    # A half-written entry (files but no manifest) is never used.
    (ir_entry / MANIFEST).unlink()
    hit, logits, _ = _load("openvino", lite0_config, photos)
    assert hit is False and (ir_entry / MANIFEST).is_file()
    assert numpy.abs(logits - reference_logits).max() < 1e-4
    assert not [p for p in ir_entry.parent.iterdir() if p.name.startswith(".")]  # no staging left behind


def test_each_shape_weights_and_version_is_its_own_entry(lite0_config: BackendConfig) -> None:
    weights = find_weights(lite0_config.model)
    key = artefact_key(lite0_config, weights)
    other_shape = BackendConfig(lite0_config.model, (3, 192, 192), batch=1)
    assert entry_path("onnx", artefact_key(other_shape, weights)) != entry_path("onnx", key)
    other_weights = dataclasses.replace(weights, sha256="0" * 64)
    assert entry_path("onnx", artefact_key(lite0_config, other_weights)) != entry_path("onnx", key)
    assert key["versions"]["torch"] and key["opset"] >= 18
