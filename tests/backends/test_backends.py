"""Every backend runs lite0 with its packaged weights on real photos and computes what PyTorch fp32 does."""

from __future__ import annotations

import numpy
import pytest
from zoo_testing import make_spec

from zoo.backends import BackendError, create_backend
from zoo.measure.inputs import sample_images
from zoo.spec import RunSpec

THREADS = 2  # as in conftest.lite0_spec
MILITARY_UNIFORM, ESPRESSO = 652, 967
TABBY_TIGER_EGYPTIAN_CAT = {281, 282, 285}


def _photo(name: str) -> int:
    return [path.name for path in sample_images()].index(name)


@pytest.mark.parametrize("name", ["torch", "onnxruntime", "openvino"])
def test_lite0_logits_agree_with_pytorch_fp32(
    name: str,
    lite0_spec: RunSpec,
    photos: numpy.ndarray,
    reference_logits: numpy.ndarray,
) -> None:
    backend = create_backend(lite0_spec.with_(backend=name))
    report = backend.load()
    assert report.weights.kind == "packaged"
    logits = backend.run(photos)
    assert logits.dtype == numpy.float32 and logits.shape == (len(photos), 1000)
    assert numpy.abs(logits - reference_logits).max() < 1e-4
    assert (logits.argmax(axis=1) == reference_logits.argmax(axis=1)).all()

    top5 = numpy.argsort(-logits, axis=1)[:, :5]
    assert MILITARY_UNIFORM in top5[_photo("grace_hopper.jpg")]
    assert top5[_photo("coffee.jpg"), 0] == ESPRESSO
    assert top5[_photo("chelsea.jpg"), 0] in TABBY_TIGER_EGYPTIAN_CAT

    described = backend.describe()
    assert described["backend"] == name and described["precision"] == "fp32"
    assert described["threads"] == THREADS
    assert described["input_shape"] == [len(photos), 3, 224, 224]
    assert described["versions"]


def test_openvino_reads_back_its_explicit_settings(lite0_spec: RunSpec) -> None:
    backend = create_backend(lite0_spec.with_(backend="openvino"))
    backend.load()
    described = backend.describe()
    assert described["effective_precision"] == "f32"  # never the bf16 OpenVINO picks on its own
    assert described["hint"] == "LATENCY"
    assert described["streams"] >= 1


def test_bf16_is_its_own_precision_and_says_so(lite0_spec: RunSpec, photos: numpy.ndarray) -> None:
    bf16 = lite0_spec.with_(precision="bf16")
    with pytest.raises(BackendError, match="onnxruntime cannot run precision bf16"):
        create_backend(bf16.with_(backend="onnxruntime"))
    torch_bf16 = create_backend(bf16)
    torch_bf16.load()
    assert torch_bf16.describe()["effective_precision"] == "bf16 autocast"
    assert torch_bf16.run(photos).dtype == numpy.float32


def test_inputs_of_another_shape_are_refused(lite0_spec: RunSpec) -> None:
    backend = create_backend(lite0_spec.with_(backend="onnxruntime"))
    backend.load()
    with pytest.raises(BackendError, match="loaded for inputs"):
        backend.run(numpy.zeros((1, 3, 224, 224), dtype=numpy.float32))


def test_torch_compile_agrees_with_eager() -> None:
    spec = make_spec("torch", model="test_efficientnet", index=None, threads=THREADS)
    assert spec.input_shape == (1, 3, 160, 160)
    inputs = numpy.random.default_rng(0).standard_normal(spec.input_shape).astype(numpy.float32)
    eager = create_backend(spec)
    eager.load()
    compiled = create_backend(spec.with_(backend="torch-compile"))
    report = compiled.load()
    assert report.cache_hit is None and report.weights.kind == "random"
    assert numpy.abs(compiled.run(inputs) - eager.run(inputs)).max() < 1e-4
    assert compiled.describe()["mode"] == "torch.compile inductor, freezing"
