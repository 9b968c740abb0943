"""Backends by name: the built-ins, third-party entry points, and clear errors for what is not there."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy
import plugin_backends
import pytest
from zoo_testing import make_spec

from zoo import ZooError
from zoo.backends import (
    BackendError,
    UnknownBackendError,
    backend_class,
    create_backend,
    list_backends,
)
from zoo.cli import main

BUILT_IN = ["onnxruntime", "openvino", "torch", "torch-compile"]
CONFIG = make_spec("torch", model="test_efficientnet", index=None, threads=1)


def test_built_in_backends_are_registered() -> None:
    assert set(BUILT_IN) <= set(list_backends())
    assert [backend_class(name).NAME for name in BUILT_IN] == BUILT_IN


def test_unknown_backend_error_lists_the_backends() -> None:
    with pytest.raises(UnknownBackendError) as raised:
        create_backend(CONFIG.with_(backend="tensorrt"))
    assert all(name in str(raised.value) for name in BUILT_IN)


def test_unknown_backend_on_the_command_line_is_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check-backends", "tf_efficientnet_lite0", "--backend", "tensorrt"]) == 2
    error = capsys.readouterr().err
    assert error.count("\n") == 1 and "unknown backend 'tensorrt'" in error and "openvino" in error


PLUGIN = """
from __future__ import annotations

import numpy

from zoo.backends import Backend, LoadReport


class ZerosBackend(Backend):
    NAME = "zeros"

    def load(self):
        return LoadReport(cache_hit=None, weights=self.spec.weights)

    def run(self, inputs):
        return numpy.zeros((len(inputs), 1000), dtype=numpy.float32)

    def settings(self):
        return {"versions": {"zoo-test-plugin": "0.1"}, "threads": 1}


class NotABackend:
    pass
"""


@pytest.fixture
def installed_plugin(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A distribution on sys.path that declares two `zoo.backends` entry points, as pip would install it."""
    (tmp_path / "zoo_test_plugin.py").write_text(PLUGIN)
    plugin_backends.distribution(
        tmp_path,
        "zoo-test-plugin",
        """\
        zeros = zoo_test_plugin:ZerosBackend
        not-a-backend = zoo_test_plugin:NotABackend
        """,
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delitem(sys.modules, "zoo_test_plugin", raising=False)


def test_a_third_party_backend_comes_in_through_entry_points(installed_plugin: None) -> None:
    assert {"zeros", "not-a-backend"} <= set(list_backends())
    backend = create_backend(CONFIG.with_(backend="zeros"))
    assert backend.load().weights.kind == "random"
    assert backend.run(numpy.zeros(CONFIG.input_shape, dtype=numpy.float32)).shape == (1, 1000)
    assert backend.describe()["backend"] == "zeros"
    with pytest.raises(BackendError, match=r"not a zoo\.backends\.Backend"):
        create_backend(CONFIG.with_(backend="not-a-backend"))


def test_a_missing_openvino_is_a_clear_message(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "openvino", None)  # what `import openvino` sees when it is not installed
    backend = create_backend(CONFIG.with_(backend="openvino"))
    with pytest.raises(BackendError, match="pip install openvino"):
        backend.load()


def test_spec_rejects_impossible_values() -> None:
    with pytest.raises(ValueError, match="fp16"):
        CONFIG.with_(precision="fp16")
    with pytest.raises(ZooError, match="batch"):
        CONFIG.with_(batch=0)
    with pytest.raises(ZooError, match="threads"):
        CONFIG.with_(threads=0)
