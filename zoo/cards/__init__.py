"""Model cards rendered from collection templates, the model index and the committed results.

`render_cards` gives the files, `write_cards` writes them and `stale_cards` says which committed
ones differ, and `left_alone` names files in the output folder that zoo will not touch; the
`zoo docs` command is those calls.
"""

from zoo.cards._context import (
    NOT_MEASURED,
    RANDOM_WEIGHTS,
    Card,
    EnvironmentInfo,
    ModelFacts,
    SpecRow,
    environments,
    model_facts,
)
from zoo.cards._files import MANIFEST, left_alone, stale_cards, write_cards
from zoo.cards._format import FILTERS, MISSING, escape_markdown, is_missing
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
    "ModelFacts",
    "Results",
    "ResultsError",
    "Row",
    "SpecRow",
    "card_environment",
    "environments",
    "escape_markdown",
    "is_missing",
    "left_alone",
    "load_results",
    "model_facts",
    "render_cards",
    "stale_cards",
    "write_cards",
]
