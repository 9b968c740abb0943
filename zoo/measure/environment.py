"""The environment a measurement ran in, and when two of them may be compared.

A result without its machine is not a result: every measurement carries this fingerprint, and
`comparable_id` hashes the parts that change timings (CPU, cores, ISA, libraries, threads).
"""

from __future__ import annotations

import datetime
import hashlib
import json
import os
import platform
import subprocess
from functools import cache
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

from zoo.spec import CPU

LIBRARIES = ("zoo", "torch", "torchvision", "timm", "onnx", "onnxruntime", "openvino", "numpy")
ISA_FLAGS = ("avx2", "avx512f", "avx512_vnni", "avx512_bf16", "avx_vnni", "amx_tile", "amx_bf16", "amx_int8")
THREAD_VARIABLES = (
    "OMP_NUM_THREADS",
    "MKL_NUM_THREADS",
    "OPENBLAS_NUM_THREADS",
    "OPENBLAS_CORETYPE",
    "KMP_AFFINITY",
)
# What makes two timings comparable; dates, commits and hostnames do not.
_COMPARABLE = (
    "cpu_model",
    "logical_cores",
    "physical_cores",
    "isa",
    "system",
    "machine",
    "libraries",
    "threads",
)


def _library_versions() -> dict[str, str]:
    versions = {}
    for name in LIBRARIES:
        try:
            versions[name] = version(name)
        except PackageNotFoundError:
            versions[name] = "not installed"
    return versions


@cache
def git_commit() -> str | None:
    """The project's commit, with `-dirty` when the tree has changes; None outside a checkout."""
    root = Path(__file__).resolve().parents[2]
    try:
        commit = subprocess.run(
            ["git", "-C", str(root), "rev-parse", "HEAD"],
            capture_output=True,
            text=True,
            check=True,
            timeout=5,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "-C", str(root), "status", "--porcelain", "--untracked-files=no"],
            capture_output=True,
            text=True,
            check=True,
            timeout=5,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return None
    return f"{commit}-dirty" if dirty else commit


def accelerator(device: str) -> dict[str, Any]:
    """The accelerator a run used: its name and driver (NVIDIA's, from nvidia-smi) and CUDA version."""
    import torch

    index = int(device.partition(":")[2] or 0)
    try:
        driver = subprocess.run(
            ["nvidia-smi", f"--id={index}", "--query-gpu=driver_version", "--format=csv,noheader"],
            capture_output=True,
            text=True,
            check=True,
            timeout=10,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        driver = None
    return {
        "device": device,
        "name": torch.cuda.get_device_name(index),
        "driver": driver,
        "cuda": torch.version.cuda,
    }


def fingerprint(threads: int, device: str = CPU) -> dict[str, Any]:
    """CPU, cores, ISA flags, OS, Python and library versions, thread settings, commit and date; and the
    accelerator when the run used one (it is then part of what makes timings comparable)."""
    import psutil

    from zoo.backends import cpu_info
    from zoo.results.provenance import code_digest

    cpu = cpu_info()
    flags = set(cpu.get("flags", "").split())
    environment: dict[str, Any] = {
        "cpu_model": cpu.get("model name") or platform.processor() or platform.machine(),
        "logical_cores": psutil.cpu_count(logical=True),
        "physical_cores": psutil.cpu_count(logical=False),
        "isa": sorted(flag for flag in ISA_FLAGS if flag in flags),
        "system": f"{platform.system()} {platform.release()}",
        "machine": platform.machine(),
        "python": platform.python_version(),
        "libraries": _library_versions(),
        "threads": threads,
        "thread_variables": {name: os.environ[name] for name in THREAD_VARIABLES if name in os.environ},
        "host": platform.node(),
        "git_commit": git_commit(),
        "code_digest": code_digest(),
        "date": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
    }
    if device != CPU:
        environment["accelerator"] = accelerator(device)
    environment["id"] = comparable_id(environment)
    return environment


def comparable_id(environment: dict[str, Any]) -> str:
    """A short hash of what makes timings comparable: equal ids, comparable results."""
    names = (
        (*_COMPARABLE, "accelerator") if "accelerator" in environment else _COMPARABLE
    )  # CPU ids as before
    key = json.dumps({name: environment.get(name) for name in names}, sort_keys=True)
    return hashlib.sha256(key.encode()).hexdigest()[:12]
