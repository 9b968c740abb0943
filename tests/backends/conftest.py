"""lite0 with its packaged weights on real photos (the session's own artefact cache: tests/conftest.py)."""

from __future__ import annotations

import numpy
import pytest
import torch
from zoo_testing import make_spec

from zoo.measure.inputs import preprocessed_batch, sample_images
from zoo.spec import RunSpec
from zoo.weights import load_model

THREADS = 2


@pytest.fixture(scope="session")
def lite0_spec() -> RunSpec:
    """The bundled photos as one batch, on lite0 with its packaged weights (any backend via `with_`)."""
    return make_spec("torch", batch=len(sample_images()), threads=THREADS)


@pytest.fixture(scope="session")
def photos(lite0_spec: RunSpec) -> numpy.ndarray:
    return preprocessed_batch(lite0_spec.data, len(sample_images()))


@pytest.fixture(scope="session")
def reference_logits(lite0_spec: RunSpec, photos: numpy.ndarray) -> numpy.ndarray:
    assert lite0_spec.weights.kind == "packaged"
    net = load_model(lite0_spec.model, lite0_spec.weights)
    with torch.inference_mode():
        logits: torch.Tensor = net(torch.from_numpy(photos))
        return logits.numpy()
