"""Build a timm model and load the weights found for it, strictly."""

from __future__ import annotations

import difflib
import zipfile
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from zoo._errors import ZooError, one_line
from zoo.weights._info import WeightsError, WeightsInfo
from zoo.weights._packaged import from_lukemelas_layout, is_lukemelas_layout

if TYPE_CHECKING:
    import torch

RANDOM_SEED = 0  # random weights are the same in every process, so converted artefacts can be cached


def require_timm_model(model: str) -> None:
    """A name timm cannot build is a one-line error suggesting the closest names."""
    import timm

    if not timm.is_model(model):
        close = difflib.get_close_matches(model, timm.list_models(), n=5, cutoff=0.6)
        hint = f"; did you mean {', '.join(close)}?" if close else "; see timm.list_models()"
        raise ZooError(f"unknown timm model {model!r}{hint}")


def create_model(model: str) -> torch.nn.Module:
    """A timm model with seeded random weights in eval mode."""
    import timm
    import torch

    require_timm_model(model)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(RANDOM_SEED)
        return timm.create_model(model, pretrained=False).eval()


# torch stores a checkpoint's records uncompressed: what it inflates to is its own size, plus a little.
_INFLATION_SLACK = 1.05
_INFLATION_MARGIN = 1_000_000


def check_inflated_size(path: Path) -> None:
    """Refuse a zip checkpoint whose records would inflate past its own size (a compressed bomb: a
    few MB of DEFLATE records becoming gigabytes inside `torch.load`), from its directory alone."""
    if not zipfile.is_zipfile(path):
        return
    try:
        with zipfile.ZipFile(path) as archive:
            inflated = sum(record.file_size for record in archive.infolist())
            compressed = [record.filename for record in archive.infolist() if record.compress_type]
    except (zipfile.BadZipFile, OSError) as error:
        raise WeightsError(f"cannot read {path}: {one_line(error)}") from None
    size = path.stat().st_size
    if inflated > size * _INFLATION_SLACK + _INFLATION_MARGIN:
        raise WeightsError(
            f"{path}: its records inflate to {inflated:,} bytes from a {size:,}-byte file "
            f"({len(compressed)} compressed record(s)); torch writes records uncompressed: refused"
        )


def read_state_dict(path: Path) -> dict[str, Any]:
    """Tensors only: safetensors, or `torch.load(weights_only=True)` so a checkpoint cannot run code."""
    import torch
    from safetensors.torch import load_file

    try:
        if path.suffix == ".safetensors":
            return load_file(path)
        check_inflated_size(path)
        loaded = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as error:  # truncated, not a checkpoint, or a pickle that wants code: all unusable
        raise WeightsError(f"cannot read {path}: {one_line(error)}") from None
    for wrapper in ("state_dict_ema", "state_dict", "model"):  # training checkpoints nest the weights
        if isinstance(loaded, Mapping) and isinstance(loaded.get(wrapper), Mapping):
            loaded = loaded[wrapper]
    if not isinstance(loaded, Mapping):
        raise WeightsError(f"{path} holds a {type(loaded).__name__}, not a state dict")
    return {key.removeprefix("module."): value for key, value in loaded.items()}


def load_weights(net: torch.nn.Module, info: WeightsInfo) -> None:
    """Load `info`'s file into `net`; every key must match, in both directions."""
    if info.path is None:
        return
    state = read_state_dict(info.path)
    if is_lukemelas_layout(state):
        state = from_lukemelas_layout(state, net)
    try:
        net.load_state_dict(state, strict=True)
    except RuntimeError as error:
        summary = " ".join(str(error).split())
        raise WeightsError(f"{info.path} does not fit {type(net).__name__}: {summary[:300]}") from None


def load_model(model: str, weights: WeightsInfo) -> torch.nn.Module:
    """The timm model in eval mode with `weights` (found once by the driver), or seeded random ones."""
    net = create_model(model)
    load_weights(net, weights)
    return net
