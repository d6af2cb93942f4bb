#!/usr/bin/env python3
"""Plot a `dmactl bench` sweep: throughput and p50/p99 latency against size; or, with
--growth, the cost-growth curves of Benchmarks/Growth/run.sh.

    dmactl bench --device cpu:0 --sizes 64..4M --output-format jsonl > sweep.jsonl
    python3 Scripts/plot-bench.py sweep.jsonl -o bench.png      # or .svg
    bash Benchmarks/Growth/run.sh --jsonl growth.jsonl
    python3 Scripts/plot-bench.py --growth growth.jsonl -o growth.png

Reads JSON lines (schema_version 1, as `dmactl bench --output-format jsonl` or `--jsonl FILE`
writes them; `-` reads stdin). Top: the device's GB/s per queue depth, with the baseline
measured in the same run (memcpy or memset on one thread, same buffers) on the same axes.
Bottom: p50 (solid) and p99 (dashed) latency, submit to completion. The x axis is the size per
operation; all axes are logarithmic. With --growth, three panels: ns per domain operation
against the number of domains (DMAHost and the plain C list), load+probe µs against the number
of plugins, and GB/s and p99 against queue depth per worker count. Needs matplotlib: `apt-get install python3-matplotlib` (Debian/Ubuntu).
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


def plot_growth(records, arguments, plt):
    """The three growth panels of Benchmarks/Growth/run.sh records."""
    curves = defaultdict(list)
    for record in records:
        curves[record.get("curve")].append(record)
    if not any(curves[name] for name in ("domains", "plugins", "queue_depth")):
        sys.exit(f"plot-bench: {arguments.input}: no growth records (curve domains, plugins or queue_depth)")
    figure, (domains, plugins, depths) = plt.subplots(3, 1, figsize=(8, 10))

    by_library = defaultdict(list)
    for record in curves["domains"]:
        by_library[record.get("library", "DMAHost")].append(record)
    styles = {"create_ns": "create", "lookup_ns": "lookup by id", "walk_step_ns": "walk step", "destroy_ns": "destroy"}
    for library, points in sorted(by_library.items()):
        points.sort(key=lambda record: record["domains"])
        counts = [record["domains"] for record in points]
        for key, label in styles.items():
            if library != "DMAHost" and key != "lookup_ns":
                continue
            domains.plot(counts, [record[key] for record in points], marker="o", markersize=3.5,
                         linestyle="-" if library == "DMAHost" else ":", label=f"{label} ({library})")
    domains.set_xscale("log")
    domains.set_yscale("log")
    domains.set_xlabel("domains in the registry")
    domains.set_ylabel("ns per operation (log)")
    domains.grid(True, which="major", alpha=0.3)
    domains.legend(fontsize=8)

    points = sorted(curves["plugins"], key=lambda record: record["plugins"])
    counts = [record["plugins"] for record in points]
    plugins.plot(counts, [record["load_probe_us"] / 1e3 for record in points], marker="o", markersize=3.5,
                 label="load+probe of the plugins")
    plugins.plot(counts, [record["search_wall_us"] / 1e3 for record in points], marker="s", markersize=3,
                 linestyle="--", label="whole search (wall)")
    plugins.set_xscale("log", base=2)
    plugins.set_xlabel("plugins loaded")
    plugins.set_ylabel("ms")
    plugins.grid(True, which="major", alpha=0.3)
    plugins.legend(fontsize=8)

    by_workers = defaultdict(list)
    for record in curves["queue_depth"]:
        by_workers[record["workers"]].append(record)
    latency = depths.twinx()
    for index, (workers, points) in enumerate(sorted(by_workers.items())):
        points.sort(key=lambda record: record["queue_depth"])
        color = plt.rcParams["axes.prop_cycle"].by_key()["color"][index]
        qds = [record["queue_depth"] for record in points]
        depths.plot(qds, [record["gb_per_s"] for record in points], marker="o", markersize=3.5, color=color,
                    label=f"GB/s, {workers} worker{'s' if workers > 1 else ''}")
        latency.plot(qds, [record["p99_ns"] / 1e3 if record["p99_ns"] is not None else float("nan") for record in points],
                     linestyle="--", color=color, label=f"p99 µs, {workers} worker{'s' if workers > 1 else ''}")
    depths.set_xscale("log", base=2)
    latency.set_yscale("log")
    depths.set_xlabel("queue depth")
    depths.set_ylabel("GB/s")
    latency.set_ylabel("p99 latency, µs (log, dashed)")
    depths.grid(True, which="major", alpha=0.3)
    handles = depths.get_legend_handles_labels()[0] + latency.get_legend_handles_labels()[0]
    depths.legend(handles, [handle.get_label() for handle in handles], fontsize=8, loc="upper left")

    title = arguments.title or "DMAHost: how cost grows (Benchmarks/Growth/run.sh)"
    figure.suptitle(title + (f"\n{arguments.note}" if arguments.note else ""), fontsize=10)
    figure.tight_layout()
    figure.savefig(arguments.output, dpi=90)
    print(f"plot-bench: wrote {arguments.output} ({len(records)} records)")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("input", help="JSON lines of dmactl bench (or of Benchmarks/Growth/run.sh), or - for stdin")
    parser.add_argument("-o", "--output", default="bench.png", help="image to write (.png or .svg; default bench.png)")
    parser.add_argument("--title", help="title (default: device, workload and backend)")
    parser.add_argument("--note", help="a line under the title, e.g. the machine and date")
    parser.add_argument("--growth", action="store_true", help="plot the curves of Benchmarks/Growth/run.sh --jsonl")
    arguments = parser.parse_args()

    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.ticker import FixedLocator, NullLocator

    records = read_records(arguments.input)
    if arguments.growth:
        plot_growth(records, arguments, plt)
        return
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
