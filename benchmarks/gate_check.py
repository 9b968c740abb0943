"""Does the regression gate meet issue 23's criteria on this machine? Real lite0 runs, the real commands.

    .venv/bin/python benchmarks/gate_check.py            # about 25 minutes on 2 cores
    .venv/bin/python benchmarks/gate_check.py --trials 10 --keep gate-check/

Every run is `zoo bench tf_efficientnet_lite0` (fp32, batch 1, one thread, a short timing), each
configuration in its own process, stored in a fresh store, and every verdict is `zoo results gate`'s
exit code. Each side of a gate holds `--runs-per-side` runs, interleaved in time with the other
side's (baseline, candidate, baseline, ...), as the gate asks on a machine that drifts:

1. calibration: `--repeat N` runs of ONNX Runtime and of the test-only `slow` backend at 0% (see
   tests/plugin_backends.py: ONNX Runtime that spins a set fraction of each call's own time), then
   `zoo results noise` over them;
2. identical pairs: ONNX Runtime runs back to back, alternately given to each side, gated: passes
   (exit 0);
3. injected slowdown: per trial, `slow` at 0% and at 10% alternately, gated: detections (exit 1);
4. contention: an ONNX Runtime baseline, then a candidate measured while one process per core spins:
   "never passed as fine" means exit 1 (regression) or 3 (cannot judge).

It prints each trial's verdict and the counts as a table. Say what else ran on the machine when you
quote them: a machine busy with other work makes runs contended, and the gate then cannot judge.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))

import plugin_backends  # noqa: E402  (the test-only backends live beside the tests)

MODEL = "tf_efficientnet_lite0"
SLOWDOWN = 0.10
VERDICTS = {0: "pass", 1: "regression", 3: "cannot judge"}


class Check:
    """`zoo` commands against one store, with the test-only backends installed for every process."""

    def __init__(self, folder: Path, timing: Sequence[str]) -> None:
        plugins = folder / "plugins"
        plugins.mkdir()
        plugin_backends.distribution(plugins, "zoo-plugin-backends", plugin_backends.ENTRY_POINTS)
        self.environment = {
            **os.environ,
            "PYTHONPATH": os.pathsep.join([str(REPO), plugin_backends.search_path(plugins)]),
        }
        self.db = folder / "gate.db"
        self.timing = list(timing)

    def zoo(self, *args: str, slowdown: float = 0.0) -> subprocess.CompletedProcess[str]:
        environment = {**self.environment, plugin_backends.SlowBackend.SLOWDOWN: str(slowdown)}
        command = [sys.executable, "-m", "zoo", *args, "--db", str(self.db)]
        return subprocess.run(command, env=environment, capture_output=True, text=True, check=False)

    def bench(self, backends: Sequence[str], repeat: int = 1, slowdown: float = 0.0) -> list[int]:
        """The run ids of `repeat` runs of lite0 on `backends`."""
        chosen = [argument for backend in backends for argument in ("--backend", backend)]
        done = self.zoo(
            "bench", MODEL, *chosen, *self.timing, "--repeat", str(repeat), "--json", slowdown=slowdown
        )
        if done.returncode not in (0, 1) or not done.stdout.strip():
            raise SystemExit(
                f"gate_check: zoo bench failed (exit {done.returncode}): {done.stderr.strip()[-2000:]}"
            )
        report = json.loads(done.stdout)
        runs = report.get("runs", [report])
        for run in runs:
            for row in run["results"]:
                if row["status"] != "ok" or row["contended"] or not row["converged"]:
                    print(f"  run {run['run']} {row['backend']}: {_state(row)}")
        return [run["run"] for run in runs]

    def gate(self, baseline: Sequence[int], candidate: Sequence[int]) -> tuple[int, list[dict[str, Any]]]:
        sides = [",".join(map(str, runs)) for runs in (baseline, candidate)]
        done = self.zoo("results", "gate", *sides, "--json")
        if done.returncode not in VERDICTS:
            raise SystemExit(
                f"gate_check: zoo results gate failed (exit {done.returncode}): {done.stderr.strip()}"
            )
        return done.returncode, json.loads(done.stdout)["rows"]


def _state(row: dict[str, Any]) -> str:
    if row["status"] != "ok":
        return f"FAILED: {row['reason']}"
    return "contended" if row["contended"] else "not converged"


def _describe(code: int, rows: list[dict[str, Any]]) -> str:
    parts = []
    for row in rows:
        change = "-" if row["ratio"] is None else f"{row['ratio'] - 1:+.1%}"
        limit = "-" if row["threshold"] is None else f"±{row['threshold']:.1%}"
        medians = f"median {_ms(row['baseline_ms'])} -> {_ms(row['candidate_ms'])} ms"
        parts.append(f"{medians}, change {change} (threshold {limit}): {row['outcome']}, {row['reason']}")
    return f"exit {code} ({VERDICTS[code]}); " + "; ".join(parts)


def _ms(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}"


@contextlib.contextmanager
def busy_cores() -> Iterator[None]:
    """One spinning process per core for as long as the block runs; each stopped by its own handle."""
    spinners = [
        subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(os.cpu_count() or 1)
    ]
    try:
        yield
    finally:
        for spinner in spinners:
            spinner.kill()
            spinner.wait()


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--calibration-runs", type=int, default=10, help="repeated runs the noise comes from")
    parser.add_argument("--trials", type=int, default=5, help="identical pairs, and slowdown trials")
    parser.add_argument("--runs-per-side", type=int, default=5, help="runs on each side of a gate")
    parser.add_argument("--min-time", default="1.0", help="zoo bench --min-time (seconds)")
    parser.add_argument("--max-time", default="4.0", help="zoo bench --max-time (seconds)")
    parser.add_argument("--target-ci", default="0.05", help="zoo bench --target-ci")
    parser.add_argument(
        "--keep", type=Path, help="keep the store and plug-in here (default: a temporary folder)"
    )
    args = parser.parse_args(argv)
    timing = ["--precision", "fp32", "--batch", "1", "--threads", "1", "--min-time", args.min_time]
    timing += ["--max-time", args.max_time, "--min-iterations", "20", "--target-ci", args.target_ci]
    with tempfile.TemporaryDirectory(prefix="zoo-gate-check-") as scratch:
        folder = args.keep or Path(scratch)
        folder.mkdir(parents=True, exist_ok=True)
        check = Check(folder, timing)
        return run_checks(check, args.calibration_runs, args.trials, args.runs_per_side)


def run_checks(check: Check, calibration_runs: int, trials: int, side: int) -> int:
    print(f"calibration: {calibration_runs} runs of {MODEL} on onnxruntime and slow (0%)")
    runs = check.bench(["onnxruntime", "slow"], repeat=calibration_runs)
    noise = check.zoo("results", "noise", *map(str, runs))
    print("  " + (noise.stdout.strip() or noise.stderr.strip()).replace("\n", "\n  "))
    table: list[tuple[str, list[int], str, set[int], int]] = []

    print(f"identical back-to-back pairs on onnxruntime, {side} interleaved runs a side: {trials}")
    codes = []
    for trial in range(trials):
        runs = check.bench(["onnxruntime"], repeat=2 * side)
        baseline, candidate = runs[0::2], runs[1::2]
        code, rows = check.gate(baseline, candidate)
        codes.append(code)
        print(f"  pair {trial + 1}: runs {baseline} -> {candidate}: {_describe(code, rows)}")
    table.append(("identical back-to-back pairs", codes, "pass (exit 0)", {0}, trials))

    print(f"a {SLOWDOWN:.0%} slowdown injected (slow backend), {side} interleaved runs a side: {trials}")
    codes = []
    for trial in range(trials):
        baseline, candidate = [], []
        for _ in range(side):
            baseline += check.bench(["slow"])
            candidate += check.bench(["slow"], slowdown=SLOWDOWN)
        code, rows = check.gate(baseline, candidate)
        codes.append(code)
        print(f"  trial {trial + 1}: runs {baseline} -> {candidate}: {_describe(code, rows)}")
    table.append((f"{SLOWDOWN:.0%} slowdown injected", codes, "caught (exit 1)", {1}, trials))

    print(f"a candidate measured while {os.cpu_count()} processes spin on the cores")
    baseline = check.bench(["onnxruntime"], repeat=side)
    with busy_cores():
        candidate = check.bench(["onnxruntime"], repeat=side)
    code, rows = check.gate(baseline, candidate)
    print(f"  runs {baseline} -> {candidate}: {_describe(code, rows)}")
    table.append(("candidate on busy cores", [code], "never passed (exit 1 or 3)", {1, 3}, 1))

    print()
    print("| check | trials | exit 0 | exit 1 | exit 3 | counted | target | met |")
    print("|---|---:|---:|---:|---:|---|---|---|")
    met_all = True
    for name, codes, counted, wanted, target in table:
        count = sum(code in wanted for code in codes)
        met_all &= count >= target
        exits = " | ".join(str(codes.count(code)) for code in (0, 1, 3))
        verdict = "yes" if count >= target else "NO"
        print(
            f"| {name} | {len(codes)} | {exits} | {count} {counted} | {target} of {len(codes)} | {verdict} |"
        )
    return 0 if met_all else 1


if __name__ == "__main__":
    sys.exit(main())
