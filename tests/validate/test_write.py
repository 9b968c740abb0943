"""`--write` changes exactly the asked-for values' text and no other byte; `--dry-run` changes nothing.

The cases in `write_cases/` each declare tf_efficientnet_lite0 with a wrong Parameters (and some a
wrong Crop Pct) beside traps: a key that ends with the field's name, comments and a second model
holding the same text, in block and flow style. `--write all` must turn each into its `.expected`
file exactly; the verdicts are measured once, for real, and applied to every card.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import huggingface_hub.constants
import pytest

from zoo.cli import main
from zoo.index import load_index
from zoo.validate import Verdict, apply_edits, plan_edits, validate_index

from .conftest import replace_in_model

LITE0 = "tf_efficientnet_lite0"


def changed_lines(before: bytes, after: bytes) -> list[tuple[bytes, bytes]]:
    old, new = before.splitlines(keepends=True), after.splitlines(keepends=True)
    assert len(old) == len(new)
    return [(a, b) for a, b in zip(old, new, strict=True) if a != b]


@pytest.fixture
def wrong_card(lite_card: Path) -> Path:
    """lite0 declaring Crop Pct 0.9 and FLOPs 10% too many."""
    replace_in_model(lite_card, LITE0, "Crop Pct: '0.875'", "Crop Pct: '0.9'")
    replace_in_model(lite_card, LITE0, "FLOPs: 488052032", "FLOPs: 536857235")
    return lite_card


def test_dry_run_shows_the_diff_and_changes_nothing(
    capsys: pytest.CaptureFixture[str], index_copy: Path, wrong_card: Path
) -> None:
    before = wrong_card.read_bytes()
    assert main(["validate", LITE0, "--index", str(index_copy), "--write", "Crop Pct", "--dry-run"]) == 1
    out = capsys.readouterr().out
    assert wrong_card.read_bytes() == before
    assert f"--- {wrong_card}\n+++ {wrong_card}\n" in out
    assert "\n-    Crop Pct: '0.9'\n+    Crop Pct: '0.875'\n" in out
    assert "FLOPs: 4" not in out  # not asked for


def test_write_one_field_changes_exactly_one_line(
    capsys: pytest.CaptureFixture[str], index_copy: Path, wrong_card: Path
) -> None:
    before = wrong_card.read_bytes()
    assert main(["validate", LITE0, "--index", str(index_copy), "--write", "crop_pct"]) == 1
    assert changed_lines(before, wrong_card.read_bytes()) == [
        (b"    Crop Pct: '0.9'\n", b"    Crop Pct: '0.875'\n")
    ]
    assert before.replace(b"Crop Pct: '0.9'", b"Crop Pct: '0.875'") == wrong_card.read_bytes()
    capsys.readouterr()
    # the FLOPs mismatch is still there; --write all fixes it too, after which everything holds
    assert main(["validate", LITE0, "--index", str(index_copy), "--write", "all"]) == 1
    assert main(["validate", LITE0, "--index", str(index_copy)]) == 0
    assert wrong_card.read_bytes() == before.replace(b"'0.9'", b"'0.875'").replace(b"536857235", b"488052032")


def test_estimates_and_results_are_never_written(
    capsys: pytest.CaptureFixture[str], index_copy: Path, lite_card: Path
) -> None:
    replace_in_model(lite_card, LITE0, "File Size: 18820223", "File Size: 28820223")
    before = lite_card.read_bytes()
    assert (
        main(["validate", LITE0, "--index", str(index_copy), "--write", "all", "--write", "file size"]) == 0
    )
    out = capsys.readouterr().out
    assert lite_card.read_bytes() == before
    assert f"{LITE0} File Size: not written, the size is an estimate" in out
    assert "nothing to write" in out


def test_crlf_and_other_bytes_survive(
    capsys: pytest.CaptureFixture[str], index_copy: Path, wrong_card: Path
) -> None:
    crlf = wrong_card.read_bytes().replace(b"\n", b"\r\n")
    wrong_card.write_bytes(crlf)
    assert main(["validate", LITE0, "--index", str(index_copy), "--write", "flops"]) == 1
    assert changed_lines(crlf, wrong_card.read_bytes()) == [
        (b"    FLOPs: 536857235\r\n", b"    FLOPs: 488052032\r\n")
    ]


CASES = Path(__file__).parent / "write_cases"
WRONG = "<!--\nModels:\n- Name: tf_efficientnet_lite0\n  Metadata: {Parameters: 1234567, Crop Pct: .9}\n-->\n"
# case file -> what `--write all` reports it did not write
NOT_WRITTEN = {
    "multi_line.md": "Parameters: not written, its value spans",
    "anchor.md": "Parameters: not written, it is not written once as a plain value",
    "merge.md": "Parameters: not written, it is not written once as a plain value",
    "collection_shared.md": "not written, it is also the Parameters of tf_efficientnet_lite1",
}


@pytest.fixture(scope="module")
def verdicts(tmp_path_factory: pytest.TempPathFactory) -> list[Verdict]:
    folder = tmp_path_factory.mktemp("wrong")
    card = folder / "card.md"
    card.write_text(WRONG)
    with pytest.MonkeyPatch.context() as patch:  # no hub cache of the user's (see conftest)
        patch.setenv("TORCH_HOME", str(folder / "torch-home"))
        patch.setattr(huggingface_hub.constants, "HF_HUB_CACHE", str(folder / "hf-cache"))
        found = validate_index(load_index(card), [LITE0])
    wrong = {v.field for v in found if v.verdict == "mismatch"}
    assert wrong >= {"Parameters", "Crop Pct"}, found
    return found


@pytest.mark.parametrize("case", sorted(p.name for p in CASES.iterdir() if ".expected" not in p.name))
def test_write_changes_exactly_the_value(case: str, tmp_path: Path, verdicts: list[Verdict]) -> None:
    card = tmp_path / case
    shutil.copyfile(CASES / case, card)
    edits, skipped = plan_edits(load_index(card), verdicts, ["all"])
    apply_edits(edits)
    expected = CASES / case.replace(".", ".expected.", 1)
    assert card.read_bytes() == expected.read_bytes()
    if case in NOT_WRITTEN:
        assert any(NOT_WRITTEN[case] in line for line in skipped), skipped
    # and the rewritten card reads back with the measured values
    metadata = load_index(card).models[LITE0].metadata
    assert metadata.parameters in (1234567, 4652008)
