"""Parsing the whole timm-docs corpus (65 cards, 272 models) should take well under a second."""

from __future__ import annotations

from pathlib import Path

import pytest

from zoo.index import load_index

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus" / "timm-docs" / "model-index.yml"


@pytest.mark.skipif(not CORPUS.is_file(), reason="corpus not beside this checkout")
def test_parse_corpus(benchmark) -> None:
    index = benchmark(load_index, CORPUS)
    assert len(index.models) == 272
