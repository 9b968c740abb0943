"""Every card carries its measurements, whatever its template includes, and says only what is true."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest

from .conftest import LATENCY, LATENCY_COLUMNS, render, write_template

MODEL = "### `tf_efficientnet_lite0`"
LATENCY_ROW = "| torch | fp32 | 1 | 2 | 11.52 | 11.98 | 86.8 |"
CHART_LINK = "](family.svg)"

# id, template body, a line the measured sections must come after, a line they must come before
TEMPLATES = [
    ("timm corpus style", "# Family\n\nWords.\n\n{% include 'code_snippets.md' %}\n\n## Citation\n\ncite",
     "Words.", "## How do I use this model?"),
    ("no includes", "# Family\n\nWords.\n\n## How do I train this model?\n\nTrain it.", "Words.",
     "## How do I train this model?"),
    ("no sections at all", "# Family\n\nJust words.", "Just words.", "<!--\nType: model-index"),
    ("a heading inside a code block", "# Family\n\n```\n## not a heading\n```\n\n## Real", "## not a heading",
     "## Real"),
    ("places them itself", "# Family\n\n## First\n\n{% include 'zoo_model_details.md' %}\n\n## Last",
     "## First", "## Last"),
    ("places model sections, not the chart",
     "# Family\n\n## Mine\n\n{% for facts in card.facts %}{% include 'zoo_model.md' %}{% endfor %}\n\n## Last",
     "## Mine", "## Last"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("body", "after", "before"), [c[1:] for c in TEMPLATES], ids=[c[0] for c in TEMPLATES]
)
def test_every_card_carries_measurements_and_links_its_chart_once(
    body: str, after: str, before: str, results_dir: Path, tmp_path: Path
) -> None:
    write_template(tmp_path / "t", body)
    assert render(tmp_path / "t", results_dir, tmp_path / "out") == 0
    card = (tmp_path / "out" / "family.md").read_text()
    assert card.count(MODEL) == 1 and card.count(LATENCY_ROW) == 1, card
    assert card.count("**Accuracy**: declared top-1") == 1 and "**Metadata validation**: 2 mismatch" in card
    assert card.count(CHART_LINK) == 1 and (tmp_path / "out" / "family.svg").is_file()
    assert card.index(after) < card.index(MODEL) < card.index(before)
    assert card.index("# Family") < card.index(CHART_LINK) < card.index(before)


def test_non_converged_medians_are_marked(tmp_path: Path) -> None:
    rows = [dict(row, converged=row["backend"] != "torch") for row in LATENCY]
    results = tmp_path / "results"
    results.mkdir()
    pd.DataFrame(rows, columns=LATENCY_COLUMNS).to_csv(results / "latency.csv", index=False)
    write_template(tmp_path / "t", "# Family")
    assert render(tmp_path / "t", results, tmp_path / "out") == 0
    card = (tmp_path / "out" / "family.md").read_text()
    assert "| torch | fp32 | 1 | 2 | 11.52 (did not converge) | 11.98 |" in card
    assert "| onnxruntime | fp32 | 1 | 2 | 6.41 | 6.67 |" in card
    assert card.count("did not converge") == 1


# model, rows its specification must show, rows it must not (nothing declared nor validated)
SPEC_ROWS = [
    ("tf_efficientnet_lite0", ["| Parameters |", "| Mean | \u2013 | 0.5, 0.5, 0.5 | unknown |"], ["| Std |"]),
    ("tf_efficientnet_lite4", ["| Parameters | 13 M", "| Crop pct | 0.92 |"], ["| Mean |", "| Std |"]),
]


@pytest.mark.parametrize(("model", "shown", "dropped"), SPEC_ROWS, ids=[c[0] for c in SPEC_ROWS])
def test_rows_with_nothing_declared_or_measured_are_dropped(
    model: str,
    shown: list[str],
    dropped: list[str],
    project_templates: Path,
    results_dir: Path,
    tmp_path: Path,
) -> None:
    assert render(project_templates, results_dir, tmp_path / "out") == 0
    card = (tmp_path / "out" / "tf-efficientnet-lite.md").read_text()
    start = card.index(f"### `{model}`")
    section = card[start : card.find("\n#", start + 1)]
    for row in shown:
        assert row in section, row
    for row in dropped:
        assert row not in section, row


# model of the card, whether zoo's tests run the snippets for it
SNIPPET_MODELS = [("tf_efficientnet_lite0", True), ("tf_efficientnet_lite1", False), ("resnet18", False)]


@pytest.mark.parametrize(("model", "tested"), SNIPPET_MODELS)
def test_snippet_text_claims_tests_only_for_the_tested_model(
    model: str, tested: bool, tmp_path: Path
) -> None:
    write_template(tmp_path / "t", "# Family\n\n{% include 'code_snippets.md' %}", model=model)
    assert render(tmp_path / "t", tmp_path / "none", tmp_path / "out") == 0
    card = (tmp_path / "out" / "family.md").read_text()
    assert f"timm.create_model('{model}'" in card
    assert ("zoo's tests run them for\n`" + model + "`" in card) is tested
    assert ("they are untested" in card) is not tested
    assert not re.search(r"tests run them for\s+`(?!tf_efficientnet_lite0`)", card)
