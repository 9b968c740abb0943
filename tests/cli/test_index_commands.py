"""`zoo list` and `zoo show` on the bundled index."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from zoo.cli import main

INDEX = str(Path(__file__).resolve().parents[2] / "model-index.yml")


def test_list_json(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["list", "--index", INDEX, "--json"]) == 0
    rows = {row["name"]: row for row in json.loads(capsys.readouterr().out)}
    assert rows["tf_efficientnet_lite0"] == {
        "name": "tf_efficientnet_lite0",
        "collection": "TF EfficientNet Lite",
        "image_size": 224,
        "crop_pct": 0.875,
        "interpolation": "bicubic",
        "params": 4650000,
        "flops": 488052032,
        "problems": 0,
    }


def test_list_table(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["list", "--index", INDEX]) == 0
    out = capsys.readouterr().out
    assert "tf_efficientnet_lite4" in out and "5 models" in out


def test_show_says_where_each_value_was_declared(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["show", "tf_efficientnet_lite2", "--index", INDEX, "--json"]) == 0
    info = json.loads(capsys.readouterr().out)
    crop = info["metadata"]["Crop Pct"]
    assert (crop["value"], crop["text"]) == (0.89, "0.89")
    path, line = crop["declared_at"].rsplit(":", 1)
    assert Path(path).read_text().splitlines()[int(line) - 1].strip() == "Crop Pct: '0.89'"


def test_unknown_model_suggests_names(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["show", "tf_efficientnet_lite9", "--index", INDEX]) == 2
    err = capsys.readouterr().err
    assert "unknown model 'tf_efficientnet_lite9'" in err and "tf_efficientnet_lite" in err


HEAVY = ("torch", "timm", "onnxruntime", "openvino", "pandas", "scipy")
# What only reading an index must not import either: `zoo bench`'s --scenario choices once imported
# the scenario registry (and numpy with it) while the parser was built, for every command.
NOT_FOR_READING = (*HEAVY, "numpy", "zoo.measure")


@pytest.mark.parametrize(
    ("argv", "heavy"),
    [
        (["list", "--index", INDEX], NOT_FOR_READING),
        (["show", "tf_efficientnet_lite0", "--index", INDEX], NOT_FOR_READING),
        (["backends"], HEAVY),
    ],
    ids=["list", "show", "backends"],
)
def test_everyday_commands_import_no_runtime(argv: list[str], heavy: tuple[str, ...], tmp_path: Path) -> None:
    """`zoo show` once imported timm (and torch with it) to print declared values: seconds per call.
    Each command runs in a fresh process; afterwards none of the heavy libraries may be loaded. The
    tag table is built first (that one time imports timm), in a cache of this test's own."""
    import os
    import subprocess
    import sys

    env = {**os.environ, "ZOO_CACHE": str(tmp_path)}
    subprocess.run([sys.executable, "-m", "zoo", *argv], env=env, capture_output=True, check=True)
    probe = (
        "import sys\nfrom zoo.cli import main\n"
        f"code = main({argv!r})\n"
        f"print('LOADED', [m for m in {heavy!r} if m in sys.modules], code)\n"
    )
    done = subprocess.run([sys.executable, "-c", probe], env=env, capture_output=True, text=True, check=True)
    assert done.stdout.splitlines()[-1] == "LOADED [] 0", done.stderr
