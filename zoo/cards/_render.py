"""Render one card per collection template, the way timm's docs generator did, with data sections.

The loader searches the project's collection templates, their parent folder (shared snippets such as
`code_snippets.md`), then the defaults shipped in this package, so a project overrides any snippet.

Templates come from other people (a pull request to a zoo, a downloaded corpus), so they are data:
they render in Jinja's immutable sandbox, reach only the card's own objects, and read only files that
really lie in the search folders. Every card gets the measured sections, placed by the template or,
when it does not, before the template's first section.
"""

from __future__ import annotations

import dataclasses
import functools
import re
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jinja2
import jinja2.sandbox
from markdown_it import MarkdownIt

from zoo._errors import ZooError
from zoo._text import visible
from zoo.cards._chart import GENERATED_MARK, latency_chart, throughput_chart
from zoo.cards._context import SNIPPETS_TESTED_WITH, Card, environments, model_facts, usage_model
from zoo.cards._format import FILTERS, escape_markdown
from zoo.cards._results import Results, load_results
from zoo.index import Index, display_path, load_index

PACKAGE_TEMPLATES = Path(__file__).parent / "templates"

# The snippets that show measurements: a card whose template renders none of them gets the first
# one inserted; a card that shows them but not one of its charts gets that chart's snippet.
_MEASURED = ("zoo_model_details.md", "zoo_model.md")
# Each chart: the `Card` field naming its file, the file name's suffix, how it is drawn, its snippet.
_CHARTS = (
    ("chart", "", latency_chart, "zoo_chart.md"),
    ("throughput_chart", "-throughput", throughput_chart, "zoo_throughput_chart.md"),
)

# Objects a template may read attributes of, by the module their type comes from: the card's own
# data and Jinja's helpers. Anything else (a Path, a module, a file) is opaque to templates.
_READABLE_MODULES = (
    "builtins",
    "markupsafe",
    "jinja2.",
    "zoo.cards._context",
    "zoo.cards._deploy",
    "zoo.cards._results",
    "zoo.index._model",
    "zoo.publish.",  # the Hub cards render the same templates over their own context
)
_MAX_BUILT = 1_000_000  # items a template's `*` may build, bits its `**` may, width a filter may pad to
# A field width or precision of seven digits or more in a %- or {}-format string.
_HUGE_WIDTH = re.compile(r"%[^A-Za-z%]*\d{7,}|\{[^{}]*:[^{}]*\d{7,}")
_PADDING_FILTERS = ("center", "indent", "wordwrap", "format")


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
    for path in paths:
        if not path.resolve().is_relative_to(collection_dir.resolve()):
            raise CardTemplateError(
                f"{display_path(path)}: a link to a file outside {display_path(collection_dir)}"
            )
    environment = card_environment(collection_dir)
    loaded = load_results(results)
    files: dict[Path, tuple[Path, bytes]] = {}  # each file by path, with the template that made it
    for path in paths:
        card = _card(path, loaded, index)
        title = card.models[0].collection or path.stem
        for field, suffix, draw, _ in _CHARTS:
            chart = draw(card.facts, title)
            if chart is not None:
                named: dict[str, Any] = {field: f"{path.stem}{suffix}.svg"}
                card = dataclasses.replace(card, **named)
                _add(files, out / f"{path.stem}{suffix}.svg", chart, path)
        _add(files, out / path.name, _render(environment, card), path)
    return [CardFile(file, content) for file, (_, content) in files.items()]


def _add(files: dict[Path, tuple[Path, bytes]], path: Path, content: bytes, template: Path) -> None:
    """Add one output file; two templates giving the same file (`a-throughput.md` and the
    throughput chart of `a.md`) would overwrite each other, so that is refused."""
    if path in files:
        raise CardTemplateError(
            f"{display_path(template)}: writes {path.name}, which {display_path(files[path][0])} "
            "also writes; rename one of the templates"
        )
    files[path] = (template, content)


def card_environment(collection_dir: Path) -> _CardEnvironment:
    """The sandboxed environment cards render in: the collection templates, their parent, zoo's own."""
    return _CardEnvironment([collection_dir, collection_dir.parent, PACKAGE_TEMPLATES])


class _ConfinedLoader(jinja2.BaseLoader):
    """Templates from the search folders only: `..`, absolute names and links that lead out are refused.

    It also records the templates a render loads, so the card knows which sections the template placed.
    """

    def __init__(self, folders: list[Path]) -> None:
        self.folders = folders
        self.loaded: set[str] = set()

    def get_source(
        self, environment: jinja2.Environment, template: str
    ) -> tuple[str, str, Callable[[], bool]]:
        try:
            pieces = jinja2.loaders.split_template_path(template)
        except jinja2.TemplateNotFound:
            raise jinja2.TemplateNotFound(
                template, f"{template!r}: a template name may not leave its folder"
            ) from None
        for folder in self.folders:
            path = folder.joinpath(*pieces)
            if not path.is_file():
                continue
            real = path.resolve()
            if not real.is_relative_to(folder.resolve()):
                raise jinja2.TemplateNotFound(
                    template, f"{template!r} links to a file outside {display_path(folder)}; refused"
                )
            self.loaded.add(template)
            return real.read_text(encoding="utf-8"), str(path), lambda: False
        raise jinja2.TemplateNotFound(template, f"no template {template!r} in the template folders")


class _CardEnvironment(jinja2.sandbox.ImmutableSandboxedEnvironment):
    """Jinja's immutable sandbox, narrowed to the card's data and bounded in the text it builds."""

    intercepted_binops = frozenset({"*", "**", "%"})

    def __init__(self, folders: list[Path]) -> None:
        self.card_loader = _ConfinedLoader(folders)
        super().__init__(
            loader=self.card_loader,
            undefined=jinja2.StrictUndefined,
            finalize=escape_markdown,
            autoescape=False,
            cache_size=0,  # every include goes through the loader, which records it
        )
        self.filters.update(FILTERS)
        self.filters.update({name: _bounded(self.filters[name]) for name in _PADDING_FILTERS})
        del self.globals["lipsum"]  # placeholder text a card never needs, and unbounded in size

    def is_safe_attribute(self, obj: Any, attr: str, value: Any) -> bool:
        return type(obj).__module__.startswith(_READABLE_MODULES) and super().is_safe_attribute(
            obj, attr, value
        )

    def call_binop(self, context: jinja2.runtime.Context, operator: str, left: Any, right: Any) -> Any:
        if operator == "*":
            for sequence, count in ((left, right), (right, left)):
                if (
                    isinstance(sequence, (str, list, tuple))
                    and isinstance(count, int)
                    and len(sequence) * count > _MAX_BUILT
                ):
                    raise jinja2.sandbox.SecurityError(f"`*` would build more than {_MAX_BUILT:,} items")
        if operator == "%":
            _check_size(left)
        if (
            operator == "**"
            and isinstance(left, int)
            and isinstance(right, int)
            and left.bit_length() * right > _MAX_BUILT
        ):
            raise jinja2.sandbox.SecurityError(f"`**` would build a number of more than {_MAX_BUILT:,} bits")
        return super().call_binop(context, operator, left, right)

    def wrap_str_format(self, value: Any) -> Callable[..., str] | None:
        wrapped = super().wrap_str_format(value)
        if wrapped is not None:
            _check_size(value.__self__)
        return wrapped


def _check_size(value: Any) -> None:
    """Refuse a filter argument or format string that would pad text out to more than `_MAX_BUILT`."""
    if isinstance(value, str) and _HUGE_WIDTH.search(value):
        raise jinja2.sandbox.SecurityError(f"a format field wider than {_MAX_BUILT:,} characters")
    if isinstance(value, int) and abs(value) > _MAX_BUILT:
        raise jinja2.sandbox.SecurityError(f"a width of more than {_MAX_BUILT:,} characters")


def _bounded(padding_filter: Callable[..., str]) -> Callable[..., str]:
    """`padding_filter` (center, indent, ...), refusing widths and format fields past `_MAX_BUILT`."""

    @functools.wraps(padding_filter)
    def bounded(*args: Any, **kwargs: Any) -> str:
        for value in (*args, *kwargs.values()):
            _check_size(value)
        return padding_filter(*args, **kwargs)

    return bounded


def _card(path: Path, results: Results, index: Index | None) -> Card:
    resolved = path.resolve()
    if index is not None and resolved in index.files:
        models = tuple(m for m in index.models.values() if m.source.path.resolve() == resolved)
    else:
        models = tuple(load_index(path).models.values())
    if not models:
        raise ZooError(f"{display_path(path)}: declares no models")
    facts = tuple(model_facts(model, results) for model in models)
    usage = usage_model(models)
    return Card(
        template=path,
        model_name=models[0].name,
        usage_model=usage,
        snippets_tested=usage == SNIPPETS_TESTED_WITH,
        models=models,
        facts=facts,
        environments=environments(facts, results),
        chart=None,
        throughput_chart=None,
        results=results,
        results_folder=display_path(results.folder),
    )


def _render(environment: _CardEnvironment, card: Card) -> bytes:
    """The card: the template rendered, with the measured sections and chart link it did not place."""
    header = (
        f"<!-- {GENERATED_MARK} from {display_path(card.template)} and "
        f"{card.results_folder}/; do not edit. -->\n"
    )
    environment.card_loader.loaded.clear()
    body = _render_template(environment, card.template, card.template.name, card)
    unlinked = {field for field, *_ in _CHARTS if _unlinked(getattr(card, field), body)}
    if not environment.card_loader.loaded.intersection(_MEASURED):
        linked: dict[str, Any] = {field: None for field, *_ in _CHARTS if field not in unlinked}
        sections = [(_MEASURED[0], dataclasses.replace(card, **linked))]  # each chart linked once
    else:
        sections = [(snippet, card) for field, _, _, snippet in _CHARTS if field in unlinked]
    for snippet, shown in sections:
        body = _insert(body, _render_template(environment, card.template, snippet, shown))
    return visible(header + body.rstrip("\n") + "\n").encode("utf-8")


def _unlinked(chart: str | None, body: str) -> bool:
    return chart is not None and chart not in body


def _render_template(environment: _CardEnvironment, template: Path, name: str, card: Card) -> str:
    try:
        return environment.get_template(name).render(
            model_name=card.model_name, models=list(card.models), results=card.results, card=card
        )
    except jinja2.TemplateSyntaxError as error:
        where = f"{display_path(Path(error.filename or template))}:{error.lineno}"
        raise CardTemplateError(f"{where}: {error.message}") from None
    except jinja2.TemplateError as error:
        raise CardTemplateError(f"{_where(error, template)}: {error}") from None
    except (ArithmeticError, LookupError, TypeError, ValueError, RecursionError) as error:
        # What the template's own expressions raise (1/0, a huge range, a bad format): its fault.
        reason = " ".join(str(error).split())[:300]
        raise CardTemplateError(f"{_where(error, template)}: {type(error).__name__}: {reason}") from None


def _insert(body: str, section: str) -> str:
    """`section` before the body's first `##` heading, else before its closing comment, else at the end."""
    lines = body.splitlines(keepends=True)
    at = len(lines)
    tokens = [t for t in MarkdownIt("commonmark").parse(body) if t.level == 0 and t.map]
    headings = [t.map[0] for t in tokens if t.map and t.type == "heading_open" and t.tag == "h2"]
    last = tokens[-1] if tokens else None
    if headings:
        at = headings[0]
    elif last is not None and last.map and last.type == "html_block" and last.content.startswith("<!--"):
        at = last.map[0]
    before = "".join(lines[:at]).rstrip("\n")
    after = "".join(lines[at:])
    return "\n\n".join(part for part in (before, section.strip("\n"), after) if part)


def _where(error: Exception, template: Path) -> str:
    """The template file and line a render error happened at (Jinja puts them in the traceback)."""
    for frame in reversed(traceback.extract_tb(error.__traceback__)):
        if not frame.filename.endswith(".py") and Path(frame.filename).is_file():
            return f"{display_path(Path(frame.filename))}:{frame.lineno}"
    return display_path(template)
