"""PyTorch eager and `torch.compile` (inductor with freezing), the reference every other backend meets."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

from zoo._logging import quiet_logger
from zoo.backends._base import Backend, LoadReport, versions
from zoo.backends._registry import register_backend
from zoo.spec import CPU, CUDA, Precision, RunSpec, Scenario, device_kind
from zoo.weights import load_model

if TYPE_CHECKING:
    import numpy
    import torch


@dataclass(frozen=True)
class TorchConfig:
    """What the torch backend is asked for, read from the spec once."""

    device: str  # "cpu", "cuda" or "cuda:N"
    threads: int  # the CPU thread budget (intra-op)
    autocast: str | None  # "bf16": matmuls and convolutions under autocast; None: as the weights are

    @classmethod
    def of(cls, spec: RunSpec) -> TorchConfig:
        return cls(spec.device, spec.threads, "bf16" if spec.precision == Precision.BF16 else None)

    @property
    def cuda(self) -> bool:
        return device_kind(self.device) == CUDA


@register_backend
class TorchBackend(Backend):
    """timm model in eval mode under `torch.inference_mode`; channels-last for convolutional nets."""

    NAME = "torch"
    LIBRARY = "torch"
    PRECISIONS = (Precision.FP32, Precision.BF16)
    DEVICES = (CPU, CUDA)

    @classmethod
    def unreachable(cls, device: str) -> str | None:
        if device_kind(device) == CUDA:
            import torch

            if not torch.cuda.is_available():
                return "torch sees no CUDA device here"
        return super().unreachable(device)

    def load(self) -> LoadReport:
        import torch

        self.config = TorchConfig.of(self.spec)
        torch.set_num_threads(self.config.threads)
        net = load_model(self.spec.model, self.spec.weights).to(self.config.device)
        # oneDNN's convolutions prefer NHWC on CPU; models without convolutions gain nothing from it.
        self._channels_last = any(isinstance(m, torch.nn.Conv2d) for m in net.modules())
        if self._channels_last:
            net = net.to(memory_format=torch.channels_last)
        self._bound: tuple[Any, Any] | None = None  # (array, the tensor made from it)
        self._logits: Any = None  # the last outputs, where they were computed
        self._net = self.prepare(net)
        return LoadReport(cache_hit=None, weights=self.spec.weights)

    def prepare(self, net: torch.nn.Module) -> Any:
        """The callable `run()` uses; eager runs the module itself."""
        return net

    def infer(self, inputs: numpy.ndarray) -> None:
        """One forward pass; on CUDA the inputs were copied once, and the clock waits for the device."""
        import torch

        if self._bound is None or self._bound[0] is not inputs:
            # The timed loop passes one array again and again: it is checked, moved and laid out
            # channels-last on the first call only, as a bare torch loop would. zoo passes new images as a
            # new array; an array changed in place would not be seen through the channels-last copy.
            self._check_inputs(inputs)
            batch = torch.from_numpy(inputs).to(self.config.device)
            if self._channels_last:
                batch = batch.contiguous(memory_format=torch.channels_last)
            self._bound = (inputs, batch)
        with torch.inference_mode(), self._autocast():
            self._logits = self._net(self._bound[1])
        if self.config.cuda:
            torch.cuda.synchronize(self.config.device)

    def run(self, inputs: numpy.ndarray) -> numpy.ndarray:
        self.infer(inputs)
        logits: numpy.ndarray = self._logits.float().cpu().numpy()  # to the host after the inference
        return logits

    def _autocast(self) -> contextlib.AbstractContextManager[Any]:
        """bf16 runs under autocast (matmuls and convolutions in bf16), fp32 runs as it is."""
        import torch

        if self.config.autocast == "bf16":
            return torch.autocast(CUDA if self.config.cuda else CPU, dtype=torch.bfloat16)
        return contextlib.nullcontext()

    def settings(self) -> dict[str, Any]:
        import torch

        accelerator = (
            {"cuda_device": torch.cuda.get_device_name(self.config.device)} if self.config.cuda else {}
        )
        return {
            "versions": versions("torch", "timm"),
            "threads": torch.get_num_threads(),
            "effective_precision": "bf16 autocast" if self.config.autocast else "fp32",
            "memory_format": "channels_last" if self._channels_last else "contiguous",
            "mode": "eager",
            **accelerator,
        }


@register_backend
class TorchCompileBackend(TorchBackend):
    """`torch.compile` with inductor freezing (weights folded into the graph); load() includes compiling.

    Shapes are static (`dynamic=False`): otherwise a second model compiled in the same process (timm's
    shared `forward`, new input size) turns dynamic, and inductor's C++ codegen then spends tens of
    minutes simplifying symbolic indices (pytorch#133734).
    """

    NAME = "torch-compile"
    UNSUPPORTED_SCENARIOS: ClassVar[tuple[Scenario, ...]] = (
        "throughput",
    )  # the throughput sweep would compile once per batch and session

    def prepare(self, net: torch.nn.Module) -> Any:
        import numpy
        import torch
        import torch._inductor.config

        # Freezing folds the weights into the graph as constants (inference only); compiling happens on
        # the first call, so make it here, inside the patch, and load() counts it. Inductor's C++ build
        # warns "No CUDA runtime is found" on every CPU: that logger is muted meanwhile.
        with torch._inductor.config.patch(freezing=True), quiet_logger("torch.utils.cpp_extension"):
            self._net = torch.compile(net, backend="inductor", dynamic=False)
            self.run(numpy.zeros(self.spec.input_shape, dtype=numpy.float32))
        return self._net

    def settings(self) -> dict[str, Any]:
        return {**super().settings(), "mode": "torch.compile inductor, freezing"}
