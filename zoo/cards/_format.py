"""Text for cards: escaping for Markdown and HTML, and how numbers are shown.

Every `{{ value }}` in a card template goes through `escape_markdown` (the environment's finalize),
so a model named `<script>` or `a|b` shows as text and cannot break a table. Code is the exception:
the `code` and `py` filters return text that is safe in an inline code span or a Python literal.
Invisible characters (bidirectional controls, zero-width marks, control codes) are shown as `\\uXXXX`
(`visible`, applied to the whole card and chart), so a name cannot reorder or hide what a card says.
"""

from __future__ import annotations

import html
import math
import re
from typing import Any
from urllib.parse import quote

from markupsafe import Markup

from zoo.index import image_size_text

MISSING = "\u2013"  # an en dash
"""What a table cell shows for a value the results do not hold."""

# Backslash-escape what Markdown would read as markup; `_` only where it can start or end emphasis
# (an underscore inside a word, as in tf_efficientnet_lite0, is plain text in CommonMark). `{` and `}`
# too: Python-Markdown's attr_list reads `{: onmouseover=...}` at the end of a cell as attributes.
_MARKDOWN_PUNCTUATION = re.compile(r"([\\`*\[\]|#~{}])|(?<![0-9A-Za-z])_|_(?![0-9A-Za-z])")
# What ends an HTML comment early: `-->`, and `--!>`, which browsers also accept as the end.
_COMMENT_BLOCK = re.compile(r"<!--(.*?)-->", re.DOTALL)


# Characters a URL keeps as they are; `(`, `)`, `|`, `<`, `>` and spaces are percent-encoded so the
# link cannot end early or break a table.
_URL_SAFE = ":/?#[]@!$&'*+,;=%-._~"


def is_missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def escape_markdown(value: Any) -> Markup:
    """`value` as literal text in Markdown: HTML escaped, markup characters backslash-escaped, one line."""
    if isinstance(value, Markup):
        return value
    if is_missing(value):
        return Markup(MISSING)
    text = re.sub(r"\s+", " ", html.escape(str(value), quote=False))
    return Markup(_MARKDOWN_PUNCTUATION.sub(lambda match: "\\" + match.group(0), text))


def inert_comments(text: str) -> str:
    """`text` with each `<!-- -->` block unable to end early: a `--!>` inside one (which a browser
    takes as the comment's end, so what follows would be live HTML) has its `>` written as `&gt;`."""
    return _COMMENT_BLOCK.sub(lambda match: "<!--" + match.group(1).replace("--!>", "--!&gt;") + "-->", text)


def comment_yaml(data: Any) -> str:
    """`data` as YAML for a `<!-- -->` block that reads back to the same values: a string that could
    end the comment is double-quoted, its `>` written as YAML's `\\x3e` escape."""
    import yaml

    class _Dumper(yaml.SafeDumper):
        pass

    def string(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
        risky = "--" in value or "<!" in value
        return dumper.represent_scalar("tag:yaml.org,2002:str", value, style='"' if risky else None)

    _Dumper.add_representer(str, string)
    text = yaml.dump(data, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=10**9)
    return re.sub(r"(--!?)>", r"\1\\x3e", text).replace("<!", "\\x3c!")


def code_span(value: Any) -> Markup:
    """An inline code span showing `value` exactly; `|` is escaped because GFM tables split on it."""
    text = re.sub(r"\s+", " ", str(value))
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * (longest + 1)
    padded = f" {text} " if text.startswith("`") or text.endswith("`") else text
    return Markup(f"{fence}{padded}{fence}".replace("|", "\\|"))


def python_literal(value: Any) -> Markup:
    """`value` as a Python string literal for a fenced code block (a backtick cannot close the fence)."""
    return Markup(repr(str(value)).replace("`", "\\x60"))


def link(url: Any) -> Markup:
    """A Markdown link to `url` named by its last path part; text that is not a web URL stays text."""
    text = str(url)
    if not text.startswith(("https://", "http://")):
        return escape_markdown(text)
    name = text.rstrip("/").rsplit("/", 1)[-1] or text
    return Markup(f"[{escape_markdown(name)}]({quote(text, safe=_URL_SAFE)})")


def fmt(value: Any, spec: str = "") -> str:
    """A number formatted with `spec`, or the missing-value dash."""
    return MISSING if is_missing(value) else format(value, spec)


def pixels(value: Any) -> str:
    """An input size: `224`, or `320x256 (height x width)` from a declared (height, width) or the
    `320, 256` validation.csv writes for one."""
    if is_missing(value):
        return MISSING
    if isinstance(value, str) and "," in value:
        try:
            value = [int(side) for side in value.split(",")]
        except ValueError:
            return str(value)
    return image_size_text(value) if isinstance(value, int | tuple | list) else str(value)


def si(value: Any, unit: str = "") -> str:
    """A large count made readable and exact: `4.65 M (4,650,000)`."""
    if is_missing(value):
        return MISSING
    number = float(value)
    for factor, prefix in ((1e12, "T"), (1e9, "G"), (1e6, "M"), (1e3, "k")):
        if abs(number) >= factor:
            return f"{number / factor:.3g} {prefix}{unit} ({int(number):,})"
    return f"{int(number):,} {unit}".rstrip()


def file_size(value: Any) -> str:
    if is_missing(value):
        return MISSING
    return f"{float(value) / 1e6:.1f} MB ({int(value):,} bytes)"


FILTERS = {
    "code": code_span,
    "py": python_literal,
    "link": link,
    "fmt": fmt,
    "si": si,
    "file_size": file_size,
}
