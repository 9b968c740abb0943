"""The device is a dimension of a run: in its key, in the artefact cache's key, in each backend's typed
config, and refused up front where no backend reaches it. These run on a machine without a GPU."""

from __future__ import annotations

import json

import pytest
from zoo_testing import INDEX, LITE0, REPO, make_spec

from zoo import ZooError
from zoo.backends import backend_class
from zoo.backends._onnx import artefact_key
from zoo.backends._onnxruntime import CPU_PROVIDER, CUDA_PROVIDER, OnnxRuntimeConfig
from zoo.backends._openvino import OpenVinoConfig
from zoo.backends._torch import TorchConfig
from zoo.cli import main
from zoo.measure.environment import comparable_id
from zoo.spec import RunSpec

CPU_SPEC = make_spec("torch", threads=2)
CUDA_SPEC = CPU_SPEC.with_(device="cuda:1")


def test_the_device_is_in_the_key_and_cpu_keys_stay_as_they_were() -> None:
    assert CPU_SPEC.key == f"{LITE0}|torch|fp32|b1|t2"
    assert CUDA_SPEC.key == f"{LITE0}|torch|fp32|b1|t2|cuda:1"
    assert CPU_SPEC.with_(scenario="throughput", device="cuda").key.endswith("|throughput|cuda")
    assert RunSpec.from_json(CUDA_SPEC.to_json()).device == "cuda:1"
    for unknown in ("tpu", "cuda:abc", "cuda:", "cpu:0"):
        with pytest.raises(ZooError, match=f"unknown device '{unknown}'"):
            CPU_SPEC.with_(device=unknown)


def test_the_artefact_cache_key_names_a_device_other_than_the_cpu() -> None:
    assert "device" not in artefact_key(CPU_SPEC)  # CPU entries already in a cache stay valid
    assert artefact_key(CUDA_SPEC)["device"] == "cuda:1"


def test_each_backend_reads_the_device_into_its_typed_config() -> None:
    assert not TorchConfig.of(CPU_SPEC).cuda and TorchConfig.of(CUDA_SPEC).cuda
    assert TorchConfig.of(CUDA_SPEC).device == "cuda:1"
    assert OnnxRuntimeConfig.of(CPU_SPEC).providers == (CPU_PROVIDER,)
    cuda = OnnxRuntimeConfig.of(CUDA_SPEC)
    assert (
        cuda.providers == ((CUDA_PROVIDER, {"device_id": "1"}), CPU_PROVIDER) and cuda.output_device == "cuda"
    )
    throughput = OpenVinoConfig.of(
        CPU_SPEC.with_(backend="openvino", scenario="throughput", precision="bf16")
    )
    assert throughput.properties() == {
        "INFERENCE_PRECISION_HINT": "bf16", "PERFORMANCE_HINT": "THROUGHPUT", "INFERENCE_NUM_THREADS": 2,
    }  # fmt: skip


def test_a_backend_says_whether_it_reaches_a_device_here() -> None:
    import onnxruntime
    import torch

    assert backend_class("openvino").unreachable("cuda") == "openvino runs on cpu only"
    assert (backend_class("torch").unreachable("cuda") is None) == torch.cuda.is_available()
    has_cuda_provider = CUDA_PROVIDER in onnxruntime.get_available_providers()
    assert (backend_class("onnxruntime").unreachable("cuda") is None) == has_cuda_provider
    assert all(
        backend_class(name).unreachable("cpu") is None for name in ("torch", "onnxruntime", "openvino")
    )


def test_a_device_no_backend_reaches_is_refused_in_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    import torch

    if torch.cuda.is_available():
        pytest.skip("this machine has a CUDA device")
    assert main(["bench", LITE0, "--device", "cuda", "--index", str(INDEX)]) == 2
    error = capsys.readouterr().err
    assert error.count("\n") == 1 and "no backend can reach device cuda here" in error
    assert main(["eval", LITE0, "--backend", "openvino", "--device", "cuda", "--index", str(INDEX)]) == 2
    assert "no backend can reach device cuda here: openvino runs on cpu only" in capsys.readouterr().err


def test_a_device_zoo_cannot_name_is_bad_usage_before_any_backend_is_asked(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["bench", LITE0, "--device", "cuda:abc", "--index", str(INDEX)]) == 2
    error = capsys.readouterr().err
    assert error.count("\n") == 1 and "unknown device 'cuda:abc'" in error


def test_cpu_environment_ids_are_unchanged_and_an_accelerator_counts() -> None:
    environments = json.loads((REPO / "benchmarks" / "results" / "environments.json").read_text())
    for environment in environments.values():
        assert comparable_id(environment) == environment["id"]
        gpu = {**environment, "accelerator": {"name": "NVIDIA H200", "driver": "570.1"}}
        assert comparable_id(gpu) != environment["id"]
