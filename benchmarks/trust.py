"""Does zoo measure what the backends' own tools measure? Interleaved rounds, ratio of medians.

    .venv/bin/python benchmarks/trust.py openvino      # zoo vs OpenVINO's benchmark_app
    .venv/bin/python benchmarks/trust.py onnxruntime   # zoo vs a bare InferenceSession.run loop

Both sides run the same artefact (zoo's cached IR or ONNX file), the same static shape, f32 and the
same thread budget, each in its own process, alternating so that drift in the machine hits both.
Each round pairs one zoo run with the reference run right after it; the verdict is on the median of
those paired ratios, which a virtual machine's drift from minute to minute does not move.
Target: within 3%.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

from zoo.measure.executors import run_in_subprocess, worker_environment
from zoo.measure.inputs import preprocessed_batch
from zoo.measure.latency import BenchConfig

_BARE_ORT_LOOP = """
import sys, time, numpy as np, onnxruntime as ort
path, inputs_path, threads, seconds = sys.argv[1], sys.argv[2], int(sys.argv[3]), float(sys.argv[4])
options = ort.SessionOptions()
options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
options.intra_op_num_threads, options.inter_op_num_threads = threads, 1
session = ort.InferenceSession(path, options, providers=["CPUExecutionProvider"])
feed = {session.get_inputs()[0].name: np.load(inputs_path)}
for _ in range(10):
    session.run(None, feed)
samples, end = [], time.perf_counter() + seconds
while time.perf_counter() < end:
    begin = time.perf_counter()
    session.run(None, feed)
    samples.append(time.perf_counter() - begin)
print(sorted(samples)[len(samples) // 2] * 1000)
"""


def zoo_round(model: str, backend: str, threads: int, seconds: float) -> tuple[float, Path]:
    config = BenchConfig(
        model=model, backend=backend, threads=threads, min_time_s=seconds, max_time_s=seconds
    )
    result = run_in_subprocess(config, timeout_s=600)
    if result.stats is None:
        sys.exit(f"zoo could not measure {model} on {backend}: {result.reason}")
    return result.stats.median_ms, Path(result.backend_info["artefact"])


def benchmark_app_round(artefact: Path, shape: tuple[int, ...], threads: int, seconds: float) -> float:
    # benchmark_app refuses -nthreads beside -hint; the thread budget goes in through -load_config.
    config = artefact.parent / f"benchmark_app-{threads}-threads.json"
    config.write_text(json.dumps({"CPU": {"INFERENCE_NUM_THREADS": str(threads)}}))
    command = [
        str(Path(sys.executable).with_name("benchmark_app")),
        "-m", str(artefact / "model.xml"), "-d", "CPU", "-hint", "latency", "-infer_precision", "f32",
        "-load_config", str(config), "-shape", str(list(shape)).replace(" ", ""), "-t", str(int(seconds)),
    ]  # fmt: skip
    output = subprocess.run(
        command, capture_output=True, text=True, check=True, env=worker_environment(threads)
    )
    match = re.search(r"Median:\s+([\d.]+)\s*ms", output.stdout)
    if not match:
        sys.exit(f"benchmark_app printed no median:\n{output.stdout[-2000:]}")
    return float(match.group(1))


def bare_onnxruntime_round(artefact: Path, inputs: Path, threads: int, seconds: float) -> float:
    command = [sys.executable, "-c", _BARE_ORT_LOOP, str(artefact / "model.onnx"), str(inputs), str(threads)]
    output = subprocess.run(
        [*command, str(seconds)], capture_output=True, text=True, check=True, env=worker_environment(threads)
    )
    return float(output.stdout.strip().splitlines()[-1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("backend", choices=["openvino", "onnxruntime"])
    parser.add_argument("--model", default="tf_efficientnet_lite0")
    parser.add_argument("--threads", type=int, default=os.cpu_count())
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--seconds", type=float, default=2.0, help="timed seconds per side per round")
    args = parser.parse_args()

    batch = preprocessed_batch(args.model, 1)
    ours, theirs = [], []
    with tempfile.TemporaryDirectory() as folder:
        inputs = Path(folder, "inputs.npy")
        np.save(inputs, batch)
        for round_number in range(1, args.rounds + 1):
            median, artefact = zoo_round(args.model, args.backend, args.threads, args.seconds)
            ours.append(median)
            if args.backend == "openvino":
                theirs.append(benchmark_app_round(artefact, batch.shape, args.threads, args.seconds))
            else:
                theirs.append(bare_onnxruntime_round(artefact, inputs, args.threads, args.seconds))
            print(f"round {round_number}: zoo {ours[-1]:.3f} ms, reference {theirs[-1]:.3f} ms", flush=True)
    reference = "benchmark_app -hint latency" if args.backend == "openvino" else "bare InferenceSession.run"
    paired = statistics.median(a / b for a, b in zip(ours, theirs, strict=True))
    print(
        f"{args.model} {args.backend} fp32 batch 1, {args.threads} threads, {args.rounds} rounds: zoo median "
        f"{statistics.median(ours):.3f} ms, {reference} {statistics.median(theirs):.3f} ms; "
        f"median paired ratio {paired:.3f} ({'within' if abs(paired - 1) <= 0.03 else 'OUTSIDE'} 3%)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
