"""Declared weights resolved to a timm pretrained tag from timm's own registry, and when none is pinned."""

from __future__ import annotations

import pytest

from zoo.weights import resolve_pretrained

RELEASES = "https://github.com/rwightman/pytorch-image-models/releases/download"
RAM = f"{RELEASES}/v0.1-weights/resnet50_ram-a26f946b.pth"


@pytest.mark.parametrize(
    ("name", "weights", "tag", "pinned_by"),
    [
        ("resnet50", RAM, "resnet50.ram_in1k", "the file name"),
        ("resnet50", "hf-hub:timm/resnet50.a1_in1k", "resnet50.a1_in1k", "the hub id"),
        ("resnet50", "timm/resnet50.tv_in1k", "resnet50.tv_in1k", "the hub id"),
        (
            "resnet50",
            "https://huggingface.co/timm/resnet50.gluon_in1k/resolve/main/model.safetensors",
            "resnet50.gluon_in1k",
            "the hub id",
        ),
        (
            "resnet50",
            "https://example.org/mirror/r50-a26f946b.pth",
            "resnet50.ram_in1k",
            "the hash prefix a26f946b",
        ),
        ("resnet50.a1_in1k", None, "resnet50.a1_in1k", "the model name"),
        (
            "xception",
            f"{RELEASES}/v0.1-cadene/xception-43020ad28.pth",
            "legacy_xception.tf_in1k",
            "the file name",
        ),
        (
            "tv_resnet50",  # a file timm no longer lists; timm's rename carries the tag
            "https://download.pytorch.org/models/resnet50-19c8e357.pth",
            "resnet50.tv_in1k",
            "the model name (timm maps tv_resnet50 to resnet50.tv_in1k)",
        ),
        ("tf_efficientnet_lite0", None, "tf_efficientnet_lite0.in1k", "the only pretrained tag"),
    ],
)
def test_a_tag_is_pinned(name: str, weights: str | None, tag: str, pinned_by: str) -> None:
    found = resolve_pretrained(name, weights)
    assert (found.tag, found.judged_against) == (tag, (tag,))
    assert found.pinned_by is not None and found.pinned_by.startswith(pinned_by)
    assert found.verdict in ("ok", "unknown")


def test_a_rename_is_shown() -> None:
    found = resolve_pretrained("xception", f"{RELEASES}/v0.1-cadene/xception-43020ad28.pth")
    assert (found.architecture, found.renamed, found.verdict) == ("legacy_xception", "legacy_xception", "ok")


@pytest.mark.parametrize(
    ("name", "weights", "verdict", "candidates", "detail"),
    [
        (  # pycls weights: timm lists no file for them, so any regnetx_008 tag may be meant
            "regnetx_008",
            f"{RELEASES}/v0.1-regnet/regnetx_008-d8b470eb.pth",
            "unknown",
            ("regnetx_008.tv2_in1k", "regnetx_008.pycls_in1k"),
            "no pretrained tag in timm",
        ),
        ("resnet50", None, "unknown", None, "not declared"),
        (  # a card that links another model's file
            "efficientnet_b2a",
            f"{RELEASES}/v0.1-weights/efficientnet_b3_ra2-cf984f9c.pth",
            "mismatch",
            ("efficientnet_b2.ra_in1k",),
            "is timm's efficientnet_b3.ra2_in1k, not a tag of efficientnet_b2",
        ),
        (  # the model name and the file disagree
            "resnet50.a1_in1k",
            RAM,
            "mismatch",
            ("resnet50.ram_in1k",),
            "is timm's resnet50.ram_in1k, but the model name says resnet50.a1_in1k",
        ),
    ],
)
def test_no_tag_is_pinned(
    name: str, weights: str | None, verdict: str, candidates: tuple[str, ...] | None, detail: str
) -> None:
    found = resolve_pretrained(name, weights)
    assert (found.tag, found.pinned_by, found.verdict) == (None, None, verdict)
    if candidates is not None:
        assert found.candidates == candidates
    else:
        assert len(found.candidates) > 1 and found.candidates[0] == "resnet50.a1_in1k"  # the default first
    assert detail in found.detail


def test_a_model_timm_does_not_have() -> None:
    found = resolve_pretrained("gluon_xception65", None)
    assert (found.architecture, found.tag, found.candidates) == (None, None, ())
    assert "has no model named 'gluon_xception65'" in found.detail
