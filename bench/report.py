"""Turning bench.json (and the run before it) into the README's tables and a latency plot."""

from __future__ import annotations

import math
from pathlib import Path

from PIL import Image, ImageDraw

from bench.common import EDIT_SPACING_MS, STEPS

#: What each case must reach (the issues' goals); every case also: p95 <= 1.5x the median.
TARGETS = {
    "4096x4096 s11 F1": "median <= 1.5x floor, p95 <= 2x floor",
    "512x512 s11 F1": "p95 <= 5 ms",
    "512x512 s21 F1": "p95 <= 8 ms",
    "512x512 s21 F8": "p95 <= 16 ms",
    "512x512 s11 F8": "p95 <= 16 ms",
}


def _ms(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.1f} ms"


def _row(cells: list[str]) -> str:
    return "| " + " | ".join(cells) + " |"


def _shape(window: dict) -> str:
    return "(" + ", ".join(str(v) for v in window["output_shape"]) + ")"


def _floor_cell(keras: dict) -> str:
    """The floor, its kind, and (from runs that measured it on both sides of the window's
    probe) the floor just before and just after."""
    cell = f"{keras['floor_ms_median']:.1f} ms ({keras['floor']}"
    if "floor_ms_before" in keras:
        cell += f"; {keras['floor_ms_before']:.1f} before, {keras['floor_ms_after']:.1f} after"
    return cell + ")"


def headline(report: dict, earlier: dict | None) -> list[str]:
    runs = [r for r in (earlier, report) if r is not None]
    head = ["case (image, strides, filters)", "output"]
    for n in range(len(runs)):
        head += [f"run {n + 1}: median / p95", f"run {n + 1}: floor", f"run {n + 1}: x floor "
                 "(median / p95)", f"run {n + 1}: p95 / median", f"run {n + 1}: load"]
    head.append("target")
    lines = [_row(head), "|" + " --- |" * len(head)]
    for key, now in report["cases"].items():
        cells = [key, _shape(now["window"])]
        for run in runs:
            case = run["cases"].get(key)
            if case is None:
                cells += ["-"] * 5
                continue
            w, k = case["window"], case["keras"]
            cells += [f"{w['edit_ms_median']:.1f} / {w['edit_ms_p95']:.1f} ms",
                      _floor_cell(k),
                      f"{w['over_floor_median']:.2f}x / {w['over_floor_p95']:.2f}x",
                      f"{w['p95_over_median']:.2f}", f"{w['load_average'][0]:.2f}"]
        cells.append(TARGETS.get(key, "p95 <= 1.5x median"))
        lines.append(_row(cells))
    return lines


def steps_table(report: dict) -> list[str]:
    head = ["case"] + [label for label in STEPS.values()]
    lines = [_row(head), "|" + " --- |" * len(head)]
    for key, case in report["cases"].items():
        steps = case["window"]["steps_ms_median"]
        lines.append(_row([key] + [_ms(steps.get(name)) for name in STEPS]))
    return lines


def more_table(report: dict) -> list[str]:
    head = ["case", "burst of 50 edits 20 ms apart: computations", "computations after the "
            "last edit (<= 2)", "burst: last edit -> displayed", "`model.predict` per edit",
            "predict / app",
            f"floor's way, calls {EDIT_SPACING_MS} ms apart (as the edits come): median",
            "app / that (median)", "peak RSS window / engine"]
    lines = [_row(head), "|" + " --- |" * len(head)]
    for key, case in report["cases"].items():
        w, k = case["window"], case["keras"]
        burst = w["burst"]
        engine = f"{w['engine_peak_rss_mb']:.0f} MB" if w["engine_peak_rss_mb"] else "-"
        lines.append(_row([
            key, str(burst["computations"]), str(burst["computations_after_last_edit"]),
            _ms(burst["last_edit_latency_ms"]), _ms(k.get("predict_ms_median")),
            f"{w['predict_over_app']:.1f}x" if "predict_over_app" in w else "-",
            _ms(k.get("spaced_ms_median")),
            f"{w['over_spaced_median']:.2f}x" if "over_spaced_median" in w else "-",
            f"{w['window_peak_rss_mb']:.0f} MB / {engine}"]))
    return lines


def startup_table(report: dict) -> list[str]:
    if "startup" not in report:
        return []
    start = report["startup"]["median"]
    thread = report["startup_thread"]["median"]
    tf_import = report["tf_import_s_median"]
    return [
        "| start-up (512x512 sample, median of runs) | engine process | engine thread | "
        "target |", "| --- | --- | --- | --- |",
        f"| window shown with the image | {start['window_shown']:.2f} s | "
        f"{thread['window_shown']:.2f} s | <= 1.0 s |",
        f"| first output | {start['first_output']:.2f} s | {thread['first_output']:.2f} s | "
        f"<= TF import + 0.5 s |",
        f"| TensorFlow + Keras import alone (fresh process, after each run) | "
        f"{tf_import:.2f} s | {thread['tf_import_s']:.2f} s | |",
        f"| first output - TF import (median of runs) | "
        f"{start['first_output_minus_tf_import']:.2f} s | "
        f"{thread['first_output_minus_tf_import']:.2f} s | <= 0.5 s |",
        f"| TF + Keras import inside the engine process during start-up | "
        f"{start.get('engine_import_s', float('nan')):.2f} s | - | |",
        f"| longest UI stall while TensorFlow loads (window shown -> engine ready) | "
        f"{start['longest_stall_while_loading_ms']:.0f} ms (worst run "
        f"{start['longest_stall_while_loading_ms_max']:.0f} ms) | "
        f"{thread['longest_stall_while_loading_ms']:.0f} ms | <= 100 ms |",
        f"| longest UI stall from the event loop's start to the first output | "
        f"{start['longest_stall_ms']:.0f} ms (worst run {start['longest_stall_ms_max']:.0f} ms)"
        f" | {thread['longest_stall_ms']:.0f} ms | |",
    ]


def thread_table(report: dict) -> list[str]:
    if "thread" not in report:
        return []
    w, k = report["thread"]["window"], report["thread"]["keras"]
    return [f"| {w['case']}, engine on a thread (`CONVSCOPE_ENGINE=thread`) | value |",
            "| --- | --- |",
            f"| edit -> displayed, median / p95 | {_ms(w['edit_ms_median'])} / "
            f"{_ms(w['edit_ms_p95'])} |",
            f"| x floor ({k['floor_ms_median']:.1f} ms), median / p95 | "
            f"{w['over_floor_median']:.2f}x / {w['over_floor_p95']:.2f}x |",
            f"| peak RSS (one process) | {w['window_peak_rss_mb']:.0f} MB |"]


def stack_table(report: dict) -> list[str]:
    if "stack_512" not in report:
        return []
    s = report["stack_512"]
    return ["| 512x512 stack " + " -> ".join(s["stack"]) + " | median | p95 |",
            "| --- | --- | --- |",
            f"| edit of the first conv -> displayed, first conv on screen | "
            f"{_ms(s['first_selected_ms_median'])} | {_ms(s['first_selected_ms_p95'])} |",
            f"| the same edit, last conv on screen | {_ms(s['last_selected_ms_median'])} | "
            f"{_ms(s['last_selected_ms_p95'])} |",
            f"| x the four Keras layers called bare | {s['app_over_bare']:.2f}x | |"]


def footer(report: dict, earlier: dict | None) -> str:
    m = report["machine"]
    runs = [r for r in (earlier, report) if r is not None]
    loads = "; ".join(f"run {n + 1}: {r['machine']['load_average']} at start, "
                      f"{r['machine'].get('load_average_at_end', '?')} at the end, "
                      f"{r.get('seconds', 0):.0f} s, probes at nice "
                      f"{r['machine'].get('nice', 0)}" for n, r in enumerate(runs))
    return (f"Machine: {m['cpus']} cores ({m['cpu']}), {m['memory_gb']} GB, {m['system']}, "
            f"Python {m['python']}, no GPU. Load averages (1, 5, 15 min): {loads}.")


def markdown_tables(report: dict, earlier: dict | None = None) -> str:
    parts = [headline(report, earlier), steps_table(report), more_table(report),
             startup_table(report), thread_table(report), stack_table(report)]
    body = "\n\n".join("\n".join(part) for part in parts if part)
    return body + "\n\n" + footer(report, earlier) + "\n"


def plot_latency(report: dict, path: Path) -> None:
    """Edit -> displayed (log scale) against output size, strides 1 and the lesson's strides,
    with each case's floor."""
    width, height, margin = 760, 480, 70
    image = Image.new("RGB", (width, height), "white")
    draw = ImageDraw.Draw(image)
    keys = [k for k in report["cases"] if k.endswith("F1")]
    series: dict[str, tuple[str, list[tuple[float, float]]]] = {}
    for strides, color, floor_color in (("s11", "#1f77b4", "#2ca02c"),
                                        ("s21", "#9467bd", "#bcbd22")):
        cases = [report["cases"][k] for k in keys if f" {strides} " in k]
        points = [(math.prod(c["window"]["output_shape"]), c) for c in cases]
        points.sort(key=lambda p: p[0])
        series[f"app median ({strides})"] = (color, [(n, c["window"]["edit_ms_median"])
                                                     for n, c in points])
        series[f"app p95 ({strides})"] = (color, [(n, c["window"]["edit_ms_p95"])
                                                  for n, c in points])
        series[f"Keras floor ({strides})"] = (floor_color, [(n, c["keras"]["floor_ms_median"])
                                                            for n, c in points])
    values = [v for _, pts in series.values() for _, v in pts]
    sizes = [n for _, pts in series.values() for n, _ in pts]
    if not values:
        image.save(path)
        return
    lo_ms, hi_ms = 10 ** math.floor(math.log10(min(values))), 10 ** math.ceil(
        math.log10(max(values)))
    lo_n, hi_n = min(sizes) / 1.5, max(sizes) * 1.5

    def xy(n: float, ms: float) -> tuple[float, float]:
        fx = (math.log10(n) - math.log10(lo_n)) / (math.log10(hi_n) - math.log10(lo_n))
        fy = (math.log10(ms) - math.log10(lo_ms)) / (math.log10(hi_ms) - math.log10(lo_ms))
        return margin + fx * (width - 2 * margin), height - margin - fy * (height - 2 * margin)

    decade = lo_ms
    while decade <= hi_ms:
        _, y = xy(lo_n, decade)
        draw.line([(margin, y), (width - margin, y)], fill="#dddddd")
        draw.text((8, y - 6), f"{decade:g} ms", fill="black")
        decade *= 10
    for n, (label, (color, pts)) in enumerate(series.items()):
        if not pts:
            continue
        points = [xy(*p) for p in pts]
        draw.line(points, fill=color, width=1 if "p95" in label else 3)
        for x, y in points:
            draw.ellipse([x - 3, y - 3, x + 3, y + 3], fill=color)
        draw.rectangle([margin + 10, 14 + 15 * n, margin + 24, 23 + 15 * n], fill=color)
        draw.text((margin + 30, 13 + 15 * n), label, fill="black")
    draw.text((width // 2 - 170, height - 28), "output values (log scale), edit -> displayed "
              "(log scale)", fill="black")
    image.save(path)
