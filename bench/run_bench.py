"""ConvScope's benchmark: ``make bench`` (or ``python -m bench.run_bench``).

Every probe runs in a fresh process, one after the other (never in parallel, so they do not
compete for the cores): for each case (bench/common.py) the same Conv2D alone (the floor),
the real window, then the floor again; the floor counts the calls of both floor probes.
Results go to bench/results/: bench.json (everything; the run before is kept as
bench-previous.json, so the tables show two runs), bench.md (the tables for the README) and
latency.png.

    python -m bench.run_bench [--only TEXT ...] [--no-startup] [--nice N]

``--only`` measures the cases whose name contains one of the texts (e.g. ``"s11 F1"``) and
writes to bench/results/partial.json instead. ``--nice N`` runs every probe (window, engine,
floor alike) at that scheduling priority, so that other jobs on a shared machine disturb the
figures less (a negative N needs root); it is recorded with the results.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from bench.common import CASES, Case, load_average, test_image
from bench.report import markdown_tables, plot_latency

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
STARTUP_RUNS = 3
THREAD_CASE = Case(4096, 4096, (1, 1))
NICE = 0  # --nice


def probe(module: str, *args: str, env: dict | None = None, t0: bool = False) -> dict:
    """Run ``python -m bench.MODULE ARGS`` and return the JSON it reports."""
    environment = {**os.environ, "QT_QPA_PLATFORM": "offscreen", **(env or {})}
    if t0:
        environment["BENCH_T0"] = repr(time.time())
    done = subprocess.run([sys.executable, "-m", f"bench.{module}", *args], cwd=ROOT,
                          env=environment, capture_output=True, text=True, timeout=600,
                          preexec_fn=(lambda: os.nice(NICE)) if NICE else None)
    for line in done.stdout.splitlines():
        if line.startswith("BENCH-RESULT "):
            return json.loads(line.removeprefix("BENCH-RESULT "))
    raise RuntimeError(f"bench.{module} {args} failed:\n{done.stdout}\n{done.stderr[-3000:]}")


def machine() -> dict:
    import psutil

    return {"cpus": os.cpu_count(), "cpu": platform.processor() or platform.machine(),
            "memory_gb": round(psutil.virtual_memory().total / 2**30, 1),
            "system": f"{platform.system()} {platform.release()}",
            "python": platform.python_version(), "gpu": "none (tensorflow-cpu)",
            "load_average": load_average()}


def tf_import() -> dict:
    """TensorFlow + Keras's own import time in a fresh process (ConvScope's way: through
    engine.backend.keras_model, which only adds its environment settings)."""
    code = ("import time, json; t = time.perf_counter(); import engine.backend.keras_model; "
            "print('BENCH-RESULT ' + json.dumps({'tf_import_s': time.perf_counter() - t}))")
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                          text=True, timeout=600)
    return json.loads(done.stdout.split("BENCH-RESULT ", 1)[1])


def startup(image: Path, mode: str, runs: int) -> dict:
    """Start-up runs, each followed by a TensorFlow import alone (same disk cache, same
    load), so the two can be compared."""
    results = []
    for _ in range(runs):
        result = probe("startup_probe", str(image), env={"CONVSCOPE_ENGINE": mode}, t0=True)
        result.update(tf_import())
        result["first_output_minus_tf_import"] = result["first_output"] - result["tf_import_s"]
        results.append(result)
    keys = [k for k, v in results[0].items() if isinstance(v, (int, float))]
    summary = {k: statistics.median(r[k] for r in results if r.get(k) is not None)
               for k in keys}
    summary["longest_stall_ms_max"] = max(r["longest_stall_ms"] for r in results)
    summary["longest_stall_while_loading_ms_max"] = max(
        r["longest_stall_while_loading_ms"] or 0 for r in results)
    return {"median": summary, "runs": results}


def measure_case(case: Case, folder: Path, env: dict | None = None) -> dict:
    before = probe("keras_floor", *case.args(), str(folder))
    window = probe("window_probe", *case.args(), str(folder), env=env)
    floor = both_floors(before, probe("keras_floor", *case.args(), str(folder)))
    window["over_floor_median"] = window["edit_ms_median"] / floor["floor_ms_median"]
    window["over_floor_p95"] = window["edit_ms_p95"] / floor["floor_ms_median"]
    window["p95_over_median"] = window["edit_ms_p95"] / window["edit_ms_median"]
    if "spaced_ms_median" in floor:
        window["over_spaced_median"] = window["edit_ms_median"] / floor["spaced_ms_median"]
    if "predict_ms_median" in floor:
        window["predict_over_app"] = floor["predict_ms_median"] / window["edit_ms_median"]
    print(f"  {case.key}: median {window['edit_ms_median']:.1f} ms, p95 "
          f"{window['edit_ms_p95']:.1f} ms; floor {floor['floor_ms_median']:.1f} ms "
          f"({floor['floor']}; {floor['floor_ms_before']:.1f} before, "
          f"{floor['floor_ms_after']:.1f} after); {window['over_floor_median']:.2f}x / "
          f"{window['over_floor_p95']:.2f}x; load {window['load_average']}", flush=True)
    return {"window": window, "keras": floor}


def both_floors(before: dict, after: dict) -> dict:
    """One floor from the probes just before and just after the window's: the machine's
    speed drifts by tens of percent within minutes, so a floor from one side only leans
    whichever way it drifted. Every call of both counts; the faster way is the floor."""
    floor = dict(before)
    eager = before["eager_ms_all"] + after["eager_ms_all"]
    traced = before["traced_ms_all"] + after["traced_ms_all"]
    fast = statistics.median(traced) <= statistics.median(eager)
    chosen = traced if fast else eager
    spaced = before.get("spaced_ms_all", []) + after.get("spaced_ms_all", [])
    if spaced:
        floor.update({"spaced_ms_all": spaced, "spaced_ms_median": statistics.median(spaced)})
    floor.update({
        "eager_ms_median": statistics.median(eager), "traced_ms_median": statistics.median(traced),
        "floor": "traced" if fast else "eager", "floor_ms_median": statistics.median(chosen),
        "floor_ms_p95": float(np.percentile(chosen, 95)), "eager_ms_all": eager,
        "traced_ms_all": traced, "floor_ms_before": before["floor_ms_median"],
        "floor_ms_after": after["floor_ms_median"], "tf_import_s_after": after["tf_import_s"],
        "load_average_after": after["load_average"]})
    return floor


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="bench.run_bench")
    parser.add_argument("--only", nargs="*", default=None)
    parser.add_argument("--no-startup", action="store_true")
    parser.add_argument("--nice", type=int, default=0)
    args = parser.parse_args(argv)
    global NICE
    NICE = args.nice
    cases = [c for c in CASES if args.only is None or any(t in c.key for t in args.only)]
    started = time.perf_counter()
    RESULTS.mkdir(parents=True, exist_ok=True)
    report: dict = {"machine": {**machine(), "nice": NICE}, "cases": {}}
    with tempfile.TemporaryDirectory(prefix="convscope-bench-") as tmp:
        folder = Path(tmp)
        for case in cases:  # here, so making them never counts in a probe's memory
            test_image(case.height, case.width, folder)
        for case in cases:
            print(f"{case.key} ...", flush=True)
            report["cases"][case.key] = measure_case(case, folder)
        if args.only is None:
            print(f"{THREAD_CASE.key} with the engine on a thread, for comparison ...",
                  flush=True)
            report["thread"] = measure_case(THREAD_CASE, folder,
                                            env={"CONVSCOPE_ENGINE": "thread"})
            print("512x512 stack conv(8) -> relu -> maxpool -> conv(8) ...", flush=True)
            report["stack_512"] = stack = probe("stack_probe", str(folder))
            print(f"  edit of the first conv -> displayed: median "
                  f"{stack['first_selected_ms_median']:.1f} ms, p95 "
                  f"{stack['first_selected_ms_p95']:.1f} ms (last conv on screen: p95 "
                  f"{stack['last_selected_ms_p95']:.1f} ms)", flush=True)
        if not args.no_startup:
            image = test_image(512, 512, folder)
            print("start-up (engine process) ...", flush=True)
            report["startup"] = startup(image, "process", STARTUP_RUNS)
            print("start-up (engine on a thread, for comparison) ...", flush=True)
            report["startup_thread"] = startup(image, "thread", 1)
            report["tf_import_s_median"] = report["startup"]["median"]["tf_import_s"]
    report["machine"]["load_average_at_end"] = load_average()
    report["seconds"] = time.perf_counter() - started
    if args.only is not None:
        (RESULTS / "partial.json").write_text(json.dumps(report, indent=2))
        return 0
    if (RESULTS / "bench.json").exists():
        shutil.copy(RESULTS / "bench.json", RESULTS / "bench-previous.json")
    (RESULTS / "bench.json").write_text(json.dumps(report, indent=2))
    previous = RESULTS / "bench-previous.json"
    earlier = json.loads(previous.read_text()) if previous.exists() else None
    if earlier is not None and "cases" not in earlier:
        earlier = None  # a run from before the benchmark had cases
    tables = markdown_tables(report, earlier)
    (RESULTS / "bench.md").write_text(tables)
    plot_latency(report, RESULTS / "latency.png")
    print(tables)
    print(f"bench: {report['seconds']:.0f} s; results in {RESULTS}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
