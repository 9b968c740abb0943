"""Other organisations' indexes: read leniently and located, strictly where silence would lose data.

The layout is OpenMMLab's: a root `model-index.yml` importing one metafile per family, models named
after their configs (none is a timm name), `Code:` as a mapping, a blank `Top 1 Accuracy:` that their
own checker accepts, and detection results on COCO.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from zoo.cli import main
from zoo.index import load_index

ROOT = "Import:\n- configs/*/metafile.yml\n"

RESNET = """\
Collections:
  - Name: ResNet
    Metadata:
      Training Data: ImageNet-1k
      Training Techniques: [SGD with Momentum, Weight Decay]
      Architecture: [ResNet]
    Paper:
      URL: https://openaccess.thecvf.com/content_cvpr_2016/html/He_Deep_Residual_Learning.html
      Title: Deep Residual Learning for Image Recognition
    README: configs/resnet/README.md
    Code:
      URL: https://github.com/open-mmlab/mmpretrain/blob/v1.0.0/mmpretrain/models/backbones/resnet.py#L383
      Version: v0.15.0
Models:
  - Name: resnet18_8xb32_in1k
    Metadata:
      FLOPs: 1820000000
      Parameters: 11690000
    In Collection: ResNet
    Results:
      - Dataset: ImageNet-1k
        Metrics:
          Top 1 Accuracy: 69.90
          Top 5 Accuracy: 89.43
        Task: Image Classification
    Weights: https://download.openmmlab.com/mmclassification/v0/resnet/resnet18_8xb32_in1k_20210831-fbbb1da6.pth
    Config: configs/resnet/resnet18_8xb32_in1k.py
    Code: {URL: "https://github.com/open-mmlab/mmpretrain/blob/main/mmpretrain/models/resnet.py", Version: v1}
  - Name: resnet50_8xb32-fp16_in1k
    Metadata:
      FLOPs: 4120000000
      Parameters: 25560000
    In Collection: ResNet
    Results:
      - Dataset: ImageNet-1k
        Metrics:
          Top 1 Accuracy:
          Top 5 Accuracy: 93.09
        Task: Image Classification
    Config: configs/resnet/resnet50_8xb32-fp16_in1k.py
"""

VOLO = """\
Models:
  - Name: volo-d1_in1k-384px
    Metadata:
      FLOPs: 0.06 G
      Parameters: 0.46 M
      Crop Pct: 1.15
      Image Size: 384
    Results:
      - Dataset: ImageNet-1K
        Metrics:
          Top 1 Accuracy: 85.2
        Task: Image Classification
  - Name: volo-broken
    Metadata:
      FLOPs: .inf
      Parameters: lots
    Results:
      - Dataset: ImageNet
        Metrics:
          Top 1 Accuracy: .nan
        Task: Image Classification
"""

DETR = """\
Models:
  - Name: detr_r50_8xb2-150e_coco
    In Collection: DETR
    Metadata:
      Epochs: 150
    Results:
      - Task: Object Detection
        Dataset: COCO
        Metrics:
          box AP: 40.1
Collections:
  - Name: DETR
    Metadata:
      Training Data: COCO
"""


@pytest.fixture
def openmmlab(tmp_path: Path) -> Path:
    for family, text in {"resnet": RESNET, "volo": VOLO, "detr": DETR}.items():
        folder = tmp_path / "configs" / family
        folder.mkdir(parents=True)
        (folder / "metafile.yml").write_text(text)
    (tmp_path / "model-index.yml").write_text(ROOT)
    return tmp_path / "model-index.yml"


def test_every_model_is_read_and_each_problem_is_located(openmmlab: Path) -> None:
    index = load_index(openmmlab)
    assert list(index.models) == [
        "detr_r50_8xb2-150e_coco",
        "resnet18_8xb32_in1k",
        "resnet50_8xb32-fp16_in1k",
        "volo-d1_in1k-384px",
        "volo-broken",
    ]
    resnet = index.models["resnet18_8xb32_in1k"]
    assert resnet.code and resnet.code.startswith("https://github.com/open-mmlab/")
    assert resnet.declared_accuracy("Top 1 Accuracy") == pytest.approx(69.90)  # "ImageNet-1k" is ImageNet
    assert resnet.results[0].metrics["top_1_accuracy"].text == "69.90"  # as written, not 69.9

    blank = index.models["resnet50_8xb32-fp16_in1k"]
    assert blank.declared_accuracy("Top 1 Accuracy") is None and not blank.problems
    assert blank.declared_accuracy("Top 5 Accuracy") == pytest.approx(93.09)

    volo = index.models["volo-d1_in1k-384px"]
    assert volo.metadata.crop_pct == pytest.approx(1.15)  # timm's own value for volo: kept
    assert volo.metadata.parameters == 460_000 and volo.metadata.fields["parameters"].text == "0.46 M"
    assert volo.metadata.flops == 60_000_000
    assert volo.declared_accuracy("Top 1 Accuracy") == pytest.approx(85.2)  # "ImageNet-1K" too

    broken = index.models["volo-broken"]
    assert broken.metadata.flops is None and broken.metadata.parameters is None
    assert broken.declared_accuracy("Top 1 Accuracy") is None
    assert len(broken.problems) == 3
    assert any("volo/metafile.yml:15" in p and "'FLOPs'" in p and "finite" in p for p in broken.problems)

    notices = [str(n) for n in index.notices]
    (empty,) = [n for n in notices if "empty" in n]
    assert empty.startswith("warning: ") and "resnet/metafile.yml:37" in empty
    assert "'Top 1 Accuracy'" in empty and "not declared" in empty
    (crop,) = [n for n in notices if "'Crop Pct'" in n]
    assert crop.startswith("warning: ") and "volo/metafile.yml:6" in crop and "kept" in crop
    assert [n.model for n in index.errors] == ["volo-broken"] * 3


def test_list_shows_every_model_and_exits_1_naming_the_broken_one(
    openmmlab: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["list", "--index", str(openmmlab)]) == 1
    captured = capsys.readouterr()
    for name in ("detr_r50_8xb2-150e_coco", "resnet18_8xb32_in1k", "volo-d1_in1k-384px", "volo-broken"):
        assert name in captured.out
    last = captured.err.splitlines()[-1]
    assert last == "zoo: 3 error(s) in the index (1 model(s): volo-broken); see above"
    assert main(["show", "volo-broken", "--index", str(openmmlab), "--json"]) == 1
    problems = json.loads(capsys.readouterr().out)["problems"]
    assert len(problems) == 3 and all("volo/metafile.yml:" in p for p in problems)


def test_a_clean_index_with_warnings_exits_0(openmmlab: Path, capsys: pytest.CaptureFixture[str]) -> None:
    volo = openmmlab.parent / "configs" / "volo" / "metafile.yml"
    volo.write_text(VOLO.split("  - Name: volo-broken")[0])
    assert main(["list", "--index", str(openmmlab), "--json"]) == 0
    err = capsys.readouterr().err
    assert "zoo: warning: " in err and "error" not in err


# --- strict where silence would lose data -----------------------------------------------------------


def test_duplicate_keys_are_a_located_error_of_their_model(tmp_path: Path) -> None:
    card = tmp_path / "card.yml"
    card.write_text(
        "Models:\n"
        "- Name: twice\n"
        "  Metadata:\n"
        "    FLOPs: 100\n"
        "    FLOPs: 200\n"
        "- Name: fine\n"
        "  Metadata:\n"
        "    FLOPs: 300\n"
    )
    index = load_index(card)
    assert index.models["fine"].problems == ()
    (problem,) = index.models["twice"].problems
    assert "card.yml:5" in problem and "'FLOPs'" in problem and "lines 4 and 5" in problem


def test_a_key_written_twice_outside_any_model_is_an_error_of_the_file(tmp_path: Path) -> None:
    card = tmp_path / "card.yml"
    card.write_text("Models:\n- Name: a\nModels:\n- Name: b\n")
    index = load_index(card)
    assert list(index.models) == ["b"]
    (error,) = index.errors
    assert "card.yml:3" in error.message and "'Models' is written twice (lines 1 and 3)" in error.message


def test_names_stay_as_written(tmp_path: Path) -> None:
    card = tmp_path / "card.yml"
    card.write_text(
        "Collections:\n- Name: 2.0\nModels:\n- Name: 1.10\n  In Collection: 2.0\n- Name: off\n- Name: 0x1F\n"
    )
    index = load_index(card)
    assert list(index.models) == ["1.10", "off", "0x1F"]
    assert list(index.collections) == ["2.0"] and index.models["1.10"].collection == "2.0"


@pytest.mark.parametrize("value", [".inf", "-.inf", ".nan", "1e999"])
def test_infinite_numbers_are_a_located_error(tmp_path: Path, value: str) -> None:
    card = tmp_path / "card.yml"
    card.write_text(f"Models:\n- Name: m\n  Metadata:\n    FLOPs: {value}\n    Crop Pct: {value}\n")
    model = load_index(card).models["m"]
    assert model.metadata.flops is None and model.metadata.crop_pct is None
    assert len(model.problems) == 2 and all("card.yml:" in p for p in model.problems)


def test_fenced_examples_are_not_models(tmp_path: Path) -> None:
    card = tmp_path / "card.md"
    card.write_text(
        "# A card\n\nHow to declare a model:\n\n```markdown\n<!--\nModels:\n- Name: example_only\n-->\n```\n\n"
        "~~~~\n<!--\nModels:\n- Name: tilde_example\n-->\n~~~~\n\n"
        "<!--\nModels:\n- Name: real_model\n-->\n"
    )
    assert list(load_index(card).models) == ["real_model"]


def _zoo(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "zoo", *args], capture_output=True, text=True, cwd=cwd)


def test_a_closed_pipe_is_a_quiet_exit_0(tmp_path: Path) -> None:
    card = tmp_path / "card.yml"
    card.write_text("Models:\n" + "".join(f"- Name: model_{i}\n" for i in range(5000)))
    done = subprocess.run(
        f"{sys.executable} -m zoo list --index {card} | head -1; echo ${{PIPESTATUS[0]}}",
        shell=True,
        executable="/bin/bash",
        capture_output=True,
        text=True,
    )
    assert done.stdout.splitlines()[-1] == "0"
    assert done.stderr == ""


def test_control_characters_are_visible_on_stderr_too(tmp_path: Path) -> None:
    card = tmp_path / "card.yml"
    card.write_text('Models:\n- Name: "evil\\e[31m\\rname"\n  Metadata:\n    FLOPs: -1\n')
    done = _zoo("list", "--index", str(card))
    assert done.returncode == 1
    for stream in (done.stdout, done.stderr):
        assert "\x1b" not in stream and "\r" not in stream
    assert "evil\\u001b[31m\\u000dname" in done.stderr
