"""A `Weights:` path in an index is read only inside the index's folder (one outside is an error of its
model, dropped unread), and a missing one is a finding.

An index often comes from someone else: `Weights: /etc/shadow` must not make `zoo validate` hash the
file or report its size, and `Weights: ./missing.pth` must not pass as an estimate that holds.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from zoo.cli import main
from zoo.index import load_index

LITE0 = "tf_efficientnet_lite0"
SECRET_BYTES = 123457


def card(weights: str, metadata: str = "    File Size: 18820223\n") -> str:
    return f"<!--\nModels:\n- Name: {LITE0}\n  Weights: {weights}\n  Metadata:\n{metadata}-->\n"


@pytest.fixture
def index(tmp_path: Path) -> Path:
    """An index folder beside a 'secret' file of known size, with a link inside pointing to it."""
    (tmp_path / "secret.bin").write_bytes(b"s" * SECRET_BYTES)
    root = tmp_path / "zoo"
    (root / "weights").mkdir(parents=True)
    os.symlink(tmp_path / "secret.bin", root / "weights" / "link.pth")
    os.symlink(tmp_path, root / "weights" / "up")
    return root


# case id -> a Weights value that reaches outside the index folder
OUTSIDE = {
    "absolute": "{outside}/secret.bin",
    "system file": "/etc/shadow",
    "parent": "../secret.bin",
    "parent after a folder": "weights/../../secret.bin",
    "file url": "file://{outside}/secret.bin",
    "home": "~/secret.bin",
    "symlink to a file outside": "weights/link.pth",
    "symlink to a folder outside": "weights/up/secret.bin",
}


@pytest.mark.parametrize("case", list(OUTSIDE))
def test_weights_outside_the_index_are_refused_unread(
    case: str, index: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    weights = OUTSIDE[case].format(outside=index.parent)
    (index / "card.md").write_text(card(weights))
    assert main(["validate", LITE0, "--index", str(index / "card.md")]) == 1  # an error of the model
    captured = capsys.readouterr()
    error = captured.err.splitlines()[0]
    assert error.startswith("zoo: error: ") and "outside the index folder" in error
    assert "card.md:4: model 'tf_efficientnet_lite0': field 'Weights'" in error
    for stream in (captured.out, captured.err):
        assert f"{SECRET_BYTES:,}" not in stream and str(SECRET_BYTES) not in stream
    assert load_index(index / "card.md").models[LITE0].weights is None  # dropped, never read


@pytest.mark.parametrize(
    "weights", ["https://example.org/w-0123abcd.pth", "hf-hub:timm/x", "weights/w.pth", "./weights/w.pth"]
)
def test_urls_and_paths_inside_load(weights: str, index: Path) -> None:
    (index / "card.md").write_text(card(weights))
    assert load_index(index / "card.md").models[LITE0].weights == weights


def test_a_missing_declared_file_is_a_validate_error(index: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (index / "card.md").write_text(card("./weights/missing.pth"))
    assert main(["validate", LITE0, "--index", str(index / "card.md"), "--json"]) == 1
    out = capsys.readouterr().out
    assert '"field": "File Size"' in out
    verdict = out[out.index('"field": "File Size"') :].split("}", 1)[0]
    assert '"verdict": "error"' in verdict
    assert "missing.pth, which does not exist" in verdict
    assert "estimate" not in verdict
