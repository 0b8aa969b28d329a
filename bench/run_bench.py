"""ConvScope's benchmark: ``make bench`` (or ``python -m bench.run_bench``).

Every probe runs in a fresh process, one after the other (never in parallel, so they do not
compete for the cores). Results go to bench/results/: bench.json (everything), bench.md (the
table for the README) and latency.png (latency against image size).
"""

from __future__ import annotations

import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.common import SIZES, test_image
from bench.report import markdown_table, plot_latency

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
STARTUP_RUNS = 3


def probe(module: str, *args: str, env: dict | None = None, t0: bool = False) -> dict:
    """Run ``python -m bench.MODULE ARGS`` and return the JSON it reports."""
    environment = {**os.environ, "QT_QPA_PLATFORM": "offscreen", **(env or {})}
    if t0:
        environment["BENCH_T0"] = repr(time.time())
    done = subprocess.run([sys.executable, "-m", f"bench.{module}", *args], cwd=ROOT,
                          env=environment, capture_output=True, text=True, timeout=600)
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
            "load_average": [round(v, 2) for v in os.getloadavg()]}


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


def main() -> int:
    started = time.perf_counter()
    RESULTS.mkdir(parents=True, exist_ok=True)
    report: dict = {"machine": machine(), "sizes": {}}
    with tempfile.TemporaryDirectory(prefix="convscope-bench-") as tmp:
        folder = Path(tmp)
        for size in SIZES:  # here, so making them never counts in a probe's memory
            test_image(size, folder)
        for size in SIZES:
            print(f"{size}x{size}: window ...", flush=True)
            window = probe("window_probe", str(size), str(folder))
            print(f"{size}x{size}: bare Keras and model.predict ...", flush=True)
            floor = probe("keras_floor", str(size), str(folder))
            window["app_over_bare"] = window["edit_ms_median"] / floor["bare_ms_median"]
            window["predict_over_app"] = floor["predict_ms_median"] / window["edit_ms_median"]
            report["sizes"][str(size)] = {"window": window, "keras": floor}
            print(f"  edit->displayed median {window['edit_ms_median']:.1f} ms, "
                  f"p95 {window['edit_ms_p95']:.1f} ms; bare {floor['bare_ms_median']:.1f} ms "
                  f"(app/bare {window['app_over_bare']:.2f}); predict "
                  f"{floor['predict_ms_median']:.1f} ms (predict/app "
                  f"{window['predict_over_app']:.1f})", flush=True)
        print("512x512 stack conv(8) -> relu -> maxpool -> conv(8) ...", flush=True)
        report["stack_512"] = stack = probe("stack_probe", str(folder))
        print(f"  edit of the first conv -> displayed: median "
              f"{stack['first_selected_ms_median']:.1f} ms, p95 "
              f"{stack['first_selected_ms_p95']:.1f} ms (last conv on screen: p95 "
              f"{stack['last_selected_ms_p95']:.1f} ms)", flush=True)
        print("4096x4096 with the engine on a thread, for comparison ...", flush=True)
        report["thread_4096"] = probe("window_probe", "4096", str(folder),
                                      env={"CONVSCOPE_ENGINE": "thread"})
        report["thread_4096"]["app_over_bare"] = (
            report["thread_4096"]["edit_ms_median"]
            / report["sizes"]["4096"]["keras"]["bare_ms_median"])
        image = test_image(512, folder)
        print("start-up (engine process) ...", flush=True)
        report["startup"] = startup(image, "process", STARTUP_RUNS)
        print("start-up (engine on a thread, for comparison) ...", flush=True)
        report["startup_thread"] = startup(image, "thread", 1)
    report["tf_import_s_median"] = report["startup"]["median"]["tf_import_s"]
    report["seconds"] = time.perf_counter() - started
    (RESULTS / "bench.json").write_text(json.dumps(report, indent=2))
    table = markdown_table(report)
    (RESULTS / "bench.md").write_text(table)
    plot_latency(report, RESULTS / "latency.png")
    print(table)
    print(f"bench: {report['seconds']:.0f} s; results in {RESULTS}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
