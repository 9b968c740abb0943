"""The warm launcher: `python -m zoo.measure.zygote`, one interpreter that imports once what every
measuring worker imports (torch and timm take most of ten seconds here) and forks one fresh child per
configuration. Each configuration still runs alone in a process of its own; it only skips the imports.

It imports modules and nothing more: no model is built and no runtime loaded, so it holds no runtime
thread pool when it forks (the reason `zoo._processes` gives for its forkserver; numpy's OpenBLAS
shuts its pool down around a fork). ONNX Runtime and OpenVINO are imported by the child that uses
one. The environment, thread budget included, is the one the launcher was started with: the driver
starts another when it wants a different one (`zoo.measure.executors`).

The protocol is one JSON line each way. The driver sends `[spec, result, log]` paths; the launcher
answers `{"pid": N}` once the child runs, then `{"exit": code}` (negative: the signal that killed it)
when it ends. The child writes its output to `log`. The launcher ends at end of input, or with its
parent.
"""

from __future__ import annotations

import importlib
import json
import os
import sys

from zoo.measure.worker import die_with_parent, main

# What every worker imports before it loads a backend; one that fails here is imported (or reported) by
# the worker itself. Not scipy.stats, which workers import after loading: with it imported first, the
# openvino import inside OpenVINO's load took 0.67 s instead of 0.30 s, and the reported load time with it.
PRELOAD = (
    "numpy",
    "PIL.Image",
    "torch",
    "timm",
    "timm.data",
    "psutil",
    "zoo.measure.environment",
    "zoo.measure.inputs",
    "zoo.measure.scenarios",
    "zoo.backends",
)


def _child(spec_path: str, result_path: str, log_path: str) -> None:
    """In the forked child: output to the log, no input, then the worker. It never returns."""
    code = 1
    try:
        log = os.open(log_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        os.dup2(log, 1)
        os.dup2(log, 2)
        os.close(log)
        null = os.open(os.devnull, os.O_RDONLY)
        os.dup2(null, 0)
        os.close(null)
        code = main(spec_path, result_path)
    except BaseException:  # the child must never return into the launcher's loop
        import traceback

        traceback.print_exc()
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)


def serve() -> int:
    die_with_parent()
    for name in PRELOAD:
        try:
            importlib.import_module(name)
        except Exception:  # the worker imports it itself and reports what fails
            continue
    for line in sys.stdin:
        spec_path, result_path, log_path = json.loads(line)
        sys.stdout.flush()
        sys.stderr.flush()
        pid = os.fork()
        if pid == 0:
            _child(spec_path, result_path, log_path)
        print(json.dumps({"pid": pid}), flush=True)
        _, status = os.waitpid(pid, 0)
        print(json.dumps({"exit": os.waitstatus_to_exitcode(status)}), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(serve())
