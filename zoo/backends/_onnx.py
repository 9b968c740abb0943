"""Export a timm model to ONNX once per (model, weights, shape, opset, versions), through the cache."""

from __future__ import annotations

import contextlib
import io
from pathlib import Path
from typing import Any

from zoo.backends._base import BackendError, versions
from zoo.backends._cache import CacheEntry, cached
from zoo.spec import CPU, RunSpec
from zoo.weights import RANDOM_SEED, load_model

OPSET = 18
ONNX_FILE = "model.onnx"
INPUT_NAME = "input"


def artefact_key(spec: RunSpec) -> dict[str, Any]:
    """What an exported graph depends on; a change in any of it means a new cache entry."""
    return {
        "model": spec.model,
        "weights": spec.weights.sha256 or f"random-seed-{RANDOM_SEED}",
        "input_shape": list(spec.input_shape),
        "opset": OPSET,
        "exporter": "torch.onnx dynamo",
        "versions": versions("torch", "timm", "onnx", "onnxscript"),
        **({} if spec.device == CPU else {"device": spec.device}),  # CPU entries keep their old keys
    }


def exported_onnx(spec: RunSpec) -> CacheEntry:
    """The cache entry holding `model.onnx` for this configuration, exported now if need be."""
    return cached("onnx", artefact_key(spec), lambda directory: export(spec, directory))


def export(spec: RunSpec, directory: Path) -> None:
    """torch.onnx's dynamo exporter, static shape, weights inside the one file."""
    import torch

    net = load_model(spec.model, spec.weights)
    example = torch.zeros(spec.input_shape)
    try:
        # The exporter prints its progress to stdout; a command's output must stay a clean table or JSON.
        with contextlib.redirect_stdout(io.StringIO()):
            torch.onnx.export(
                net,
                (example,),
                str(directory / ONNX_FILE),
                dynamo=True,
                opset_version=OPSET,
                input_names=[INPUT_NAME],
                output_names=["logits"],
                external_data=False,
                verbose=False,
            )
    except Exception as error:
        reason = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise BackendError(f"ONNX export of {spec.model} failed: {type(error).__name__}: {reason}") from error
