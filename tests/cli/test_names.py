"""Names from an index are text: no markup, control or bidirectional character acts on the terminal."""

from __future__ import annotations

import subprocess
import sys
import unicodedata
from pathlib import Path

import pytest

HOSTILE = [
    "tf_efficientnet_lite0[/bold]x",  # rich markup
    "lite \u202eevil\u202c",  # right-to-left override
    "lite\u200bzero-width",
    "lite\x1b[31mred",  # an escape sequence
    "lite $\\\\oops$",  # matplotlib mathtext
]


def _acting(text: str) -> list[str]:
    return [c for c in text if unicodedata.category(c) in ("Cf", "Cc") and c not in "\n\t"]


@pytest.mark.parametrize("name", HOSTILE)
@pytest.mark.parametrize("command", [["list"], ["list", "--json"], ["show", "NAME"], ["bench", "NAME"]])
def test_a_hostile_name_is_printed_as_text(name: str, command: list[str], tmp_path: Path) -> None:
    escaped = name.replace("\\", "\\\\").replace('"', '\\"').replace("\x1b", "\\x1b")
    (tmp_path / "model-index.yml").write_text(
        f'Models:\n- Name: "{escaped}"\n  Metadata:\n    Image Size: 224\n'
    )
    args = [part.replace("NAME", name) for part in command]
    done = subprocess.run(
        [sys.executable, "-m", "zoo", *args, "--index", str(tmp_path / "model-index.yml")],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=120,
    )
    assert "Traceback" not in done.stderr and done.returncode in (0, 2), done.stderr
    assert not _acting(done.stdout) and not _acting(done.stderr)
    if command[0] == "bench":  # not a timm model: refused before anything runs, in one line
        assert done.returncode == 2 and done.stderr.count("\n") == 1


def test_visible_shows_every_control_and_format_character_and_keeps_the_rest() -> None:
    """Every Cc and Cf character of the Basic Multilingual Plane is written as `\\uXXXX`, newline and tab
    aside; every other character, printable non-ASCII included, is kept as it is."""
    from zoo._text import visible

    for code in range(0x10000):
        char = chr(code)
        acting = unicodedata.category(char) in ("Cf", "Cc") and char not in "\n\t"
        assert visible(f"a{char}b") == (f"a\\u{code:04x}b" if acting else f"a{char}b"), hex(code)
