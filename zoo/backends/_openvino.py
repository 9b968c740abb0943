"""OpenVINO on the CPU: a static-shape IR converted from the cached ONNX export, compiled with explicit hints.

OpenVINO runs bf16 on a CPU that has it unless told `f32`, so the precision hint is always set and
read back; a compiled model whose precision is not the one asked for is refused, never reported.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from zoo.backends._base import Backend, BackendError, LoadReport, RequestQueue, Served, versions
from zoo.backends._cache import cached
from zoo.backends._onnx import ONNX_FILE, artefact_key, exported_onnx
from zoo.backends._quantize import INT8_FILES, int8_artefact
from zoo.backends._registry import register_backend
from zoo.spec import Precision, RunSpec

if TYPE_CHECKING:
    import numpy

IR_FILE = "model.xml"
# INT8 runs the quantized IR's int8 operations; what stays float runs f32, never a silent bf16.
_PRECISION_HINTS = {Precision.FP32: "f32", Precision.BF16: "bf16", Precision.INT8: "f32"}


def import_openvino() -> Any:
    try:
        import openvino
    except ImportError as error:
        raise BackendError(f"openvino is not installed ({error}): pip install openvino") from None
    return openvino


@functools.cache
def _core() -> Any:
    """One OpenVINO Core per process. Each Core's CPU plugin swaps in its own alternate signal stack on
    the thread that compiles and puts back the one it found when it goes; two Cores released in the
    order they were made leave the thread on an unmapped stack, and the next signal with a handler
    (SIGCHLD after a subprocess, once a DataLoader has run; Ctrl-C) kills the process with SIGSEGV."""
    return import_openvino().Core()


def convert(spec: RunSpec, directory: Path) -> None:
    """ONNX -> IR with the input shape fixed; weights stay fp32 (save_model would compress them to fp16)."""
    ov = import_openvino()
    onnx = exported_onnx(spec)
    try:
        model = ov.convert_model(onnx.path / ONNX_FILE, input=[list(spec.input_shape)])
    except Exception as error:
        raise BackendError(f"OpenVINO cannot convert {spec.model}: {error}") from error
    ov.save_model(model, directory / IR_FILE, compress_to_fp16=False)


@dataclass(frozen=True)
class OpenVinoConfig:
    """What the OpenVINO backend compiles for, read from the spec once: its device and explicit hints."""

    device: str  # OpenVINO's device name
    precision_hint: str  # INFERENCE_PRECISION_HINT, always set: read back and checked after compiling
    performance_hint: str  # LATENCY, or THROUGHPUT for the throughput scenario
    threads: int

    @classmethod
    def of(cls, spec: RunSpec) -> OpenVinoConfig:
        hint = "THROUGHPUT" if spec.scenario == "throughput" else "LATENCY"
        return cls("CPU", _PRECISION_HINTS[spec.precision], hint, spec.threads)

    def properties(self) -> dict[str, Any]:
        return {
            "INFERENCE_PRECISION_HINT": self.precision_hint,
            "PERFORMANCE_HINT": self.performance_hint,
            "INFERENCE_NUM_THREADS": self.threads,
        }


@register_backend
class OpenVinoBackend(Backend):
    """Compiled for CPU with explicit INFERENCE_PRECISION_HINT, PERFORMANCE_HINT and INFERENCE_NUM_THREADS."""

    NAME = "openvino"
    LIBRARY = "openvino"
    PRECISIONS = (Precision.FP32, Precision.BF16, Precision.INT8)
    NATIVE_THROUGHPUT = True  # PERFORMANCE_HINT=THROUGHPUT and its optimal number of asynchronous requests

    def load(self) -> LoadReport:
        core = _core()  # first: a missing openvino is refused before anything is converted
        key = {**artefact_key(self.spec), "ir": versions("openvino")}
        entry = cached("openvino", key, lambda directory: convert(self.spec, directory))
        model_file = entry.path / IR_FILE
        self._calibration = None
        if self.spec.precision == Precision.INT8:  # NNCF post-training quantization of the IR, cached
            entry, self._calibration = int8_artefact("openvino", self.spec, key, model_file)
            model_file = entry.path / INT8_FILES["openvino"]
        self.config = OpenVinoConfig.of(self.spec)
        wanted = self.config.precision_hint
        try:
            self._compiled = core.compile_model(
                core.read_model(model_file), self.config.device, self.config.properties()
            )
        except Exception as error:
            raise BackendError(f"OpenVINO cannot compile {self.spec.model}: {error}") from error
        effective = self._compiled.get_property("INFERENCE_PRECISION_HINT").to_string()
        if effective != wanted:
            raise BackendError(
                f"OpenVINO compiled {self.spec.model} for {effective}, not the {wanted} asked for"
            )
        self._request = self._compiled.create_infer_request()
        self._bound: numpy.ndarray | None = None  # the array the request's input tensor shares
        self._device = core.get_property(self.config.device, "FULL_DEVICE_NAME")
        self._artefact = entry.path
        return LoadReport(cache_hit=entry.hit, weights=self.spec.weights)

    def infer(self, inputs: numpy.ndarray) -> None:
        """The timed loop passes one array again and again: its checks and binding happen on the first
        call only, and each call runs the request on the shared input (no copy) as benchmark_app does."""
        if inputs is not self._bound:
            self._check_inputs(inputs)
            self._request.set_input_tensor(import_openvino().Tensor(inputs, shared_memory=True))
            self._bound = inputs
        self._request.infer()

    def run(self, inputs: numpy.ndarray) -> numpy.ndarray:
        self.infer(inputs)
        logits: numpy.ndarray = self._request.get_output_tensor(0).data.copy()  # the next call overwrites it
        return logits

    def serve(self, inputs: numpy.ndarray, window_s: float) -> Served:
        """OpenVINO's own way to serve: an `AsyncInferQueue` of the compiled model's optimal number of
        requests, every one kept busy for `window_s`; images counted as requests complete."""
        import time

        ov = import_openvino()
        self._check_inputs(inputs)
        requests = int(self._compiled.get_property("OPTIMAL_NUMBER_OF_INFER_REQUESTS"))
        queue = ov.AsyncInferQueue(self._compiled, requests)
        tensor = ov.Tensor(inputs, shared_memory=True)
        for request in queue:
            request.set_input_tensor(tensor)
        latencies: list[float] = []
        queue.set_callback(lambda request, _: latencies.append(request.latency / 1000))  # ms -> s
        started = time.perf_counter()
        end = started + window_s
        while time.perf_counter() < end:
            queue.start_async()
        queue.wait_all()
        seconds = time.perf_counter() - started
        return Served(len(latencies) * len(inputs), seconds, latencies, requests)

    def request_queue(self, inputs: numpy.ndarray) -> RequestQueue:
        """An `AsyncInferQueue` of the compiled model's optimal number of requests plus one (the next
        request is queued while one runs), each bound to `inputs` without a copy."""
        self._check_inputs(inputs)
        jobs = int(self._compiled.get_property("OPTIMAL_NUMBER_OF_INFER_REQUESTS")) + 1
        return _AsyncQueue(self._compiled, inputs, jobs)

    def settings(self) -> dict[str, Any]:
        read = self._compiled.get_property
        return {
            "versions": versions("openvino"),
            "calibration": self._calibration,
            "optimal_requests": read("OPTIMAL_NUMBER_OF_INFER_REQUESTS"),
            "threads": read("INFERENCE_NUM_THREADS"),
            "effective_precision": read("INFERENCE_PRECISION_HINT").to_string(),
            "hint": str(read("PERFORMANCE_HINT")),
            "streams": read("NUM_STREAMS"),
            "compiled_input_shape": str(self._compiled.input(0).get_partial_shape()),
            "execution_devices": read("EXECUTION_DEVICES"),
            "openvino_device": self._device,
            "artefact": str(self._artefact),
        }


class _AsyncQueue:
    """OpenVINO's `AsyncInferQueue` as a `RequestQueue`: the completion callback names the request."""

    def __init__(self, compiled: Any, inputs: numpy.ndarray, jobs: int) -> None:
        ov = import_openvino()
        self.jobs = jobs
        self._queue = ov.AsyncInferQueue(compiled, jobs)
        tensor = ov.Tensor(inputs, shared_memory=True)
        for request in self._queue:
            request.set_input_tensor(tensor)

    def start(self, done: Callable[[int], None]) -> Callable[[int], None]:
        self._queue.set_callback(lambda _request, index: done(index))
        return lambda index: self._queue.start_async(userdata=index)

    def drain(self) -> None:
        self._queue.wait_all()

    def describe(self) -> str:
        return f"AsyncInferQueue of {self.jobs} requests"
