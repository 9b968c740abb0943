"""Planning: each model resolved once (timm config with declared values through timm, weights), then specs."""

from __future__ import annotations

from pathlib import Path

import numpy
import pytest
import torch
from PIL import Image
from timm.data import create_transform
from zoo_testing import INDEX, LITE0, pretend_cpu_flags

from zoo import ZooError
from zoo.index import load_index
from zoo.measure.inputs import preprocessed_batch, sample_images
from zoo.measure.plan import plan, resolve_data, setup_model
from zoo.spec import RunSpec


def test_sample_images_are_real_photos() -> None:
    photos = sample_images()
    assert "grace_hopper.jpg" in [path.name for path in photos]
    for path in photos:
        with Image.open(path) as image:
            assert min(image.size) >= 200 and image.mode == "RGB"


def test_timm_config_when_the_index_agrees() -> None:
    declared = load_index(INDEX).model("tf_efficientnet_lite2")
    data, timm_name, tag = resolve_data("tf_efficientnet_lite2", declared)
    assert data.differences == ()
    assert data.input_size == (3, 260, 260)
    assert (data.crop_pct, data.interpolation, data.mean) == (0.89, "bicubic", (0.5, 0.5, 0.5))
    assert (timm_name, tag) == ("tf_efficientnet_lite2", "in1k")


def test_declared_values_win_and_each_difference_is_reported(tmp_path: Path) -> None:
    card = tmp_path / "lite0.yaml"
    card.write_text(
        "Name: tf_efficientnet_lite0\nMetadata:\n  Image Size: '256'\n  Crop Pct: '0.9'\n  Interpolation: bilinear\n"
    )
    declared = load_index(card).model(LITE0)
    data, _, _ = resolve_data(LITE0, declared)
    assert data.input_size == (3, 256, 256)
    assert (data.crop_pct, data.interpolation) == (0.9, "bilinear")
    assert data.differences == (
        "input_size: declared (3, 256, 256), timm (3, 224, 224)",
        "crop_pct: declared 0.9, timm 0.875",
        "interpolation: declared bilinear, timm bicubic",
    )
    assert preprocessed_batch(data, 1).shape == (1, 3, 256, 256)


def test_a_retired_name_resolves_to_the_architecture_timm_builds() -> None:
    _, timm_name, _ = resolve_data("xception")
    assert timm_name == "legacy_xception"


def test_batch_is_the_photos_through_timms_transform_cycled() -> None:
    data, _, _ = resolve_data(LITE0)
    batch = preprocessed_batch(data, len(sample_images()) + 2)
    assert batch.dtype == numpy.float32 and batch.shape == (len(sample_images()) + 2, 3, 224, 224)
    assert numpy.array_equal(batch[len(sample_images())], batch[0])
    transform = create_transform(**data.timm_config())
    with Image.open(sample_images()[1]) as image:
        expected = transform(image.convert("RGB"))
    assert torch.equal(torch.from_numpy(batch[1]), expected)
    assert batch.min() >= -1.0 and batch.max() <= 1.0  # mean 0.5, std 0.5: [0, 1] maps to [-1, 1]


def test_unknown_model_is_an_error() -> None:
    with pytest.raises(ZooError, match="unknown timm model"):
        resolve_data("tf_efficientnet_lite9")


def test_plan_is_model_major_and_resolves_each_model_once(monkeypatch: pytest.MonkeyPatch) -> None:
    pretend_cpu_flags(monkeypatch, "avx2", "avx512f", "avx512_bf16")
    models = load_index(INDEX).select(["tf_efficientnet_lite0", "tf_efficientnet_lite3"])
    made = plan(models, ["torch", "openvino"], precisions=["fp32", "bf16"], batches=[1, 8], threads=2)
    keys = [spec.key for spec in made.specs]
    assert len(keys) == len(set(keys)) == 2 * 2 * 2 * 2
    assert keys[0] == "tf_efficientnet_lite0|torch|fp32|b1|t2" and keys[8].startswith(
        "tf_efficientnet_lite3|"
    )
    lite3 = made.specs[8]
    assert lite3.weights.kind == "random" and lite3.data.input_size == (3, 300, 300)
    assert made.notices == ()


def test_a_default_backend_that_cannot_run_a_precision_is_skipped_an_explicit_one_refused(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    pretend_cpu_flags(monkeypatch, "avx2", "avx512f", "avx512_bf16")
    models = load_index(INDEX).select([LITE0])
    made = plan(models, ["torch", "onnxruntime"], explicit_backends=False, precisions=["bf16"])
    assert [spec.backend for spec in made.specs] == ["torch"]
    assert made.notices == ("onnxruntime skipped for bf16: it cannot run it (`zoo backends`)",)
    with pytest.raises(ZooError, match="onnxruntime cannot run bf16"):
        plan(models, ["onnxruntime"], precisions=["bf16"])


def test_bf16_needs_a_cpu_that_runs_it_natively(monkeypatch: pytest.MonkeyPatch) -> None:
    """Without avx512_bf16 or amx_bf16, bf16 would be emulated or silently run as f32: the matrix leaves
    it out with a notice, and a backend named for it is refused before anything runs."""
    pretend_cpu_flags(monkeypatch, "avx2", "avx512f")
    models = load_index(INDEX).select([LITE0])
    made = plan(models, ["torch", "openvino"], explicit_backends=False, precisions=["fp32", "bf16"])
    assert {spec.precision for spec in made.specs} == {"fp32"} and len(made.specs) == 2
    assert made.notices == ("bf16 skipped: this CPU has no native bf16 (amx_bf16 or avx512_bf16)",)
    with pytest.raises(ZooError, match="openvino cannot run bf16 here: this CPU has no native bf16"):
        plan(models, ["openvino"], precisions=["bf16"])
    pretend_cpu_flags(monkeypatch, "avx2", "amx_bf16")
    assert len(plan(models, ["openvino"], precisions=["bf16"]).specs) == 1


def test_a_spec_crosses_processes_as_json_unchanged() -> None:
    spec = setup_model(load_index(INDEX).model(LITE0)).spec("openvino", precision="bf16", batch=4, threads=2)
    again = RunSpec.from_json(spec.to_json())
    assert again == spec and again.weights.path == spec.weights.path
    assert again.key == "tf_efficientnet_lite0|openvino|bf16|b4|t2"
    assert spec.with_(scenario="throughput").key.endswith("|throughput")
