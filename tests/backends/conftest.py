"""lite0 with its packaged weights, real photos, and an artefact cache of the test session's own."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy
import pytest
import torch

from zoo.backends import BackendConfig
from zoo.measure.inputs import preprocessed_batch, sample_images
from zoo.weights import load_model

LITE0 = "tf_efficientnet_lite0"
THREADS = 2


@pytest.fixture(scope="session")
def session_cache(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """ZOO_CACHE for the session: lite0 is exported once and shared by the tests that only read it."""
    root = tmp_path_factory.getbasetemp() / "zoo-cache"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("ZOO_CACHE", str(root))
        yield root


@pytest.fixture(scope="session")
def photos() -> numpy.ndarray:
    return preprocessed_batch(LITE0, len(sample_images()))


@pytest.fixture(scope="session")
def reference_logits(photos: numpy.ndarray) -> numpy.ndarray:
    net, info = load_model(LITE0)
    assert info.kind == "packaged"
    with torch.inference_mode():
        return net(torch.from_numpy(photos)).numpy()


@pytest.fixture(scope="session")
def lite0_config(photos: numpy.ndarray) -> BackendConfig:
    return BackendConfig(LITE0, photos.shape[1:], batch=len(photos), threads=THREADS)
