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
import time
import traceback
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jinja2
import jinja2.filters
import jinja2.nodes
import jinja2.sandbox
import jinja2.visitor
from jinja2.exceptions import SecurityError
from markdown_it import MarkdownIt

from zoo._errors import ZooError
from zoo._text import visible
from zoo.cards._chart import GENERATED_MARK, frontier_chart, latency_chart, throughput_chart
from zoo.cards._context import SNIPPETS_TESTED_WITH, Card, environments, model_facts, usage_model
from zoo.cards._format import FILTERS, escape_markdown, inert_comments
from zoo.cards._results import Results, load_results
from zoo.index import Index, Model, display_path, load_index

PACKAGE_TEMPLATES = Path(__file__).parent / "templates"

# The snippets that show measurements: a card whose template renders none of them gets the first
# one inserted; a card that shows them but not one of its charts gets that chart's snippet.
_MEASURED = ("zoo_model_details.md", "zoo_model.md")
# Each chart: the `Card` field naming its file, the file name's suffix, how it is drawn, its snippet.
_CHARTS = (
    ("chart", "", latency_chart, "zoo_chart.md"),
    ("throughput_chart", "-throughput", throughput_chart, "zoo_throughput_chart.md"),
    ("frontier_chart", "-frontier", frontier_chart, "zoo_frontier_chart.md"),
)

# Objects a template may read attributes of, by the module their type comes from: the card's own
# data and Jinja's helpers. Anything else (a Path, a module, a file) is opaque to templates.
_READABLE_MODULES = (
    "builtins",
    "markupsafe",
    "jinja2.",
    "zoo.cards._context",
    "zoo.cards._deploy",
    "zoo.cards._frontier",
    "zoo.cards._results",
    "zoo.index._model",
    "zoo.publish.",  # the Hub cards render the same templates over their own context
)
_MAX_BUILT = 1_000_000  # items a template's `*` may build, bits its `**` may, width a filter may pad to
# A render's budget: what one card may take, far above what any real card needs (a card of the
# 272-model corpus renders in milliseconds, to some kilobytes), and far below what hurts the machine.
RENDER_SECONDS = 20.0
MAX_TEXT = 10_000_000  # characters one built string (`~`, `+`, `join`, `replace`, `%`) may have
MAX_OUTPUT = 20_000_000  # characters one card may have
MAX_ITERATIONS = 5_000_000  # loop steps one render may take, all loops together
# A field width or precision of seven digits or more in a %- or {}-format string.
_HUGE_WIDTH = re.compile(r"%[^A-Za-z%]*\d{7,}|\{[^{}]*:[^{}]*\d{7,}")
_PADDING_FILTERS = ("center", "indent", "wordwrap", "format")


class CardTemplateError(ZooError):
    """A template that cannot render: its message names the template file and line."""


class OverBudget(SecurityError):
    """A template that takes more time, loop steps or text than one card may."""


class _Budget:
    """What the render in progress has spent: its deadline, loop steps and output so far."""

    def __init__(self) -> None:
        self.deadline = float("inf")
        self.steps = 0
        self.output = 0

    def start(self) -> None:
        self.deadline = time.monotonic() + RENDER_SECONDS
        self.steps = 0
        self.output = 0

    def step(self, count: int = 1) -> None:
        self.steps += count
        if self.steps > MAX_ITERATIONS:
            raise OverBudget(f"over the render budget: more than {MAX_ITERATIONS:,} loop steps")
        if self.steps % 1024 < count and time.monotonic() > self.deadline:
            raise OverBudget(f"over the render budget: more than {RENDER_SECONDS:g} s")

    def text(self, length: int) -> None:
        if length > MAX_TEXT:
            raise OverBudget(f"over the render budget: a text of more than {MAX_TEXT:,} characters")
        self.step(0)

    def emit(self, length: int) -> None:
        self.output += length
        if self.output > MAX_OUTPUT:
            raise OverBudget(f"over the render budget: a card of more than {MAX_OUTPUT:,} characters")
        self.step(0)


class _Metered(jinja2.visitor.NodeTransformer):
    """Route every loop and every `~` of a parsed template through the budget."""

    def visit_For(self, node: jinja2.nodes.For) -> jinja2.nodes.Node:
        self.generic_visit(node)
        node.iter = jinja2.nodes.Filter(node.iter, "_metered", [], [], None, None)
        return node

    def visit_Concat(self, node: jinja2.nodes.Concat) -> jinja2.nodes.Node:
        self.generic_visit(node)
        return jinja2.nodes.Filter(jinja2.nodes.List(node.nodes), "_joined", [], [], None, None)


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
        if index is None or not index.models:
            raise ZooError(f"{display_path(collection_dir)}: no collection templates (*.md)")
        return _builtin_cards(collection_dir, load_results(results), out, index)
    for path in paths:
        if not path.resolve().is_relative_to(collection_dir.resolve()):
            raise CardTemplateError(
                f"{display_path(path)}: a link to a file outside {display_path(collection_dir)}"
            )
    environment = card_environment(collection_dir)
    loaded = load_results(results)
    files: dict[Path, tuple[Path, bytes]] = {}  # each file by path, with the template that made it
    declared = _models_by_file(index)
    for path in paths:
        card = _card(path, loaded, _template_models(path, index, declared))
        title = card.models[0].collection or path.stem
        for field, suffix, draw, _ in _CHARTS:
            chart = draw(card.facts, title)
            if chart is not None:
                named: dict[str, Any] = {field: f"{path.stem}{suffix}.svg"}
                card = dataclasses.replace(card, **named)
                _add(files, out / f"{path.stem}{suffix}.svg", chart, path)
        _add(files, out / path.name, _render(environment, card), path)
    return [CardFile(file, content) for file, (_, content) in files.items()]


BUILTIN_TEMPLATE = PACKAGE_TEMPLATES / "zoo_collection.md"


def _builtin_cards(collection_dir: Path, results: Results, out: Path, index: Index) -> list[CardFile]:
    """An index without card templates (most indexes have none) gets one card per collection from
    zoo's built-in template, and one for the models of no collection: `<collection slug>.md`."""
    groups: dict[str | None, list[Model]] = {}
    for model in index.models.values():
        groups.setdefault(model.collection, []).append(model)
    environment = card_environment(collection_dir)
    files: dict[Path, tuple[Path, bytes]] = {}
    taken: set[str] = set()
    for collection, models in groups.items():
        stem = _slug(collection or "other models", taken)
        card = _card(BUILTIN_TEMPLATE, results, tuple(models))
        for field, suffix, draw, _ in _CHARTS:
            chart = draw(card.facts, collection or "Models without a collection")
            if chart is not None:
                named: dict[str, Any] = {field: f"{stem}{suffix}.svg"}
                card = dataclasses.replace(card, **named)
                _add(files, out / f"{stem}{suffix}.svg", chart, BUILTIN_TEMPLATE)
        _add(files, out / f"{stem}.md", _render(environment, card), BUILTIN_TEMPLATE)
    return [CardFile(file, content) for file, (_, content) in files.items()]


def _slug(name: str, taken: set[str]) -> str:
    """A file name from a collection name, made unique among the cards (`-2`, `-3`, ... after a clash)."""
    base = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")[:80] or "collection"
    stem, number = base, 1
    while stem in taken:
        number += 1
        stem = f"{base}-{number}"
    taken.add(stem)
    return stem


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

    intercepted_binops = frozenset({"*", "**", "%", "+"})

    def __init__(self, folders: list[Path]) -> None:
        self.card_loader = _ConfinedLoader(folders)
        self.budget = _Budget()
        super().__init__(
            loader=self.card_loader,
            undefined=jinja2.StrictUndefined,
            finalize=escape_markdown,
            autoescape=False,
            cache_size=0,  # every include goes through the loader, which records it
        )
        self.filters.update(FILTERS)
        self.filters.update({name: _bounded(self.filters[name]) for name in _PADDING_FILTERS})
        self.filters.update(
            _metered=self._metered, _joined=self._joined, join=self._join, replace=self._replace
        )
        del self.globals["lipsum"]  # placeholder text a card never needs, and unbounded in size

    def _parse(self, source: str, name: str | None, filename: str | None) -> jinja2.nodes.Template:
        template = _Metered().visit(super()._parse(source, name, filename))
        assert isinstance(template, jinja2.nodes.Template)
        return template

    def concat(self, pieces: Iterable[Any]) -> str:
        """Join a block's or macro's output (compiled templates call `environment.concat`)."""
        return self._joined(list(pieces))

    def _metered(self, iterable: Any) -> Iterator[Any]:
        for item in iterable:
            self.budget.step()
            yield item

    def _joined(self, pieces: list[Any]) -> str:
        texts = [str(piece) for piece in pieces]
        self.budget.text(sum(len(text) for text in texts))
        return "".join(texts)

    def _join(self, value: Any, separator: Any = "", attribute: Any = None) -> str:
        if attribute is not None:
            value = map(jinja2.filters.make_attrgetter(self, attribute), value)
        items = [str(item) for item in value]
        self.budget.text(sum(len(item) for item in items) + len(str(separator)) * max(len(items) - 1, 0))
        return str(separator).join(items)

    def _replace(self, value: Any, old: Any, new: Any, count: int | None = None) -> str:
        text, old, new = str(value), str(old), str(new)
        found = text.count(old) if old else len(text) + 1
        found = found if count is None or count < 0 else min(found, count)
        self.budget.text(len(text) + found * (len(new) - len(old)))
        return text.replace(old, new, -1 if count is None else count)

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
                    raise SecurityError(f"`*` would build more than {_MAX_BUILT:,} items")
        if operator == "%":
            _check_size(left)
            arguments = right if isinstance(right, tuple) else (right,)
            if isinstance(left, str):
                self.budget.text(len(left) + sum(len(str(argument)) for argument in arguments))
        if operator == "+" and isinstance(left, (str, list, tuple)) and isinstance(right, (str, list, tuple)):
            self.budget.text(len(left) + len(right))
        if (
            operator == "**"
            and isinstance(left, int)
            and isinstance(right, int)
            and left.bit_length() * right > _MAX_BUILT
        ):
            raise SecurityError(f"`**` would build a number of more than {_MAX_BUILT:,} bits")
        return super().call_binop(context, operator, left, right)

    def wrap_str_format(self, value: Any) -> Callable[..., str] | None:
        wrapped = super().wrap_str_format(value)
        if wrapped is not None:
            _check_size(value.__self__)
        return wrapped


def _check_size(value: Any) -> None:
    """Refuse a filter argument or format string that would pad text out to more than `_MAX_BUILT`."""
    if isinstance(value, str) and _HUGE_WIDTH.search(value):
        raise SecurityError(f"a format field wider than {_MAX_BUILT:,} characters")
    if isinstance(value, int) and abs(value) > _MAX_BUILT:
        raise SecurityError(f"a width of more than {_MAX_BUILT:,} characters")


def _bounded(padding_filter: Callable[..., str]) -> Callable[..., str]:
    """`padding_filter` (center, indent, ...), refusing widths and format fields past `_MAX_BUILT`."""

    @functools.wraps(padding_filter)
    def bounded(*args: Any, **kwargs: Any) -> str:
        for value in (*args, *kwargs.values()):
            _check_size(value)
        return padding_filter(*args, **kwargs)

    return bounded


def _models_by_file(index: Index | None) -> dict[Path, tuple[Model, ...]]:
    """The index's models grouped by the file declaring them, once (not searched again per card: on
    thousands of cards that search alone made the site's build time grow with the square)."""
    grouped: dict[Path, list[Model]] = {}
    for model in index.models.values() if index is not None else ():
        grouped.setdefault(model.source.path.resolve(), []).append(model)
    return {path: tuple(models) for path, models in grouped.items()}


def _template_models(
    path: Path, index: Index | None, declared: dict[Path, tuple[Model, ...]]
) -> tuple[Model, ...]:
    """The models a collection template's card shows: those the index declares in it, else its own."""
    resolved = path.resolve()
    if index is not None and resolved in index.files:
        return declared.get(resolved, ())
    return tuple(load_index(path).models.values())


def _card(path: Path, results: Results, models: tuple[Model, ...]) -> Card:
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
    return visible(inert_comments(header + body.rstrip("\n") + "\n")).encode("utf-8")


def _unlinked(chart: str | None, body: str) -> bool:
    return chart is not None and chart not in body


def _render_template(environment: _CardEnvironment, template: Path, name: str, card: Card) -> str:
    """One template rendered within the budget: output counted as it streams, loops and texts metered."""
    budget = environment.budget
    budget.start()
    try:
        pieces = []
        stream = environment.get_template(name).generate(
            model_name=card.model_name, models=list(card.models), results=card.results, card=card
        )
        for piece in stream:
            budget.emit(len(piece))
            pieces.append(piece)
        return "".join(pieces)
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
