"""`--write` changes exactly the asked-for values' text and no other byte; `--dry-run` changes nothing."""

from __future__ import annotations

from pathlib import Path

import pytest

from zoo.cli import main

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
        main(["validate", LITE0, "--index", str(index_copy), "--write", "all", "--write", "file size"]) == 1
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
