"""The timed path binds its input once: results stay right when the array changes, in place or by object,
and one call's logits are not overwritten by the next (the runtimes reuse their output buffers)."""

from __future__ import annotations

import numpy
import pytest

from zoo.backends import BackendError, create_backend
from zoo.spec import RunSpec


@pytest.mark.parametrize("name", ["openvino", "onnxruntime"])
def test_rebinding_and_returned_logits(
    name: str,
    lite0_spec: RunSpec,
    photos: numpy.ndarray,
    reference_logits: numpy.ndarray,
) -> None:
    backend = create_backend(lite0_spec.with_(backend=name))
    backend.load()
    first = backend.run(photos)
    reordered = photos[::-1].copy()
    second = backend.run(reordered)  # another array: bound anew
    assert numpy.abs(first - reference_logits).max() < 1e-4  # not overwritten by the second call
    assert numpy.abs(second - reference_logits[::-1]).max() < 1e-4
    reordered[:] = photos  # the same array, changed in place: the bound input sees it
    assert numpy.abs(backend.run(reordered) - reference_logits).max() < 1e-4
    with pytest.raises(BackendError, match="was loaded for inputs"):
        backend.run(photos[:1])
