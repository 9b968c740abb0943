"""Bad metadata: one line naming the file (and line, model, field), exit 2, and a good index still works."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from zoo.cli import main

GOOD = "<!--\nCollections:\n- Name: Fam\nModels:\n- Name: good\n  In Collection: Fam\n  Metadata:\n    FLOPs: 10\n-->\n"


def model(metadata: str = "", extra: str = "", name: str = "bad") -> str:
    block = f"  Metadata:\n{metadata}" if metadata else ""
    return f"<!--\nModels:\n- Name: {name}\n{block}{extra}-->\n"


# case id -> (files to write, the root file, what the one-line message must contain)
CASES: dict[str, tuple[dict[str, str | bytes], str, list[str]]] = {
    "yaml syntax": ({"card.md": "<!--\nModels:\n- Name: [x\n-->\n"}, "card.md", ["card.md:", "YAML error"]),
    "no name": (
        {"card.md": "<!--\nModels:\n- Metadata:\n    FLOPs: 1\n-->\n"},
        "card.md",
        ["card.md:3", "Name"],
    ),
    "duplicate name": (
        {"model-index.yml": "Import: ['*.md']\n", "a.md": model(name="x"), "b.md": model(name="x")},
        "model-index.yml",
        ["b.md:3", "'x'", "duplicate", "a.md:3"],
    ),
    "negative flops": ({"card.md": model("    FLOPs: -5\n")}, "card.md", ["card.md:5", "'bad'", "'FLOPs'"]),
    "fractional params": (
        {"card.md": model("    Parameters: '4.5'\n")},
        "card.md",
        ["'Parameters'", "non-negative integer"],
    ),
    "text file size": ({"card.md": model("    File Size: big\n")}, "card.md", ["'File Size'", "'big'"]),
    "crop pct above 1": ({"card.md": model("    Crop Pct: '1.5'\n")}, "card.md", ["'Crop Pct'", "(0, 1]"]),
    "crop pct zero": ({"card.md": model("    Crop Pct: 0\n")}, "card.md", ["'Crop Pct'"]),
    "image size zero": ({"card.md": model("    Image Size: '0'\n")}, "card.md", ["'Image Size'", "positive"]),
    "missing collection": (
        {"card.md": model(extra="  In Collection: Nope\n")},
        "card.md",
        ["card.md:3", "'In Collection'", "'Nope'"],
    ),
    "import matches nothing": (
        {"model-index.yml": "Import: ['./none/*.md']\n"},
        "model-index.yml",
        ["nothing"],
    ),
    "import parent": ({"model-index.yml": "Import: ['../*.md']\n"}, "model-index.yml", ["outside"]),
    "import absolute": ({"model-index.yml": "Import: ['/etc/*.md']\n"}, "model-index.yml", ["absolute"]),
    "import cycle": (
        {"model-index.yml": "Import: ['sub/a.yml']\n", "sub/a.yml": "Import: ['../model-index.yml']\n"},
        "model-index.yml",
        ["cycle"],
    ),
    "python tag": (
        {"card.md": "<!--\nModels:\n- Name: !!python/object/apply:os.system ['true']\n-->\n"},
        "card.md",
        ["card.md:3", "not allowed"],
    ),
    "empty file": ({"card.md": "  \n"}, "card.md", ["empty"]),
    "binary file": ({"card.md": b"\x89PNG\x00\x00"}, "card.md", ["binary"]),
    "not utf-8": (
        {"card.md": "<!--\nModels:\n- Name: caf\xe9\n-->\n".encode("latin-1")},
        "card.md",
        ["UTF-8"],
    ),
    "huge file": ({"card.md": "#" * (5 * 1024 * 1024)}, "card.md", ["limit"]),
    "not a model index": ({"card.md": "# Just a page\n"}, "card.md", ["no model-index block"]),
}


def materialize(root: Path, files: dict[str, str | bytes]) -> None:
    for name, content in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content)


@pytest.mark.parametrize("case", list(CASES))
def test_bad_input_is_one_line_and_exit_2(
    case: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    files, root, expected = CASES[case]
    bad = tmp_path / "bad"
    materialize(bad, files)
    (tmp_path / "good").mkdir()
    (tmp_path / "good" / "card.md").write_text(GOOD)

    assert main(["list", "--index", str(bad / root)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("zoo: error: "), err
    for fragment in expected:
        assert fragment in err, f"{fragment!r} not in {err!r}"

    assert main(["list", "--index", str(tmp_path / "good" / "card.md"), "--json"]) == 0
    assert '"name": "good"' in capsys.readouterr().out


def test_symlink_out_of_the_root_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "outside.md").write_text(GOOD)
    root = tmp_path / "index"
    root.mkdir()
    (root / "model-index.yml").write_text("Import: ['*.md']\n")
    os.symlink(tmp_path / "outside.md", root / "link.md")
    assert main(["list", "--index", str(root / "model-index.yml")]) == 2
    assert "outside" in capsys.readouterr().err


def test_real_process_prints_no_traceback(tmp_path: Path) -> None:
    (tmp_path / "card.md").write_text(model("    Crop Pct: '2'\n"))
    done = subprocess.run(
        [sys.executable, "-m", "zoo", "show", "bad", "--index", str(tmp_path / "card.md")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    assert done.stderr.strip().endswith("field 'Crop Pct': must be in (0, 1], got '2'")
