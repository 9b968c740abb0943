"""`zoo docs --format hf`: one Hugging Face Hub model card (`<model>/README.md`) per model.

The front matter is the Hub's: `library_name`, `tags`, `license`, `datasets`, `pipeline_tag` and a
`model-index` whose results are labelled by their `source` (declared in the index, or measured by
zoo). Its one model entry also carries the index's own keys (Metadata, Paper, Code, Weights), and a
`<!-- Collections: ... -->` block names the collection, so zoo's index parser reads a card back to the
same model. The body is the measured sections of our cards, from the same templates.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from zoo.cards import (
    CardFile,
    ModelFacts,
    Results,
    Row,
    card_environment,
    comment_yaml,
    environments,
    escape_markdown,
    is_missing,
    load_results,
    model_facts,
)
from zoo.index import Index, IndexFormatError, Model, dataset_key, display_path, normalize_key
from zoo.publish.leaderboard import contended
from zoo.results.records import VALID, Status
from zoo.spec import LATENCY
from zoo.weights import PACKAGED, resolve_pretrained

PIPELINE = "image-classification"
DECLARED = "declared in the model index"
MEASURED = "measured by zoo"
_TASK = {"type": PIPELINE, "name": "Image Classification"}
SERVED_AT_SLA = "throughput_at_sla"  # the server scenario's max offered images/s with p99 within the SLA
# Tasks as model indexes name them (Papers with Code, OpenMMLab), keyed by `dataset_key`, as the Hub's
# pipeline tags. A task not here gets no pipeline tag: the Hub would show a wrong widget for a guess.
_PIPELINES = {
    "imageclassification": PIPELINE,
    "objectdetection": "object-detection",
    "instancesegmentation": "image-segmentation",
    "semanticsegmentation": "image-segmentation",
    "panopticsegmentation": "image-segmentation",
    "imagecaptioning": "image-to-text",
    "imagecaption": "image-to-text",
    "visualquestionanswering": "visual-question-answering",
    "depthestimation": "depth-estimation",
    "zeroshotimageclassification": "zero-shot-image-classification",
    "imagefeatureextraction": "image-feature-extraction",
    "texttoimage": "text-to-image",
}
# The Hub's dataset ids for datasets that `dataset_key` names ("ImageNet-1k", "ImageNet", "in1k").
_HUB_DATASETS = {"imagenet": "imagenet-1k"}
# The body: the card's per-model sections and its environments, rendered by the cards' templates.
_BODY = """{% for facts in card.facts %}{% include 'zoo_model.md' %}{% endfor %}

{% include 'zoo_environments.md' %}
"""


def hf_cards(index: Index, results_dir: Path, templates: Path, out: Path) -> list[CardFile]:
    """One `out/<model>/README.md` per model of `index`, in the index's order."""
    results = load_results(results_dir)
    body = card_environment(templates / "models").from_string(_BODY)
    cards = []
    for model in index.models.values():
        facts = model_facts(model, results)
        front = yaml.safe_dump(front_matter(model, facts, index), sort_keys=False, allow_unicode=True)
        in_timm = _in_timm(model)
        card = _BodyCard((facts,), environments((facts,), results), results)
        text = "\n".join(
            [
                f"---\n{front}---",
                f"# {escape_markdown(model.name)}",
                "",
                _introduction(model, results_dir, in_timm),
                "",
                _collection_block(model, index),
                "",
                "## Measured",
                "",
                body.render(card=card).strip(),
                "",
            ]
        )
        cards.append(CardFile(out / _folder(model) / "README.md", text.encode("utf-8")))
    return cards


def _folder(model: Model) -> str:
    """The model's name as the folder of its card; a name that would leave `out` is refused."""
    if model.name in (".", "..") or Path(model.name).name != model.name or "\\" in model.name:
        raise IndexFormatError(
            model.source.path,
            "cannot be a folder name for its Hub card (no '/', '\\', '.' or '..')",
            line=model.source.line,
            model=model.name,
            field="Name",
        )
    return model.name


class _BodyCard:
    """What the cards' model and environment templates read from `card`."""

    def __init__(self, facts: tuple[ModelFacts, ...], envs: tuple[Any, ...], results: Results) -> None:
        self.facts, self.environments, self.results = facts, envs, results


def front_matter(model: Model, facts: ModelFacts, index: Index) -> dict[str, Any]:
    """The Hub's metadata for one model; `model-index` holds its declared and measured results."""
    datasets = _as_list(model.metadata.get("training_data")) or [
        r.dataset for r in model.results if r.dataset
    ]
    entry: dict[str, Any] = {"name": model.name}
    if model.collection:
        entry["In Collection"] = model.collection
    if model.metadata.fields:
        entry["Metadata"] = {d.key: _plain(d.value) for d in model.metadata.fields.values()}
    if model.paper:
        entry["Paper"] = {"Title": model.paper.title, "URL": model.paper.url}
    for key, value in (("Code", model.code), ("Weights", model.weights), ("README", model.readme)):
        if value:
            entry[key] = value
    entry["results"] = [*_declared_results(model), *_measured_results(facts)]
    in_timm = _in_timm(model)
    pipeline = pipeline_tag(model, in_timm)
    tags = [
        *([pipeline] if pipeline else []),
        *(["timm"] if in_timm else []),
        "zoo",
        *([_slug(model.collection)] if model.collection else []),
    ]
    front: dict[str, Any] = {"library_name": "timm"} if in_timm else {}
    front |= {
        "license": _license(model),
        "tags": tags,
        "datasets": sorted({_dataset_id(str(d)) for d in datasets}),
    }
    if pipeline:
        front["pipeline_tag"] = pipeline
    return {**front, "model-index": [entry]}


def _in_timm(model: Model) -> bool:
    """Whether timm builds the model: only then is the card a timm card (`library_name: timm`)."""
    return resolve_pretrained(model.name, model.weights).architecture is not None


def pipeline_tag(model: Model, in_timm: bool) -> str | None:
    """The Hub pipeline of the task the model declares (its first result's), else of a timm model
    (image classification), else none."""
    task = next((result.task for result in model.results if result.task), None)
    if task is not None:
        return _PIPELINES.get(dataset_key(task))
    return PIPELINE if in_timm else None


def _dataset_id(name: str) -> str:
    """One id per dataset: "ImageNet", "ImageNet-1k" and "ImageNet-1K" are all `imagenet-1k`."""
    return _HUB_DATASETS.get(dataset_key(name), _slug(name))


def _declared_results(model: Model) -> list[dict[str, Any]]:
    """The index's results, metric names as declared; their source says so where it has a URL to name.

    (The Hub accepts a source only with a URL; a measured result is labelled in its metric names.)
    """
    url = next((u for u in (model.paper and model.paper.url, model.code, model.weights) if u), None)
    source = {"source": {"name": f"{DECLARED} ({model.source.path.name})", "url": url}} if url else {}
    return [
        {
            "task": {
                "type": _PIPELINES.get(dataset_key(result.task or ""), _slug(result.task or "unknown")),
                "name": result.task or "unknown",
            },
            "dataset": {
                "type": _dataset_id(result.dataset or "unknown"),
                "name": result.dataset or "unknown",
            },
            "metrics": [
                {"type": normalize_key(d.key), "name": d.key, "value": d.value}
                for d in result.metrics.values()
            ],
            **source,
        }
        for result in model.results
        if result.metrics
    ]


def _measured_results(facts: ModelFacts) -> list[dict[str, Any]]:
    """Measured top-1 (real weights only), median latency, images/s, and the most images/s served within
    an SLA (VALID server results only), each named by how it was measured."""
    results = []
    for row in facts.accuracy:
        if row.get("weights") == "random" or is_missing(row.get("top1")):
            continue
        how = f"{_config(row)}, {row.get('images')} images, {row.get('weights')} weights, {_env(row)}"
        metrics = [{"type": "accuracy", "name": f"Top 1 Accuracy ({MEASURED}: {how})", "value": row["top1"]}]
        if not is_missing(row.get("top5")):
            metrics.append(
                {
                    "type": "top_5_accuracy",
                    "name": f"Top 5 Accuracy ({MEASURED}: {how})",
                    "value": row["top5"],
                }
            )
        results.append(_measured(str(row["dataset"]), metrics))
    for row in facts.latency:
        if row.get("status") != Status.OK or is_missing(row.get("median_ms")) or contended(row):
            continue  # a figure taken on a busy machine is not published as the model's
        how = f"{_config(row)}, batch {row['batch']:g}, {row['threads']:g} threads, {_env(row)}"
        if str(row.get("scenario") or LATENCY) == "throughput":
            metric = {"type": "throughput", "name": f"Images per second served ({MEASURED}: {how})",
                      "value": row["throughput_ips"]}  # fmt: skip
        else:
            metric = {"type": "latency_ms", "name": f"Median latency in ms ({MEASURED}: {how})",
                      "value": row["median_ms"]}  # fmt: skip
        results.append(_measured("synthetic input", [metric]))
    for row in facts.server:
        if row.get("status") != Status.OK or row.get("verdict") != VALID or contended(row):
            continue  # an INVALID search found no rate within the SLA: there is no figure to publish
        how = f"{_config(row)}, p99 within {row['sla_ms']:.2f} ms, {row['threads']:g} threads, {_env(row)}"
        name = f"Max images per second at p99 within the SLA ({MEASURED}: {how})"
        metric = {"type": SERVED_AT_SLA, "name": name, "value": row["max_rate_ips"]}
        results.append(_measured("Poisson traffic of synthetic input", [metric]))
    return results


def _config(row: Row) -> str:
    return f"{row['backend']} {row['precision']}"


def _env(row: Row) -> str:
    return f"environment {row.get('environment') or 'unknown'}"


def _measured(dataset: str, metrics: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "task": dict(_TASK),
        "dataset": {"type": _dataset_id(dataset), "name": dataset},
        "metrics": metrics,
    }


def _introduction(model: Model, results_dir: Path, in_timm: bool) -> str:
    collection = f" of the {escape_markdown(model.collection)} collection" if model.collection else ""
    task = next((result.task for result in model.results if result.task), None)
    what = escape_markdown(task.lower()) if task else "image classification" if in_timm else "vision"
    described = f"timm {what}" if in_timm else what
    article = "An" if described[0] in "aeiou" else "A"
    return (
        f"{article} {described} model{collection}. The declared values come from the model index "
        f"({model.source.path.name}); the measured ones come from zoo's results "
        f"({display_path(results_dir)}/), and each result in the metadata says which it is."
    )


def _collection_block(model: Model, index: Index) -> str:
    """A comment block declaring the model's collection, so the card parses alone."""
    collection = index.collections.get(model.collection) if model.collection else None
    if collection is None:
        return ""
    declared: dict[str, Any] = {"Name": collection.name}
    if collection.paper:
        declared["Paper"] = {"Title": collection.paper.title, "URL": collection.paper.url}
    return f"<!--\n{comment_yaml({'Collections': [declared]})}-->"


def _license(model: Model) -> str:
    declared = model.metadata.get("license") or {normalize_key(k): v for k, v in model.extra.items()}.get(
        "license"
    )
    if declared:
        return _slug(str(declared))
    packaged = PACKAGED.get(model.name)
    if packaged is not None:
        return _slug(packaged.license)
    return "unknown"


def _slug(text: str) -> str:
    return "-".join(text.lower().replace("_", " ").split())


def _plain(value: Any) -> Any:
    """A YAML value as plain dicts and lists (the index parser's mappings remember lines)."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, list) else [value]
