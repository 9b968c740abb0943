"""No worker zoo starts is a fork of the process that starts it (which may hold runtime thread pools)."""

from __future__ import annotations

import ast
import os

import numpy as np
import pytest
from timm.data import create_transform
from zoo_testing import REPO, make_spec

from zoo._processes import worker_context
from zoo.backends import create_backend
from zoo.data import batches, smoke_set
from zoo.validate._run import _pool


@pytest.fixture
def no_fork(monkeypatch: pytest.MonkeyPatch) -> None:
    """Any fork of this process fails: the fork start method calls `os.fork` in the parent, a
    forkserver forks in its own server and spawn execs a fresh interpreter."""

    def refuse() -> int:
        raise AssertionError("a zoo worker was forked from the test process")

    monkeypatch.setattr(os, "fork", refuse)


def test_workers_start_from_a_forkserver_or_spawn() -> None:
    assert worker_context().get_start_method() in {"forkserver", "spawn"}


def test_dataloader_workers_are_not_forked(no_fork: None) -> None:
    transform = create_transform(input_size=(3, 32, 32))
    inline = [chunk.images for chunk in batches(smoke_set(), transform, batch=2, limit=4)]
    workers = [chunk.images for chunk in batches(smoke_set(), transform, batch=2, limit=4, workers=1)]
    np.testing.assert_array_equal(np.concatenate(inline), np.concatenate(workers))


def test_validate_pool_is_not_forked(no_fork: None) -> None:
    with _pool(8, None) as pool:
        if pool is None:
            pytest.skip("this machine gives validate no pool (one core, or no semaphores)")
        assert pool.submit(os.getpid).result(timeout=120) != os.getpid()


def test_nothing_in_zoo_asks_for_fork() -> None:
    """A literal "fork" anywhere in zoo's code is a start method asked for by name."""
    found = [
        f"{path.relative_to(REPO)}:{node.lineno}"
        for path in sorted((REPO / "zoo").rglob("*.py"))
        for node in ast.walk(ast.parse(path.read_text(), str(path)))
        if isinstance(node, ast.Constant) and node.value == "fork"
    ]
    assert not found, f"the fork start method is asked for at {found}"


def test_openvino_backends_share_one_core(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each Core's CPU plugin swaps the compiling thread's alternate signal stack and puts back the one
    it found when it goes; two Cores released in the order they were made left an unmapped stack, and
    a later SIGCHLD (after a DataLoader with workers had installed its handler) killed pytest."""
    import openvino

    from zoo.backends import _openvino

    made: list[object] = []
    real = openvino.Core

    def core() -> object:
        made.append(real())
        return made[-1]

    monkeypatch.setattr(openvino, "Core", core)
    _openvino._core.cache_clear()
    try:
        for _ in range(2):
            create_backend(make_spec("openvino", batch=1, threads=1)).load()
    finally:
        _openvino._core.cache_clear()  # the next test's backends get a real, unpatched Core
    assert len(made) == 1
