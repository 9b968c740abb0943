"""FLOPs under every convention: the 2021 rules by hand on a tiny net, the seed numbers, meta == real."""

from __future__ import annotations

from pathlib import Path

import pytest
import timm
import torch
from timm.layers import Conv2dSame
from torch import nn

from zoo.index import load_index
from zoo.measure.flops import CONVENTIONS, count_flops, timm_docs_2021_input
from zoo.measure.meta_model import build_meta_model

INDEX = Path(__file__).resolve().parents[2] / "model-index.yml"


def test_timm_docs_input_is_the_2021_photo_aspect() -> None:
    assert timm_docs_2021_input(224) == (1, 3, 224, 285)
    assert timm_docs_2021_input(380) == (1, 3, 380, 484)


def test_2021_rules_by_hand() -> None:
    """(1, 3, 8, 10) in: each rule counted by hand, and the modules thop ignored count nothing."""
    net = nn.Sequential(
        nn.Conv2d(3, 4, 3, padding=1),  # 4*8*10 outputs x (3*3*3 + 1 bias) = 8960
        nn.BatchNorm2d(4),  # 2 x 320 inputs = 640
        nn.ReLU6(),
        Conv2dSame(4, 4, 3),  # not a plain nn.Conv2d: 0
        nn.MaxPool2d(1),
        nn.AvgPool2d(2),  # 4*4*5 outputs = 80
        nn.AdaptiveAvgPool2d(1),  # kernel 4x5: (20 + 1) x 4 outputs = 84
        nn.Flatten(),
        nn.Linear(4, 2),  # 0
    )
    counts = count_flops(net, 8)
    assert counts["timm-docs-2021"].input_shape == (1, 3, 8, 10)
    assert counts["timm-docs-2021"].value == 8960 + 640 + 80 + 84
    # FlopCounterMode: both convolutions and the linear layer, 2 per multiply-add, on (1, 3, 8, 8)
    macs = 4 * 8 * 8 * 27 + 4 * 8 * 8 * 36 + 8
    assert counts["macs"].value == macs
    assert counts["flops"].value == 2 * macs


@pytest.mark.parametrize("model", [m.name for m in load_index(INDEX).models.values()])
def test_seed_declarations_are_timm_docs_2021_exactly(model: str) -> None:
    declared = load_index(INDEX).model(model).metadata
    assert declared.image_size is not None
    counts = count_flops(build_meta_model(model), declared.image_size)
    assert counts["timm-docs-2021"].value == declared.flops
    assert counts["flops"].value != declared.flops


def test_lite0_number_from_the_issue() -> None:
    assert count_flops(build_meta_model("tf_efficientnet_lite0"), 224)["timm-docs-2021"].value == 488052032


def test_meta_counts_equal_a_real_model() -> None:
    """The meta shortcuts (no init, BatchNorm as pass-through) change no count."""
    meta = build_meta_model("tf_efficientnet_lite0")
    on_meta = count_flops(meta, 224)
    on_cpu = count_flops(timm.create_model("tf_efficientnet_lite0", pretrained=False), 224)
    assert {c: on_cpu[c].value for c in CONVENTIONS} == {c: on_meta[c].value for c in CONVENTIONS}
    assert all("forward" not in vars(m) for m in meta.modules())  # the pass-through was undone


def test_a_model_that_cannot_take_the_2021_input_says_why() -> None:
    counts = count_flops(build_meta_model("vit_tiny_patch16_224"), 224)
    assert counts["flops"].value and counts["macs"].value
    wide = counts["timm-docs-2021"]
    assert wide.value is None and wide.input_shape == (1, 3, 224, 285)
    assert "285" in (wide.error or "")


def test_meta_model_has_shapes_only() -> None:
    model = build_meta_model("tf_efficientnet_lite0")
    assert all(p.is_meta for p in model.parameters()) and not model.training
    assert sum(p.numel() for p in model.parameters()) == 4652008
    assert torch.device("meta") == next(model.parameters()).device


@pytest.mark.parametrize(("name", "macs"), [("cait_xxs24_224", 2_523_475_200), ("pit_ti_224", 699_059_456)])
def test_models_whose_attention_fails_flop_counter_mode_under_no_grad_are_counted(
    name: str, macs: int
) -> None:
    """FlopCounterMode's module hooks fail under no_grad on CaiT's and PiT's attention ("Expected gradient
    function to be set"); zoo's total needs no hooks. timm's benchmark table: 2.5 and 0.7 GMACs."""
    counts = count_flops(build_meta_model(name), 224)
    assert counts["macs"].error is None and counts["macs"].value == macs
    assert counts["flops"].value == 2 * macs
    # On the CPU, torch runs attention as one fused kernel that the formulas see only in part, so
    # validate counts on meta.
    on_cpu = count_flops(timm.create_model(name, pretrained=False), 224)["macs"]
    assert on_cpu.error is None and on_cpu.value and 0.5 * macs < on_cpu.value <= macs


@pytest.mark.parametrize(
    ("name", "size"),
    [("tf_efficientnet_lite0", 224), ("vit_tiny_patch16_224", 224), ("resnetv2_50x1_bit", 160)],
)
def test_the_total_is_flop_counter_modes(name: str, size: int) -> None:
    """zoo's hook-free total equals FlopCounterMode's own, with its norms and attention, on meta."""
    from torch.utils.flop_counter import FlopCounterMode

    model = build_meta_model(name)
    with FlopCounterMode(display=False) as counter, torch.enable_grad():
        model(torch.empty(1, 3, size, size, device="meta"))
    assert count_flops(model, size)["flops"].value == counter.get_total_flops() > 0
    assert all("forward" not in vars(m) for m in model.modules())  # every norm's pass-through was undone
