"""The site's frontier page: top-1 against p90 latency for every model of the index, and what to pick.

The page shows the same frontiers, chart and recommended budgets as the cards' deployer summary, over
all the index's models at once, with every point's standing (on the frontier, or what beats it).
"""

from __future__ import annotations

from pathlib import Path

import jinja2

from zoo.cards import ModelFacts, card_frontiers, frontier_chart

PAGE = "frontier.md"
CHART = "frontier.svg"


def frontier_pages(
    facts: tuple[ModelFacts, ...], title: str, markdown: jinja2.Environment
) -> dict[Path, str]:
    """The page (rendered by `markdown`, the site's escaping environment) and its chart, if any point."""
    chart = frontier_chart(facts, title)
    page = markdown.get_template("frontier.md.j2").render(
        found=card_frontiers(facts), chart=CHART if chart else None
    )
    return {Path(PAGE): page, **({Path(CHART): chart.decode("utf-8")} if chart else {})}
