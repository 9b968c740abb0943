"""Declared Top-1/Top-5 against the latest `zoo eval` export (`accuracy.csv`), when there is one."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from zoo._errors import ZooError, one_line
from zoo.index import Model, dataset_key
from zoo.results.records import VerdictStatus
from zoo.validate._verdict import Verdict

if TYPE_CHECKING:
    import pandas as pd

ACCURACY_CSV = Path("benchmarks/results/accuracy.csv")
_METRICS = (("Top 1 Accuracy", "top1"), ("Top 5 Accuracy", "top5"))
_NEEDED = {
    "model", "backend", "precision", "dataset", "images", "weights",
    "top1", "top1_ci_low", "top1_ci_high", "top5", "measured_at",
}  # fmt: skip
# The reference a declaration is judged against: other backends and precisions are compared with it
# by `zoo check-backends`, and bf16 is expected to lose accuracy.
_REFERENCE = ("torch", "fp32")
# How far (percentage points either side) a measured interval may reach for a declared accuracy inside
# it to hold: 50% on 4 images ([15%, 85%]) confirms no declared 74.83%. 50,000 images give about 0.4.
ACCURACY_HALF_WIDTH = 1.0


def load_accuracy(path: Path | None = ACCURACY_CSV) -> pd.DataFrame | None:
    """The measured rows of `accuracy.csv` (random weights carry none), or None when there is no file."""
    import pandas as pd

    if path is None or not Path(path).is_file():
        return None
    try:
        frame = pd.read_csv(path)
    except (pd.errors.EmptyDataError, pd.errors.ParserError, UnicodeDecodeError) as error:
        raise ZooError(f"{path} is not a readable CSV ({one_line(error)}); it is not zoo's export") from error
    missing = _NEEDED - set(frame.columns)
    if missing:
        raise ZooError(f"{path} lacks the accuracy.csv columns {sorted(missing)}; it is not zoo's export")
    return frame[(frame["weights"] != "random") & frame["top1"].notna()]


def results(model: Model, accuracy: pd.DataFrame | None) -> list[Verdict]:
    import pandas as pd

    verdicts = []
    for field, column in _METRICS:
        declared = next((r for r in model.results if r.metric(field) is not None), None)
        if declared is None:
            verdicts.append(
                Verdict(model.name, field, None, None, None, VerdictStatus.UNKNOWN, "not declared")
            )
            continue
        row = _reference_row(accuracy, model.name, declared.dataset or "")
        value = declared.metric(field)
        if row is None or value is None or pd.isna(row[column]):
            verdicts.append(
                Verdict(model.name, field, value, None, None, VerdictStatus.UNKNOWN, "not measured")
            )
        else:
            verdicts.append(_compare(model.name, field, value, row, column))
    return verdicts


def _compare(model: str, field: str, declared: float, row: dict[str, Any], column: str) -> Verdict:
    """A declaration outside the measurement's 95% interval does not hold. Inside it, it holds only when
    the interval is narrow enough to tell it from a value `ACCURACY_HALF_WIDTH` points away; a wider
    one (a handful of images) leaves it unknown."""
    measured = row[column]
    how = f"zoo eval {row['backend']} {row['precision']}, {row['weights']} weights"
    interval = _interval(row, column)
    images = f"{int(row['images']):,} images of " if _known(row["images"]) else ""
    where = f"{row['backend']} {row['precision']} on {images}{row['dataset']}, {row['measured_at']}"
    if interval is None:
        detail = f"declared {declared:.2f}, measured {measured:.2f} by {where} (no interval to judge by)"
        return Verdict(model, field, declared, measured, how, VerdictStatus.UNKNOWN, detail)
    low, high = interval
    inside = low <= declared <= high
    detail = (
        f"declared {declared:.2f} is {'inside' if inside else 'outside'} the measured {measured:.2f} "
        f"[{low:.2f}, {high:.2f}] (95%) by {where}"
    )
    verdict = VerdictStatus.OK if inside else VerdictStatus.MISMATCH
    if inside and (high - low) / 2 > ACCURACY_HALF_WIDTH:
        verdict = VerdictStatus.UNKNOWN
        detail += f"; too few images to confirm it within {ACCURACY_HALF_WIDTH:g} point"
    return Verdict(model, field, declared, measured, how, verdict, detail, interval=(low, high))


def _interval(row: dict[str, Any], column: str) -> tuple[float, float] | None:
    """The measured proportion's 95% Wilson interval: as `zoo eval` wrote it from the exact hit count,
    else from the percentage and the image count."""
    from zoo.results.stats import Proportion

    low, high = row.get(f"{column}_ci_low"), row.get(f"{column}_ci_high")
    if _known(low) and _known(high):
        return float(low), float(high)  # type: ignore[arg-type]  # _known: neither is None
    measured, images = row[column], row.get("images")
    if images is None or not _known(images) or int(images) <= 0:
        return None
    proportion = Proportion.of(round(float(measured) * int(images) / 100), int(images))
    return None if proportion is None else (proportion.low, proportion.high)


def _known(value: Any) -> bool:
    import pandas as pd

    return value is not None and not pd.isna(value)


def _reference_row(accuracy: pd.DataFrame | None, model: str, dataset: str) -> dict[str, Any] | None:
    """The latest torch fp32 row of the declared dataset (else the latest fp32 row of any backend).

    One `zoo eval` run gives all its rows one `measured_at`; of those, the one with more images wins.
    """
    if accuracy is None:
        return None
    # Only a measurement on the dataset declared: ImageNet-1k and ImageNet-val are ImageNet, a sample is not.
    same_data = accuracy["dataset"].astype(str).map(dataset_key) == dataset_key(dataset)
    rows = accuracy[(accuracy["model"] == model) & same_data & (accuracy["precision"] == _REFERENCE[1])]
    reference = rows[rows["backend"] == _REFERENCE[0]]
    rows = reference if not reference.empty else rows
    if rows.empty:
        return None
    latest = rows.sort_values(["measured_at", "images"], kind="stable", na_position="first")
    return {str(key): value for key, value in latest.iloc[-1].to_dict().items()}
