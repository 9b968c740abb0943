"""Which timm pretrained tag a model's declared weights are, from timm's own registry.

An input config (crop pct, interpolation, image size, mean, std) belongs to a set of weights, not to
an architecture: `resnet50.ram_in1k` is cropped at 0.875, the default `resnet50.a1_in1k` at 0.95. A
card is therefore judged against the tag its declared weights are, found by the file name (timm's
`url` or `file`), the hub id (`hf_hub_id`), the hash prefix torch writes into file names, or a tag in
the model name (`resnet50.a1_in1k`, or the tag timm's rename of a retired name carries). When the
evidence does not agree on one tag, the tag is not pinned and every tag of the architecture counts.

What timm says is read once per timm version into a table (`ZOO_CACHE/timm-tags/`): every model name,
timm's renames, each tag's data config and the file names, hub ids and hash prefixes of its weights.
`zoo show` and `zoo validate` read the table, so describing a model never imports timm or torch.
"""

from __future__ import annotations

import contextlib
import functools
import json
import os
import re
import tempfile
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import urlparse

__all__ = ["Pretrained", "resolve_pretrained", "tag_list"]

# How a hub id is written in place of a URL: `hf-hub:timm/resnet50.a1_in1k`, or the bare `owner/name`.
_HUB_PREFIX = re.compile(r"^hf[-_]hub:")
_BARE_HUB_ID = re.compile(r"^[\w.-]+/[\w.-]+$")
_HUB_HOSTS = ("huggingface.co", "hf.co")
# Fewer hex digits than this could name two files by chance.
_MIN_HASH = 6
# The hash torch hub writes into a file name: `name-<hex>.pth` (torch.hub.HASH_REGEX).
_HASH = re.compile(r"-([a-f0-9]*)\.")
# The data-config keys a declared value is judged against; a new key or rule means a new table version.
_CONFIG_KEYS = ("input_size", "test_input_size", "crop_pct", "test_crop_pct", "interpolation", "mean", "std")
_TABLE_VERSION = 1


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

    @property
    def weights_detail(self) -> str:
        """The judgement of the declared weights, after timm's new name for a retired one."""
        renamed = f"timm names {self.name} {self.renamed}; " if self.renamed else ""
        return renamed + self.detail

    @property
    def judged_as(self) -> str | None:
        """What pinned the tag, or which tags a declared value may come from when none is pinned."""
        if self.tag is None and self.architecture is not None:
            return f"not pinned: any of {tag_list(self.candidates, self.architecture)}"
        return self.pinned_by


def tag_list(tags: Sequence[str], architecture: str, shown: int = 3) -> str:
    """`a1_in1k, a2_in1k, ram_in1k and 9 more`: tags without their architecture, the first few."""
    short = [tag.removeprefix(f"{architecture}.") for tag in tags]
    more = f" and {len(short) - shown} more" if len(short) > shown else ""
    return ", ".join(short[:shown]) + more


def resolve_pretrained(name: str, weights: str | None) -> Pretrained:
    """The timm architecture and tag of the model `name` declaring the weights `weights`."""
    table = _table()
    current = table.deprecated.get(name, name) or name
    architecture, name_tag = _split(current)
    renamed = current if current != name else None
    if architecture not in table.configs:
        detail = f"timm {table.version} has no model named {name!r}"
        return Pretrained(name, None, renamed, None, None, (), {}, "unknown", detail)
    configs = table.configs[architecture]
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
    matches, how = _match(table, weights)
    file = _file_name(weights) or weights
    own = tuple(tag for tag in tags if tag in matches)
    if not matches:
        detail = f"no pretrained tag in timm {table.version} names {file}"
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
    """`arch.tag` as timm's `split_model_name_tag` splits it."""
    architecture, _, tag = name.partition(".")
    return architecture, tag


@dataclass(frozen=True)
class _Table:
    """What one timm version says about every model and pretrained tag (see the module's docstring)."""

    version: str
    deprecated: dict[str, str]
    configs: dict[str, dict[str, dict[str, Any]]]  # architecture -> tag -> data config, default first
    files: dict[str, list[str]]
    hubs: dict[str, list[str]]
    hashes: dict[str, list[str]]


@functools.cache
def _table() -> _Table:
    """The table of the installed timm: from the cache, else read from timm once and cached."""
    from zoo.paths import cache_root

    try:
        version = metadata.version("timm")
    except metadata.PackageNotFoundError:
        version = "unknown"
    path = cache_root() / "timm-tags" / f"timm-{version}-table-v{_TABLE_VERSION}.json"
    with contextlib.suppress(OSError, ValueError, TypeError, KeyError):
        table = _Table(**json.loads(path.read_text()))
        if table.version == version:
            return table
    table = _read_timm()
    _store(path, table)
    return table


def _read_timm() -> _Table:
    """Every architecture's tags and data configs, and timm's pretrained weights by file, hub id, hash."""
    import timm
    from timm.data import resolve_data_config
    from timm.models import PretrainedCfg, get_arch_pretrained_cfgs, get_pretrained_cfg, list_pretrained

    configs: dict[str, dict[str, dict[str, Any]]] = {}
    for architecture in timm.list_models():
        default = get_pretrained_cfg(architecture) or PretrainedCfg(architecture=architecture)
        cfgs = get_arch_pretrained_cfgs(architecture) or {architecture: default}
        first = f"{architecture}.{default.tag}" if default.tag else architecture
        tags = configs[architecture] = {}
        for tag in sorted(cfgs, key=lambda tag: tag != first):
            cfg = cfgs[tag].to_dict()
            resolved = {**cfg, **resolve_data_config(pretrained_cfg=cfg)}
            tags[tag] = {key: resolved.get(key) for key in _CONFIG_KEYS}
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
    return _Table(
        timm.__version__,
        {old: new for old, new in timm.models.get_deprecated_models().items() if new},
        configs,
        *({key: sorted(tags) for key, tags in found.items()} for found in (files, hubs, hashes)),
    )


def _store(path: Path, table: _Table) -> None:
    """Written atomically; a cache that cannot be written costs time, never an answer."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    except OSError:
        return
    try:
        with os.fdopen(handle, "w") as file:
            json.dump(table.__dict__, file)
        os.replace(temporary, path)
    except OSError:
        Path(temporary).unlink(missing_ok=True)


def _match(table: _Table, weights: str) -> tuple[set[str], str]:
    """Every tag (of any architecture) the declared weights name, and how: the strongest way wins."""
    hub_id = _hub_id(weights)
    if hub_id and hub_id in table.hubs:
        return set(table.hubs[hub_id]), "hub id"
    file = _file_name(weights)
    if file and file in table.files:
        return set(table.files[file]), "file name"
    digest = _hash(file)
    if digest:
        found = {tag for known, tags in table.hashes.items() if _same_hash(known, digest) for tag in tags}
        if found:
            return found, f"hash prefix {digest}"
    return set(), ""


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
    found = _HASH.search(file or "")
    return found.group(1) if found and len(found.group(1)) >= _MIN_HASH else None


def _same_hash(one: str, other: str) -> bool:
    return one.startswith(other) or other.startswith(one)
