"""Model cards rendered from collection templates, the model index and the committed results.

`render_cards` gives the files, `write_cards` writes them and `stale_cards` says which committed
ones differ; the `zoo docs` command is those three calls.
"""

from zoo.cards._context import Card, EnvironmentInfo, ModelFacts, SpecRow
from zoo.cards._files import stale_cards, write_cards
from zoo.cards._render import PACKAGE_TEMPLATES, CardFile, CardTemplateError, render_cards
from zoo.cards._results import Results, ResultsError, load_results

__all__ = [
    "PACKAGE_TEMPLATES",
    "Card",
    "CardFile",
    "CardTemplateError",
    "EnvironmentInfo",
    "ModelFacts",
    "Results",
    "ResultsError",
    "SpecRow",
    "load_results",
    "render_cards",
    "stale_cards",
    "write_cards",
]
