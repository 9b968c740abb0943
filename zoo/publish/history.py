"""The site's history pages: per model, each configuration's median over the stored runs, as a chart.

The figures come from the results store (the committed export keeps the latest run only), through
`zoo.results.history`, the same series and step fit as `zoo results history`. A model with fewer
than two stored runs gets one line saying so, not an empty chart. Every stored string on a page
passes through the site's escaping environment; the chart's text is drawn as text.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable
from pathlib import Path

import jinja2

from zoo.cards import CardFile, escape_markdown, history_chart
from zoo.index import Index
from zoo.results import open_store
from zoo.results.gate import Noise
from zoo.results.history import HistoryPoint, Series, history
from zoo.results.records import LatencyRecord

PAGE = "history.md"
FOLDER = "history"
LIBRARIES = ("torch", "onnxruntime", "openvino")  # the versions each run's row names, as the command does


def stored_history(
    store: Path | None,
) -> tuple[list[tuple[int, LatencyRecord]], dict[tuple[str, str], Noise]]:
    """Every (run, measurement) and noise calibration in the store; nothing when there is no store."""
    if store is None or not store.is_file():
        return [], {}
    with open_store(store, readonly=True) as opened:
        return list(opened.measurements_by_run()), opened.noise()


def history_pages(
    index: Index,
    records: Iterable[tuple[int, LatencyRecord]],
    noise: dict[tuple[str, str], Noise],
    cards: dict[str, str],
    markdown: jinja2.Environment,
) -> dict[Path, str]:
    """The history index page, and per model of the index its page and (two runs or more) chart.
    `cards` maps a model name to its card page (relative to the site), which the page links back to."""
    by_model: dict[str, list[tuple[int, LatencyRecord]]] = defaultdict(list)
    for run, record in records:
        by_model[record.model].append((run, record))
    pages: dict[Path, str] = {}
    listed = []
    for name, slug in page_names(index).items():
        series = history(by_model.get(name, []), noise, untrusted=True)
        runs = sorted({point.run for one in series for point in one.points})
        chart = f"{slug}.svg" if len(runs) >= 2 else None
        if chart:
            pages[Path(FOLDER) / chart] = history_chart(series, name).decode("utf-8")
        pages[Path(FOLDER) / f"{slug}.md"] = markdown.get_template("history.md.j2").render(
            model=name,
            card=f"../{cards[name]}" if name in cards else None,
            runs=len(runs),
            chart=chart,
            rows=_run_rows(series, runs),
            steps=[(one, point) for one in series for point in one.steps],
            libraries=LIBRARIES,
        )
        listed.append((name, f"{FOLDER}/{slug}.md", len(runs)))
    pages[Path(PAGE)] = markdown.get_template("history_index.md.j2").render(models=listed)
    return pages


def link_cards(cards: list[CardFile], index: Index) -> list[CardFile]:
    """Each card page with a last section linking its models' history pages."""
    names = page_names(index)
    linked = []
    for card in cards:
        models = sorted(m.name for m in index.models.values() if m.source.path.stem == card.path.stem)
        if card.path.suffix == ".md" and models:
            links = "".join(f"- [{escape_markdown(name)}](../{FOLDER}/{names[name]}.md)\n" for name in models)
            section = f"\n## Speed history\n\nEach model's median latency over the stored runs:\n\n{links}"
            card = CardFile(card.path, card.content.rstrip(b"\n") + b"\n" + section.encode("utf-8"))
        linked.append(card)
    return linked


def page_names(index: Index) -> dict[str, str]:
    """Each model's page name: its name in lowercase letters, digits and hyphens, unique in the index."""
    names: dict[str, str] = {}
    taken: set[str] = set()
    for name in sorted(index.models):
        slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-") or "model"
        unique, n = slug, 1
        while unique in taken:
            n += 1
            unique = f"{slug}-{n}"
        taken.add(unique)
        names[name] = unique
    return names


def _run_rows(series: list[Series], runs: list[int]) -> list[HistoryPoint]:
    """One point per run (its date, commit and versions are the run's, whichever configuration)."""
    first: dict[int, HistoryPoint] = {}
    for one in series:
        for point in one.points:
            first.setdefault(point.run, point)
    return [first[run] for run in runs]
