"""Throughput, INT8 and contention on the card: each figure beside the one it is compared with.

Every case writes its own small export (columns as `zoo results export` writes them, or as an older
export did) and names the exact line the card must show.
"""

from __future__ import annotations

import html
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from zoo.results.records import LatencyRecord, RateTrial, ServerRecord, Status
from zoo.results.stats import Stats

from .conftest import AGREEMENT, ENVIRONMENT_ID, latency_row, render, write_template
from .test_names import MATH

MODEL = "tf_efficientnet_lite0"
ENV = f"`{ENVIRONMENT_ID}`"
DASH = "\u2013"
CALIBRATION = "4 bundled photos x 32 = 128 samples (originals, then seeded augmentations)"
THROUGHPUT_NONE = "**Throughput** under load (the `throughput` scenario): not measured yet."
INT8_NONE = "**INT8** variants: not measured yet."
SERVER_NONE = "**Serving under an SLA** (the `server` scenario): not measured yet."
AGREES = "75.0% of 12 images, against torch fp32 | 0.81"
CONTENDED_NOTE = "A figure marked (contended) was measured while other work took the CPU"


def timed(backend: str, precision: str, median: float, **extra: Any) -> dict[str, Any]:
    """A latency-scenario row of lite0 (batch 1, 2 threads unless `extra` says otherwise)."""
    return latency_row(MODEL, backend, precision, "packaged", median, **{"scenario": "latency", **extra})


def served(backend: str, precision: str, images_per_s: float, **extra: Any) -> dict[str, Any]:
    """A throughput-scenario row: images/s counted, how it was served, request latency under load."""
    values: dict[str, Any] = dict(
        serve_batch=1, serve_streams=2, serve_requests=4, throughput_ips=images_per_s
    )
    return timed(backend, precision, 9.1, **{**values, "scenario": "throughput", **extra})


def agreement(backend: str, precision: str, **extra: Any) -> dict[str, Any]:
    row = dict(AGREEMENT[0], backend=backend, precision=precision, images=12, top1_agreement=0.75)
    return {**row, "max_abs_diff": 0.81, "max_rel_diff": 0.034, "status": "disagrees", **extra}


def accuracy(backend: str, precision: str, top1: float, weights: str = "packaged") -> dict[str, Any]:
    return {"model": MODEL, "backend": backend, "precision": precision, "dataset": "imagenet-val-500",
            "images": 500, "weights": weights, "top1": top1, "top1_ci_low": None, "top1_ci_high": None,
            "top5": None, "environment": ENVIRONMENT_ID}  # fmt: skip


def card(
    tmp_path: Path,
    latency: list[dict[str, Any]],
    agreement_rows: list[dict[str, Any]] | None = None,
    accuracy_rows: list[dict[str, Any]] | None = None,
    drop: tuple[str, ...] = (),
    server_rows: list[dict[str, Any]] | None = None,
) -> str:
    """The card `zoo docs` renders from these rows (exit 0), without the `drop`ped columns."""
    results = tmp_path / "results"
    results.mkdir()
    frame = pd.DataFrame(latency, columns=list(LatencyRecord.COLUMNS))
    frame.drop(columns=[c for c in drop if c in frame]).to_csv(results / "latency.csv", index=False)
    if agreement_rows:
        frame = pd.DataFrame(agreement_rows)
        frame.drop(columns=[c for c in drop if c in frame]).to_csv(results / "agreement.csv", index=False)
    if accuracy_rows:
        pd.DataFrame(accuracy_rows).to_csv(results / "accuracy.csv", index=False)
    if server_rows:
        pd.DataFrame(server_rows, columns=list(ServerRecord.COLUMNS)).to_csv(
            results / "server.csv", index=False
        )
    write_template(tmp_path / "t", "# Family")
    assert render(tmp_path / "t", results, tmp_path / "out") == 0
    return (tmp_path / "out" / "family.md").read_text()


def lines(text: str) -> list[str]:
    return text.splitlines()


# id, latency.csv rows, the throughput table's line
THROUGHPUT = [
    ("beside the latency row of the same backend, precision and threads",
     [timed("openvino", "fp32", 4.8702), timed("onnxruntime", "fp32", 2.0), served("openvino", "fp32", 412.3)],
     f"| openvino | fp32 | 2 | 412.3 | 1 | 2 | 4 | 9.10 | 9.46 | 205.3 (batch 1) | {ENV} |"),
    ("uncontended first, then the smallest batch",
     [timed("openvino", "fp32", 4.0, contended=True), timed("openvino", "fp32", 10.0, batch=4),
      timed("openvino", "fp32", 50.0, batch=16), served("openvino", "fp32", 412.3)],
     f"| openvino | fp32 | 2 | 412.3 | 1 | 2 | 4 | 9.10 | 9.46 | 400.0 (batch 4) | {ENV} |"),
    ("a contended latency row is named when it is the only one",
     [timed("openvino", "fp32", 5.0, contended=True), served("openvino", "fp32", 412.3)],
     f"| openvino | fp32 | 2 | 412.3 | 1 | 2 | 4 | 9.10 | 9.46 | 200.0 (batch 1, contended) | {ENV} |"),
    ("other threads, environment or precision are not compared",
     [timed("openvino", "fp32", 5.0, threads=1), timed("openvino", "fp32", 5.0, environment="other"),
      timed("openvino", "int8", 2.0), served("openvino", "fp32", 412.3)],
     f"| openvino | fp32 | 2 | 412.3 | 1 | 2 | 4 | 9.10 | 9.46 | {DASH} | {ENV} |"),
    ("a failed latency row is not compared",
     [timed("openvino", "fp32", float("nan"), status="failed", reason="boom"), served("openvino", "fp32", 412.3)],
     f"| openvino | fp32 | 2 | 412.3 | 1 | 2 | 4 | 9.10 | 9.46 | {DASH} | {ENV} |"),
    ("INT8 under load beside INT8 one at a time",
     [timed("openvino", "fp32", 5.0), timed("openvino", "int8", 2.5), served("openvino", "int8", 900.0)],
     f"| openvino | int8 | 2 | 900.0 | 1 | 2 | 4 | 9.10 | 9.46 | 400.0 (batch 1) | {ENV} |"),
    ("contended throughput is flagged",
     [timed("openvino", "fp32", 5.0), served("openvino", "fp32", 412.3, contended=True)],
     f"| openvino | fp32 | 2 | 412.3 (contended) | 1 | 2 | 4 | 9.10 | 9.46 | 200.0 (batch 1) | {ENV} |"),
    ("how it was served, where recorded",
     [served("torch", "fp32", 99.0, serve_batch=8, serve_streams=None, serve_requests=None)],
     f"| torch | fp32 | 2 | 99.0 | 8 | {DASH} | {DASH} | 9.10 | 9.46 | {DASH} | {ENV} |"),
    ("a failed throughput run keeps its reason",
     [served("openvino", "fp32", float("nan"), status="failed", reason="no AsyncInferQueue")],
     f"| openvino | fp32 | 2 | failed: no AsyncInferQueue | {DASH} | {DASH} | {DASH} | {DASH} | {DASH} | {DASH} | {ENV} |"),
]  # fmt: skip


@pytest.mark.parametrize(("rows", "expected"), [c[1:] for c in THROUGHPUT], ids=[c[0] for c in THROUGHPUT])
def test_throughput_table(rows: list[dict[str, Any]], expected: str, tmp_path: Path) -> None:
    text = card(tmp_path, rows)
    assert expected in lines(text), text
    assert THROUGHPUT_NONE not in text


def test_latency_table_shows_only_the_latency_scenario(tmp_path: Path) -> None:
    text = card(tmp_path, [timed("openvino", "fp32", 4.8702), served("openvino", "fp32", 412.3)])
    latency = text[text.index("**Latency**") : text.index("**Throughput**")]
    assert f"| openvino | fp32 | 1 | 2 | 4.87 | 5.07 | 205.3 | 1.25 | 14.6 | packaged | {ENV} |" in latency
    assert "9.10" not in latency and "412.3" not in latency


# id, latency.csv rows, agreement.csv rows, accuracy.csv rows, the INT8 table's line
INT8 = [
    ("speed-up, agreement, accuracy and calibration",
     [timed("openvino", "fp32", 4.8702), timed("openvino", "int8", 2.1, calibration=CALIBRATION)],
     [agreement("openvino", "fp32"), agreement("openvino", "int8")],
     [accuracy("openvino", "int8", 72.4), accuracy("openvino", "fp32", 74.1), accuracy("torch", "fp32", 74.2)],
     "| openvino | latency | 1 | 2 | 2.10 | 4.87 | 2.32x | 75.0% of 12 images, against torch fp32 | 0.81 (3.4% of "
     f"the reference logit range) | 72.40 (fp32 74.10) on imagenet-val-500, 500 images | {CALIBRATION} |"),
    ("fp32 only of the same batch, threads and scenario",
     [timed("openvino", "fp32", 4.0, batch=8), timed("openvino", "fp32", 4.0, threads=1),
      timed("openvino", "fp32", 4.0, environment="other"), timed("onnxruntime", "fp32", 4.0),
      served("openvino", "fp32", 400.0), timed("openvino", "int8", 2.0)], [], [],
     f"| openvino | latency | 1 | 2 | 2.00 | {DASH} | {DASH} | {DASH} | {DASH} | {DASH} | {DASH} |"),
    ("under load, beside fp32 under load",
     [timed("openvino", "fp32", 4.0), served("openvino", "fp32", 400.0, median_ms=18.2),
      served("openvino", "int8", 900.0, median_ms=9.1)], [], [],
     f"| openvino | throughput | 1 | 2 | 9.10 | 18.20 | 2.00x | {DASH} | {DASH} | {DASH} | {DASH} |"),
    ("contended timings flag the speed-up",
     [timed("openvino", "fp32", 4.0, contended=True), timed("openvino", "int8", 2.0)], [], [],
     f"| openvino | latency | 1 | 2 | 2.00 | 4.00 | 2.00x (contended) | {DASH} | {DASH} | {DASH} | {DASH} |"),
    ("a failed INT8 run keeps its reason",
     [timed("openvino", "fp32", 4.0),
      timed("openvino", "int8", float("nan"), status="failed", reason="nncf is not installed")], [], [],
     f"| openvino | latency | 1 | 2 | failed: nncf is not installed | 4.00 | {DASH} | {DASH} | {DASH} | {DASH} | {DASH} |"),
    ("agreement and accuracy without a timing",
     [timed("onnxruntime", "fp32", 4.0)], [agreement("onnxruntime", "int8", max_rel_diff=None)],
     [accuracy("onnxruntime", "int8", 0.1, weights="random"), accuracy("onnxruntime", "fp32", 0.1, weights="random")],
     f"| onnxruntime | {DASH} | {DASH} | {DASH} | not measured yet | {DASH} | {DASH} | 75.0% of 12 images, against "
     f"torch fp32 | 0.81 | unavailable: random weights | {DASH} |"),
    ("a failed agreement keeps its reason",
     [timed("openvino", "int8", 2.0)], [agreement("openvino", "int8", status="failed", reason="export failed")], [],
     f"| openvino | latency | 1 | 2 | 2.00 | {DASH} | {DASH} | failed: export failed | {DASH} | {DASH} | {DASH} |"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("latency", "agreements", "accuracies", "expected"), [c[1:] for c in INT8], ids=[c[0] for c in INT8]
)
def test_int8_table(
    latency: list[dict[str, Any]],
    agreements: list[dict[str, Any]],
    accuracies: list[dict[str, Any]],
    expected: str,
    tmp_path: Path,
) -> None:
    text = card(tmp_path, latency, agreements, accuracies)
    section = text[text.index("**INT8**") : text.index("**Cross-backend agreement**")]
    assert expected in lines(section), section
    assert section.count("\n| ") == 2  # the heading and this one variant


# id, latency.csv rows, whether the latency table flags a contended figure
CONTENDED = [
    ("flagged", [timed("openvino", "fp32", 4.8702, contended=True)], True),
    ("not contended", [timed("openvino", "fp32", 4.8702, contended=False)], False),
    ("not recorded", [timed("openvino", "fp32", 4.8702, contended=None)], False),
    ("written as text", [timed("openvino", "fp32", 4.8702, contended="true")], True),
]


@pytest.mark.parametrize(("rows", "flagged"), [c[1:] for c in CONTENDED], ids=[c[0] for c in CONTENDED])
def test_contended_results_are_flagged(rows: list[dict[str, Any]], flagged: bool, tmp_path: Path) -> None:
    text = card(tmp_path, rows)
    mark = " (contended)" if flagged else ""
    assert f"| openvino | fp32 | 1 | 2 | 4.87{mark} | 5.07 | 205.3 |" in text
    assert (CONTENDED_NOTE in text) is flagged


FULL = [
    timed("openvino", "fp32", 4.8702),
    served("openvino", "fp32", 412.3),
    timed("openvino", "int8", 2.1, calibration=CALIBRATION, contended=True),
]
# a column an older export lacks, a line the card must show without it
OLDER = [
    ("scenario", f"| openvino | fp32 | 1 | 2 | 9.10 | 9.46 | 412.3 | 1.25 | 27.3 | packaged | {ENV} |"),
    ("serve_batch", f"| openvino | fp32 | 2 | 412.3 | {DASH} | 2 | 4 | 9.10 | 9.46 | 205.3 (batch 1) | {ENV} |"),
    ("serve_streams", f"| openvino | fp32 | 2 | 412.3 | 1 | {DASH} | 4 | 9.10 | 9.46 | 205.3 (batch 1) | {ENV} |"),
    ("serve_requests", f"| openvino | fp32 | 2 | 412.3 | 1 | 2 | {DASH} | 9.10 | 9.46 | 205.3 (batch 1) | {ENV} |"),
    ("contended", f"| openvino | latency | 1 | 2 | 2.10 | 4.87 | 2.32x | {AGREES} (3.4% of the reference logit "
     f"range) | {DASH} | {CALIBRATION} |"),
    ("calibration", f"| openvino | latency | 1 | 2 | 2.10 (contended) | 4.87 | 2.32x (contended) | {AGREES} (3.4% "
     f"of the reference logit range) | {DASH} | {DASH} |"),
    ("max_rel_diff", f"| openvino | latency | 1 | 2 | 2.10 (contended) | 4.87 | 2.32x (contended) | {AGREES} | "
     f"{DASH} | {CALIBRATION} |"),
]  # fmt: skip


@pytest.mark.parametrize(("column", "expected"), OLDER, ids=[c[0] for c in OLDER])
def test_an_older_export_reads_as_latency_and_not_measured(
    column: str, expected: str, tmp_path: Path
) -> None:
    text = card(tmp_path, FULL, [agreement("openvino", "int8")], drop=(column,))
    assert expected in lines(text), text


def test_an_empty_scenario_reads_as_latency(tmp_path: Path) -> None:
    text = card(tmp_path, [timed("openvino", "fp32", 4.8702, scenario=None)])
    assert f"| openvino | fp32 | 1 | 2 | 4.87 | 5.07 | 205.3 | 1.25 | 14.6 | packaged | {ENV} |" in text
    assert THROUGHPUT_NONE in text and INT8_NONE in text


def test_calibration_goes_from_the_record_to_the_card(tmp_path: Path) -> None:
    """The exported row of a real INT8 record carries what calibrated it, and the card shows it."""
    record = LatencyRecord(
        model=MODEL,
        backend="onnxruntime",
        precision="int8",
        batch=1,
        threads=2,
        status=Status.OK,
        stats=Stats.from_seconds([0.002, 0.0021, 0.0019]),
        converged=True,
        backend_info={"calibration": CALIBRATION},
        environment={"id": ENVIRONMENT_ID},
    )
    text = card(tmp_path, [record.row()])
    assert (
        f"| onnxruntime | latency | 1 | 2 | 2.00 | {DASH} | {DASH} | {DASH} | {DASH} | {DASH} | {CALIBRATION} |"
        in text
    )


# id, latency.csv rows, whether the card gets a latency-against-throughput chart
CHARTS = [
    ("a pair to draw", [timed("openvino", "fp32", 4.8702), served("openvino", "fp32", 412.3)], True),
    ("throughput without a latency row", [served("openvino", "fp32", 412.3)], False),
    ("only a contended pair", [timed("openvino", "fp32", 4.87), served("openvino", "fp32", 412.3, contended=True)],
     False),
    ("latency only", [timed("openvino", "fp32", 4.8702)], False),
]  # fmt: skip


@pytest.mark.parametrize(("rows", "drawn"), [c[1:] for c in CHARTS], ids=[c[0] for c in CHARTS])
def test_throughput_chart_is_written_and_linked_once(
    rows: list[dict[str, Any]], drawn: bool, tmp_path: Path
) -> None:
    text = card(tmp_path, rows)
    chart = tmp_path / "out" / "family-throughput.svg"
    assert chart.is_file() is drawn
    assert text.count("](family-throughput.svg)") == int(drawn)
    if drawn:
        svg = chart.read_text()
        assert "Family: latency against throughput" in svg and "openvino fp32" in svg
        assert render(tmp_path / "t", tmp_path / "results", tmp_path / "again") == 0
        assert (tmp_path / "again" / "family-throughput.svg").read_bytes() == chart.read_bytes()


# id, latency.csv rows, the series the latency chart draws (none: no chart)
LATENCY_CHART = [
    ("uncontended rows", [timed("openvino", "fp32", 4.87), timed("torch", "fp32", 11.5)], ["openvino fp32", "torch fp32"]),
    ("a contended row is left out", [timed("openvino", "fp32", 4.87, contended=True), timed("torch", "fp32", 11.5)],
     ["torch fp32"]),
    ("only contended rows", [timed("openvino", "fp32", 4.87, contended=True)], []),
    ("throughput rows are not latency", [served("openvino", "fp32", 412.3), timed("torch", "fp32", 11.5)],
     ["torch fp32"]),
]  # fmt: skip


@pytest.mark.parametrize(
    ("rows", "series"), [c[1:] for c in LATENCY_CHART], ids=[c[0] for c in LATENCY_CHART]
)
def test_latency_chart_draws_only_uncontended_latency_rows(
    rows: list[dict[str, Any]], series: list[str], tmp_path: Path
) -> None:
    text = card(tmp_path, rows)
    chart = tmp_path / "out" / "family.svg"
    assert chart.is_file() is bool(series) and text.count("](family.svg)") == int(bool(series))
    drawn = chart.read_text() if series else ""
    for label in ("openvino fp32", "torch fp32"):
        assert (label in drawn) is (label in series), label


@pytest.mark.parametrize(("collection", "model"), MATH)
def test_throughput_chart_draws_names_as_text(collection: str, model: str, tmp_path: Path) -> None:
    results = tmp_path / "results"
    results.mkdir()
    rows = [dict(row, model=model) for row in (timed("$x$", "$^$", 4.0), served("$x$", "$^$", 400.0))]
    pd.DataFrame(rows, columns=list(LatencyRecord.COLUMNS)).to_csv(results / "latency.csv", index=False)
    write_template(tmp_path / "t", "# Family", model=model, collection=collection)
    assert render(tmp_path / "t", results, tmp_path / "out") == 0
    chart = (tmp_path / "out" / "family-throughput.svg").read_text()
    for text in (f"{collection}: latency against throughput", model, "$x$ $^$"):
        assert html.escape(text, quote=False) in chart, text


# id, a template that links the latency chart itself
PLACES_ONE_CHART = [
    ("and no measured sections", "# Family\n\n{% include 'zoo_chart.md' %}\n\n## Usage\n\nWords."),
    ("and the model sections",
     "# Family\n\n{% include 'zoo_chart.md' %}\n\n{% for facts in card.facts %}{% include 'zoo_model.md' %}"
     "{% endfor %}\n\n## Usage\n\nWords."),
]  # fmt: skip


@pytest.mark.parametrize("body", [c[1] for c in PLACES_ONE_CHART], ids=[c[0] for c in PLACES_ONE_CHART])
def test_a_template_placing_one_chart_gets_the_other_once(body: str, tmp_path: Path) -> None:
    results = tmp_path / "results"
    results.mkdir()
    rows = [timed("openvino", "fp32", 4.8702), served("openvino", "fp32", 412.3)]
    pd.DataFrame(rows, columns=list(LatencyRecord.COLUMNS)).to_csv(results / "latency.csv", index=False)
    write_template(tmp_path / "t", body)
    assert render(tmp_path / "t", results, tmp_path / "out") == 0
    text = (tmp_path / "out" / "family.md").read_text()
    assert text.count("](family.svg)") == 1 and text.count("](family-throughput.svg)") == 1
    assert text.count("### `tf_efficientnet_lite0`") == 1
    assert text.index("](family-throughput.svg)") < text.index("## Usage")


def test_two_templates_writing_one_chart_are_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    results = tmp_path / "results"
    results.mkdir()
    rows = [timed("openvino", "fp32", 4.8702), served("openvino", "fp32", 412.3)]
    rows += [dict(row, model="tf_efficientnet_lite1") for row in rows]
    pd.DataFrame(rows, columns=list(LatencyRecord.COLUMNS)).to_csv(results / "latency.csv", index=False)
    write_template(tmp_path / "t", "# A", name="a")
    write_template(tmp_path / "t", "# A throughput", name="a-throughput", model="tf_efficientnet_lite1")
    assert render(tmp_path / "t", results, tmp_path / "out") == 2
    error = capsys.readouterr().err
    assert error.count("\n") == 1 and "a-throughput.svg" in error
    assert "a-throughput.md" in error and "models/a.md" in error
    assert not (tmp_path / "out").exists()


def server(backend: str, offered: float, reasons: tuple[str, ...] = (), **extra: Any) -> dict[str, Any]:
    """A `server.csv` row as `ServerRecord.row()` writes it: lite0 at batch 1, 2 threads."""
    trial = RateTrial(offered, offered * 0.99, 1800, 5.1, 0.0041, 0.0062, 0.0093, 0.0101, reasons)
    record = ServerRecord(
        MODEL, backend, "fp32", 1, 2, Status.OK, verdict=trial.verdict, reasons=reasons, sla_ms=15.0,
        sla_source="default: 3 x single-stream p99", single_stream_p99_ms=5.0, trial=trial, tried=(trial,),
        served_by="2 session(s) x 1 thread(s), one queue", sessions=2, environment={"id": ENVIRONMENT_ID},
    )  # fmt: skip
    return {**record.row(), **extra}


def test_the_server_table_shows_the_rate_within_the_sla_and_why_a_result_is_invalid(tmp_path: Path) -> None:
    over = ("p99 bound 21.00 ms over the SLA 15.00 ms",)
    failed: dict[str, Any] = dict(
        status="failed", reason="measuring process killed by SIGKILL (out of memory?)"
    )
    text = card(tmp_path, [timed("openvino", "fp32", 4.0)],
                server_rows=[server("openvino", 180.0), server("onnxruntime", 60.0, over),
                             server("torch", 1.0, **failed)])  # fmt: skip
    assert SERVER_NONE not in text
    served_by = "2 session(s) x 1 thread(s), one queue"
    assert (f"| openvino | fp32 | 2 | 180.0 (achieved 178.2) | 15.00 (default: 3 x single-stream p99) | 9.30 "
            f"| 10.10 | 1,800 | VALID | {served_by} | {ENV} |") in lines(text), text  # fmt: skip
    assert (f"| onnxruntime | fp32 | 2 | 60.0 (achieved 59.4) | 15.00 (default: 3 x single-stream p99) | 9.30 "
            f"| 10.10 | 1,800 | INVALID: {over[0]} | {served_by} | {ENV} |") in lines(text)  # fmt: skip
    assert (f"| torch | fp32 | 2 | failed: {failed['reason']} | {DASH} | {DASH} | {DASH} | {DASH} | {DASH} "
            f"| {DASH} | {ENV} |") in lines(text)  # fmt: skip


def test_an_export_without_server_results_says_not_measured(tmp_path: Path) -> None:
    assert SERVER_NONE in card(tmp_path, [timed("openvino", "fp32", 4.0)])
