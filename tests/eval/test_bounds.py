"""Inputs that would take gigabytes are refused by their declared sizes, before anything is allocated:
images by their header and by the size the model's transform would make of them (eval and
calibration folders alike), checkpoints by what their zip records inflate to."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any

import pytest
import torch

from zoo import ZooError
from zoo.data._bounds import MAX_PIXELS, resized_pixels
from zoo.data.calibration import calibration_set
from zoo.weights._info import WeightsError
from zoo.weights._load import read_state_dict

from .test_bad_input import CAT, png_header

REPO = Path(__file__).resolve().parents[2]
DATA_CONFIG: dict[str, Any] = {
    "input_size": (3, 224, 224),
    "interpolation": "bicubic",
    "mean": (0.5, 0.5, 0.5),
    "std": (0.5, 0.5, 0.5),
    "crop_pct": 0.875,
    "crop_mode": "center",
}


@pytest.mark.parametrize(
    ("size", "over"),
    [
        ((100_000, 1), True),  # 256 x 25,600,000 pixels after the resize
        ((1, 100_000), True),
        ((200_000, 100), True),  # 512,000 x 256
        ((20_000, 100), False),  # 51,200 x 256: 13 M pixels
        ((4_000, 3_000), False),  # a large photo: 341 x 256
        ((224, 224), False),
        ((1, 1), False),
    ],
)
def test_the_resized_size_is_known_before_the_resize(size: tuple[int, int], over: bool) -> None:
    from timm.data import create_transform

    assert (resized_pixels(size, create_transform(**DATA_CONFIG)) > MAX_PIXELS) is over


def _strip_folder(root: Path, width: int, height: int) -> Path:
    synset = root / "n02123045"
    synset.mkdir(parents=True)
    shutil.copy(CAT, synset / "a.jpg")
    png_header(synset / "b.png", width, height)
    assert (synset / "b.png").stat().st_size < 10_000  # a few hundred bytes to a few kilobytes
    return root


@pytest.mark.parametrize(("width", "height", "says"), [(100_000, 1, "would be resized to"),
                                                        (8_000, 8_000, "over the limit")])  # fmt: skip
def test_a_calibration_image_too_large_is_one_line(
    tmp_path: Path, width: int, height: int, says: str
) -> None:
    folder = _strip_folder(tmp_path / "calib", width, height)
    calibration = calibration_set(folder, samples=2, split="")
    with pytest.raises(ZooError, match=rf"calibration image .*b\.png.*{says}"):
        list(calibration.inputs(DATA_CONFIG))


def test_the_strip_never_takes_2_gb_in_a_real_process(tmp_path: Path) -> None:
    """Calibration over the strip in its own process: refused, and the process stays small."""
    folder = _strip_folder(tmp_path / "calib", 100_000, 1)
    script = f"""
import resource
from pathlib import Path
from zoo import ZooError
from zoo.data.calibration import calibration_set
try:
    list(calibration_set(Path({str(folder)!r}), samples=2, split="").inputs({DATA_CONFIG!r}))
except ZooError as error:
    print("refused:", error)
print("peak_kb", resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
"""
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300,
                            env={**os.environ, "PYTHONPATH": str(REPO)}, check=True)  # fmt: skip
    assert "refused:" in result.stdout and "would be resized to" in result.stdout
    peak_kb = int(result.stdout.split("peak_kb")[1])
    assert peak_kb < 2 * 1024 * 1024, f"{peak_kb // 1024} MB"


def _checkpoint(path: Path, inflated_mb: int) -> Path:
    """A real torch checkpoint; `inflated_mb` > 0 adds a DEFLATE record of that many zero megabytes."""
    torch.save({"weight": torch.arange(16, dtype=torch.float32)}, path)
    if inflated_mb:
        with zipfile.ZipFile(path, "a", compression=zipfile.ZIP_DEFLATED) as archive:
            prefix = archive.namelist()[0].split("/")[0]
            with archive.open(f"{prefix}/data/bomb", "w", force_zip64=True) as record:
                chunk = bytes(1 << 20)
                for _ in range(inflated_mb):
                    record.write(chunk)
    return path


@pytest.mark.parametrize(("inflated_mb", "refused"), [(0, False), (400, True), (2, True)])
def test_a_checkpoint_that_inflates_past_its_size_is_refused_before_loading(
    tmp_path: Path, inflated_mb: int, refused: bool
) -> None:
    path = _checkpoint(tmp_path / "w.pth", inflated_mb)
    if refused:
        assert path.stat().st_size < 2_000_000  # 400 MB of records in a file of under 2 MB
        with pytest.raises(WeightsError, match=r"inflate to [\d,]+ bytes from a [\d,]+-byte file"):
            read_state_dict(path)
    else:
        assert torch.equal(read_state_dict(path)["weight"], torch.arange(16, dtype=torch.float32))


def test_a_damaged_zip_checkpoint_is_one_line(tmp_path: Path) -> None:
    path = _checkpoint(tmp_path / "w.pth", 0)
    data = bytearray(path.read_bytes())
    data[-30:-20] = bytes(10)  # the end-of-directory record, scrambled
    path.write_bytes(bytes(data))
    with pytest.raises(WeightsError, match="cannot read"):
        read_state_dict(path)
