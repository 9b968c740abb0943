"""Model cards rendered from collection templates, the model index and the committed results.

`render_cards` gives the files, `write_cards` writes them and `stale_cards` says which committed
ones differ, and `left_alone` names files in the output folder that zoo will not touch; the
`zoo docs` command is those calls. `frontiers` and `pick` answer the deployer's question (`zoo pick`).
"""

from zoo.cards._chart import frontier_chart, history_chart
from zoo.cards._context import (
    NOT_MEASURED,
    RANDOM_WEIGHTS,
    Card,
    EnvironmentInfo,
    ModelFacts,
    SpecRow,
    card_frontiers,
    environments,
    model_facts,
)
from zoo.cards._files import MANIFEST, left_alone, stale_cards, write_cards, write_owned
from zoo.cards._format import FILTERS, MISSING, comment_yaml, escape_markdown, is_missing
from zoo.cards._frontier import Frontier, Frontiers, LeftOut, Point, frontiers, results_frontiers
from zoo.cards._pick import NothingFits, Pick, Picks, Request, RunnerUp, pick, stored_results
from zoo.cards._render import PACKAGE_TEMPLATES, CardFile, CardTemplateError, card_environment, render_cards
from zoo.cards._results import Results, ResultsError, Row, load_results

__all__ = [
    "FILTERS",
    "MANIFEST",
    "MISSING",
    "NOT_MEASURED",
    "PACKAGE_TEMPLATES",
    "RANDOM_WEIGHTS",
    "Card",
    "CardFile",
    "CardTemplateError",
    "EnvironmentInfo",
    "Frontier",
    "Frontiers",
    "LeftOut",
    "ModelFacts",
    "NothingFits",
    "Pick",
    "Picks",
    "Point",
    "Request",
    "Results",
    "ResultsError",
    "Row",
    "RunnerUp",
    "SpecRow",
    "card_environment",
    "card_frontiers",
    "comment_yaml",
    "environments",
    "escape_markdown",
    "frontier_chart",
    "frontiers",
    "history_chart",
    "is_missing",
    "left_alone",
    "load_results",
    "model_facts",
    "pick",
    "render_cards",
    "results_frontiers",
    "stale_cards",
    "stored_results",
    "write_cards",
    "write_owned",
]
