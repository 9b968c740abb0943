"""The shapes a model index comes in, and how values are typed and inherited."""

from __future__ import annotations

from pathlib import Path

from zoo.index import load_index

REPO = Path(__file__).resolve().parents[2]


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def test_bundled_index_keeps_the_seed_values() -> None:
    index = load_index(REPO / "model-index.yml")
    assert sorted(index.models) == [f"tf_efficientnet_lite{n}" for n in range(5)]
    lite3 = index.model("tf_efficientnet_lite3")
    assert (lite3.metadata.flops, lite3.metadata.file_size) == (2011534304, 33161413)
    assert (lite3.metadata.crop_pct, lite3.metadata.image_size, lite3.metadata.interpolation) == (
        0.904,
        300,
        "bilinear",
    )
    assert (
        lite3.paper is not None
        and lite3.paper.url is not None
        and lite3.paper.url.startswith("https://papperswithcode.com//")
    )
    assert lite3.declared_accuracy("top_5_accuracy") == 94.91


def test_template_with_includes_and_two_blocks(tmp_path: Path) -> None:
    write(
        tmp_path / "card.md",
        "# Title\n<!-- just a note -->\n{% include 'code_snippets.md' %}\n"
        "<!--\nType: model-index\nCollections:\n- Name: Fam\n  Metadata:\n    Image Size: 224\n    Crop Pct: '0.9'\n-->\n"
        "text\n<!--\nModels:\n- name: m1\n  in_collection: Fam\n  METADATA:\n    crop-pct: '1.0'\n    Custom Key: 7\n-->\n",
    )
    index = load_index(tmp_path / "card.md")
    m1 = index.model("m1")
    assert m1.metadata.crop_pct == 1.0  # the model overrides its collection
    assert m1.metadata.image_size == 224  # and inherits the rest
    assert m1.metadata.get("custom key") == 7
    assert m1.metadata.fields["custom_key"].key == "Custom Key"
    assert m1.source.line == 15


def test_yaml_single_model_and_front_matter(tmp_path: Path) -> None:
    write(tmp_path / "model-index.yml", "Import:\n- ./models/*.yaml\n- ./cards/*.md\n")
    write(
        tmp_path / "models/one.yaml",
        "Name: solo\nMetadata:\n  Parameters: '1000'\n  FLOPs: 2e3\nWeights: w.pth\n",
    )
    write(
        tmp_path / "cards/front.md",
        "---\nmodel-index:\n- Name: fm\n  Results:\n  - Dataset: ImageNet\n    Metrics:\n      Top 1 Accuracy: '81.5%'\n"
        "---\n# Card\n",
    )
    index = load_index(tmp_path / "model-index.yml")
    assert index.model("solo").metadata.parameters == 1000
    assert index.model("solo").metadata.flops == 2000
    assert index.model("solo").weights == "w.pth"
    assert index.model("fm").declared_accuracy("Top 1 Accuracy") == 81.5
    assert [f.name for f in index.files] == ["model-index.yml", "one.yaml", "front.md"]


def test_imports_are_sorted_and_relative_to_the_importing_file(tmp_path: Path) -> None:
    write(tmp_path / "model-index.yml", "Import:\n- sub/index.yml\n")
    write(tmp_path / "sub/index.yml", "Import:\n- ./*.md\n")
    for name in ("b", "a", "c"):
        write(tmp_path / f"sub/{name}.md", f"<!--\nModels:\n- Name: {name}\n-->\n")
    index = load_index(tmp_path / "model-index.yml")
    assert list(index.models) == ["a", "b", "c"]
