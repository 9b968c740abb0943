"""Where zoo's helper processes (DataLoader workers, the validate pool) start from: never a fork of the
caller, which may hold torch's, ONNX Runtime's and OpenVINO's thread pools by then.

A fork copies those pools' locks and state but not their threads, so the child can deadlock or crash
in them; torch and OpenBLAS register fork handlers that patch part of it, ONNX Runtime and OpenVINO
none. Workers start instead from a forkserver: a fresh interpreter (exec'd, so it inherits no thread)
that imports the modules below once (importing them starts no thread pool) and forks each worker from
itself, so a worker still skips seconds of imports. Where a platform has no forkserver, spawn.
"""

from __future__ import annotations

import functools
import multiprocessing
from multiprocessing.context import BaseContext

# Imported once in the forkserver. One that fails there is skipped; a worker imports what it needs itself.
PRELOAD = (
    "numpy",
    "pandas",
    "PIL.Image",
    "torch",
    "torch.utils.data",
    "torch.utils.flop_counter",
    "timm",
    "zoo.data.loader",
    "zoo.measure.meta_model",
    "zoo.validate",
)


@functools.cache
def worker_context() -> BaseContext:
    """The multiprocessing context for every worker zoo starts: forkserver with `PRELOAD`, else spawn."""
    if "forkserver" not in multiprocessing.get_all_start_methods():
        return multiprocessing.get_context("spawn")
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(list(PRELOAD))
    return context
