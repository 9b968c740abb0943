"""Render one card per collection template, the way timm's docs generator did, with data sections.

The loader searches the project's collection templates, their parent folder (shared snippets such as
`code_snippets.md`), then the defaults shipped in this package, so a project overrides any snippet.
"""

from __future__ import annotations

import dataclasses
import traceback
from dataclasses import dataclass
from pathlib import Path

import jinja2

from zoo._errors import ZooError
from zoo.cards._chart import GENERATED_MARK, latency_chart
from zoo.cards._context import Card, environments, model_facts, usage_model
from zoo.cards._format import FILTERS, escape_markdown
from zoo.cards._results import Results, load_results
from zoo.index import Index, load_index
from zoo.index._errors import display_path

PACKAGE_TEMPLATES = Path(__file__).parent / "templates"


class CardTemplateError(ZooError):
    """A template that cannot render: its message names the template file and line."""


@dataclass(frozen=True)
class CardFile:
    """One file `zoo docs` writes: a card or its chart."""

    path: Path
    content: bytes


def render_cards(
    templates: Path | str,
    results: Path | str,
    out: Path | str,
    index: Index | None = None,
) -> list[CardFile]:
    """Every card (and chart) the collection templates in `templates/models/` give, in name order.

    A template's models come from `index` when it imports the template (so they carry what the
    index adds), else from the template itself.
    """
    templates, out = Path(templates), Path(out)
    collection_dir = templates / "models"
    paths = sorted(collection_dir.glob("*.md"))
    if not paths:
        raise ZooError(f"{display_path(collection_dir)}: no collection templates (*.md)")
    environment = _environment(collection_dir)
    loaded = load_results(results)
    files = []
    for path in paths:
        card = _card(path, loaded, index)
        chart = latency_chart(card.facts, title=card.models[0].collection or path.stem)
        if chart is not None:
            card = dataclasses.replace(card, chart=f"{path.stem}.svg")
            files.append(CardFile(out / card.chart, chart))
        files.append(CardFile(out / path.name, _render(environment, card)))
    return files


def _environment(collection_dir: Path) -> jinja2.Environment:
    environment = jinja2.Environment(
        loader=jinja2.FileSystemLoader([collection_dir, collection_dir.parent, PACKAGE_TEMPLATES]),
        undefined=jinja2.StrictUndefined,
        finalize=escape_markdown,
        autoescape=False,
    )
    environment.filters.update(FILTERS)
    return environment


def _card(path: Path, results: Results, index: Index | None) -> Card:
    resolved = path.resolve()
    if index is not None and resolved in index.files:
        models = tuple(m for m in index.models.values() if m.source.path.resolve() == resolved)
    else:
        models = tuple(load_index(path).models.values())
    if not models:
        raise ZooError(f"{display_path(path)}: declares no models")
    facts = tuple(model_facts(model, results) for model in models)
    return Card(
        template=path,
        model_name=models[0].name,
        usage_model=usage_model(models),
        models=models,
        facts=facts,
        environments=environments(facts, results),
        chart=None,
        results=results,
        results_folder=display_path(results.folder),
    )


def _render(environment: jinja2.Environment, card: Card) -> bytes:
    header = (
        f"<!-- {GENERATED_MARK} from {display_path(card.template)} and "
        f"{card.results_folder}/; do not edit. -->\n"
    )
    try:
        body = environment.get_template(card.template.name).render(
            model_name=card.model_name, models=list(card.models), results=card.results, card=card
        )
    except jinja2.TemplateSyntaxError as error:
        where = f"{display_path(Path(error.filename or card.template))}:{error.lineno}"
        raise CardTemplateError(f"{where}: {error.message}") from None
    except jinja2.TemplateError as error:
        raise CardTemplateError(f"{_where(error, card.template)}: {error}") from None
    return (header + body.rstrip("\n") + "\n").encode("utf-8")


def _where(error: Exception, template: Path) -> str:
    """The template file and line a render error happened at (Jinja puts them in the traceback)."""
    for frame in reversed(traceback.extract_tb(error.__traceback__)):
        if not frame.filename.endswith(".py") and Path(frame.filename).is_file():
            return f"{display_path(Path(frame.filename))}:{frame.lineno}"
    return display_path(template)
