"""The usage snippets of the committed card really run: PyTorch, ONNX Runtime and OpenVINO, offline."""

from __future__ import annotations

import importlib.util
import os
import re
import subprocess
import sys
import warnings
from pathlib import Path

from zoo.cli import main

REPO = Path(__file__).resolve().parents[2]
_PYTHON_BLOCK = re.compile(r"^```python\n(.*?)^```", re.DOTALL | re.MULTILINE)


def test_lite0_snippets_run_and_backends_agree(project_templates: Path, tmp_path: Path) -> None:
    out = tmp_path / "cards"
    args = ["--index", str(REPO / "model-index.yml"), "--templates", str(project_templates)]
    assert main(["docs", *args, "--results", str(tmp_path / "none"), "--out", str(out)]) == 0
    card = (out / "tf-efficientnet-lite.md").read_text()
    blocks = _PYTHON_BLOCK.findall(card)
    assert len(blocks) >= 5
    assert set(re.findall(r"tf_efficientnet_lite\d", "".join(blocks))) == {"tf_efficientnet_lite0"}
    with_weights = importlib.util.find_spec("zoo.weights") is not None
    if not with_weights:
        warnings.warn("zoo.weights does not exist yet: ran the snippets without its block", stacklevel=1)
        blocks = [b for b in blocks if "zoo.weights" not in b]
    env = {**os.environ, "OMP_NUM_THREADS": "1", "HF_HUB_OFFLINE": "1"}
    run = subprocess.run(
        [sys.executable, "-c", "\n".join(blocks)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert run.returncode == 0, run.stderr[-3000:]
    lines = run.stdout.splitlines()
    torch_top1 = next(line for line in lines if line.startswith("PyTorch: ")).removeprefix("PyTorch: ")
    torch_label = torch_top1.rsplit(" ", 1)[0]
    assert f"ONNX Runtime: {torch_label}" in lines and f"OpenVINO: {torch_label}" in lines
    for backend in ("ONNX Runtime", "OpenVINO"):
        difference = next(line for line in lines if line.startswith(f"{backend} max |difference|"))
        assert float(difference.rsplit(" ", 1)[1]) < 1e-3, difference
    if with_weights:
        assert lines[0].startswith("packaged Apache-2.0"), lines[0]
        top5 = [
            line.removeprefix("PyTorch: ").rsplit(" ", 1)[0] for line in lines if line.startswith("PyTorch: ")
        ]
        assert "military uniform" in top5, top5  # Grace Hopper in uniform: the weights are real
    assert (tmp_path / "tf_efficientnet_lite0.onnx").is_file()
