"""Unusable input is one line on stderr and exit 2; partly usable input is counted, never a crash."""

from __future__ import annotations

import json
import shutil
import struct
import zlib
from collections.abc import Callable
from pathlib import Path

import pytest
from zoo_testing import copy_project

from zoo.cli import main

from .conftest import INDEX, PHOTOS, truncate

LITE0 = "tf_efficientnet_lite0"


def write(root: Path, files: dict[str, str | Path | None]) -> None:
    """Each entry is text to write, a photo to copy, or None for an empty folder."""
    for name, content in files.items():
        path = root / name
        if content is None:
            path.mkdir(parents=True, exist_ok=True)
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, Path):
            shutil.copy(content, path)
        else:
            path.write_text(content)


CAT = PHOTOS / "chelsea.jpg"


def labelled(text: str, *expected: str) -> tuple[dict[str, str | Path | None], list[str], list[str]]:
    """A flat folder of one image with the labels file `text`, and what its error must say."""
    return {"val/a.JPEG": CAT, "val/val.txt": text}, [], list(expected)


# case id -> (files under data/, extra arguments, what the one-line message must contain)
CASES: dict[str, tuple[dict[str, str | Path | None], list[str], list[str]]] = {
    "missing folder": ({}, ["--data", "{root}/nowhere"], ["data folder not found", "nowhere"]),
    "file, not folder": ({"file.jpg": CAT}, ["--data", "{root}/data/file.jpg"], ["not a file"]),
    "empty folder": ({"empty": None}, ["--data", "{root}/data/empty"], ["no images in"]),
    "unknown layout": (
        {"val/cats/a.jpg": CAT, "val/dogs/b.jpg": CAT},
        [],
        ["unknown layout", "'cats'", "not ImageNet synsets"],
    ),
    "synsets not in imagenet-1k": (
        {"val/n99999999/a.jpg": CAT},
        [],
        ["no images in ImageNet-1k synset folders"],
    ),
    "synset folders without images": (
        {"val/n02123045/notes.txt": "x"},
        [],
        ["no images in the synset folders"],
    ),
    "flat without labels": ({"val/a.JPEG": CAT}, [], ["no labels file", "--labels"]),
    "labels name no image": labelled("b.JPEG n02123045\n", "names none of the 1 images", "'a.JPEG'"),
    "labels one column": labelled("281\n", "val.txt:1", "expected 'FILE LABEL'"),
    "labels unknown synset": labelled("a.JPEG n99999999\n", "val.txt:1", "not an ImageNet-1k synset"),
    "labels index out of range": labelled("a.JPEG 1000\n", "val.txt:1", "outside 0..999"),
    "labels word": labelled("a.JPEG 5\nb.JPEG cat\n", "val.txt:2", "'cat'"),
    "labels word on the first row": labelled("a.JPEG cat\n", "val.txt:1", "'cat'"),
    "labels first row like a header": labelled("file,tabby\na.JPEG,n02123045\n", "val.txt:1", "'tabby'"),
    "labels header then a word": labelled("filename,label\na.JPEG,tabby\n", "val.txt:2", "'tabby'"),
    "labels file missing": ({"val/a.JPEG": CAT}, ["--labels", "{root}/none.txt"], ["labels file not found"]),
    "kaggle csv without synset": (
        {"val/a.JPEG": CAT, "val/LOC_val_solution.csv": "ImageId,PredictionString\na,\n"},
        [],
        ["LOC_val_solution.csv:2"],
    ),
    "limit zero": ({"val/n02123045/a.jpg": CAT}, ["--limit", "0"], ["--limit must be at least 1"]),
    "batch zero": ({"val/n02123045/a.jpg": CAT}, ["--batch", "0"], ["--batch must be at least 1"]),
    "unknown backend": (
        {"val/n02123045/a.jpg": CAT},
        ["--backend", "tensorrt"],
        ["unknown backend 'tensorrt'"],
    ),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_unusable_input(case: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    files, extra, expected = CASES[case]
    write(tmp_path / "data", files)
    args = [a.replace("{root}", str(tmp_path)) for a in extra]
    if "--data" not in args:
        args += ["--data", str(tmp_path / "data")]
    code = main(["eval", LITE0, "--backend", "torch", "--workers", "0", "--index", INDEX, *args])
    err = capsys.readouterr().err
    assert code == 2, err
    assert err.startswith("zoo: error: ") and err.count("\n") == 1, err
    for fragment in expected:
        assert fragment in err


def test_a_checkpoint_is_for_one_model_and_unusable_weights_are_bad_input(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    garbage = tmp_path / "garbage.pth"
    garbage.write_bytes(b"not a checkpoint")
    two = ["eval", LITE0, "tf_efficientnet_lite1", "--backend", "torch", "--index", INDEX]
    assert main([*two, "--checkpoint", str(garbage)]) == 2
    assert "name exactly one" in capsys.readouterr().err
    one = [
        "eval",
        LITE0,
        "--backend",
        "torch",
        "--workers",
        "0",
        "--index",
        INDEX,
        "--checkpoint",
        str(garbage),
    ]
    assert main(one) == 2
    err = capsys.readouterr().err
    assert err.startswith("zoo: error: cannot read") and err.count("\n") == 1, err


def test_unknown_model_suggests(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["eval", "tf_efficientnet_lite9", "--index", INDEX]) == 2
    assert "did you mean" in capsys.readouterr().err


def test_models_or_all(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["eval", "--index", INDEX]) == 2
    assert "--all" in capsys.readouterr().err


def test_smoke_set_is_never_exported(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A smoke check in accuracy.csv would be rendered on model cards as if it were an accuracy."""
    index = copy_project(tmp_path)
    assert main(["eval", LITE0, "--backend", "torch", "--index", str(index), "--export"]) == 2
    assert "smoke check" in capsys.readouterr().err
    assert not (tmp_path / "benchmarks").exists()


def test_every_image_unreadable(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Images that all fail to decode leave nothing to measure: exit 2, naming one and why."""
    truncate(CAT, tmp_path / "val" / "n02123045" / "a.jpg")
    (tmp_path / "val" / "n02123045" / "b.jpg").write_bytes(b"not a jpeg at all")
    code = main(
        ["eval", LITE0, "--backend", "torch", "--workers", "0", "--index", INDEX, "--data", str(tmp_path)]
    )
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1
    assert "none of the 2 images could be read" in err


def beside_a_cat(make: Callable[[Path], object]) -> Callable[[Path], None]:
    """A synset folder with one good photo, in which `make` puts a bad image `b`."""

    def build(root: Path) -> None:
        write(root, {"n02123045/a.jpg": CAT})
        make(root / "n02123045")

    return build


# case id -> (files under data/val/, where the count shows in the JSON report, what it says)
COUNTED: dict[str, tuple[Callable[[Path], None], str, str]] = {
    "unlabelled image in flat folder": (
        lambda root: write(root, {"a.JPEG": CAT, "b.JPEG": CAT, "val.txt": "a.JPEG n02123045\n"}),
        "warnings",
        "1 images have no label in val.txt and were skipped",
    ),
    "folder outside imagenet": (
        lambda root: write(root, {"n02123045/a.jpg": CAT, "misc/b.jpg": CAT}),
        "warnings",
        "1 images outside ImageNet-1k synset folders were skipped",
    ),
    "truncated image": (
        beside_a_cat(lambda folder: truncate(CAT, folder / "b.jpg")),
        "skipped",
        "image file is truncated",
    ),
    "decompression bomb": (
        beside_a_cat(lambda folder: png_header(folder / "b.png", 20_000)),
        "skipped",
        "DecompressionBombError",  # PIL refuses it from its header, before zoo's own check
    ),
    "image over the pixel limit": (  # where PIL would only warn: refused before it decodes
        beside_a_cat(lambda folder: png_header(folder / "b.png", 8_000)),
        "skipped",
        "8000x8000 pixels, over the limit of 50,000,000",
    ),
    "a 100000x1 strip the resize would blow up": (
        beside_a_cat(lambda folder: png_header(folder / "b.png", 100_000, 1)),
        "skipped",
        "would be resized to",
    ),
    "a 1x100000 strip the resize would blow up": (
        beside_a_cat(lambda folder: png_header(folder / "b.png", 1, 100_000)),
        "skipped",
        "would be resized to",
    ),
    "not an image under an image name": (
        lambda root: write(root, {"n02123045/a.jpg": CAT, "n02123045/b.png": "<html>not a png</html>"}),
        "skipped",
        "UnidentifiedImageError",
    ),
}


def png_header(path: Path, side: int, height: int | None = None) -> None:
    """A PNG whose header declares side x side pixels (a bomb's shape), or side x height; its pixel data
    is cut short (a strip's is whole: a 100000x1 one is a few hundred bytes)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    rows = side if height is None else height
    header = struct.pack(">IIBBBBB", side, rows, 1, 0, 0, 0, 0)  # 1-bit grey, as a 50 KB bomb is
    pixels = bytes((1 + (side + 7) // 8) * rows) if height is not None else bytes(64)
    data = chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(pixels)) + chunk(b"IEND", b"")
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + data)


@pytest.mark.parametrize("case", sorted(COUNTED))
def test_partly_usable_input_is_counted(
    case: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    build, where, expected = COUNTED[case]
    build(tmp_path / "val")
    args = ["eval", LITE0, "--backend", "torch", "--workers", "0", "--index", INDEX, "--data", str(tmp_path)]
    assert main([*args, "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    evaluation = report["evaluations"][0]
    (row,) = evaluation["results"]
    assert row["status"] == "ok" and row["images"] == 1
    if where == "warnings":
        assert report["warnings"] == [expected]
    else:
        (skipped,) = evaluation["skipped"]
        assert Path(skipped["path"]).stem == "b" and expected in skipped["reason"]
