"""ONNX Runtime on the CPU execution provider (or CUDA's, for a CUDA device), from the cached ONNX export."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

from zoo.backends._base import Backend, BackendError, LoadReport, versions
from zoo.backends._onnx import ONNX_FILE, OPSET, artefact_key, exported_onnx
from zoo.backends._quantize import INT8_FILES, int8_artefact
from zoo.backends._registry import register_backend
from zoo.spec import CPU, CUDA, Precision, RunSpec, device_kind

if TYPE_CHECKING:
    import numpy


def import_onnxruntime() -> Any:
    try:
        import onnxruntime
    except ImportError as error:
        raise BackendError(f"onnxruntime is not installed ({error}): pip install onnxruntime") from None
    return onnxruntime


CPU_PROVIDER = "CPUExecutionProvider"
CUDA_PROVIDER = "CUDAExecutionProvider"


@dataclass(frozen=True)
class OnnxRuntimeConfig:
    """What the ONNX Runtime backend is asked for, read from the spec once."""

    providers: tuple[str | tuple[str, dict[str, str]], ...]  # in order of preference, with options
    output_device: str  # where outputs stay bound: "cpu" or "cuda"
    intra_op_threads: int
    inter_op_threads: int = 1

    @classmethod
    def of(cls, spec: RunSpec) -> OnnxRuntimeConfig:
        if spec.device_kind == CUDA:
            card = spec.device.partition(":")[2] or "0"
            return cls(((CUDA_PROVIDER, {"device_id": card}), CPU_PROVIDER), CUDA, spec.threads)
        return cls((CPU_PROVIDER,), CPU, spec.threads)


@register_backend
class OnnxRuntimeBackend(Backend):
    """All graph optimizations, `intra_op` threads from the budget, one sequential inter-op thread."""

    NAME = "onnxruntime"
    PRECISIONS: ClassVar[tuple[Precision, ...]] = (Precision.FP32, Precision.INT8)
    DEVICES = (CPU, CUDA)
    LIBRARY = "onnxruntime"

    @classmethod
    def unreachable(cls, device: str) -> str | None:
        if device_kind(device) == CUDA:
            providers = import_onnxruntime().get_available_providers()
            if CUDA_PROVIDER not in providers:
                return f"onnxruntime offers no {CUDA_PROVIDER} here (pip install onnxruntime-gpu)"
        return super().unreachable(device)

    def load(self) -> LoadReport:
        ort = import_onnxruntime()
        entry = exported_onnx(self.spec)
        model_file = entry.path / ONNX_FILE
        self._calibration = None
        if self.spec.precision == Precision.INT8:  # quantize_static QDQ of the fp32 export, cached
            entry, self._calibration = int8_artefact(
                "onnxruntime", self.spec, artefact_key(self.spec), model_file
            )
            model_file = entry.path / INT8_FILES["onnxruntime"]
        self.config = OnnxRuntimeConfig.of(self.spec)
        options = ort.SessionOptions()
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        options.intra_op_num_threads = self.config.intra_op_threads
        options.inter_op_num_threads = self.config.inter_op_threads
        try:
            self._session = ort.InferenceSession(
                str(model_file), options, providers=list(self.config.providers)
            )
        except Exception as error:
            raise BackendError(f"onnxruntime cannot load {self.spec.model}: {error}") from error
        self._input = self._session.get_inputs()[0].name
        self._binding = self._session.io_binding()
        self._bound: numpy.ndarray | None = None  # the array the binding reads
        self._artefact = entry.path
        return LoadReport(cache_hit=entry.hit, weights=self.spec.weights)

    def infer(self, inputs: numpy.ndarray) -> None:
        """The timed loop passes one array again and again: its checks and binding happen on the first
        call only; each call then runs the session on the bound input, nothing converted or looked up.
        Outputs stay bound on the device (on CUDA, synchronised before the call returns)."""
        if inputs is not self._bound:
            self._check_inputs(inputs)
            self._binding.bind_cpu_input(self._input, inputs)
            self._binding.bind_output(self._session.get_outputs()[0].name, self.config.output_device)
            self._bound = inputs
        self._session.run_with_iobinding(self._binding)
        if self.config.output_device != CPU:
            self._binding.synchronize_outputs()

    def run(self, inputs: numpy.ndarray) -> numpy.ndarray:
        self.infer(inputs)
        logits: numpy.ndarray = self._binding.copy_outputs_to_cpu()[0]  # to the host after the inference
        return logits

    def settings(self) -> dict[str, Any]:
        options = self._session.get_session_options()  # read back what the session holds
        return {
            "versions": versions("onnxruntime", "onnx", "torch"),
            "opset": OPSET,
            "threads": options.intra_op_num_threads,
            "inter_op_threads": options.inter_op_num_threads,
            "execution_mode": options.execution_mode.name,
            "graph_optimization": options.graph_optimization_level.name,
            "providers": self._session.get_providers(),
            "effective_precision": "int8 (QDQ, per-channel weights)" if self._calibration else "fp32",
            "calibration": self._calibration,
            "artefact": str(self._artefact),
        }
