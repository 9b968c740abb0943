"""Conformance: every file of the timm-docs corpus parses, with the counts and values it declares."""

from __future__ import annotations

from pathlib import Path

import pytest

from zoo.index import load_index

CORPUS = Path(__file__).resolve().parents[3] / "shared" / "corpus" / "timm-docs"
pytestmark = pytest.mark.skipif(not CORPUS.is_dir(), reason="corpus not beside this checkout")


@pytest.fixture(scope="module")
def corpus():
    return load_index(CORPUS / "model-index.yml")


def test_counts(corpus) -> None:
    cards = [f for f in corpus.files if f.suffix == ".md"]
    assert len(cards) == 65
    assert len(corpus.models) == 272
    assert len(corpus.collections) == 65


def test_lite0_values(corpus) -> None:
    lite0 = corpus.model("tf_efficientnet_lite0")
    assert lite0.metadata.flops == 488052032
    assert lite0.metadata.parameters == 4650000
    assert lite0.metadata.crop_pct == 0.875
    assert lite0.metadata.fields["crop_pct"].text == "0.875"
    assert lite0.metadata.image_size == 224
    assert lite0.metadata.interpolation == "bicubic"
    assert lite0.declared_accuracy("Top 1 Accuracy") == 74.83
    assert lite0.results[0].metrics["top_1_accuracy"].text == "74.83%"
    assert lite0.collection == "TF EfficientNet Lite"
    assert lite0.paper is not None and lite0.paper.url.startswith("https://paperswithcode.com/")


def test_every_value_knows_its_line(corpus) -> None:
    lite0 = corpus.model("tf_efficientnet_lite0")
    lines = lite0.source.path.read_text().splitlines()
    flops = lite0.metadata.fields["flops"]
    assert lines[flops.source.line - 1].strip() == "FLOPs: 488052032"
    assert lines[lite0.source.line - 1].strip() == "- Name: tf_efficientnet_lite0"


def test_unknown_keys_are_kept(corpus) -> None:
    model = next(m for m in corpus.models.values() if m.metadata.get("Training Techniques"))
    assert isinstance(model.metadata.get("training_techniques"), list)
    assert "training_techniques" not in {"flops", "parameters"}
