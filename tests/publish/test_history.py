"""The site's history pages: a real lite0 bench stored twice (`zoo bench --repeat 2`), plus stored
records of other models (one run; several runs with a step, and markup in every stored string)."""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest
from zoo_testing import INDEX, LITE0, fast_timing

from zoo.cli import main
from zoo.index import Index
from zoo.publish import build_site
from zoo.results import LatencyRecord, open_store
from zoo.results.stats import Stats

HOSTILE = {
    "git_commit": "<img src=x onerror=alert(1)>",
    "libraries": {"torch": "<script>alert(2)</script>", "onnxruntime": "1.0|x"},
}


def add_runs(db: Path, record: LatencyRecord, medians_ms: list[float]) -> list[int]:
    """`record` stored again in one new run per median, as if measured at that median."""
    runs = []
    with open_store(db) as store:
        for median in medians_ms:
            run = store.start_run(f"zoo bench {record.model}", "local", None)
            store.add(run, replace(record, stats=Stats.from_seconds([median / 1000] * 30)))
            runs.append(run)
    return runs


@pytest.fixture(scope="module")
def stored(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[int], list[int]]:
    """A store with lite0 measured for real in two runs, lite1 in one, and lite2 in six that step up
    25% at the fifth, each with markup in its commit, library versions and backend name."""
    db = tmp_path_factory.mktemp("history") / "results.db"
    command = [sys.executable, "-m", "zoo", "bench", LITE0, "--backend", "onnxruntime", "--repeat", "2"]
    command += [
        *fast_timing(min_time="0.2", max_time="0.5"),
        "--index",
        str(INDEX),
        "--db",
        str(db),
        "--json",
    ]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    lite0 = [run["run"] for run in json.loads(done.stdout)["runs"]]
    with open_store(db, readonly=True) as store:
        runs = sorted({run for run, _ in store.measurements_by_run(LITE0)})
        measured = next(record for _, record in store.measurements_by_run(LITE0))
    assert runs == lite0 and len(set(lite0)) == 2  # two runs of their own, as `zoo results noise` wants
    quiet = replace(measured, contention={"contended": False}, converged=True)
    add_runs(db, replace(quiet, model="tf_efficientnet_lite1"), [5.0])
    hostile = replace(
        quiet,
        model="tf_efficientnet_lite2",
        backend="ort<script>alert(3)</script>",
        environment={**quiet.environment, **HOSTILE},
    )
    stepped = add_runs(db, hostile, [10.0, 10.02, 9.98, 10.0, 12.5, 12.5])
    return db, lite0, stepped


@pytest.fixture(scope="module")
def site(
    tmp_path_factory: pytest.TempPathFactory,
    index: Index,
    results_dir: Path,
    stored: tuple[Path, list[int], list[int]],
) -> Path:
    out = tmp_path_factory.mktemp("site") / "site"
    build_site(index, results_dir, out, store=stored[0])
    return out


def test_a_model_measured_twice_has_a_chart_linked_from_its_card(
    site: Path, stored: tuple[Path, list[int], list[int]]
) -> None:
    page = (site / "history" / "tf-efficientnet-lite0.html").read_text()
    assert 'src="tf-efficientnet-lite0.svg"' in page
    assert all(f"<td>{run}</td>" in page for run in stored[1])  # one row per run
    chart = (site / "history" / "tf-efficientnet-lite0.svg").read_text()
    assert "onnxruntime fp32 b1 t1" in chart  # the configuration's series, named
    assert all(f">{run}<" in chart or f"{run}\n" in chart for run in stored[1])  # the runs on the axis
    card = (site / "models" / "tf-efficientnet-lite.html").read_text()
    assert 'href="../history/tf-efficientnet-lite0.html"' in card
    assert 'href="history.html"' in (site / "index.html").read_text()


def test_one_run_or_none_is_a_line_not_an_empty_chart(site: Path) -> None:
    once = (site / "history" / "tf-efficientnet-lite1.html").read_text()
    assert "holds one run of this model" in once and ".svg" not in once
    never = (site / "history" / "tf-efficientnet-lite3.html").read_text()
    assert "holds no run of this model" in never and ".svg" not in never
    assert not (site / "history" / "tf-efficientnet-lite1.svg").exists()
    assert not (site / "history" / "tf-efficientnet-lite3.svg").exists()


def test_the_step_is_marked_and_stored_strings_are_text(
    site: Path, stored: tuple[Path, list[int], list[int]]
) -> None:
    page = (site / "history" / "tf-efficientnet-lite2.html").read_text()
    step = stored[2][4]
    assert f"<td>{step}</td>" in page and "+25.0%" in page  # the Steps table: its run and change
    chart = (site / "history" / "tf-efficientnet-lite2.svg").read_text()
    assert "+25.0%" in chart  # the step's change, written beside its ring
    for text in (page, chart):
        assert "<script>alert" not in text and "<img src=x" not in text
    assert "&lt;script&gt;alert(2)" in page and "&lt;img src=x" in page  # shown, as text
    assert "&lt;script&gt;alert(3)" in chart


def test_a_missing_db_is_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(
        ["site", "--index", str(INDEX), "--db", str(tmp_path / "none.db"), "--out", str(tmp_path / "s")]
    )
    assert code == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "none.db" in err
