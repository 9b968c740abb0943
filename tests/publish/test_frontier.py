"""The site's frontier page: the same frontier as the cards, every point's standing, and its chart."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from zoo.index import Index
from zoo.publish.site import build_site

from .conftest import RESULTS


def _text(html: str) -> str:
    """The page's article as text, one cell or paragraph per line."""
    article = html[html.index("<article") : html.index("</article>")]
    return re.sub(r"\s*\n\s*", "\n", re.sub(r"<[^>]+>", "\n", article))


def test_the_frontier_page_shows_the_points_the_pick_and_what_is_left_out(
    site: Path, results_dir: Path
) -> None:
    html = (site / "frontier.html").read_text()
    text = _text(html)
    latency = pd.read_csv(results_dir / "latency.csv")
    (measured,) = latency[
        (latency.model == "tf_efficientnet_lite0") & (latency.backend == "onnxruntime")
    ].itertuples()
    p90 = f"{measured.p90_ms:.2f}"
    # conftest's one real-weights accuracy: lite0 on onnxruntime fp32, on smoke photos
    assert f"environment {measured.environment}, 2 threads, top-1 on smoke-photos" in text
    assert f"tf_efficientnet_lite0\nonnxruntime fp32\n{p90}\n74.10" in text
    assert f"{p90}\n74.10\n69.10 \u2013 79.10\n4\non the frontier" in text
    assert (
        "no accuracy measured on its own backend and precision: tf_efficientnet_lite0 (openvino fp32, torch fp32)"
        in text
    )
    assert (
        "random weights, so no accuracy: tf_efficientnet_lite3 (onnxruntime fp32, openvino fp32, torch fp32)"
        in text
    )
    assert 'src="frontier.svg"' in html and (site / "frontier.svg").read_bytes().startswith(b"<?xml")
    assert 'href="frontier.html"' in (site / "index.html").read_text()  # in the navigation


def test_without_accuracy_the_page_says_so_and_draws_nothing(index: Index, tmp_path: Path) -> None:
    out = tmp_path / "site"
    build_site(index, RESULTS, out)
    text = _text((out / "frontier.html").read_text())
    if "No configuration has both" not in text:
        return  # the committed results hold accuracy now: the other test covers the page
    assert not (out / "frontier.svg").exists()
    assert "Not compared" in text


def test_a_point_over_the_accuracy_budget_is_said_so_on_the_page(
    index: Index, results_dir: Path, tmp_path: Path
) -> None:
    """lite0 on OpenVINO given an accuracy that lost more than the budget: its standing says so, with
    its cost, and the chart rings it and names the ring in its legend."""
    results = tmp_path / "results"
    results.mkdir()
    for name in ("latency.csv", "environments.json"):
        (results / name).write_bytes((results_dir / name).read_bytes())
    accuracy = pd.read_csv(results_dir / "accuracy.csv")
    lite0 = accuracy[accuracy.model == "tf_efficientnet_lite0"].iloc[0].to_dict()
    cost = {"delta_top1": -2.2, "delta_top1_ci_low": -3.8, "delta_top1_ci_high": -0.6, "budget": 0.99}
    over = {**lite0, "backend": "openvino", "top1": 71.9, "verdict": "OVER BUDGET", **cost}
    pd.DataFrame([{**lite0, "verdict": "within budget"}, over]).to_csv(results / "accuracy.csv", index=False)
    out = tmp_path / "site"
    build_site(index, results, out)
    text = _text((out / "frontier.html").read_text())
    note = "OVER BUDGET: Δtop-1 -2.20 points vs torch fp32 [-3.80, -0.60] (budget: keep 99% of its top-1)"
    assert text.count(note) == 1
    chart = (out / "frontier.svg").read_bytes()
    assert chart.count(b"accuracy OVER BUDGET vs torch fp32") == 1
