"""PyTorch eager and `torch.compile` (inductor with freezing), the reference every other backend meets."""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING, Any, ClassVar

from zoo._logging import quiet_logger
from zoo.backends._base import Backend, LoadReport, versions
from zoo.backends._registry import register_backend
from zoo.spec import Precision, Scenario
from zoo.weights import load_model

if TYPE_CHECKING:
    import numpy
    import torch


@register_backend
class TorchBackend(Backend):
    """timm model in eval mode under `torch.inference_mode`; channels-last for convolutional nets."""

    NAME = "torch"
    SCENARIOS: ClassVar[tuple[Scenario, ...]] = (Scenario.LATENCY, Scenario.THROUGHPUT)
    LIBRARY = "torch"
    PRECISIONS = (Precision.FP32, Precision.BF16)

    def load(self) -> LoadReport:
        import torch

        torch.set_num_threads(self.spec.threads)
        net = load_model(self.spec.model, self.spec.weights)
        # oneDNN's convolutions prefer NHWC on CPU; models without convolutions gain nothing from it.
        self._channels_last = any(isinstance(m, torch.nn.Conv2d) for m in net.modules())
        if self._channels_last:
            net = net.to(memory_format=torch.channels_last)
        self._bound: tuple[Any, Any] | None = None  # (array, the tensor made from it)
        self._net = self.prepare(net)
        return LoadReport(cache_hit=None, weights=self.spec.weights)

    def prepare(self, net: torch.nn.Module) -> Any:
        """The callable `run()` uses; eager runs the module itself."""
        return net

    def run(self, inputs: numpy.ndarray) -> numpy.ndarray:
        import torch

        if self._bound is None or self._bound[0] is not inputs:
            # The timed loop passes one array again and again: it is checked and laid out channels-last
            # on the first call only, as a bare torch loop would. zoo passes new images as a new array;
            # an array changed in place would not be seen through the channels-last copy.
            self._check_inputs(inputs)
            batch = torch.from_numpy(inputs)
            if self._channels_last:
                batch = batch.contiguous(memory_format=torch.channels_last)
            self._bound = (inputs, batch)
        batch = self._bound[1]
        with torch.inference_mode(), self._autocast():
            logits = self._net(batch)
        return logits.float().numpy()

    def _autocast(self) -> contextlib.AbstractContextManager[Any]:
        """bf16 runs under CPU autocast (matmuls and convolutions in bf16), fp32 runs as it is."""
        import torch

        if self.spec.precision == "bf16":
            return torch.autocast("cpu", dtype=torch.bfloat16)
        return contextlib.nullcontext()

    def settings(self) -> dict[str, Any]:
        import torch

        return {
            "versions": versions("torch", "timm"),
            "threads": torch.get_num_threads(),
            "effective_precision": "bf16 autocast" if self.spec.precision == "bf16" else "fp32",
            "memory_format": "channels_last" if self._channels_last else "contiguous",
            "mode": "eager",
        }


@register_backend
class TorchCompileBackend(TorchBackend):
    """`torch.compile` with inductor freezing (weights folded into the graph); load() includes compiling.

    Shapes are static (`dynamic=False`): otherwise a second model compiled in the same process (timm's
    shared `forward`, new input size) turns dynamic, and inductor's C++ codegen then spends tens of
    minutes simplifying symbolic indices (pytorch#133734).
    """

    NAME = "torch-compile"
    SCENARIOS: ClassVar[tuple[Scenario, ...]] = (
        Scenario.LATENCY,
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
