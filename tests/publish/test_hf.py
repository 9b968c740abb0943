"""`zoo docs --format hf`: Hub cards the Hub's own parser accepts and zoo's index parser reads back."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pandas as pd
import pytest
from huggingface_hub import ModelCard, ModelCardData

from zoo.cli import main
from zoo.index import Index, Model, load_index, normalize_key
from zoo.publish import hf_cards
from zoo.publish.hf import DECLARED, MEASURED, SERVED_AT_SLA

MODELS = (
    "tf_efficientnet_lite0",
    "tf_efficientnet_lite1",
    "tf_efficientnet_lite2",
    "tf_efficientnet_lite3",
    "tf_efficientnet_lite4",
)
REPO = Path(__file__).resolve().parents[2]
CORPUS = REPO.parent / "shared" / "corpus" / "timm-docs"


@pytest.fixture(scope="module")
def cards(index: Index, results_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("hf")
    for card in hf_cards(index, results_dir, REPO / "docs" / "templates", out):
        card.path.parent.mkdir(parents=True, exist_ok=True)
        card.path.write_bytes(card.content)
    return out


def test_one_card_per_model(index: Index, cards: Path) -> None:
    assert sorted(index.models) == list(MODELS)  # the table below covers the whole bundled index
    assert sorted(p.parent.name for p in cards.glob("*/README.md")) == sorted(MODELS)


@pytest.mark.parametrize("name", MODELS)
def test_the_hub_parser_reads_the_metadata(index: Index, results_dir: Path, cards: Path, name: str) -> None:
    card = ModelCard.load(cards / name / "README.md")
    data = card.data
    assert isinstance(data, ModelCardData)
    assert (data.library_name, data.pipeline_tag, data.model_name) == ("timm", "image-classification", name)
    assert data.license == "apache-2.0" if name in MODELS[:3] else data.license == "unknown"
    assert data.tags is not None and data.eval_results is not None
    assert {"image-classification", "timm"} <= set(data.tags) and data.datasets == ["imagenet-1k"]
    declared = [r for r in data.eval_results if r.source_name and r.source_name.startswith(DECLARED)]
    measured = [r for r in data.eval_results if MEASURED in (r.metric_name or "")]
    assert len(declared) + len(measured) == len(data.eval_results)  # every result says which it is
    model = index.models[name]
    assert {r.metric_name: r.metric_value for r in declared} == {
        m.key: m.value for result in model.results for m in result.metrics.values()
    }
    latency = pd.read_csv(results_dir / "latency.csv")
    ok = latency[(latency.model == name) & (latency.status == "ok") & (latency.scenario == "latency")]
    medians = sorted(r.metric_value for r in measured if r.metric_type == "latency_ms")
    assert medians == sorted(ok.median_ms)
    server = pd.read_csv(results_dir / "server.csv")
    valid = server[(server.model == name) & (server.verdict == "VALID") & ~server.contended.astype(bool)]
    served = sorted(r.metric_value for r in measured if r.metric_type == SERVED_AT_SLA)
    assert served == sorted(valid.max_rate_ips)  # INVALID searches publish no figure
    accuracy = [r.metric_value for r in measured if r.metric_type == "accuracy"]
    assert accuracy == ([74.1] if name == "tf_efficientnet_lite0" else [])  # never a random-weights top-1
    assert "**Latency**" in card.text and "## Measured on" in card.text


def _declared(model: Model) -> object:
    return (
        model.name,
        model.collection,
        {k: d.value for k, d in model.metadata.fields.items()},
        model.paper and (model.paper.title, model.paper.url),
        model.code,
        model.weights,
        [(r.task, r.dataset, {k: m.value for k, m in r.metrics.items()}) for r in model.results],
    )


def _read_back(card: Path, name: str) -> Model:
    """The model a Hub card declares, as zoo's parser reads it, less the results zoo measured."""
    again = load_index(card)
    assert list(again.models) == [name]
    read = again.models[name]
    own = tuple(r for r in read.results if not any(normalize_key(MEASURED) in m for m in r.metrics))
    return dataclasses.replace(read, results=own)


@pytest.mark.parametrize("name", MODELS)
def test_zoo_reads_a_card_back_to_the_same_model(index: Index, cards: Path, name: str) -> None:
    card = cards / name / "README.md"
    assert len(load_index(card).models[name].results) > len(index.models[name].results)  # measured ones too
    assert _declared(_read_back(card, name)) == _declared(index.models[name])


@pytest.mark.skipif(not CORPUS.is_dir(), reason="corpus not beside this checkout")
def test_every_corpus_model_reads_back(tmp_path: Path, results_dir: Path) -> None:
    """timm's 272 models, with their many metadata shapes, survive the Hub format both ways."""
    corpus = load_index(CORPUS / "model-index.yml")
    for card in hf_cards(corpus, results_dir, CORPUS / "docs", tmp_path):
        card.path.parent.mkdir()
        card.path.write_bytes(card.content)
        name = card.path.parent.name
        assert ModelCard.load(card.path).data.model_name == name
        assert _declared(_read_back(card.path, name)) == _declared(corpus.models[name]), name
    assert len(list(tmp_path.glob("*/README.md"))) == len(corpus.models) == 272


def test_cli_writes_then_checks(
    tmp_path: Path, results_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    common = [
        "docs",
        "--format",
        "hf",
        "--index",
        str(REPO / "model-index.yml"),
        "--results",
        str(results_dir),
    ]
    common += ["--templates", str(REPO / "docs" / "templates"), "--out", str(tmp_path)]
    assert main([*common, "--check"]) == 1
    assert "tf_efficientnet_lite0/README.md: stale or missing" in capsys.readouterr().err
    assert main(common) == 0
    assert main([*common, "--check"]) == 0
    (tmp_path / "tf_efficientnet_lite2" / "README.md").write_text("edited\n")
    assert main([*common, "--check"]) == 1


@pytest.mark.parametrize("name", ["../escape", "a/b", "..", "a\\\\b"])
def test_a_name_that_leaves_the_folder_is_refused(
    tmp_path: Path, results_dir: Path, capsys: pytest.CaptureFixture[str], name: str
) -> None:
    card = tmp_path / "index" / "models" / "one.md"
    card.parent.mkdir(parents=True)
    card.write_text(f"# One\n\n<!--\nModels:\n- Name: '{name}'\n-->\n")
    out = tmp_path / "out" / "hf"
    args = ["docs", "--format", "hf", "--index", str(card), "--results", str(results_dir)]
    assert main([*args, "--templates", str(card.parent.parent), "--out", str(out)]) == 2
    error = capsys.readouterr().err
    assert error.count("\n") == 1 and "one.md:5" in error and "field 'Name'" in error
    assert not any((tmp_path / "out").rglob("*"))


OTHER_ORG = """\
Collections:
- Name: BLIP
Models:
- Name: blip-base_3rdparty_caption
  In Collection: BLIP
  Results:
  - Task: Image Caption
    Dataset: COCO
    Metrics:
      BLEU-4: 40.12
      CIDER: 132.82
- Name: resnet50_8xb32_in1k
  In Collection: BLIP
  Results:
  - Task: Image Classification
    Dataset: ImageNet-1k
    Metrics:
      Top 1 Accuracy: 76.55
- Name: resnet50.a1_in1k
  In Collection: BLIP
  Results:
  - Task: Image Classification
    Dataset: ImageNet-1K
    Metrics:
      Top 1 Accuracy: 80.4
"""


def hub_data(content: bytes) -> ModelCardData:
    """A written card's metadata as the Hub's parser reads it."""
    data = ModelCard(content.decode()).data
    assert isinstance(data, ModelCardData)
    return data


def test_models_timm_lacks_are_described_as_what_they_are(results_dir: Path, tmp_path: Path) -> None:
    """OpenMMLab names: a captioning model and a classifier timm does not have get no `library_name:
    timm` and the pipeline of their task; ImageNet-1k/1K keep their declared accuracy."""
    (tmp_path / "model-index.yml").write_text(OTHER_ORG)
    index = load_index(tmp_path / "model-index.yml")
    written = {
        card.path.parent.name: card for card in hf_cards(index, results_dir, tmp_path, tmp_path / "hf")
    }
    caption, classifier, timm_model = (hub_data(written[name].content) for name in index.models)
    assert caption.library_name is None and caption.pipeline_tag == "image-to-text"
    assert caption.tags is not None and caption.eval_results is not None
    assert "timm" not in caption.tags and caption.datasets == ["coco"]
    assert {r.metric_name: r.metric_value for r in caption.eval_results} == {"BLEU-4": 40.12, "CIDER": 132.82}
    assert classifier.library_name is None and classifier.pipeline_tag == "image-classification"
    assert classifier.datasets == ["imagenet-1k"]
    assert timm_model.library_name == "timm" and timm_model.datasets == ["imagenet-1k"]
    text = written["blip-base_3rdparty_caption"].content.decode()
    assert "An image caption model of the BLIP collection" in text and "timm" not in text.split("---")[1]
    # the declared accuracy is kept whatever the spelling of ImageNet's name
    assert "declared top-1 76.55 %" in written["resnet50_8xb32_in1k"].content.decode()
    assert "declared top-1 80.40 %" in written["resnet50.a1_in1k"].content.decode()
