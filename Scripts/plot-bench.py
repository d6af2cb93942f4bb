#!/usr/bin/env python3
"""Plot a `dmactl bench` sweep: throughput and p50/p99 latency against size.

    dmactl bench --device cpu:0 --sizes 64..4M --output-format jsonl > sweep.jsonl
    python3 Scripts/plot-bench.py sweep.jsonl -o bench.png      # or .svg

Reads JSON lines (schema_version 1, as `dmactl bench --output-format jsonl` or `--jsonl FILE`
writes them; `-` reads stdin). Top: the device's GB/s per queue depth, with the baseline
measured in the same run (memcpy or memset on one thread, same buffers) on the same axes.
Bottom: p50 (solid) and p99 (dashed) latency, submit to completion. The x axis is the size per
operation; all axes are logarithmic. Needs matplotlib: `apt-get install python3-matplotlib` (Debian/Ubuntu).
"""
import argparse
import json
import sys
from collections import defaultdict

SCHEMA_VERSION = 1


def size_label(size):
    for unit, factor in (("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)):
        if size >= factor and size % factor == 0:
            return f"{size // factor}{unit}"
    return f"{size}B"


def read_records(path):
    stream = sys.stdin if path == "-" else open(path, encoding="utf-8")
    records = []
    with stream:
        for number, line in enumerate(stream, 1):
            line = line.strip()
            if not line:
                continue
            record = json.loads(line)
            version = record.get("schema_version")
            if version != SCHEMA_VERSION:
                sys.exit(f"plot-bench: {path}:{number}: schema_version {version}, this script reads {SCHEMA_VERSION}")
            records.append(record)
    if not records:
        sys.exit(f"plot-bench: {path}: no records")
    return records


def workload(record):
    if record["operation"] == "mix":
        return f"mix {record['read_percent']}% read"
    return record["operation"]


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("input", help="JSON lines of dmactl bench, or - for stdin")
    parser.add_argument("-o", "--output", default="bench.png", help="image to write (.png or .svg; default bench.png)")
    parser.add_argument("--title", help="title (default: device, workload and backend)")
    parser.add_argument("--note", help="a line under the title, e.g. the machine and date")
    arguments = parser.parse_args()

    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.ticker import FixedLocator, NullLocator

    records = read_records(arguments.input)
    series = defaultdict(list)
    baselines = defaultdict(list)
    for record in records:
        series[(workload(record), record["queue_depth"], record["iovecs"])].append(record)
        baselines[record["size_bytes"]].append(record["baseline_gb_per_s"])
    baseline_name = records[0]["baseline"]

    figure, (top, bottom) = plt.subplots(2, 1, figsize=(8, 7.2), sharex=True, gridspec_kw={"height_ratios": [3, 2]})
    colors = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    several_workloads = len({key[0] for key in series}) > 1
    for index, (key, points) in enumerate(sorted(series.items(), key=lambda item: (item[0][0], item[0][1], item[0][2]))):
        points.sort(key=lambda record: record["size_bytes"])
        sizes = [record["size_bytes"] for record in points]
        color = colors[index % len(colors)]
        label = f"qd {key[1]}" + (f", {key[2]} iovecs" if key[2] > 1 else "") + (f" ({key[0]})" if several_workloads else "")
        top.plot(sizes, [record["gb_per_s"] for record in points], marker="o", markersize=3.5, color=color, label=label)
        bottom.plot(sizes, [record["p50_ns"] / 1e3 if record["p50_ns"] is not None else float("nan") for record in points],
                    marker="o", markersize=3, color=color, label=f"{label} p50")
        bottom.plot(sizes, [record["p99_ns"] / 1e3 if record["p99_ns"] is not None else float("nan") for record in points],
                    linestyle="--", color=color, alpha=0.8, label=f"{label} p99")
    baseline_sizes = sorted(baselines)
    top.plot(baseline_sizes, [sum(baselines[size]) / len(baselines[size]) for size in baseline_sizes], color="black",
             linestyle=":", linewidth=2, marker="s", markersize=3, label=f"{baseline_name}, 1 thread (baseline)")

    top.set_ylabel("throughput, GB/s (10^9 B/s, log)")
    top.set_yscale("log")
    top.grid(True, which="major", alpha=0.3)
    top.legend(fontsize=8, loc="upper left")
    bottom.set_ylabel("latency, µs (log)")
    bottom.set_yscale("log")
    bottom.grid(True, which="major", alpha=0.3)
    bottom.legend(fontsize=7, ncol=2, loc="upper left")
    bottom.set_xscale("log", base=2)
    ticks = sorted({record["size_bytes"] for record in records})
    step = max(1, len(ticks) // 12)
    bottom.xaxis.set_major_locator(FixedLocator(ticks[::step]))
    bottom.xaxis.set_minor_locator(NullLocator())
    bottom.set_xticklabels([size_label(size) for size in ticks[::step]], rotation=45, ha="right", fontsize=8)
    bottom.set_xlabel("size per operation")

    first = records[0]
    title = arguments.title or (f"dmactl bench {first['device']} ({first['backend']}): {workload(first)}, "
                                f"{'hot' if first['hot'] else 'cold'} buffers")
    note = arguments.note or f"measured {first['measured_at']} .. {records[-1]['measured_at']}"
    figure.suptitle(f"{title}\n{note}", fontsize=10)
    figure.tight_layout()
    figure.savefig(arguments.output, dpi=90)
    print(f"plot-bench: wrote {arguments.output} ({len(records)} points)")


if __name__ == "__main__":
    main()
