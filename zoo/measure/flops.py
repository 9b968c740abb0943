"""Count a model's FLOPs under the conventions that model indexes use, from shapes alone.

"FLOPs" in a model index has no fixed unit. Three conventions cover what indexes publish:

- `flops`: `torch.utils.flop_counter`'s formulas, as `FlopCounterMode` applies them, on a (1, 3, H, W)
  input, square unless the declared size is not (2 per multiply-add);
- `macs`: the same, counted as multiply-accumulates (half of `flops`);
- `timm-docs-2021`: how timm's model-index numbers were produced, by an old `thop` on a non-square
  (1, 3, S, floor(S * 1546 / 1213)) input with per-module rules (see `_count_2021`); only square sizes
  S were counted so.

Every count needs only shapes, so a model built on the `meta` device is counted in milliseconds.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, cast

from zoo._errors import one_line

if TYPE_CHECKING:
    from torch import nn

__all__ = ["CONVENTIONS", "FlopCount", "count_flops", "timm_docs_2021_input"]

CONVENTIONS = ("flops", "macs", "timm-docs-2021")

# The 2021 docs ran thop on a 1213 x 1546 photo resized so that its short side is S.
_TIMM_DOCS_ASPECT = (1546, 1213)


@dataclass(frozen=True)
class FlopCount:
    """One convention's count for one model and input; `value` is None when the input cannot run."""

    convention: str
    value: int | None
    input_shape: tuple[int, ...]
    error: str | None = None


def timm_docs_2021_input(image_size: int) -> tuple[int, int, int, int]:
    """The non-square input the timm-docs-2021 numbers were measured on."""
    width, height = _TIMM_DOCS_ASPECT
    return (1, 3, image_size, image_size * width // height)


def count_flops(model: nn.Module, image_size: int | tuple[int, int]) -> dict[str, FlopCount]:
    """The model's count under every convention at a side or (height, width); the model is put in eval
    mode (BatchNorm counts differ)."""
    import torch

    model.eval()
    device = next(model.parameters(), torch.empty(0)).device
    height, width = (image_size, image_size) if isinstance(image_size, int) else image_size
    shape = (1, 3, height, width)
    counts: dict[str, FlopCount] = {}
    try:
        flops = _count_flop_counter(model, torch.empty(shape, device=device))
    except Exception as error:  # a model that cannot run at this size: report why, keep going
        reason = one_line(error)
        counts["flops"] = FlopCount("flops", None, shape, reason)
        counts["macs"] = FlopCount("macs", None, shape, reason)
    else:
        counts["flops"] = FlopCount("flops", flops, shape)
        counts["macs"] = FlopCount("macs", flops // 2, shape)
    if height != width:
        reason = "the 2021 docs counted square image sizes only"
        counts["timm-docs-2021"] = FlopCount("timm-docs-2021", None, shape, reason)
        return counts
    wide = timm_docs_2021_input(height)
    try:
        counts["timm-docs-2021"] = FlopCount(
            "timm-docs-2021", _count_2021(model, torch.empty(wide, device=device)), wide
        )
    except Exception as error:
        counts["timm-docs-2021"] = FlopCount("timm-docs-2021", None, wide, one_line(error))
    return counts


def _count_flop_counter(model: nn.Module, image: Any) -> int:
    import torch

    with _total_flops() as counter, torch.no_grad(), _shape_only_norms(model):
        model(image)
    return int(counter.total)


def _total_flops() -> Any:
    """`FlopCounterMode`'s total: its formulas (`flop_registry`), and its rule of decomposing an op that
    has none, without the per-module breakdown it tracks with hooks on every module call. Those hooks
    take a third of the time of counting on `meta`, and under `no_grad` they fail on CaiT's and PiT's
    attention ("Expected gradient function to be set")."""
    import torch
    from torch.utils._python_dispatch import TorchDispatchMode
    from torch.utils.flop_counter import flop_registry

    class TotalFlops(TorchDispatchMode):
        def __init__(self) -> None:
            super().__init__()  # type: ignore[no-untyped-call]  # torch leaves it unannotated
            self.total = 0

        def __torch_dispatch__(self, func: Any, types: Any, args: Any = (), kwargs: Any = None) -> Any:
            kwargs = kwargs or {}
            packet = func._overloadpacket
            if packet not in flop_registry and func is not torch.ops.prim.device.default:
                with self:
                    decomposed = func.decompose(*args, **kwargs)
                if decomposed is not NotImplemented:
                    return decomposed
            out = func(*args, **kwargs)
            if packet in flop_registry:
                self.total += flop_registry[packet](*args, **kwargs, out_val=out)
            return out

    return TotalFlops()


def _count_2021(model: nn.Module, image: Any) -> int:
    """thop's rules as the 2021 docs ran them, matched by exact module type as thop did.

    Plain `nn.Conv2d`: output elements x (in/groups x kh x kw, + 1 with bias); BatchNorm (eval):
    2 x input elements; `AdaptiveAvgPool2d`: (kernel area + 1) x output elements; `AvgPool2d`: output
    elements. Everything else (activations, max-pool, `nn.Linear`, timm's `Conv2dSame`) counts 0.
    """
    import torch
    from timm.layers import BatchNormAct2d
    from torch import nn

    total = 0

    def count(module: nn.Module, inputs: tuple[Any, ...], output: Any) -> None:
        nonlocal total
        kind = type(module)
        if kind is nn.Conv2d:
            conv = cast(nn.Conv2d, module)
            kh, kw = conv.kernel_size
            per_output = conv.in_channels // conv.groups * kh * kw + (conv.bias is not None)
            total += output.numel() * per_output
        elif kind is nn.BatchNorm2d or kind is BatchNormAct2d:
            total += 2 * inputs[0].numel()
        elif kind is nn.AdaptiveAvgPool2d:
            kernel = [size // out for size, out in zip(inputs[0].shape[2:], output.shape[2:], strict=True)]
            total += (math.prod(kernel) + 1) * output.numel()
        elif kind is nn.AvgPool2d:
            total += output.numel()

    counted = (nn.Conv2d, nn.BatchNorm2d, BatchNormAct2d, nn.AdaptiveAvgPool2d, nn.AvgPool2d)
    hooks = [m.register_forward_hook(count) for m in model.modules() if type(m) in counted]
    try:
        with torch.no_grad(), _shape_only_norms(model):
            model(image)
        return total
    finally:
        for hook in hooks:
            hook.remove()


@contextmanager
def _shape_only_norms(model: nn.Module) -> Iterator[None]:
    """On `meta`, normalisation modules (eval BatchNorm, GroupNorm, LayerNorm, and timm's subclasses
    that fuse an activation) pass their input through: the same shape, none of the arithmetic.

    Neither convention counts a normalisation (or an activation fused into it) from its arithmetic:
    FlopCounterMode counts none, the 2021 rule counts BatchNorm from the input's size. torch's meta
    kernels for them are slow Python decompositions that would take most of the time of counting.
    """
    from torch import nn

    norms = (nn.GroupNorm, nn.LayerNorm)
    patched = [
        m
        for m in model.modules()
        if (isinstance(m, nn.modules.batchnorm._BatchNorm) and not m.training) or isinstance(m, norms)
    ]
    patched = [m for m in patched if all(t.is_meta for t in (*m.parameters(False), *m.buffers(False)))]
    for module in patched:
        module.forward = _pass_through  # type: ignore[method-assign,assignment]  # shadows the class's forward
    try:
        yield
    finally:
        for module in patched:
            del module.forward


def _pass_through(image: Any) -> Any:
    return image
