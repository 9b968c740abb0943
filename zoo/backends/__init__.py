"""Run a model on one backend: PyTorch (eager, compiled), ONNX Runtime or OpenVINO, behind one interface.

    backend = create_backend(spec)    # a zoo.spec.RunSpec, built by zoo.measure.plan
    report = backend.load()        # export / convert / compile; the caller times it
    logits = backend.run(batch)    # float32 NCHW -> float32 (batch, classes)
    backend.describe()             # versions and effective settings, for the result record

Importing this package is cheap: torch, onnxruntime and openvino are imported by `load()`.
"""

from zoo.backends import _onnxruntime, _openvino, _torch  # noqa: F401  (their classes register themselves)
from zoo.backends._base import (
    Backend,
    BackendError,
    LoadReport,
    Served,
    cpu_info,
    cpu_name,
    precision_unavailable,
    versions,
)
from zoo.backends._registry import (
    ENTRY_POINT_GROUP,
    Capability,
    UnknownBackendError,
    backend_class,
    capabilities,
    create_backend,
    list_backends,
    register_backend,
)
from zoo.paths import cache_root
from zoo.weights import WeightsInfo

__all__ = [
    "ENTRY_POINT_GROUP",
    "Backend",
    "BackendError",
    "Capability",
    "LoadReport",
    "Served",
    "UnknownBackendError",
    "WeightsInfo",
    "backend_class",
    "cache_root",
    "capabilities",
    "cpu_info",
    "cpu_name",
    "create_backend",
    "list_backends",
    "precision_unavailable",
    "register_backend",
    "versions",
]
