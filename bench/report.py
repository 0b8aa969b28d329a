"""Turning bench.json into the README's table and a latency plot (Pillow only)."""

from __future__ import annotations

import math
from pathlib import Path

from PIL import Image, ImageDraw

from bench.common import STEPS


def _row(name: str, cells: list[str], target: str) -> str:
    return f"| {name} | " + " | ".join(cells) + f" | {target} |"


def _ms(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.1f} ms"


def markdown_table(report: dict) -> str:
    sizes = report["sizes"]
    keys = list(sizes)
    w = [sizes[k]["window"] for k in keys]
    k = [sizes[k]["keras"] for k in keys]
    head = "| measure | " + " | ".join(f"{s}x{s}" for s in keys) + " | target |"
    rule = "|" + " --- |" * (len(keys) + 2)
    rows = [
        head, rule,
        _row("output shape", [str(tuple(x["output_shape"])) for x in w], ""),
        _row("edit -> displayed, median", [_ms(x["edit_ms_median"]) for x in w], ""),
        _row("edit -> displayed, p95", [_ms(x["edit_ms_p95"]) for x in w],
             "512: <= 8 ms"),
        *[_row(f"step, median: {label}", [_ms(x["steps_ms_median"][name]) for x in w], "")
          for name, label in STEPS.items()],
        _row("bare `Conv2D.__call__`, median", [_ms(x["bare_ms_median"]) for x in k], ""),
        _row("app / bare `Conv2D.__call__`", [f"{x['app_over_bare']:.2f}x" for x in w],
             "4096: <= 1.5x"),
        _row("the engine's own layer call in those edits (traced `tf.function`), median",
             [_ms(x["layer_call_ms_median"]) for x in w], ""),
        _row("app / the engine's own layer call, same edits",
             [f"{x['app_over_layer_call']:.2f}x" for x in w], ""),
        _row("`model.predict` per edit, median", [_ms(x["predict_ms_median"]) for x in k],
             ""),
        _row("predict / app", [f"{x['predict_over_app']:.1f}x" for x in w], "512: >= 5x"),
        _row("burst of 50 edits, 20 ms apart: computations run",
             [str(x["burst"]["computations"]) for x in w], "coalesced"),
        _row("burst: computations between the last edit and its display",
             [str(x["burst"]["computations_after_last_edit"]) for x in w],
             "<= 2 (one behind)"),
        _row("burst: last edit -> displayed", [_ms(x["burst"]["last_edit_latency_ms"])
                                               for x in w], ""),
        _row("peak RSS, window process", [f"{x['window_peak_rss_mb']:.0f} MB" for x in w], ""),
        _row("peak RSS, engine process", [f"{x['engine_peak_rss_mb']:.0f} MB"
                                          if x["engine_peak_rss_mb"] else "n/a" for x in w],
             "4096: < 900 MB"),
    ]
    start = report["startup"]["median"]
    thread = report["startup_thread"]["median"]
    tf_import = report["tf_import_s_median"]
    lines = [
        "", "| start-up (512x512 sample, median of runs) | engine process | engine thread | "
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
    if "thread_4096" in report:
        t = report["thread_4096"]
        lines += ["", "| 4096x4096, engine on a thread (`CONVSCOPE_ENGINE=thread`) | value |",
                  "| --- | --- |",
                  f"| edit -> displayed, median / p95 | {_ms(t['edit_ms_median'])} / "
                  f"{_ms(t['edit_ms_p95'])} |",
                  f"| app / bare `Conv2D.__call__` | {t['app_over_bare']:.2f}x |",
                  f"| peak RSS (one process) | {t['window_peak_rss_mb']:.0f} MB |"]
    m = report["machine"]
    footer = (f"\nMachine: {m['cpus']} cores ({m['cpu']}), {m['memory_gb']} GB, {m['system']}, "
              f"Python {m['python']}, no GPU; load average at start {m['load_average']}. "
              f"Whole run {report.get('seconds', 0):.0f} s.\n")
    return "\n".join(rows + lines) + "\n" + footer


def plot_latency(report: dict, path: Path) -> None:
    """Latency (log scale) against image side, one line per way of computing."""
    width, height, margin = 720, 460, 70
    image = Image.new("RGB", (width, height), "white")
    draw = ImageDraw.Draw(image)
    sizes = [int(s) for s in report["sizes"]]
    series = {
        "app edit->displayed (median)": ("#1f77b4", [report["sizes"][str(s)]["window"]
                                                     ["edit_ms_median"] for s in sizes]),
        "app edit->displayed (p95)": ("#9ecae1", [report["sizes"][str(s)]["window"]
                                                  ["edit_ms_p95"] for s in sizes]),
        "bare Conv2D call": ("#2ca02c", [report["sizes"][str(s)]["keras"]["bare_ms_median"]
                                         for s in sizes]),
        "model.predict per edit": ("#d62728", [report["sizes"][str(s)]["keras"]
                                               ["predict_ms_median"] for s in sizes]),
    }
    values = [v for _, vs in series.values() for v in vs]
    lo = 10 ** math.floor(math.log10(min(values)))
    hi = 10 ** math.ceil(math.log10(max(values)))

    def xy(i: int, ms: float) -> tuple[float, float]:
        x = margin + i * (width - 2 * margin) / max(len(sizes) - 1, 1)
        frac = (math.log10(ms) - math.log10(lo)) / (math.log10(hi) - math.log10(lo))
        return x, height - margin - frac * (height - 2 * margin)

    decade = lo
    while decade <= hi:
        _, y = xy(0, decade)
        draw.line([(margin, y), (width - margin, y)], fill="#dddddd")
        draw.text((8, y - 6), f"{decade:g} ms", fill="black")
        decade *= 10
    for i, size in enumerate(sizes):
        x, _ = xy(i, lo)
        draw.text((x - 30, height - margin + 10), f"{size}x{size}", fill="black")
    for n, (label, (color, ms)) in enumerate(series.items()):
        points = [xy(i, v) for i, v in enumerate(ms)]
        draw.line(points, fill=color, width=3)
        for x, y in points:
            draw.ellipse([x - 4, y - 4, x + 4, y + 4], fill=color)
        draw.rectangle([margin + 10, 14 + 16 * n, margin + 24, 24 + 16 * n], fill=color)
        draw.text((margin + 30, 13 + 16 * n), label, fill="black")
    draw.text((width // 2 - 120, height - 28), "image size (grayscale), log-scale latency",
              fill="black")
    image.save(path)
