"""The measuring process: `python -m zoo.measure.worker CONFIG.json RESULT.json`.

Each configuration runs here, alone, so ONNX Runtime, OpenVINO and torch never share a
process or fight over threads. Whatever happens, a result file is written: a measurement or a
failure with its reason. Only a crash of the interpreter itself leaves none (the parent then
records the exit status).
"""

from __future__ import annotations

import json
import os
import sys
import traceback
from pathlib import Path

from zoo._errors import one_line
from zoo.measure.environment import fingerprint
from zoo.measure.latency import BenchConfig, Measurement, measure


def _write_atomically(path: Path, data: dict[str, object]) -> None:
    partial = path.with_suffix(".partial")
    partial.write_text(json.dumps(data))
    os.replace(partial, path)


def main(config_path: str, result_path: str) -> int:
    config = BenchConfig(**json.loads(Path(config_path).read_text()))
    environment = fingerprint(config.threads)
    try:
        result = measure(config, environment)
    except Exception as error:  # a failing configuration is a result, not a crash of the sweep
        traceback.print_exc()
        result = Measurement.failed(config, one_line(error), environment=environment)
    _write_atomically(Path(result_path), result.as_dict())
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:3]))
