"""The size a model's released checkpoint file has, estimated from its structure alone."""

from __future__ import annotations

import io
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from torch import nn

__all__ = ["estimate_file_size"]


def estimate_file_size(module: nn.Module) -> int:
    """The bytes `torch.save(state_dict)` writes in the format of timm's released `.pth` files.

    A skeleton state dict (the same keys, shapes and dtypes, each a one-element storage) is really
    saved, so the pickle, key and header overhead is torch's own; each tensor's remaining data bytes
    are added. timm's released checkpoints were written by torch < 1.6, hence the legacy format.
    """
    import torch

    state = module.state_dict()
    skeleton = {key: torch.zeros((), dtype=t.dtype).expand(t.shape) for key, t in state.items()}
    buffer = io.BytesIO()
    torch.save(skeleton, buffer, _use_new_zipfile_serialization=False)
    data: int = sum((t.numel() - 1) * t.element_size() for t in state.values() if t.numel())
    return buffer.tell() + data
