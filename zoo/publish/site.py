"""`zoo site`: an offline static site (mkdocs with mkdocs-material) from the index and the results.

The pages are staged in a temporary folder: the collection cards `zoo docs` renders (with their
charts), a leaderboard and the measurement environments. mkdocs then builds them with
`use_directory_urls: false`, the theme's web fonts off and the offline plugin, so every page opens
from `file://` and nothing is fetched from another host. The build time the sitemap names is the
newest date the records hold (`SOURCE_DATE_EPOCH`), so two builds from the same records match.
"""

from __future__ import annotations

import html
import logging
import os
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import jinja2
import yaml

from zoo._errors import ZooError
from zoo.cards import (
    FILTERS,
    CardFile,
    ModelFacts,
    Results,
    environments,
    escape_markdown,
    load_results,
    model_facts,
    render_cards,
)
from zoo.index import MARKDOWN_SUFFIXES, Index, display_path
from zoo.paths import project_paths
from zoo.publish.frontier import PAGE as FRONTIER_PAGE
from zoo.publish.frontier import frontier_pages
from zoo.publish.history import PAGE as HISTORY_PAGE
from zoo.publish.history import history_pages, link_cards, stored_history
from zoo.publish.leaderboard import LeaderboardRow, leaderboard
from zoo.results.gate import Noise
from zoo.results.records import LatencyRecord

TEMPLATES = Path(__file__).parent / "templates"
MARKER = ".zoo-site"
"""Left in a built site, so a rebuild may clear the folder and nothing else gets cleared."""
ASSETS = ("leaderboard.js", "leaderboard.css", "iframe-worker-shim.js")
"""Files of ours the pages load; the shim replaces the CDN copy the offline plugin would add."""


@dataclass(frozen=True)
class BuiltSite:
    """What `build_site` made: the folder, its pages and how long it took."""

    out: Path
    cards: int
    models: int
    rows: int
    seconds: float


def card_templates(index: Index) -> Path:
    """The templates folder of an index's cards: the parent of the `models/` folder they all lie in."""
    folders = {path.parent for path in index.files if path.suffix.lower() in MARKDOWN_SUFFIXES}
    if not folders:  # an index of YAML alone: the project's templates, else zoo's built-in one
        return project_paths(index.root).templates
    if len(folders) != 1 or next(iter(folders)).name != "models":
        raise ZooError(
            f"{display_path(index.root)}: its cards do not all lie in one models/ folder; "
            "pass --templates (the folder above the collection templates)"
        )
    return next(iter(folders)).parent


def build_site(
    index: Index, results_dir: Path, out: Path, templates: Path | None = None, store: Path | None = None
) -> BuiltSite:
    """Build the site into `out` (created, or cleared when a previous `zoo site` made it). The history
    pages come from the results `store` (none given, or none there: each says it holds no run)."""
    started = time.perf_counter()
    _check_out(out)
    templates = templates or card_templates(index)
    results = load_results(results_dir)
    facts = tuple(model_facts(model, results) for model in index.models.values())
    rows = leaderboard(facts)
    stored = stored_history(store)
    with tempfile.TemporaryDirectory(prefix="zoo-site-") as staging:
        docs = Path(staging) / "docs"
        cards = link_cards(render_cards(templates, results_dir, docs / "models", index), index)
        pages = _pages(index, results, facts, rows, _card_titles(cards), stored)
        for path, content in [*((card.path, card.content) for card in cards), *pages.items()]:
            target = path if path.is_absolute() else docs / path
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(content if isinstance(content, bytes) else str(content).encode("utf-8"))
        config = Path(staging) / "mkdocs.yml"
        config.write_text(yaml.safe_dump(_config(index, docs, out), sort_keys=False), "utf-8")
        with _build_date(results):
            _mkdocs_build(config)
    # mkdocs's 404 page links assets from the server root, which file:// lacks; neither the preview
    # nor a browser on file:// ever shows it.
    (out / "404.html").unlink(missing_ok=True)
    (out / MARKER).write_text("built by zoo site; `zoo site` may clear this folder\n", "utf-8")
    md_cards = sum(1 for card in cards if card.path.suffix == ".md")
    return BuiltSite(out, md_cards, len(index.models), len(rows), time.perf_counter() - started)


def _card_titles(cards: list[CardFile]) -> dict[str, str]:
    """Each card page (relative to the site) and its first heading, in title order."""
    titles = {}
    for card in cards:
        if card.path.suffix != ".md":
            continue
        text = card.content.decode("utf-8")
        heading = next((line[2:].strip() for line in text.splitlines() if line.startswith("# ")), None)
        titles[f"models/{card.path.name}"] = heading or card.path.stem
    return dict(sorted(titles.items(), key=lambda item: (item[1].lower(), item[0])))


def _check_out(out: Path) -> None:
    if out.exists() and not out.is_dir():
        raise ZooError(f"{display_path(out)}: not a folder")
    if out.is_dir() and any(out.iterdir()) and not (out / MARKER).is_file():
        raise ZooError(
            f"{display_path(out)}: not empty and not made by `zoo site`; "
            "refusing to clear it (pick another --out)"
        )


def _pages(
    index: Index,
    results: Results,
    facts: tuple[ModelFacts, ...],
    rows: list[LeaderboardRow],
    cards: dict[str, str],
    stored: tuple[list[tuple[int, LatencyRecord]], dict[tuple[str, str], Noise]],
) -> dict[Path, str]:
    markdown = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        undefined=jinja2.StrictUndefined,
        finalize=escape_markdown,
        autoescape=False,
        keep_trailing_newline=True,
    )
    markdown.filters.update(FILTERS)
    page_html = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES), undefined=jinja2.StrictUndefined, autoescape=True
    )
    page_html.filters.update(number=_number)
    described = environments(facts, results)
    counts = {env.id: sum(1 for row in rows if row.environment == env.id) for env in described}
    context = {"site_name": _site_name(index), "index": index, "cards": cards, "rows": rows}
    pages = {f"models/{Path(path).stem}" for path in cards}
    card_pages = {
        model.name: f"models/{model.source.path.stem}.md"
        for model in index.models.values()
        if f"models/{model.source.path.stem}" in pages
    }
    links = {name: str(Path(page).with_suffix(".html")) for name, page in card_pages.items()}
    table = page_html.get_template("leaderboard.html.j2").render(rows=rows, links=links)
    return {
        Path("index.md"): markdown.get_template("home.md.j2").render(**context, environments=described),
        Path("leaderboard.md"): markdown.get_template("leaderboard.md.j2").render(**context, table=table),
        Path("environments.md"): markdown.get_template("environments.md.j2").render(
            environments=described, counts=counts
        ),
        **{Path("assets") / name: (TEMPLATES / name).read_text("utf-8") for name in ASSETS},
        **frontier_pages(facts, _site_name(index), markdown),
        **history_pages(index, *stored, card_pages, markdown),
    }


def _number(value: float | None, spec: str) -> str:
    return "" if value is None else format(value, spec)


def _site_name(index: Index) -> str:
    library = {str(k).lower(): v for k, v in index.extra.items()}.get("library")
    if isinstance(library, dict):
        name = {str(k).lower(): v for k, v in library.items()}.get("name")
        if name:
            return str(name)
    return f"Model zoo: {index.root.name}"


def _config(index: Index, docs: Path, out: Path) -> dict[str, Any]:
    """The site's mkdocs configuration. The navigation holds the site's own pages only: the home page
    lists the collections, and each card page carries its own table of contents (its models), so a
    page's size does not grow with the number of collections, nor the site's with its square."""
    nav: list[Any] = [{"Home": "index.md"}, {"Leaderboard": "leaderboard.md"}, {"Frontier": FRONTIER_PAGE}]
    nav += [{"History": HISTORY_PAGE}, {"Environments": "environments.md"}]
    return {
        # The theme puts the name into pages unescaped in places: escaped here, it is text everywhere.
        "site_name": html.escape(_site_name(index)),
        "docs_dir": str(docs),
        "site_dir": str(out.resolve()),
        "use_directory_urls": False,
        "theme": {"name": "material", "font": False, "features": ["navigation.sections"]},
        "plugins": ["search", "offline"],
        "markdown_extensions": ["tables", "attr_list", "md_in_html", {"toc": {"permalink": False}}],
        "extra_css": [f"assets/{ASSETS[1]}"],
        "extra_javascript": [f"assets/{ASSETS[0]}"],
        "extra": {"polyfills": [f"assets/{ASSETS[2]}"]},
        "nav": nav,
        "not_in_nav": "/models/*.md\n/history/*.md",
    }


@contextmanager
def _build_date(results: Results) -> Iterator[None]:
    """Date the build by the newest environment the records describe, not by the clock."""
    dates = [
        datetime.fromisoformat(str(env["date"])).timestamp()
        for env in results.environments.values()
        if isinstance(env, dict) and env.get("date")
    ]
    previous = os.environ.get("SOURCE_DATE_EPOCH")
    os.environ["SOURCE_DATE_EPOCH"] = str(int(max(dates, default=0)))
    try:
        yield
    finally:
        if previous is None:
            del os.environ["SOURCE_DATE_EPOCH"]
        else:
            os.environ["SOURCE_DATE_EPOCH"] = previous


def _mkdocs_build(config: Path) -> None:
    from mkdocs.commands.build import build
    from mkdocs.config import load_config
    from mkdocs.exceptions import MkDocsException

    logging.getLogger("mkdocs").setLevel(logging.WARNING)
    try:
        build(load_config(str(config)))
    except MkDocsException as error:
        raise ZooError(f"mkdocs could not build the site: {' '.join(str(error).split())}") from None


def serve(out: Path, port: int) -> None:
    """Serve a built site on 127.0.0.1 until interrupted (a preview, not a production server)."""
    if not (out / "index.html").is_file():
        raise ZooError(f"{display_path(out)}: no built site (index.html) to serve")
    handler = partial(_QuietHandler, directory=str(out))
    try:
        server = ThreadingHTTPServer(("127.0.0.1", port), handler)
    except (OSError, OverflowError) as error:
        raise ZooError(
            f"cannot serve on 127.0.0.1:{port}: {getattr(error, 'strerror', None) or error}"
        ) from None
    with server:
        print(f"serving {display_path(out)} at http://127.0.0.1:{server.server_address[1]}/ (Ctrl-C stops)")
        server.serve_forever()


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        """Requests are not logged: the preview's output stays the one line that says where it is."""
