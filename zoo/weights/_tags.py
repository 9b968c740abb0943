"""Which timm pretrained tag a model's declared weights are, from timm's own registry.

An input config (crop pct, interpolation, image size, mean, std) belongs to a set of weights, not to
an architecture: `resnet50.ram_in1k` is cropped at 0.875, the default `resnet50.a1_in1k` at 0.95. A
card is therefore judged against the tag its declared weights are, found by the file name (timm's
`url` or `file`), the hub id (`hf_hub_id`), the hash prefix torch writes into file names, or a tag in
the model name (`resnet50.a1_in1k`, or the tag timm's rename of a retired name carries). When the
evidence does not agree on one tag, the tag is not pinned and every tag of the architecture counts.
"""

from __future__ import annotations

import functools
import re
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import Any
from urllib.parse import urlparse

__all__ = ["Pretrained", "resolve_pretrained"]

# How a hub id is written in place of a URL: `hf-hub:timm/resnet50.a1_in1k`, or the bare `owner/name`.
_HUB_PREFIX = re.compile(r"^hf[-_]hub:")
_BARE_HUB_ID = re.compile(r"^[\w.-]+/[\w.-]+$")
_HUB_HOSTS = ("huggingface.co", "hf.co")
# Fewer hex digits than this could name two files by chance.
_MIN_HASH = 6


@dataclass(frozen=True)
class Pretrained:
    """What a model name and its declared weights are in timm.

    `tag` is the pinned `arch.tag` when every piece of evidence names it, with `pinned_by` saying
    what did; otherwise `candidates` are the tags a declared value may come from (default first).
    `verdict` and `detail` judge the declared weights themselves.
    """

    name: str
    architecture: str | None  # timm's name for it; None when timm has no such model
    renamed: str | None  # timm's current name (and tag) of a retired name, as timm maps it
    tag: str | None
    pinned_by: str | None
    candidates: tuple[str, ...]
    configs: Mapping[str, Mapping[str, Any]] = field(repr=False)  # resolved data config per tag
    verdict: str = "unknown"
    detail: str = "not declared"

    @property
    def judged_against(self) -> tuple[str, ...]:
        """The tags declared values are compared with: the pinned one, else every candidate."""
        return (self.tag,) if self.tag else self.candidates

    def default_config(self) -> Mapping[str, Any]:
        return self.configs[self.judged_against[0]]


def resolve_pretrained(name: str, weights: str | None) -> Pretrained:
    """The timm architecture and tag of the model `name` declaring the weights `weights`."""
    import timm

    current = timm.models.get_deprecated_models().get(name, name) or name
    architecture, name_tag = _split(current)
    renamed = current if current != name else None
    if not timm.is_model(architecture):
        return Pretrained(name, None, renamed, None, None, (), {}, "unknown", _no_model(name))
    configs = _configs(architecture)
    tags = tuple(configs)
    evidence: list[str] = []
    if name_tag and f"{architecture}.{name_tag}" in configs:
        evidence.append(f"the model name{f' (timm maps {name} to {current})' if renamed else ''}")
    named = f"{architecture}.{name_tag}" if evidence else None

    def pinned(tag: str, how: str, verdict: str = "unknown", detail: str = "not declared") -> Pretrained:
        return Pretrained(name, architecture, renamed, tag, how, tags, configs, verdict, detail)

    def unpinned(candidates: tuple[str, ...], verdict: str, detail: str) -> Pretrained:
        return Pretrained(name, architecture, renamed, None, None, candidates, configs, verdict, detail)

    if not weights:
        if named:
            return pinned(named, evidence[0])
        if len(tags) == 1:
            return pinned(tags[0], f"the only pretrained tag of {architecture}")
        return unpinned(tags, "unknown", "not declared")
    matches, how = _match(weights)
    file = _file_name(weights) or weights
    own = tuple(tag for tag in tags if tag in matches)
    if not matches:
        detail = f"no pretrained tag in timm {timm.__version__} names {file}"
        return pinned(named, evidence[0], "unknown", detail) if named else unpinned(tags, "unknown", detail)
    if not own:
        others = ", ".join(sorted(matches))
        detail = f"{file} is timm's {others}, not a tag of {architecture}, which timm builds for {name}"
        return unpinned(tags, "mismatch", detail)
    if named and named not in own:
        detail = f"{file} is timm's {', '.join(own)}, but the model name says {named}"
        return unpinned(own, "mismatch", detail)
    if len(own) > 1 and not named:
        detail = f"{file} is timm's {', '.join(own)} alike, by {how}"
        return unpinned(own, "unknown", detail)
    tag = named or own[0]
    return pinned(tag, " and ".join([f"the {how}", *evidence]), "ok", f"{file} is timm's {tag}, by its {how}")


def _split(name: str) -> tuple[str, str]:
    from timm.models import split_model_name_tag

    return split_model_name_tag(name)


def _no_model(name: str) -> str:
    import timm

    return f"timm {timm.__version__} has no model named {name!r}"


@functools.cache
def _configs(architecture: str) -> dict[str, dict[str, Any]]:
    """Each pretrained tag's resolved data config, the default tag first; the architecture's own
    default config when it has no tag."""
    from timm.data import resolve_data_config
    from timm.models import PretrainedCfg, get_arch_pretrained_cfgs, get_pretrained_cfg

    default = get_pretrained_cfg(architecture) or PretrainedCfg(architecture=architecture)
    cfgs = get_arch_pretrained_cfgs(architecture) or {architecture: default}
    first = f"{architecture}.{default.tag}" if default.tag else architecture
    ordered = sorted(cfgs, key=lambda tag: tag != first)
    configs = {}
    for tag in ordered:
        cfg = cfgs[tag].to_dict()
        configs[tag] = {**cfg, **resolve_data_config(pretrained_cfg=cfg)}
    return configs


def _match(weights: str) -> tuple[set[str], str]:
    """Every tag (of any architecture) the declared weights name, and how: the strongest way wins."""
    files, hubs, hashes = _registry()
    hub_id = _hub_id(weights)
    if hub_id and hub_id in hubs:
        return hubs[hub_id], "hub id"
    file = _file_name(weights)
    if file and file in files:
        return files[file], "file name"
    digest = _hash(file)
    if digest:
        found = {tag for known, tags in hashes.items() if _same_hash(known, digest) for tag in tags}
        if found:
            return found, f"hash prefix {digest}"
    return set(), ""


@functools.cache
def _registry() -> tuple[dict[str, set[str]], dict[str, set[str]], dict[str, set[str]]]:
    """timm's pretrained tags by file name, by hub id and by the hash prefix in the file name."""
    from timm.models import get_pretrained_cfg, list_pretrained

    files: dict[str, set[str]] = defaultdict(set)
    hubs: dict[str, set[str]] = defaultdict(set)
    hashes: dict[str, set[str]] = defaultdict(set)
    for tag in list_pretrained():
        cfg = get_pretrained_cfg(tag)
        if cfg is None:
            continue
        for source in (cfg.url, cfg.file):
            file = _file_name(source) if isinstance(source, str) else None
            if file:
                files[file].add(tag)
                if digest := _hash(file):
                    hashes[digest].add(tag)
        if cfg.hf_hub_id:
            hubs[cfg.hf_hub_id.split("@")[0]].add(tag)
    return files, hubs, hashes


def _file_name(weights: str | None) -> str | None:
    if not weights:
        return None
    name = PurePosixPath(urlparse(weights).path.replace("\\", "/")).name
    return name if "." in name else None


def _hub_id(weights: str) -> str | None:
    """`owner/name` of a Hugging Face hub reference: `hf-hub:owner/name`, its URL, or bare `owner/name`."""
    text = weights.strip()
    if _HUB_PREFIX.match(text):
        return _HUB_PREFIX.sub("", text).split("@")[0]
    parsed = urlparse(text)
    if parsed.hostname in _HUB_HOSTS:
        parts = [p for p in parsed.path.split("/") if p]
        return "/".join(parts[:2]) if len(parts) >= 2 else None
    return text if not parsed.scheme and _BARE_HUB_ID.match(text) else None


def _hash(file: str | None) -> str | None:
    """The hex digest prefix torch hub writes into a file name (`name-<hex>.pth`), if long enough."""
    from torch.hub import HASH_REGEX

    found = HASH_REGEX.search(file or "")
    return found.group(1) if found and len(found.group(1)) >= _MIN_HASH else None


def _same_hash(one: str, other: str) -> bool:
    return one.startswith(other) or other.startswith(one)
