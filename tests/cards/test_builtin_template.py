"""An index without card templates (most real indexes) gets cards and a site from the built-in one."""

from __future__ import annotations

from pathlib import Path

import pytest

from zoo.cli import main

INDEX = """\
Collections:
- Name: ResNet
  Paper:
    Title: Deep Residual Learning for Image Recognition
    URL: https://arxiv.org/abs/1512.03385
- Name: Vision Transformer
Models:
- Name: resnet18_8xb32_in1k
  In Collection: ResNet
  Metadata:
    Parameters: 11690000
  Results:
  - Task: Image Classification
    Dataset: ImageNet-1k
    Metrics:
      Top 1 Accuracy: 69.90
- Name: vit-base-p16_in21k-pre_3rdparty_in1k-384px
  In Collection: Vision Transformer
- Name: lonely_model
"""


@pytest.fixture
def index(tmp_path: Path) -> Path:
    (tmp_path / "model-index.yml").write_text(INDEX)
    return tmp_path / "model-index.yml"


def test_docs_render_one_card_per_collection(index: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["docs", "--index", str(index)]) == 0
    cards = index.parent / "docs" / "models"
    assert sorted(p.name for p in cards.glob("*.md")) == [
        "other-models.md",
        "resnet.md",
        "vision-transformer.md",
    ]
    resnet = (cards / "resnet.md").read_text()
    assert resnet.splitlines()[1] == "# ResNet"
    assert "[Deep Residual Learning for Image Recognition](https://arxiv.org/abs/1512.03385)" in resnet
    assert "| `resnet18_8xb32_in1k` |" in resnet and "69.90" in resnet  # ImageNet-1k is ImageNet
    assert "built-in collection template" in resnet
    assert "# Models without a collection" in (cards / "other-models.md").read_text()
    assert main(["docs", "--index", str(index), "--check"]) == 0


def test_a_site_is_built_without_templates(index: Path, tmp_path: Path) -> None:
    out = tmp_path / "site"
    assert main(["site", "--index", str(index), "--out", str(out)]) == 0
    assert (out / "index.html").is_file()
    assert "resnet18_8xb32_in1k" in (out / "models" / "resnet.html").read_text()


def test_a_project_template_still_wins(index: Path) -> None:
    models = index.parent / "docs" / "templates" / "models"
    models.mkdir(parents=True)
    (models / "mine.md").write_text("# Mine\n\n<!--\nModels:\n- Name: mine_only\n-->\n")
    index.write_text("Import:\n- docs/templates/models/*.md\n")
    assert main(["docs", "--index", str(index)]) == 0
    assert [p.name for p in (index.parent / "docs" / "models").glob("*.md")] == ["mine.md"]
