"""`zoo site`: what the build holds, that it loads nothing from elsewhere, and that it is reproducible."""

from __future__ import annotations

import json
import re
import socket
import urllib.request
from datetime import UTC, datetime
from pathlib import Path

import pytest

from zoo._errors import ZooError
from zoo.cli import main
from zoo.index import Index, load_index
from zoo.publish import build_site, card_templates
from zoo.publish.site import MARKER

REPO = Path(__file__).resolve().parents[2]
CORPUS = REPO.parent / "shared" / "corpus" / "timm-docs"
# What makes a browser fetch: script and image sources, stylesheets, icons, frames, CSS url() and @import.
_LOADS = re.compile(
    r"<(?:script|img|iframe|source|embed)\b[^>]*\bsrc=\"([^\"]*)\""
    r"|<link\b[^>]*\bhref=\"([^\"]*)\""
    r"|url\(\s*['\"]?([^'\")]*)"
    r"|@import\s+['\"]([^'\"]*)"
)


def _files(site: Path) -> dict[str, bytes]:
    return {str(p.relative_to(site)): p.read_bytes() for p in sorted(site.rglob("*")) if p.is_file()}


def test_pages_hold_the_cards_leaderboard_and_environments(
    site: Path, index: Index, results_dir: Path
) -> None:
    for page in ("index.html", "leaderboard.html", "environments.html", "models/tf-efficientnet-lite.html"):
        assert (site / page).is_file(), page
    assert (site / "models" / "tf-efficientnet-lite.svg").is_file()  # the card's chart
    assert 'src="tf-efficientnet-lite.svg"' in (site / "models" / "tf-efficientnet-lite.html").read_text()
    leaderboard = (site / "leaderboard.html").read_text()
    assert all(f'data-model="{name}"' in leaderboard for name in index.models)
    environments = json.loads((results_dir / "environments.json").read_text())
    assert environments and all(name in (site / "environments.html").read_text() for name in environments)


def test_nothing_loads_from_another_host(site: Path) -> None:
    loads = []
    for path in site.rglob("*"):
        if path.suffix in (".html", ".css"):
            text = path.read_text("utf-8")
            loads += [
                (path.name, next(g for g in m.groups() if g is not None)) for m in _LOADS.finditer(text)
            ]
    assert len(loads) > 20  # the pattern does find the local loads
    remote = [
        (name, url)
        for name, url in loads
        if re.match(r"(?i)([a-z]+:)?//", url) and not url.startswith("data:")
    ]
    assert remote == []
    assert not any("fonts.googleapis" in p.read_text("utf-8", "replace") for p in site.rglob("*.html"))


def test_two_builds_are_byte_identical(site: Path, index: Index, results_dir: Path, tmp_path: Path) -> None:
    again = build_site(index, results_dir, tmp_path / "again").out
    assert _files(again) == _files(site)


def test_the_build_is_dated_by_the_records_not_the_clock(site: Path, results_dir: Path) -> None:
    """mkdocs dates the sitemap by the build day: the newest environment's day, so any day rebuilds it."""
    environments = json.loads((results_dir / "environments.json").read_text())
    newest = max(datetime.fromisoformat(env["date"]) for env in environments.values())
    day = datetime(newest.year, newest.month, newest.day, tzinfo=UTC)
    header = (site / "sitemap.xml.gz").read_bytes()[:8]
    assert int.from_bytes(header[4:8], "little") == day.timestamp()  # gzip's MTIME field


def test_a_rebuild_clears_its_own_folder(index: Index, results_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "site"
    build_site(index, results_dir, out)
    (out / "stale.html").write_text("from an older build")
    build_site(index, results_dir, out)
    assert not (out / "stale.html").exists() and (out / MARKER).is_file()


def test_refuses_to_clear_a_folder_it_did_not_make(
    tmp_path: Path, results_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "notes.txt").write_text("mine")
    args = [
        "site",
        "--index",
        str(REPO / "model-index.yml"),
        "--results",
        str(results_dir),
        "--out",
        str(tmp_path),
    ]
    assert main(args) == 2
    error = capsys.readouterr().err
    assert error.count("\n") == 1 and "not made by `zoo site`" in error
    assert (tmp_path / "notes.txt").read_text() == "mine"


def test_one_model_makes_a_site(tmp_path: Path) -> None:
    card = tmp_path / "docs" / "models" / "one.md"
    card.parent.mkdir(parents=True)
    card.write_text(
        "# One model\n\n<!--\nModels:\n- Name: solo<i>_net\n  Metadata:\n    Parameters: 1000\n-->\n"
    )
    index_file = tmp_path / "model-index.yml"
    index_file.write_text("Import:\n- ./docs/models/*.md\n")
    built = build_site(load_index(index_file), tmp_path / "no-results", tmp_path / "site")
    assert (built.cards, built.models, built.rows) == (1, 1, 1)
    leaderboard = (built.out / "leaderboard.html").read_text()
    assert 'data-model="solo&lt;i&gt;_net"' in leaderboard and "not measured yet" in leaderboard
    assert "<i>_net" not in leaderboard  # a name is text, never markup
    assert 'href="models/one.html"' in leaderboard


def test_cards_outside_one_models_folder_need_templates(tmp_path: Path) -> None:
    (tmp_path / "a.md").write_text("<!--\nModels:\n- Name: a_net\n-->\n")
    with pytest.raises(ZooError, match="pass --templates"):
        card_templates(load_index(tmp_path / "a.md"))


def test_the_preview_serves_the_site(served: str) -> None:
    assert served.startswith("http://127.0.0.1:")
    with urllib.request.urlopen(served + "leaderboard.html", timeout=10) as response:
        assert response.status == 200 and b"zoo-leaderboard" in response.read()


@pytest.mark.parametrize("port", ["taken", "-1", "70000"])
def test_a_port_it_cannot_use_is_one_line(
    site: Path, tmp_path: Path, results_dir: Path, capsys: pytest.CaptureFixture[str], port: str
) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        number = str(taken.getsockname()[1]) if port == "taken" else port
        args = ["site", "--index", str(REPO / "model-index.yml"), "--results", str(results_dir)]
        assert main([*args, "--out", str(tmp_path / "site"), "--serve", "--port", number]) == 2
    error = capsys.readouterr().err
    assert error.startswith(f"zoo: error: cannot serve on 127.0.0.1:{number}") and error.count("\n") == 1


@pytest.mark.skipif(not CORPUS.is_dir(), reason="corpus not beside this checkout")
def test_the_timm_corpus_makes_a_site(tmp_path: Path, results_dir: Path) -> None:
    built = build_site(load_index(CORPUS / "model-index.yml"), results_dir, tmp_path / "site")
    assert (built.cards, built.models) == (65, 272)
    assert len(list((built.out / "models").glob("*.html"))) == 65
    assert (built.out / "leaderboard.html").read_text().count("<tr data-model=") == built.rows >= 272
