"""Results in the Hugging Face Hub's shape (task and dataset mappings, a list of metrics) parse too."""

from __future__ import annotations

from pathlib import Path

import pytest

from zoo.cli import main
from zoo.index import load_index

HUB_CARD = """---
library_name: timm
model-index:
- name: hub_net
  results:
  - task: {type: image-classification, name: Image Classification}
    dataset: {type: imagenet-1k, name: ImageNet}
    metrics:
    - {type: accuracy, name: Top 1 Accuracy, value: 80.5}
    - {type: top5, value: 95.1}
---
# hub_net
"""


def test_hub_results_become_named_metrics(tmp_path: Path) -> None:
    card = tmp_path / "README.md"
    card.write_text(HUB_CARD)
    model = load_index(card).model("hub_net")
    (result,) = model.results
    assert (result.task, result.dataset) == ("Image Classification", "ImageNet")
    assert model.declared_accuracy("Top 1 Accuracy") == 80.5
    assert result.metric("top5") == 95.1  # no name: the type names it
    assert result.metrics["top_1_accuracy"].source.line == 9  # the line of its own metric


@pytest.mark.parametrize(
    ("metric", "field"),
    [
        ("- {type: accuracy}", "results"),  # no value
        ("- [accuracy, 80.5]", "results"),  # not a mapping
        ("- {type: accuracy, value: high}", "accuracy"),  # not a number
    ],
)
def test_bad_hub_metrics_are_a_located_error_of_the_model(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], metric: str, field: str
) -> None:
    card = tmp_path / "README.md"
    card.write_text(HUB_CARD.replace("    - {type: top5, value: 95.1}", f"    {metric}"))
    assert main(["show", "--index", str(card), "hub_net"]) == 1
    captured = capsys.readouterr()
    assert captured.out.startswith("hub_net  (declared at")
    error = captured.err.splitlines()[0]
    assert error.startswith("zoo: error: ") and "model 'hub_net'" in error and f"field '{field}'" in error
