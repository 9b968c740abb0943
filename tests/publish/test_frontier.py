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
