"""No index or results value reaches a card, a Hub card or the site as live markup.

A hostile project (real files: an index, a card template, a results export) carries script payloads
in every place a value is shown: the library name, a headline, a collection and paper, model
metadata, table cells (with Python-Markdown's `{: attr}` syntax at the end), and a comment block
that `--!>` would close early. The site is built and every page opened in headless Chromium, which
would run any payload that came through: the marker it would set must stay unset, and no element
may carry an event attribute.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from zoo.cards._format import comment_yaml, escape_markdown, inert_comments
from zoo.cli import main
from zoo.index import load_index
from zoo.publish import build_site, hf_cards
from zoo.results import LatencyRecord
from zoo.results.records import Status
from zoo.results.stats import Stats

from .test_browser import CHROMIUM, SKIP_REASON, Chromium
from .test_history import add_runs

MARK = "window.zooPwned"
# Each payload would set the marker if it ran; `n` tells which one came through.
PAYLOADS = [
    "<script>{mark}={n}</script>",
    '<img src=x onerror="{mark}={n}">',
    'x {{: onmouseover="{mark}={n}" }}',
    '--!> <img src=x onerror="{mark}={n}"> <!--',
    '<svg onload="{mark}={n}"></svg>',
    "<b onmouseover='{mark}={n}'>b</b>",
]


def payload(n: int) -> str:
    return PAYLOADS[n % len(PAYLOADS)].format(mark=MARK, n=n)


def quoted(n: int) -> str:
    return yaml.safe_dump(payload(n), width=10**9).removesuffix("\n...\n").strip()


def hostile_project(folder: Path, results_dir: Path) -> Path:
    """An index whose every shown value is a payload; its results export with payload cells."""
    models = folder / "docs" / "templates" / "models"
    models.mkdir(parents=True)
    (folder / "model-index.yml").write_text(
        f"Import:\n- ./docs/templates/models/*.md\nLibrary:\n  Name: {quoted(0)}\n  Headline: {quoted(1)}\n"
    )
    (models / "evil.md").write_text(
        f"""# Evil

Text.

{{% include 'zoo_model_details.md' %}}

<!--
Collections:
- Name: {quoted(3)}
  Paper:
    Title: {quoted(4)}
    URL: https://example.com/paper
Models:
- Name: tf_efficientnet_lite0
  In Collection: {quoted(3)}
  Metadata:
    Training Data:
    - {quoted(2)}
    Architecture:
    - {quoted(5)}
    - {quoted(8)}
    Parameters: 4650000
    Interpolation: {quoted(7)}
  Weights: {quoted(13)}
  Code: {quoted(9)}
  Results:
  - Task: Image Classification
    Dataset: {quoted(10)}
    Metrics:
      Top 1 Accuracy: 75.1%
-->
"""
    )
    results = Path(shutil.copytree(results_dir, folder / "results"))
    validation = results / "validation.csv"
    cells = [f'"{payload(n).replace(chr(34), chr(34) * 2)}"' for n in (20, 21, 22, 23, 26)]
    row = f"tf_efficientnet_lite0,Interpolation,{cells[0]},{cells[1]},{cells[2]},ok,{cells[3]}\n"
    row += f"tf_efficientnet_lite0,Weights,{cells[4]},x,y,mismatch,{cells[2]}\n"
    validation.write_text(validation.read_text() + row)
    return folder / "model-index.yml"


def hostile_store(db: Path) -> Path:
    """Two stored runs of lite0 whose backend, commit, library version and date are payloads."""
    record = LatencyRecord(
        "tf_efficientnet_lite0",
        payload(30),
        "fp32",
        1,
        1,
        Status.OK,
        stats=Stats.from_seconds([0.01] * 30),
        converged=True,
        environment={"id": "e", "git_commit": payload(31), "libraries": {"torch": payload(32)}},
        measured_at=payload(33),
    )
    add_runs(db, record, [10.0, 12.5])
    return db


@pytest.fixture(scope="module")
def hostile_site(tmp_path_factory: pytest.TempPathFactory, results_dir: Path) -> Path:
    folder = tmp_path_factory.mktemp("hostile")
    index = hostile_project(folder, results_dir)
    out = folder / "site"
    build_site(load_index(index), folder / "results", out, store=hostile_store(folder / "results.db"))
    return out


@pytest.mark.skipif(CHROMIUM is None, reason=SKIP_REASON)
def test_no_payload_runs_on_any_page_of_the_site(hostile_site: Path) -> None:
    assert CHROMIUM is not None
    browser = Chromium(CHROMIUM)
    try:
        pages = sorted(hostile_site.rglob("*.html"))
        assert {p.name for p in pages} >= {"index.html", "evil.html", "leaderboard.html", "history.html"}
        assert (hostile_site / "history" / "tf-efficientnet-lite0.svg").is_file()  # its page has a chart
        for page in pages:
            browser.open(page.as_uri())
            # hover every element, so an injected onmouseover would fire too
            browser.evaluate(
                "document.querySelectorAll('*').forEach(e => e.dispatchEvent(new MouseEvent('mouseover')))"
            )
            assert browser.evaluate(f"typeof {MARK}") == "undefined", f"{page.name}: {browser.evaluate(MARK)}"
            live = browser.evaluate(
                "[...document.querySelectorAll('*')].flatMap(e => [...e.attributes]"
                ".filter(a => a.name.startsWith('on') && a.value.includes('zooPwned'))"
                ".map(a => e.tagName + ' ' + a.name))"
            )
            assert live == [], f"{page.name}: {live}"
            scripts = browser.evaluate(
                "[...document.scripts].filter(s => s.text.includes('zooPwned')).length"
            )
            assert scripts == 0, page.name
        text = (hostile_site / "models" / "evil.html").read_text()
        assert "onmouseover" in text  # the payloads are on the page, as text
    finally:
        browser.close()


@pytest.mark.parametrize("n", range(len(PAYLOADS)))
def test_a_value_in_markdown_is_text(n: int) -> None:
    import markdown

    cell = escape_markdown(payload(n))
    html = markdown.markdown(f"| a |\n|---|\n| {cell} |", extensions=["tables", "attr_list", "md_in_html"])
    assert "<td>" in html and "<script" not in html and "onmouseover=" not in html.split("<td>")[1][:5]
    assert not any(f"<{tag}" in html for tag in ("img", "svg", "b ")), html


@pytest.mark.parametrize(
    "name",
    [
        "a --> <img src=x onerror=alert(1)>",
        "a --!> <script>alert(1)</script>",
        "<!-- nested --> b",
        "plain name",
        "a->b -- c",
    ],
)
def test_a_comment_block_cannot_be_closed_by_a_value_and_reads_back(name: str) -> None:
    block = f"<!--\n{comment_yaml({'Collections': [{'Name': name}]})}-->"
    inner = block.removeprefix("<!--").removesuffix("-->")
    assert "-->" not in inner and "--!>" not in inner and "<!--" not in inner
    assert yaml.safe_load(inner) == {"Collections": [{"Name": name}]}
    card = inert_comments(f"<!--\n- Name: {name}\n-->\nafter")
    assert "--!>" not in card.split("-->")[0]


def test_the_hub_card_comment_block_holds_a_hostile_collection_name(
    tmp_path: Path, results_dir: Path
) -> None:
    folder = tmp_path / "p"
    folder.mkdir()
    (folder / "model-index.yml").write_text(
        "Collections:\n- Name: 'Evil --> <img src=x onerror=alert(1)> --!>'\n"
        "Models:\n- Name: tf_efficientnet_lite0\n  In Collection: 'Evil --> <img src=x onerror=alert(1)> --!>'\n"
    )
    index = load_index(folder / "model-index.yml")
    (card,) = hf_cards(
        index, results_dir, Path(__file__).resolve().parents[2] / "docs" / "templates", tmp_path / "hf"
    )
    body = card.content.decode().split("\n---\n", 1)[1]  # after the front matter (YAML, never HTML)
    block = body[body.index("<!--") : body.index("-->") + 3]
    assert (
        yaml.safe_load(block[4:-3])["Collections"][0]["Name"] == "Evil --> <img src=x onerror=alert(1)> --!>"
    )
    assert "<img" not in body.replace(block, "")


def test_a_site_name_with_markup_is_text_in_the_config(tmp_path: Path, results_dir: Path) -> None:
    index = hostile_project(tmp_path / "p", results_dir)
    assert main(["site", "--index", str(index), "--results", str(tmp_path / "p" / "results"),
                 "--out", str(tmp_path / "site")]) == 0  # fmt: skip
    page = (tmp_path / "site" / "index.html").read_text()
    assert "<script>window.zooPwned" not in page and "&lt;script&gt;window.zooPwned" in page
