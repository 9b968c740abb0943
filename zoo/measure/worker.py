"""The measuring process: `main(SPEC.json, RESULT.json)`, in a child forked for one configuration by
the warm launcher (`zoo.measure.zygote`).

Each configuration runs here, alone, so ONNX Runtime, OpenVINO and torch never share a process or
fight over threads. It reads only the run spec (never the index). Whatever happens, a result file is
written: a record or a failure with its reason. Only a crash of the interpreter itself leaves none
(the parent then records the exit status). The worker ends itself when its parent dies.
"""

from __future__ import annotations

import json
import os
import traceback
from pathlib import Path

from zoo._errors import one_line


def _write_atomically(path: Path, data: dict[str, object]) -> None:
    partial = path.with_suffix(".partial")
    partial.write_text(json.dumps(data))
    os.replace(partial, path)


def die_with_parent() -> None:
    """Linux: SIGKILL this process when the sweep that started it dies, even by kill -9."""
    import ctypes
    import signal

    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        return
    if os.getppid() == 1:  # the parent died before the request took effect
        os._exit(1)


def main(spec_path: str, result_path: str) -> int:
    """Run the spec's scenario; write `{"kind", "record"}`, or `{"bad_input"}` for the driver to stop on."""
    die_with_parent()
    # Imported once the worker is bound to its parent's life: they take seconds (torch, timm).
    from zoo.data import DataError
    from zoo.measure.environment import fingerprint
    from zoo.measure.scenarios import scenario
    from zoo.spec import RunSpec
    from zoo.weights import WeightsError

    spec = RunSpec.from_json(Path(spec_path).read_text())
    measured = scenario(spec.scenario)
    environment = fingerprint(spec.threads, spec.device)
    try:
        record = measured.run(spec, environment)
    except (DataError, WeightsError) as error:  # images or weights the user named: bad input, not a result
        _write_atomically(Path(result_path), {"bad_input": str(error)})
        return 0
    except Exception as error:  # a failing configuration is a result, not a crash of the sweep
        traceback.print_exc()
        record = measured.record.failed(spec, one_line(error), environment=environment)
    _write_atomically(Path(result_path), {"kind": record.KIND, "record": record.as_dict()})
    return 0
