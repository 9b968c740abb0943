"""Every write stays where it belongs: one rule for default paths, no output over an input, no write
through a link, and no file replaced that zoo's manifest does not list. Each case on real files."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from zoo.cli import main
from zoo.paths import project_paths

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A copy of the bundled project: its index, card templates and committed results."""
    root = tmp_path / "project"
    root.mkdir()
    shutil.copy(REPO / "model-index.yml", root)
    shutil.copytree(REPO / "docs" / "templates", root / "docs" / "templates")
    shutil.copytree(REPO / "benchmarks" / "results", root / "benchmarks" / "results")
    return root


def test_a_folder_or_its_index_file_give_the_same_paths(project: Path) -> None:
    by_file, by_folder = project_paths(project / "model-index.yml"), project_paths(project)
    assert by_file == by_folder and by_folder.root == project.resolve()
    assert by_folder.cards == project.resolve() / "docs" / "models"


@pytest.mark.parametrize("index", ["file", "folder"])
def test_docs_with_index_as_folder_writes_inside_the_project(project: Path, index: str) -> None:
    argument = project / "model-index.yml" if index == "file" else project
    assert main(["docs", "--index", str(argument)]) == 0
    assert (project / "docs" / "models" / "tf-efficientnet-lite.md").is_file()
    assert not (project.parent / "docs").exists()  # never one level up


# case -> (the command's arguments after the project's --index, what the one-line error says)
OVERLAPS: dict[str, tuple[Callable[[Path], list[str]], str]] = {
    "docs over its templates": (
        lambda p: ["docs", "--out", str(p / "docs" / "templates" / "models")],
        "holds the templates folder",
    ),
    "docs over the templates' parent": (lambda p: ["docs", "--out", str(p / "docs")], "holds the templates"),
    "docs over the results": (
        lambda p: ["docs", "--out", str(p / "benchmarks" / "results")],
        "holds the results folder",
    ),
    "docs over the project": (lambda p: ["docs", "--out", str(p)], "holds the"),
    "hub cards over the templates": (
        lambda p: ["docs", "--format", "hf", "--out", str(p / "docs" / "templates" / "models")],
        "holds the templates folder",
    ),
    "site over the project": (lambda p: ["site", "--out", str(p)], "holds the index folder"),
    "site over the results": (
        lambda p: ["site", "--out", str(p / "benchmarks")],
        "holds the results folder",
    ),
}


@pytest.mark.parametrize("case", sorted(OVERLAPS))
def test_an_output_folder_holding_an_input_is_refused(
    case: str, project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    arguments, says = OVERLAPS[case]
    before = {path: path.read_bytes() for path in project.rglob("*") if path.is_file()}
    assert main([*arguments(project), "--index", str(project / "model-index.yml")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and says in err, err
    assert {path: path.read_bytes() for path in project.rglob("*") if path.is_file()} == before


def _hub(project: Path, out: Path) -> list[str]:
    return ["docs", "--format", "hf", "--index", str(project / "model-index.yml"), "--out", str(out)]


def _readme_linked_out(folder: Path, outside: Path) -> None:
    folder.mkdir(parents=True)
    (folder / "README.md").symlink_to(outside)


def _folder_linked_elsewhere(folder: Path, outside: Path) -> None:
    folder.parent.mkdir(parents=True)
    folder.symlink_to(outside.parent)


def _readme_of_the_user(folder: Path, outside: Path) -> None:
    folder.mkdir(parents=True)
    (folder / "README.md").write_text("mine\n")


# case -> what is put at out/tf_efficientnet_lite0 before `zoo docs --format hf`, and the error
HUB_TRAPS: dict[str, tuple[Callable[[Path, Path], None], str]] = {
    "README.md linked out of its folder": (_readme_linked_out, "a symbolic link"),
    "the model folder linked elsewhere": (_folder_linked_elsewhere, "leads out of"),
    "a README.md the user wrote": (_readme_of_the_user, "not written by zoo"),
}


@pytest.mark.parametrize("case", sorted(HUB_TRAPS))
def test_hub_cards_never_write_through_links_or_over_user_files(
    case: str, project: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    outside = tmp_path / "elsewhere" / "precious.md"
    outside.parent.mkdir()
    outside.write_text("precious\n")
    out = tmp_path / "hf"
    trap, says = HUB_TRAPS[case]
    trap(out / "tf_efficientnet_lite0", outside)
    assert main(_hub(project, out)) == 2
    err = capsys.readouterr().err
    assert says in err and err.count("\n") == 1, err
    assert outside.read_text() == "precious\n" and sorted(p.name for p in outside.parent.iterdir()) == [
        "precious.md"
    ]
    readme = out / "tf_efficientnet_lite0" / "README.md"
    if case == "a README.md the user wrote":
        assert readme.read_text() == "mine\n"
    assert not (out / "tf_efficientnet_lite1").exists()  # all refused before anything is written


def test_hub_cards_replace_what_their_manifest_lists(project: Path, tmp_path: Path) -> None:
    out = tmp_path / "hf"
    assert main(_hub(project, out)) == 0
    readme = out / "tf_efficientnet_lite0" / "README.md"
    readme.write_text("stale\n")
    assert main(_hub(project, out)) == 0  # zoo wrote it: it may write it again
    assert readme.read_text().startswith("---\n")
    assert (out / ".zoo-docs.json").is_file()
