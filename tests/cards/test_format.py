"""The escaping filters: text, code spans and Python literals that no value can break out of."""

from __future__ import annotations

import ast

from markdown_it import MarkdownIt

from zoo.cards._format import code_span, escape_markdown, link, python_literal, si

MD = MarkdownIt("commonmark").enable("table")


def test_text_keeps_names_readable_and_escapes_markup() -> None:
    assert escape_markdown("tf_efficientnet_lite0") == "tf_efficientnet_lite0"
    assert escape_markdown("a|b\nc") == "a\\|b c"
    assert MD.render(str(escape_markdown("_x_ *y* [z](u) <i>&"))) == "<p>_x_ *y* [z](u) &lt;i&gt;&amp;</p>\n"


def test_code_span_survives_backticks_and_table_pipes() -> None:
    span = code_span("a`b|c")
    table = f"| x |\n|---|\n| {span} |\n"
    assert "<code>a`b|c</code>" in MD.render(table)


def test_python_literal_is_the_same_string_and_cannot_close_a_fence() -> None:
    value = 'it\'s ```here``` \\ and "there"'
    literal = python_literal(value)
    assert "`" not in literal and ast.literal_eval(literal) == value


def test_links_only_for_web_urls() -> None:
    assert link("https://e.org/w/a (1).pth") == "[a (1).pth](https://e.org/w/a%20%281%29.pth)"
    assert link("javascript:alert(1)") == "javascript:alert(1)"
    assert si(4650000) == "4.65 M (4,650,000)" and si(None) == "\u2013"
