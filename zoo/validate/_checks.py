"""One check per declared field: compare what the index says with what was measured, and say why."""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from typing import Any

from zoo.index import Declared, count_resolution, image_size_text, normalize_key
from zoo.measure.flops import CONVENTIONS, FlopCount
from zoo.results.records import VerdictStatus
from zoo.validate._verdict import Verdict
from zoo.weights import Pretrained, tag_list

# Conventions differ by at least 27% (the 2021 input's aspect ratio) or 2x (flops vs macs), so 5% cannot
# mistake one for another, while it absorbs the small drift of some architectures since 2021.
FLOPS_TOLERANCE = 0.05
# The state-dict estimate lands within 0.001% of timm's released files; 0.5% also covers torch's zip format.
# Beyond it the estimate says nothing: a released file may hold heads timm drops (inception_v3's AuxLogits).
FILE_SIZE_TOLERANCE = 0.005
# A declared count keeps at least this many significant figures: 5,000,000 is not "to the nearest 5M".
_SIGNIFICANT_FIGURES = 3
# Three nines below those figures end a float truncated to int: 8199999 is 8.2e6 written by int().
_TRUNCATED_FLOAT = re.compile(rf"\d{{{_SIGNIFICANT_FIGURES},}}999")


def undeclared(model: str, field: str, measured: Any = None, convention: str | None = None) -> Verdict:
    return Verdict(model, field, None, measured, convention, VerdictStatus.UNKNOWN, "not declared")


def parameters(model: str, declared: Declared | None, measured: int) -> Verdict:
    """Exact count against the declared one, allowing the rounding its trailing zeros show."""
    if declared is None:
        return undeclared(model, "Parameters", measured, "count")
    meant, unit, note = declared_rounding(declared.value, declared.text)
    notes = [note] if note else []
    if measured == declared.value:
        return Verdict(
            model, "Parameters", declared.value, measured, "count", VerdictStatus.OK, f"exactly {measured:,}"
        )
    if unit > 1:
        notes.append(f"declared to the nearest {unit:,}")
    if abs(measured - meant) * 2 <= unit:
        detail = f"{measured:,} rounds to {meant:,} ({'; '.join(notes)})"
        return Verdict(model, "Parameters", declared.value, measured, "count", VerdictStatus.OK, detail)
    off = measured - meant
    detail = f"measured {measured:,}, {off:+,} ({off / max(meant, 1):+.2%}) from the declared {meant:,}"
    if notes:
        detail += f" ({'; '.join(notes)})"
    return Verdict(model, "Parameters", declared.value, measured, "count", VerdictStatus.MISMATCH, detail)


def declared_rounding(value: int, text: str = "") -> tuple[int, int, str | None]:
    """(the number meant, the rounding unit its writing shows, a note when it was not as written).

    A count written with a decimal point, an exponent or a unit (`0.46 M`, as timm's results tables
    write parameters) is exact to its last digit. A plain integer's trailing zeros count as rounding
    only below the first `_SIGNIFICANT_FIGURES` figures.
    """
    resolution = count_resolution(text.strip())
    if resolution is not None:
        return value, resolution, None
    meant, note = value, None
    if _TRUNCATED_FLOAT.fullmatch(str(value)):
        meant = value + 1
        note = f"{value} read as {meant:,}, a float truncated to an integer"
    digits = str(meant)
    zeros = len(digits) - len(digits.rstrip("0")) if meant else 0
    return meant, 10 ** max(0, min(zeros, len(digits) - _SIGNIFICANT_FIGURES)), note


def flops(model: str, declared: Declared | None, counts: Mapping[str, FlopCount], size_note: str) -> Verdict:
    """Which convention the declared number is, if any: exactly, within tolerance, or none."""
    values = {name: counts[name].value for name in CONVENTIONS}
    failed = [count for count in counts.values() if count.value is None]
    measured = {name: value for name, value in values.items() if value is not None}
    if declared is None:
        return replace(undeclared(model, "FLOPs", measured.get("flops"), "flops"), by_convention=values)
    target = declared.value
    parts = [f"declared {target:,}{size_note}"]
    parts += [f"{name} {value:,} (x{_ratio(target / value)})" for name, value in measured.items() if value]
    parts += [f"{c.convention} cannot run on {c.input_shape}: {c.error}" for c in failed]
    if not measured:
        return Verdict(model, "FLOPs", target, None, None, VerdictStatus.ERROR, "; ".join(parts), values)

    def distance(name: str) -> float:
        value = measured[name]
        return math.inf if value <= 0 or target <= 0 else abs(math.log(target / value))

    nearest = min(measured, key=distance)
    value = measured[nearest]
    written = count_resolution(declared.text.strip())
    if value == target:
        verdict, summary = VerdictStatus.OK, f"matches {nearest} exactly"
    elif distance(nearest) <= math.log1p(FLOPS_TOLERANCE):
        verdict, summary = VerdictStatus.OK, f"matches {nearest} within {FLOPS_TOLERANCE:.0%}"
    elif written is not None and abs(value - target) * 2 <= written:
        verdict, summary = VerdictStatus.OK, f"rounds to the declared {declared.text.strip()} as {nearest}"
    else:
        verdict = VerdictStatus.MISMATCH
        summary = f"matches no convention within {FLOPS_TOLERANCE:.0%}; nearest is {nearest}"
    detail = f"{summary}: {'; '.join(parts)}"
    return Verdict(model, "FLOPs", target, value, nearest, verdict, detail, values)


def file_size(model: str, declared: Declared | None, measured: int, how: str, where: str) -> Verdict:
    """Bytes on disk must equal the declaration. An estimate can only agree (within
    `FILE_SIZE_TOLERANCE`) or leave it unknown: what it misses (heads timm drops, another file format)
    is not in the model, so a mismatch needs the file itself."""
    if declared is None:
        return undeclared(model, "File Size", measured, how)
    off = (measured - declared.value) / max(declared.value, 1)
    difference = f"{measured:,} bytes, declared {declared.value:,} ({off:+.3%})"
    if how != "estimate":
        holds = measured == declared.value
        detail = f"{where}: {difference}; the file on disk, so byte for byte"
        return Verdict(
            model,
            "File Size",
            declared.value,
            measured,
            how,
            VerdictStatus.OK if holds else VerdictStatus.MISMATCH,
            detail,
        )
    if abs(off) <= FILE_SIZE_TOLERANCE:
        verdict, rule = VerdictStatus.OK, f"within the estimate's {FILE_SIZE_TOLERANCE:.1%}"
    else:
        verdict = VerdictStatus.UNKNOWN
        rule = f"beyond the estimate's {FILE_SIZE_TOLERANCE:.1%}; only the declared file can show a mismatch"
    detail = f"{where}: {difference}, {rule}"
    return Verdict(model, "File Size", declared.value, measured, how, verdict, detail)


def weights(model: str, declared: str | None, pretrained: Pretrained) -> Verdict:
    """The declared weights as a timm pretrained tag; `measured` is the pinned tag, if one is."""
    return Verdict(
        model,
        "Weights",
        declared,
        pretrained.tag,
        pretrained.judged_as,
        pretrained.verdict,
        pretrained.weights_detail,
    )


# The fields a pretrained tag decides, each as (default, test-time value) read from a tag's config.
_READERS: dict[str, Callable[[Mapping[str, Any]], tuple[Any, Any]]] = {
    "Image Size": lambda c: (input_side(c["input_size"]), _test_side(c.get("test_input_size"))),
    "Crop Pct": lambda c: (c["crop_pct"], c.get("test_crop_pct")),
    "Interpolation": lambda c: (c["interpolation"], None),
    "Mean": lambda c: (tuple(c["mean"]), None),
    "Std": lambda c: (tuple(c["std"]), None),
}
TAG_FIELDS = tuple(_READERS)


def input_config(model: str, fields: Mapping[str, Declared], pretrained: Pretrained) -> list[Verdict]:
    """Image Size, Crop Pct and Interpolation (and Mean, Std when declared) against the config of
    the pinned tag or, when none is pinned, of any tag of the architecture (the default first).

    A tag may carry test-time values (`test_input_size`, `test_crop_pct`) that a declaration may
    quote instead of its defaults.
    """
    return [
        _judged(model, name, fields.get(normalize_key(name)), pretrained, read)
        for name, read in _READERS.items()
        if name not in ("Mean", "Std") or normalize_key(name) in fields
    ]


def _judged(
    model: str,
    field: str,
    declared: Declared | None,
    pretrained: Pretrained,
    read: Callable[[Mapping[str, Any]], tuple[Any, Any]],
) -> Verdict:
    """One field against the tag it must match, or the first of the candidate tags that carries it."""
    tags = pretrained.judged_against
    values = {tag: read(pretrained.configs[tag]) for tag in tags}
    if declared is None:
        return undeclared(model, field, values[tags[0]][0], _source(tags[0]))
    verdicts = [_config_value(model, field, declared, *values[tag], _source(tag)) for tag in tags]
    if pretrained.tag is not None:
        return verdicts[0]
    held = next((v for v in verdicts if v.verdict == VerdictStatus.OK), None)
    unpinned = f"the weights are not pinned to a tag, so any of {len(tags)} may be meant"
    if held is not None:
        return replace(held, detail=f"{held.detail} ({unpinned})")
    first = verdicts[0]
    if first.verdict != VerdictStatus.MISMATCH:
        return first
    by_value: dict[str, list[str]] = {}
    for tag, (value, _) in values.items():
        by_value.setdefault(_show(value, field), []).append(tag)
    architecture = pretrained.architecture or ""
    carried = "; ".join(f"{value} ({tag_list(named, architecture)})" for value, named in by_value.items())
    detail = f"declared {declared.text}, which no pretrained tag of {architecture} has: {carried}"
    return replace(first, detail=detail)


def _source(tag: str) -> str:
    return f"timm pretrained_cfg {tag}"


def input_side(input_size: Sequence[int]) -> int | tuple[int, int]:
    """A (C, H, W) input size as the one number an index declares, or (H, W) when it is not square."""
    height, width = input_size[-2:]
    return height if height == width else (height, width)


def _test_side(input_size: Sequence[int] | None) -> int | tuple[int, int] | None:
    return input_side(input_size) if input_size else None


def _config_value(
    model: str, field: str, declared: Declared | None, expected: Any, at_test: Any, source: str
) -> Verdict:
    if declared is None:
        return undeclared(model, field, expected, source)
    try:
        value = _comparable(declared.value)
    except (ValueError, TypeError):
        detail = f"cannot read {declared.text!r}"
        return Verdict(model, field, declared.value, expected, source, VerdictStatus.ERROR, detail)
    if _same(value, expected):
        return Verdict(
            model,
            field,
            declared.value,
            expected,
            source,
            VerdictStatus.OK,
            f"{_show(expected, field)}, as in {source}",
        )
    if _within_written_decimals(declared, expected):
        decimals = len(declared.text.split(".")[1])
        detail = f"{_show(expected, field)} in {source}, declared to the {decimals} decimals written"
        return Verdict(model, field, declared.value, expected, source, VerdictStatus.OK, detail)
    if at_test is not None and _same(value, _comparable(at_test)):
        shown, default = _show(value, field), _show(expected, field)
        detail = f"{shown} is the test-time value of {source}; its default is {default}"
        return Verdict(model, field, declared.value, expected, source, VerdictStatus.OK, detail)
    written = image_size_text(value) if field == "Image Size" else declared.text  # with its sides' order
    detail = f"declared {written}, {source} says {_show(expected, field)}"
    return Verdict(model, field, declared.value, expected, source, VerdictStatus.MISMATCH, detail)


def _within_written_decimals(declared: Declared, expected: Any) -> bool:
    """0.897 declares timm's 0.8975 to the three decimals indexes write a crop pct with.

    A shorter value is meant as written: 0.9 declares 0.9, not anything from 0.85 to 0.95.
    """
    text = declared.text.strip()
    if not isinstance(expected, float) or not re.fullmatch(r"\d*\.\d{3,}", text):
        return False
    half_unit = 0.5 * 10 ** -len(text.split(".")[1])
    return bool(abs(float(text) - expected) <= half_unit * (1 + 1e-9))


def _comparable(value: Any) -> Any:
    """A declared value in the form timm's config uses: a lower-case name, a number, or a tuple."""
    if isinstance(value, Sequence) and not isinstance(value, str):
        return tuple(float(v) for v in value)
    if isinstance(value, str):
        parts = [p for p in re.split(r"[\s,()\[\]]+", value) if p]
        if len(parts) > 1:
            return tuple(float(p) for p in parts)
        return value.strip().lower()
    return value


def _same(declared: Any, expected: Any) -> bool:
    if isinstance(expected, tuple):
        if not isinstance(declared, tuple) or len(declared) != len(expected):
            return False
        return all(math.isclose(a, b, abs_tol=1e-3) for a, b in zip(declared, expected, strict=True))
    if isinstance(expected, float) and isinstance(declared, int | float):
        return math.isclose(declared, expected, abs_tol=1e-6)
    if isinstance(expected, str):
        return str(declared).lower() == expected.lower()
    return bool(declared == expected)


def _ratio(ratio: float) -> str:
    """declared / measured, to three decimals unless that shows nothing."""
    return f"{ratio:.3f}" if 0.01 <= ratio < 1000 else f"{ratio:.3g}"


def _show(value: Any, field: str) -> str:
    if field == "Image Size":
        return image_size_text(value)
    return ", ".join(f"{v:g}" for v in value) if isinstance(value, tuple) else str(value)
