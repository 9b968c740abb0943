"""Inference of lite0 (batch 1, fp32) per backend, through zoo's own backends.

Run one backend at a time for clean numbers (`-k onnxruntime`): the backends share this process.
`make benchmarks` saves each run under .benchmarks/; `--benchmark-compare` compares with the last.
"""

from __future__ import annotations

import os

import pytest

from zoo.backends import BackendConfig, create_backend
from zoo.measure.inputs import preprocessed_batch

MODEL = "tf_efficientnet_lite0"


@pytest.mark.parametrize("backend_name", ["torch", "onnxruntime", "openvino"])
def test_lite0_batch1(benchmark, backend_name: str) -> None:
    inputs = preprocessed_batch(MODEL, 1)
    backend = create_backend(
        backend_name,
        BackendConfig(model=MODEL, input_size=tuple(inputs.shape[1:]), threads=os.cpu_count() or 1),
    )
    backend.load()
    logits = benchmark.pedantic(backend.run, args=(inputs,), rounds=50, warmup_rounds=5)
    assert logits.shape == (1, 1000)
