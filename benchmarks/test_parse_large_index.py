"""`zoo list` on a generated 10,000-model index: parsing must stay linear in the index's size.

The index repeats the timm-docs corpus cards under new names (`Name: x` becomes `Name: x-c7`), so it
has the corpus's own shapes and values. The figure is the whole command in a new process, imports
included, as a user runs it. Before the fix, the cyclic garbage collector rescanning every parsed
object and a list lookup per imported file made it worse than linear: 8.2 s of CPU (11.4 s median
wall on the shared 2-core machine) against 2.9 s of CPU (4.9 s wall) after, measured with
`pytest benchmarks/test_parse_large_index.py` and `/usr/bin/time zoo list --index ...`.
What remains is linear: PyYAML's C parser events (0.6 s), building the data from them (0.8 s),
typing the 10,000 models (0.85 s).
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from pytest_benchmark.fixture import BenchmarkFixture

REPO = Path(__file__).resolve().parents[1]
CORPUS = REPO.parent / "shared" / "corpus" / "timm-docs"
MODELS = 10_000
_NAMED = re.compile(r"^(\s*-?\s*(?:Name|In Collection):\s*)(\S.*?)\s*$", re.MULTILINE)


def write_large_index(folder: Path, models: int) -> Path:
    """Write `model-index.yml` importing renamed copies of the corpus cards, `models` models in all."""
    cards = sorted((CORPUS / "docs" / "models").glob("*.md"))
    texts = [card.read_text(encoding="utf-8") for card in cards]
    counts = [len(re.findall(r"^\s*In Collection:", text, re.MULTILINE)) for text in texts]
    out = folder / "docs" / "models"
    out.mkdir(parents=True)
    declared, copy = 0, 0
    while declared < models:
        for card, text, count in zip(cards, texts, counts, strict=True):
            if declared + count > models:
                continue
            renamed = _NAMED.sub(lambda m, c=copy: f"{m.group(1)}{m.group(2)}-c{c}", text)
            (out / f"{card.stem}-c{copy}.md").write_text(renamed, encoding="utf-8")
            declared += count
        copy += 1
        if declared + min(counts) > models:
            break
    root = folder / "model-index.yml"
    root.write_text("Import:\n- ./docs/models/*.md\n", encoding="utf-8")
    return root


@pytest.mark.skipif(not CORPUS.is_dir(), reason="corpus not beside this checkout")
def test_list_large_index(benchmark: BenchmarkFixture, tmp_path: Path) -> None:
    root = write_large_index(tmp_path, MODELS)

    def list_models() -> subprocess.CompletedProcess[str]:
        command = [sys.executable, "-m", "zoo", "list", "--index", str(root)]
        return subprocess.run(command, cwd=tmp_path, capture_output=True, text=True, check=False)

    done = benchmark.pedantic(list_models, rounds=3, iterations=1)
    assert done.returncode == 0, done.stderr
    assert f"\n{MODELS} models in " in done.stdout
