"""A timm model built on the `meta` device: every shape, no storage, no arithmetic.

Reading a model's pretrained config, counting its parameters and FLOPs need its structure, never
its values, so it is built on `meta` with weight initialisation skipped: milliseconds per model.
"""

from __future__ import annotations

import warnings
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from torch import nn

__all__ = ["build_meta_model"]


def build_meta_model(name: str) -> nn.Module:
    """timm's model `name` on `meta`, in eval mode. A retired name timm still maps is built as its
    new name (its pretrained_cfg names the new one)."""
    import timm
    import torch

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "mapping deprecated model name": the config names the new one
        with torch.device("meta"), _skip_init():
            module = timm.create_model(name, pretrained=False)
    return module.eval()


def _skip_init() -> Any:
    """Weight initialisation on `meta` fills nothing and costs most of the build: skip it."""
    import torch
    from torch.overrides import TorchFunctionMode

    # Value-only in-place ops that initialisers use; none of them changes a shape.
    fills = {
        getattr(torch.Tensor, name)
        for name in ("normal_", "uniform_", "fill_", "zero_", "erfinv_", "mul_", "add_", "sub_", "div_",
                     "clamp_", "clamp_min_", "clamp_max_", "copy_", "exponential_", "bernoulli_",
                     "log_normal_", "random_", "abs_", "sqrt_", "exp_", "neg_", "fmod_", "remainder_",
                     "sign_")
    }  # fmt: skip
    fills |= {getattr(torch.nn.init, n) for n in dir(torch.nn.init) if n.endswith("_") and n[0] != "_"}

    class SkipInit(TorchFunctionMode):
        def __torch_function__(self, func: Any, types: Any, args: Any = (), kwargs: Any = None) -> Any:
            kwargs = kwargs or {}
            if func in fills:
                # a Tensor method has its tensor first; torch.nn.init passes it as `tensor=`
                filled = args[0] if args else kwargs.get("tensor")
                if isinstance(filled, torch.Tensor) and filled.is_meta:
                    return filled
            return func(*args, **kwargs)

    return SkipInit()
