"""Bad input: a file that cannot be read is one line naming it (and the line), exit 2; a bad entry or value
is a located error of that model, the rest of the index is read, exit 1."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from zoo.cli import main
from zoo.index import IndexFormatError, load_index

GOOD = "<!--\nCollections:\n- Name: Fam\nModels:\n- Name: good\n  In Collection: Fam\n  Metadata:\n    FLOPs: 10\n-->\n"


def model(metadata: str = "", extra: str = "", name: str = "bad") -> str:
    block = f"  Metadata:\n{metadata}" if metadata else ""
    return f"<!--\nModels:\n- Name: {name}\n{block}{extra}-->\n"


def _laughs(opening: str, item: str, closing: str, levels: int = 9) -> str:
    """A "billion laughs": each level's anchor holds nine aliases of the level below (9**9 nodes)."""
    lines = [f"    l0: &l0 {opening}{item.format(value='lol')}{closing}"]
    for level in range(1, levels + 1):
        items = ", ".join(item.format(value=f"*l{level - 1}").replace("k:", f"k{i}:") for i in range(9))
        lines.append(f"    l{level}: &l{level} {opening}{items}{closing}")
    return model("\n".join(lines) + "\n")


# case id -> (card text, what the one-line message must contain besides the file and line)
HOSTILE_YAML: dict[str, tuple[str, list[str]]] = {
    "alias bomb in lists": (_laughs("[", "{value}", "]"), ["aliases expand"]),
    "alias bomb in mappings": (_laughs("{", "k: {value}", "}"), ["aliases expand"]),
    "recursive list alias": (model("    X: &a [1, *a]\n"), ["card.md:5", "recursive YAML alias *a"]),
    "recursive mapping alias": (model("    X: &a {k: *a}\n"), ["card.md:5", "recursive YAML alias *a"]),
    "undefined alias": (model("    X: *nowhere\n"), ["card.md:5", "undefined YAML alias *nowhere"]),
    "deep flow nesting": (model("    X: " + "[" * 5000 + "]" * 5000 + "\n"), ["YAML error", "nesting"]),
    "deep block nesting": (
        model("".join(f"{'  ' * (2 + depth)}k{depth}:\n" for depth in range(200)) + "      x: 1\n"),
        ["nested more than 64 levels"],
    ),
    "alias of a list as a key": (model("    X: &a [1]\n    ? *a\n    : 2\n"), ["card.md:6", "key"]),
    "object tag on a mapping": (model("    X: !!python/object:os.system {a: 1}\n"), ["not allowed"]),
    "set tag": (model("    X: !!set {a, b}\n"), ["'tag:yaml.org,2002:set' is not allowed"]),
    "two documents": ("<!--\nModels:\n- Name: a\n---\nModels:\n- Name: b\n-->\n", ["single YAML document"]),
    "bad int tag": (model("    FLOPs: !!int lots\n"), ["card.md:5", "'lots' is not a valid int"]),
    "merge of a list": (model("    <<: [[1]]\n"), ["merge"]),
}

# case id -> (files to write, the root file, what the one-line message must contain)
CASES: dict[str, tuple[dict[str, str | bytes], str, list[str]]] = {
    "yaml syntax": ({"card.md": "<!--\nModels:\n- Name: [x\n-->\n"}, "card.md", ["card.md:", "YAML error"]),
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
    "imports nested too deep": (
        {
            "model-index.yml": "Import: ['f0.yml']\n",
            **{f"f{i}.yml": f"Import: ['f{i + 1}.yml']\n" for i in range(40)},
            "f40.yml": "Models:\n- Name: deep\n",
        },
        "model-index.yml",
        ["f31.yml", "nested more than 32 files deep"],
    ),
    "not a model index": ({"card.md": "# Just a page\n"}, "card.md", ["no model-index block"]),
    **{
        f"hostile yaml: {name}": ({"card.md": text}, "card.md", ["card.md:", *fragments])
        for name, (text, fragments) in HOSTILE_YAML.items()
    },
}


# case id -> (files, the root file, what the notice must contain): one entry or value is bad, so that
# model is listed with its error (or the entry is skipped), the good model beside it is read, exit 1.
ENTRY_CASES: dict[str, tuple[dict[str, str | bytes], str, list[str]]] = {
    "huge list as a number": (
        {"card.md": model("    FLOPs: [" + "1, " * 60_000 + "1]\n")},
        "card.md",
        ["card.md:5", "'FLOPs'", "a single value", "...]"],
    ),
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
    "crop pct zero": ({"card.md": model("    Crop Pct: 0\n")}, "card.md", ["'Crop Pct'"]),
    "image size zero": ({"card.md": model("    Image Size: '0'\n")}, "card.md", ["'Image Size'", "positive"]),
    "image size of three sides": (
        {"card.md": model("    Image Size: [3, 224, 224]\n")},
        "card.md",
        ["card.md:5", "'Image Size'", "[height, width]"],
    ),
    "missing collection": (
        {"card.md": model(extra="  In Collection: Nope\n")},
        "card.md",
        ["card.md:3", "'In Collection'", "'Nope'"],
    ),
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


@pytest.mark.parametrize("case", list(ENTRY_CASES))
def test_a_bad_entry_hides_no_other_model_and_exits_1(
    case: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    files, root, expected = ENTRY_CASES[case]
    materialize(tmp_path, files)
    index = tmp_path / root
    if index.suffix == ".md":  # the good model beside the bad one, in the same file
        index.write_text(index.read_text() + GOOD)
    else:
        (tmp_path / "good.md").write_text(GOOD)
    assert main(["list", "--index", str(index), "--json"]) == 1
    captured = capsys.readouterr()
    assert '"name": "good"' in captured.out
    error = next(line for line in captured.err.splitlines() if line.startswith("zoo: error: "))
    for fragment in expected:
        assert fragment in error, f"{fragment!r} not in {error!r}"
    assert "error(s) in the index" in captured.err.splitlines()[-1]


def test_symlink_out_of_the_root_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "outside.md").write_text(GOOD)
    root = tmp_path / "index"
    root.mkdir()
    (root / "model-index.yml").write_text("Import: ['*.md']\n")
    os.symlink(tmp_path / "outside.md", root / "link.md")
    assert main(["list", "--index", str(root / "model-index.yml")]) == 2
    assert "outside" in capsys.readouterr().err


def test_real_process_prints_no_traceback(tmp_path: Path) -> None:
    (tmp_path / "card.md").write_text(model("    Crop Pct: '-2'\n"))
    done = subprocess.run(
        [sys.executable, "-m", "zoo", "show", "bad", "--index", str(tmp_path / "card.md")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    assert "field 'Crop Pct': must be above 0, got '-2'; it is left out" in done.stderr
    assert "bad  (declared at" in done.stdout


@pytest.mark.parametrize("case", [name for name in HOSTILE_YAML if "bomb" in name or "deep" in name])
def test_size_bombs_are_refused_at_once(case: str, tmp_path: Path) -> None:
    """A few hundred bytes must not cost seconds or gigabytes before they are refused."""
    (tmp_path / "card.md").write_text(HOSTILE_YAML[case][0])
    started = time.process_time()
    with pytest.raises(IndexFormatError):
        load_index(tmp_path / "card.md")
    assert time.process_time() - started < 0.5
