"""Post-training INT8 of a cached fp32 artefact: NNCF for OpenVINO IR, `quantize_static` for ONNX Runtime.

Each `quantize_*` function has the shape of a cache build callback, `(fp32 file, calibration batches,
out dir) -> None`, and `quantized()` runs one through `zoo.backends._cache.cached` under `int8_key`: the
fp32 artefact's key, the runtime's recipe, the calibration digest, the preprocessing and the quantizer's
versions. A second run with the same inputs reuses the artefact.

    calibration = calibration_set()                       # zoo.data.calibration: bundled photos, augmented
    entry = quantized("openvino", fp32_key, ir_path, calibration, data_config, batch=1)
    core.read_model(entry.path / INT8_FILES["openvino"])
"""

from __future__ import annotations

import contextlib
import dataclasses
import io
import json
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np

from zoo._errors import one_line
from zoo._logging import quiet_logger
from zoo.backends._base import VNNI_FLAGS, BackendError, cpu_flags, versions
from zoo.backends._cache import CacheEntry, cached
from zoo.spec import RunSpec

if TYPE_CHECKING:  # zoo.data imports timm and torch: `zoo backends` must not
    from zoo.data.calibration import Calibration

INT8_FILES = {"openvino": "model.xml", "onnxruntime": "model.onnx"}
QUANTIZERS = {"openvino": ("nncf", "openvino"), "onnxruntime": ("onnxruntime", "onnx")}
_CLASSIFIER_OPS = {"openvino": ("MatMul",), "onnxruntime": ("Gemm", "MatMul")}


@dataclass(frozen=True)
class NncfRecipe:
    """`nncf.quantize` settings. MIXED: symmetric weights, asymmetric activations (NNCF's advice for
    activations that are not centred on zero, such as ReLU6 outputs). Full bias correction: on lite0
    with 128 calibration samples it kept top-1 on 61 of 64 held-out photo crops, the fast one on 60."""

    preset: str = "mixed"
    fast_bias_correction: bool = False
    keep_head_float: bool = False  # leave the classifier (the last MatMul) in fp32


@dataclass(frozen=True)
class OrtRecipe:
    """`quantize_static` settings: QDQ, u8 activations and s8 per-channel weights (the x86 CPU kernels'
    U8S8 path), MinMax calibration, after `quant_pre_process` (shape inference and graph clean-up)."""

    activation_type: str = "QUInt8"
    weight_type: str = "QInt8"
    per_channel: bool = True
    calibrate_method: str = "MinMax"
    pre_process: bool = True
    keep_head_float: bool = False  # leave the classifier (the last Gemm or MatMul) in fp32
    # 7-bit weights where the CPU has no VNNI: there the U8S8 kernels sum pairs of products in int16
    # and saturate (ONNX Runtime's quantization guide); part of the artefact's key, so per machine.
    reduce_range: bool = dataclasses.field(default_factory=lambda: not cpu_flags() & VNNI_FLAGS)


Recipe = NncfRecipe | OrtRecipe


class Batches(Protocol):
    """Calibration batches that can be walked more than once and counted (`CalibrationInputs` is one)."""

    def __iter__(self) -> Iterator[np.ndarray]: ...

    def __len__(self) -> int: ...


DEFAULT_RECIPES: dict[str, Recipe] = {"openvino": NncfRecipe(), "onnxruntime": OrtRecipe()}


def int8_key(
    fp32_key: Mapping[str, Any],
    runtime: str,
    calibration: Calibration,
    data_config: Mapping[str, Any],
    recipe: Recipe | None = None,
) -> dict[str, Any]:
    """The cache key of an INT8 artefact: the fp32 one's, plus everything the quantization depends on."""
    recipe = recipe or DEFAULT_RECIPES[runtime]
    return {
        **fp32_key,
        "int8": {
            "runtime": runtime,
            "recipe": dataclasses.asdict(recipe),
            "calibration": calibration.digest,
            "calibration_recipe": calibration.recipe,
            "data_config": json.loads(json.dumps(dict(data_config))),
            "versions": versions(*QUANTIZERS[runtime]),
        },
    }


def quantized(
    runtime: str,
    fp32_key: Mapping[str, Any],
    fp32_file: Path,
    calibration: Calibration,
    data_config: Mapping[str, Any],
    batch: int,
    recipe: Recipe | None = None,
) -> CacheEntry:
    """The cached INT8 artefact of `fp32_file`, built if need be; its file is `INT8_FILES[runtime]`."""
    recipe = recipe or DEFAULT_RECIPES[runtime]
    build = QUANTIZE[runtime]
    key = int8_key(fp32_key, runtime, calibration, data_config, recipe)
    return cached(
        f"{runtime}-int8",
        key,
        lambda directory: build(fp32_file, calibration.inputs(data_config, batch), directory, recipe),
    )


def quantize_openvino(
    fp32_ir: Path, calibration: Batches, out: Path, recipe: NncfRecipe = NncfRecipe()
) -> None:
    """NNCF post-training quantization of an IR, saved as `out/model.xml` (weights stay int8, not fp16)."""
    import nncf
    import openvino as ov

    model = ov.Core().read_model(fp32_ir)
    ignored = None
    if recipe.keep_head_float:
        ignored = nncf.IgnoredScope(names=[_last(model.get_ordered_ops(), "openvino", _ov_op_info)])
    with _quiet("nncf"):
        try:
            int8 = nncf.quantize(
                model,
                nncf.Dataset(calibration),
                preset=nncf.QuantizationPreset(recipe.preset),
                subset_size=len(calibration),  # every batch: NNCF counts dataset items
                fast_bias_correction=recipe.fast_bias_correction,
                ignored_scope=ignored,
            )
        except Exception as error:
            raise BackendError(f"NNCF cannot quantize {fp32_ir}: {one_line(error)}") from error
    ov.save_model(int8, out / INT8_FILES["openvino"], compress_to_fp16=False)


def quantize_onnxruntime(
    fp32_onnx: Path, calibration: Batches, out: Path, recipe: OrtRecipe = OrtRecipe()
) -> None:
    """`quantize_static` to QDQ, fed by a calibration reader, saved as `out/model.onnx`."""
    import onnx
    from onnxruntime.quantization import (
        CalibrationDataReader,
        CalibrationMethod,
        QuantFormat,
        QuantType,
        quantize_static,
    )
    from onnxruntime.quantization.shape_inference import quant_pre_process

    source = fp32_onnx
    if recipe.pre_process:
        source = out / "preprocessed.onnx"
        with _quiet("onnxruntime"):
            quant_pre_process(str(fp32_onnx), str(source))
    graph = onnx.load(str(source), load_external_data=False).graph
    excluded = [_last(graph.node, "onnxruntime", _onnx_op_info)] if recipe.keep_head_float else []

    class Reader(CalibrationDataReader):  # type: ignore[misc]  # onnxruntime ships no type information
        def __init__(self) -> None:
            self._batches = iter(calibration)

        def get_next(self) -> dict[str, np.ndarray] | None:
            batch = next(self._batches, None)
            return None if batch is None else {graph.input[0].name: batch}

        def rewind(self) -> None:
            self._batches = iter(calibration)

    try:
        with _quiet("onnxruntime"):
            quantize_static(
                str(source),
                str(out / INT8_FILES["onnxruntime"]),
                Reader(),
                quant_format=QuantFormat.QDQ,
                per_channel=recipe.per_channel,
                activation_type=QuantType[recipe.activation_type],
                weight_type=QuantType[recipe.weight_type],
                calibrate_method=CalibrationMethod[recipe.calibrate_method],
                nodes_to_exclude=excluded,
                reduce_range=recipe.reduce_range,
            )
    except Exception as error:
        raise BackendError(f"onnxruntime cannot quantize {fp32_onnx}: {one_line(error)}") from error
    finally:
        if source != fp32_onnx:
            source.unlink(missing_ok=True)


QUANTIZE: dict[str, Callable[[Path, Batches, Path, Any], None]] = {
    "openvino": quantize_openvino,
    "onnxruntime": quantize_onnxruntime,
}


def _ov_op_info(op: Any) -> tuple[str, str]:
    return op.get_type_name(), op.get_friendly_name()


def _onnx_op_info(node: Any) -> tuple[str, str]:
    return node.op_type, node.name


def _last(ops: Iterable[Any], runtime: str, info: Callable[[Any], tuple[str, str]]) -> str:
    """The name of the last classifier-like op in topological order: an image classifier's head."""
    names = [name for kind, name in map(info, ops) if kind in _CLASSIFIER_OPS[runtime]]
    if not names:
        raise BackendError(f"no {' or '.join(_CLASSIFIER_OPS[runtime])} op to keep in float")
    return names[-1]


@contextlib.contextmanager
def _quiet(logger: str) -> Any:
    """Quantizers print progress bars and advice to stdout; a command's output must stay clean."""
    with quiet_logger(logger), contextlib.redirect_stdout(io.StringIO()):
        yield


def int8_artefact(
    runtime: str, spec: RunSpec, fp32_key: Mapping[str, Any], fp32_file: Path
) -> tuple[CacheEntry, str]:
    """The spec's INT8 artefact for `runtime` (calibrated on `spec.calibration`, else the bundled photos)
    and a description of what calibrated it, for the record and the card."""
    from zoo.data.calibration import calibration_set

    calibration = calibration_set(Path(spec.calibration) if spec.calibration else None)
    entry = quantized(runtime, fp32_key, fp32_file, calibration, spec.data.timm_config(), spec.batch)
    return entry, calibration.description
