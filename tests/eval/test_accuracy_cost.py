"""The accuracy cost of INT8 on real photos, end to end: a broken calibration is caught, and overlap refused.

lite0 is calibrated on one constant-grey image, quantized by NNCF and run by OpenVINO on 200 real
photos of the shared ImageNet sample; torch fp32 runs the same photos in its own worker. The INT8
configuration must come out over the MLPerf budget, with the images whose top-1 changed counted.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image
from zoo_testing import INDEX, LITE0, REPO

SAMPLE = REPO.parent / "shared" / "imagenet-sample"


def zoo(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "zoo", *args, "--index", str(INDEX)],
        capture_output=True,
        text=True,
        check=False,
    )


@pytest.fixture
def grey(tmp_path: Path) -> Path:
    """One constant-grey image in a synset folder: a calibration that tells the quantizer nothing."""
    folder = tmp_path / "grey" / "n01440764"
    folder.mkdir(parents=True)
    Image.new("RGB", (320, 320), (128, 128, 128)).save(folder / "grey.png")
    return tmp_path / "grey"


@pytest.mark.slow
def test_a_grey_image_calibration_is_over_budget_on_real_photos(grey: Path) -> None:
    done = zoo(
        "eval", LITE0, "--backend", "openvino", "--precision", "int8", "--calibration", str(grey),
        "--data", str(SAMPLE), "--limit", "200", "--dataset-name", "ImageNet sample", "--workers", "0",
        "--json",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    (evaluation,) = json.loads(done.stdout)["evaluations"]
    (row,) = evaluation["results"]
    assert (row["backend"], row["precision"], row["images"]) == ("openvino", "int8", 200)
    cost = row["cost"]
    assert cost["verdict"] == "OVER BUDGET" and not cost["within_budget"]
    assert cost["delta_top1"] < -1.0 and cost["delta_top1_high"] < 0
    assert cost["lost"] > cost["gained"] and cost["changed_top1"] >= cost["lost"]
    assert cost["mcnemar_p"] < 0.01
    assert row["calibration"].startswith("1 images of folder grey x 128 = 128 samples")
    identity = row["identity"]
    assert (identity["name"], identity["named_by"], identity["images"]) == ("ImageNet sample", "option", 500)
    assert row["declared_top1"] is None  # declared on ImageNet-val, not on this sample


def test_calibration_images_that_are_evaluated_are_refused(tmp_path: Path) -> None:
    evaluated = tmp_path / "data" / "n01440764"
    evaluated.mkdir(parents=True)
    first = sorted(SAMPLE.rglob("*.JPEG"))[0]
    (evaluated / first.name).write_bytes(first.read_bytes())
    done = zoo(
        "eval", LITE0, "--backend", "openvino", "--precision", "int8", "--calibration", str(tmp_path / "data"),
        "--data", str(tmp_path / "data"),
    )  # fmt: skip
    assert done.returncode == 2, done.stdout + done.stderr
    assert "share 1 image(s)" in done.stderr and first.name in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1
