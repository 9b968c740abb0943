"""Inference of lite0 (batch 1, fp32) per backend, through zoo's own backends.

Run one backend at a time for clean numbers (`-k onnxruntime`): the backends share this process.
`make benchmarks` saves each run under .benchmarks/; `--benchmark-compare` compares with the last.
"""

from __future__ import annotations

import pytest
from zoo_testing import make_spec

from zoo.backends import create_backend
from zoo.measure.inputs import preprocessed_batch


@pytest.mark.parametrize("backend_name", ["torch", "onnxruntime", "openvino"])
def test_lite0_batch1(benchmark, backend_name: str) -> None:
    spec = make_spec(backend_name)
    inputs = preprocessed_batch(spec.data, 1)
    backend = create_backend(spec)
    backend.load()
    logits = benchmark.pedantic(backend.run, args=(inputs,), rounds=50, warmup_rounds=5)
    assert logits.shape == (1, 1000)
