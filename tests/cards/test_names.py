"""Names are text in cards and charts: no mathtext from metadata, no invisible bidirectional controls."""

from __future__ import annotations

import html
import unicodedata
from pathlib import Path

import pandas as pd
import pytest
from markdown_it import MarkdownIt

from zoo.cards import load_results, render_cards
from zoo.index import load_index

from .conftest import LATENCY_COLUMNS, latency_row, render, write_template
from .test_frontier import accuracy_row

# collection, model: each would make matplotlib parse mathtext (and most fail to parse)
MATH = [
    ("Lite $\\oops$", "tf_efficientnet_lite0"),
    ("Lite $x^$", "tf_efficientnet_lite0"),
    ("Family", "lite $\\frac{$ 0"),
    ("one $ and $$ two", "a$b$c"),
    ("$\\sqrt{2}$ \\$5", "$_$"),
]


def _results(tmp_path: Path, model: str) -> Path:
    folder = tmp_path / "results"
    folder.mkdir()
    rows = [
        latency_row(model, "torch", "fp32", "packaged", 11.5),
        latency_row(model, "$x$", "$^$", "packaged", 9.1),
    ]
    pd.DataFrame(rows, columns=LATENCY_COLUMNS).to_csv(folder / "latency.csv", index=False)
    accuracy = [accuracy_row(model, "torch", "fp32", 86.0), accuracy_row(model, "$x$", "$^$", 85.0)]
    pd.DataFrame(accuracy).to_csv(folder / "accuracy.csv", index=False)
    return folder


@pytest.mark.parametrize(("collection", "model"), MATH)
def test_dollar_signs_in_names_are_drawn_as_text(collection: str, model: str, tmp_path: Path) -> None:
    write_template(tmp_path / "t", "# Family", model=model, collection=collection)
    assert render(tmp_path / "t", _results(tmp_path, model), tmp_path / "out") == 0
    chart = (tmp_path / "out" / "family.svg").read_text()
    for text in (f"{collection}: latency at batch 1", model, "$x$ $^$"):
        assert html.escape(text, quote=False) in chart, text
    frontier = (tmp_path / "out" / "family-frontier.svg").read_text()
    for text in (f"{collection}: environment", f"{model} $x$ $^$", f"{model} torch fp32", "$^$"):
        assert html.escape(text, quote=False) in frontier, text


BIDI = [*"\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c", "\u200b", "\x1b"]


@pytest.mark.parametrize("char", BIDI, ids=[f"U+{ord(c):04X}" for c in BIDI])
def test_invisible_characters_are_shown_escaped(char: str, results_dir: Path, tmp_path: Path) -> None:
    model = f"lite{char}0gpj"
    escaped = f"\\u{ord(char):04x}"
    template = write_template(tmp_path / "t", f"# Family {char}\n", model=model, collection=f"Fam{char}ily")
    (results_dir / "latency.csv").write_text(
        pd.DataFrame(
            [latency_row(model, f"torch{char}", "fp32", "packaged", 11.5)], columns=LATENCY_COLUMNS
        ).to_csv(index=False)
    )
    files = render_cards(tmp_path / "t", results_dir, tmp_path / "out", load_index(template))
    for file in files:
        text = file.content.decode()
        assert not any(unicodedata.category(c) in ("Cf", "Cc") and not c.isspace() for c in text), file.path
    card = next(f for f in files if f.path.suffix == ".md").content.decode()
    assert f"`lite{escaped}0gpj`" in card  # in a code span, as written
    assert f"| torch{escaped} | fp32 |" in card  # in a table cell (a backslash before `u` is literal)
    assert f"torch{escaped}" in MarkdownIt("commonmark").enable("table").render(card)
    assert f"# Family {escaped}" in card  # in the template's own text too
    chart = next(f for f in files if f.path.suffix == ".svg").content.decode()
    assert f"lite{escaped}0gpj" in chart and f"Fam{escaped}ily" in chart
    assert load_results(results_dir).of("latency", model)  # the results were about this model
