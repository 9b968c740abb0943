"""The bounded YAML reader gives the data PyYAML's safe loader gives, plus where each value was written."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from zoo.index._yaml import LocatedDict, Span, load_yaml

# Plain data in the shapes index files use, each read exactly as `yaml.safe_load` reads it.
SAME_AS_PYYAML = {
    "block mapping": "a: 1\nb: [x, 'y', \"z\"]\nc:\n  d: null\n  e: 2020-01-02\n",
    "flow mapping": "{Parameters: 1_234, Crop Pct: '0.9', FLOPs: 1e3, ok: yes, f: 1.5}",
    "list of models": "- Name: a\n  Metadata: {x: 1}\n- Name: b\n",
    "anchors and aliases": "a: &x {k: [1, 2]}\nb: *x\nc: &s text\nd: *s\n",
    "merge keys": "base: &b {k: 1, j: 2}\nother: &o {k: 3, m: 4}\nm:\n  <<: [*b, *o]\n  j: 9\n",
    "explicit plain tags": "a: !!str 12\nb: !!int '7'\nc: !!float '2'\nd: ! 5\n",
    "empty values": "a:\nb: ''\nc: []\nd: {}\n",
    "multi-line scalars": "a: >-\n  one\n  two\nb: |\n  x\n  y\n",
}


@pytest.mark.parametrize("case", list(SAME_AS_PYYAML))
def test_same_data_as_pyyaml(case: str) -> None:
    text = SAME_AS_PYYAML[case]
    assert load_yaml(text, Path("x.yml")) == yaml.safe_load(text)


def test_keys_lines_and_value_spans() -> None:
    text = "# é\nModels:\n- Name: 'é'\n  Metadata: {Trainable Parameters: 12, Parameters: \"34\"}\n"
    data = load_yaml(text, Path("x.yml"), first_line=10)
    assert data.lines == {"Models": 11}
    model = data["Models"][0]
    assert isinstance(model, LocatedDict) and model.line == 12
    assert model.spans["Name"] == Span(12, 8, 12, 11)  # quotes included, columns in characters
    metadata = model["Metadata"]
    line = text.splitlines()[3]
    span = metadata.spans["Parameters"]
    assert line[span.column : span.end_column] == '"34"' and span.line == 13


def test_first_column_shifts_only_the_first_line() -> None:
    data = load_yaml(" {a: 1,\nb: 2}\n", Path("x.md"), first_line=5, first_column=4)
    assert data.spans == {"a": Span(5, 9, 5, 10), "b": Span(6, 3, 6, 4)}


def test_merge_key_text_is_text_where_it_merges_nothing() -> None:
    """PyYAML refuses `<<` as a value; here it is the text it looks like."""
    assert load_yaml("a: <<\nb: [<<]\n", Path("x.yml")) == {"a": "<<", "b": ["<<"]}


def test_values_under_anchors_or_merged_have_no_span() -> None:
    data = load_yaml("a: &m {k: 1}\nb: {<<: *m, j: 2}\nc: &s 3\nd: {k: 1}\n", Path("x.yml"))
    assert data["a"].spans == {} and data["b"].spans.keys() == {"j"}
    assert "c" not in data.spans and data["d"].spans.keys() == {"k"}
