"""From the index and the command line to run specs: each model resolved once, then every configuration.

A model's timm architecture, pretrained tag, data config and weights are worked out here, in the
driver, and only here; the specs carry them to the measuring processes, which never read the index.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from zoo._errors import ZooError
from zoo.spec import CPU, LATENCY, DataConfig, Precision, RunSpec, Timing, device_kind
from zoo.weights import WeightsInfo, find_weights, require_timm_model, resolve_pretrained

if TYPE_CHECKING:
    from zoo.index import Model

__all__ = ["ModelSetup", "Plan", "plan", "resolve_data", "setup_model"]

_DECLARABLE = ("input_size", "crop_pct", "interpolation")  # what an index may declare over timm's config


@dataclass(frozen=True)
class ModelSetup:
    """What every configuration of one model shares: architecture, tag, inputs and weights."""

    model: str
    timm_name: str
    pretrained_tag: str | None
    data: DataConfig
    weights: WeightsInfo

    def spec(self, backend: str, **fields: Any) -> RunSpec:
        return RunSpec(
            model=self.model,
            backend=backend,
            data=self.data,
            weights=self.weights,
            timm_name=self.timm_name,
            pretrained_tag=self.pretrained_tag,
            **fields,
        )


def resolve_data(name: str, declared: Model | None = None) -> tuple[DataConfig, str, str | None]:
    """timm's data config with the declared Image Size, Crop Pct and Interpolation passed to timm's
    own `resolve_data_config(args=...)`; also the architecture timm builds and its pretrained tag."""
    import timm.data

    from zoo.measure.meta_model import build_meta_model

    require_timm_model(name)
    net = build_meta_model(name)
    timm_config = timm.data.resolve_model_data_config(net)
    meta = declared.metadata if declared is not None else None
    size = meta.image_size if meta else None  # one side, or (height, width)
    overrides = {
        "img_size": size if isinstance(size, int) else None,
        "input_size": (timm_config["input_size"][0], *size) if isinstance(size, tuple) else None,
        "crop_pct": meta.crop_pct if meta else None,
        "interpolation": meta.interpolation if meta else None,
    }
    config = timm.data.resolve_data_config(
        args={key: value for key, value in overrides.items() if value is not None}, model=net
    )
    differences = tuple(
        f"{key}: declared {config[key]}, timm {timm_config[key]}"
        for key in _DECLARABLE
        if config[key] != timm_config[key]
    )
    pretrained = getattr(net, "pretrained_cfg", None) or {}
    data = DataConfig.from_dict({**config, "differences": differences})
    return data, str(pretrained.get("architecture") or name), pretrained.get("tag")


def setup_model(model: Model | str, checkpoint: Path | None = None) -> ModelSetup:
    """Resolve one model (declared in an index, or a bare timm name): an unknown timm name or unusable
    weights fail here, before anything runs."""
    declared = None if isinstance(model, str) else model
    name = model if isinstance(model, str) else model.name
    data, timm_name, tag = resolve_data(name, declared)
    weights = find_weights(name, checkpoint, declared)
    if declared is not None and declared.weights:  # the tag the declared weights are, when it can be pinned
        tag = resolve_pretrained(name, declared.weights).tag or tag
    return ModelSetup(name, timm_name, tag, data, weights)


@dataclass(frozen=True)
class Plan:
    """The configurations to run, and the default backends left out because they cannot run one."""

    specs: tuple[RunSpec, ...]
    notices: tuple[str, ...] = ()


def plan(
    models: Sequence[Model],
    backends: Sequence[str],
    *,
    explicit_backends: bool = True,
    precisions: Iterable[str] = (Precision.FP32,),
    batches: Iterable[int] = (1,),
    scenarios: Iterable[str] = (LATENCY,),
    threads: int | None = None,
    timing: Timing | None = None,
    checkpoint: Path | None = None,
    calibration: str | None = None,
    device: str = CPU,
    sla_ms: float | None = None,
) -> Plan:
    """Every combination, model-major so that a model's exports are built once and reused.

    A backend that cannot run a precision or scenario, or cannot reach the device here, is an error
    when the user named it, and a notice (it is skipped) when it was only a default. A device that no
    backend reaches is an error.
    """
    from zoo.backends import backend_class, precision_unavailable
    from zoo.measure.scenarios import scenario

    precisions = [Precision(p) for p in precisions]
    scenarios = [scenario(s).name for s in scenarios]
    batches = list(batches)
    skipped: set[str] = set()
    device_kind(device)  # a device zoo cannot name is refused before asking the backends
    unreachable = {name: backend_class(name).unreachable(device) for name in backends}
    reasons = [reason for reason in unreachable.values() if reason]
    if reasons and len(reasons) == len(backends):
        raise ZooError(f"no backend can reach device {device} here: {'; '.join(reasons)}")
    for backend, reason in unreachable.items():
        if reason and explicit_backends:
            raise ZooError(f"backend {backend} cannot run on {device}: {reason}")
        if reason:
            skipped.add(f"{backend} skipped for {device}: {reason}")
    pairs = []
    for backend, precision, name in itertools.product(backends, precisions, scenarios):
        if unreachable[backend]:
            continue
        cls = backend_class(backend)
        missing = [str(precision)] if precision not in cls.PRECISIONS else []
        missing += [] if cls.runs(name) else [name]
        native = None if missing else precision_unavailable(Precision(precision), device)
        if not missing and not native:
            pairs.append((backend, precision, name))
        elif native and explicit_backends:
            raise ZooError(f"backend {backend} cannot run {precision} here: {native}")
        elif native:
            skipped.add(f"{precision} skipped: {native}")
        elif explicit_backends:
            raise ZooError(
                f"backend {backend} cannot run {' '.join(missing)}; `zoo backends` lists what each runs"
            )
        else:
            skipped.add(f"{backend} skipped for {' '.join(missing)}: it cannot run it (`zoo backends`)")
    extra: dict[str, Any] = {
        "timing": timing or Timing(),
        "calibration": calibration,
        "device": device,
        "sla_ms": sla_ms,
    }
    if threads is not None:
        extra["threads"] = threads
    specs = []
    for model in models:
        setup = setup_model(model, checkpoint)
        specs += [
            setup.spec(backend, precision=precision, scenario=name, batch=batch, **extra)
            for (backend, precision, name), batch in itertools.product(pairs, batches)
        ]
    return Plan(tuple(specs), tuple(sorted(skipped)))
