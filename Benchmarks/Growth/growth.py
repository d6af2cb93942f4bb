#!/usr/bin/env python3
"""The records and tables of Benchmarks/Growth/run.sh: how cost grows with domains, plugins,
queue depth and workers.

    growth.py plugins-point COUNT FILE...   one JSON line from the `dmactl list --timing
                                            --format json` documents of COUNT generated plugins
    growth.py queue-depth FILE              dmactl bench sweep JSON lines → growth records
    growth.py tables FILE                   the text tables of a growth JSON lines file, and the
                                            check (exit 1 when missed)

Every record is one JSON line with "schema_version": 1 and "curve": "domains", "plugins" or
"queue_depth" (Scripts/plot-bench.py --growth plots them). Domains: nanoseconds per create,
lookup by id (spdk_memory_domain_get_first(id)), destroy, whole walk and walk step, medians of
the runs, for "library" DMAHost or "C list" (the plain C list of Benchmarks/CABI/baseline_dma.c,
which walks as SPDK's dma.c does). Plugins: load and probe microseconds of the generated
plugins (sum over them, and per plugin) and the wall time of the whole search, medians of the
runs. Queue depth: dmactl bench's sweep point record (throughput, p50/p99), one per queue depth
and worker count.

The check: with DMAHost, a lookup by id among 10,000 domains takes at most twice as long as
among 10.
"""
import json
import statistics
import sys

SCHEMA_VERSION = 1
#: Lookup time at CHECK_LARGE domains must be at most CHECK_RATIO times that at CHECK_SMALL.
CHECK_SMALL, CHECK_LARGE, CHECK_RATIO = 10, 10_000, 2.0
#: The driver names of the generated plugins start with this.
PLUGIN_PREFIX = "growth-"


def read_lines(path):
    """The JSON objects of a JSON lines file (blank lines skipped)."""
    with open(path, encoding="utf-8") as stream:
        return [json.loads(line) for line in stream if line.strip()]


def plugins_point(count, documents):
    """One plugins record from the `dmactl list --timing --format json` documents of the runs."""
    sums, per_plugin, walls, loaded = [], [], [], []
    for document in documents:
        timing = document.get("timing")
        if timing is None:
            raise ValueError("a dmactl list document without timing (run it with --timing)")
        mine = [driver for driver in timing["drivers"] if driver["name"].startswith(PLUGIN_PREFIX)]
        total = sum(driver["load_microseconds"] + driver["probe_microseconds"] for driver in mine)
        loaded.append(len(mine))
        sums.append(total)
        per_plugin.append(total / len(mine) if mine else 0.0)
        walls.append(timing["total_microseconds"])
    if any(number != count for number in loaded):
        raise ValueError(f"{count} plugins generated, but the runs loaded {sorted(set(loaded))} of them "
                         "(`dmactl doctor` says why)")
    return {"schema_version": SCHEMA_VERSION, "curve": "plugins", "plugins": count, "runs": len(documents),
            "load_probe_us": statistics.median(sums), "per_plugin_us": round(statistics.median(per_plugin), 1),
            "search_wall_us": statistics.median(walls)}


def queue_depth_records(points):
    """Growth records from dmactl bench sweep points: the point, marked as the queue-depth curve."""
    return [dict(point, curve="queue_depth") for point in points]


def table(header, rows):
    """A text table: the header, a rule, right-aligned columns."""
    widths = [max(len(str(cell)) for cell in column) for column in zip(header, *rows)]
    lines = ["  ".join(str(cell).rjust(width) for cell, width in zip(line, widths)) for line in [header] + rows]
    lines.insert(1, "  ".join("-" * width for width in widths))
    return "\n".join(lines)


def number(value, digits=0):
    """A number with thousands separators, or '-' for None."""
    return "-" if value is None else f"{value:,.{digits}f}"


def domain_tables(records):
    """The domains table: one row per count, DMAHost and the C list side by side."""
    by_library = {}
    for record in records:
        by_library.setdefault(record.get("library", "DMAHost"), {})[record["domains"]] = record
    ours, baseline = by_library.get("DMAHost", {}), by_library.get("C list", {})
    rows = []
    for count in sorted(set(ours) | set(baseline)):
        mine, theirs = ours.get(count, {}), baseline.get(count, {})
        rows.append([f"{count:,}", number(mine.get("create_ns")), number(mine.get("lookup_ns")),
                     number(theirs.get("lookup_ns")), number(mine.get("walk_step_ns"), 1),
                     number(mine.get("walk_ns")), number(mine.get("destroy_ns"))])
    runs = sorted({record["runs"] for record in records})
    return ("Domains: ns per operation (median of " + "/".join(map(str, runs)) + " runs); lookup = "
            "get_first(id) over every id in a scattered order; C list = a plain C list, as SPDK's dma.c\n"
            + table(["domains", "create", "lookup", "lookup C list", "walk step", "whole walk", "destroy"], rows))


def plugin_table(records):
    rows = [[record["plugins"], number(record["load_probe_us"]), number(record["per_plugin_us"], 1),
             number(record["search_wall_us"])] for record in sorted(records, key=lambda r: r["plugins"])]
    runs = sorted({record["runs"] for record in records})
    return ("Plugins: generated C plugins loaded and probed by `dmactl list --timing --no-open`, µs (median of "
            + "/".join(map(str, runs)) + " runs); search = wall time of the whole search, bundled plugins included\n"
            + table(["plugins", "load+probe", "per plugin", "search"], rows))


def queue_depth_table(records):
    workers = sorted({record["workers"] for record in records})
    depths = sorted({record["queue_depth"] for record in records})
    points = {(record["workers"], record["queue_depth"]): record for record in records}
    header = ["qd"]
    for count in workers:
        header += [f"GB/s w{count}", f"Mops/s w{count}", f"p99 µs w{count}"]
    rows = []
    for depth in depths:
        row = [depth]
        for count in workers:
            point = points.get((count, depth))
            p99 = None if point is None or point["p99_ns"] is None else point["p99_ns"] / 1e3
            row += [number(point and point["gb_per_s"], 2), number(point and point["million_ops_per_s"], 3), number(p99, 1)]
        rows.append(row)
    first = records[0]
    return (f"Queue depth: dmactl bench --device {first['device']} --op {first['operation']} --size {first['size_bytes']} "
            f"({'hot' if first['hot'] else 'cold'} buffers), w = CPU workers\n" + table(header, rows))


def check(records):
    """The lookup check; returns (passed, message), passed None when a count is missing."""
    lookups = {record["domains"]: record["lookup_ns"] for record in records
               if record["curve"] == "domains" and record.get("library", "DMAHost") == "DMAHost"}
    if CHECK_SMALL not in lookups or CHECK_LARGE not in lookups:
        return None, f"check not run: needs the domain counts {CHECK_SMALL} and {CHECK_LARGE}"
    ratio = lookups[CHECK_LARGE] / lookups[CHECK_SMALL]
    passed = ratio <= CHECK_RATIO
    return passed, (f"lookup by id at {CHECK_LARGE:,} domains / at {CHECK_SMALL}: {lookups[CHECK_LARGE]:.1f} / "
                    f"{lookups[CHECK_SMALL]:.1f} ns = {ratio:.2f} (target <= {CHECK_RATIO}) "
                    + ("PASS" if passed else "FAIL"))


def tables(records):
    """Every table the records allow, then the check; returns (text, passed)."""
    parts = []
    for curve, render in (("domains", domain_tables), ("plugins", plugin_table), ("queue_depth", queue_depth_table)):
        chosen = [record for record in records if record.get("curve") == curve]
        if chosen:
            parts.append(render(chosen))
    passed, message = check(records)
    parts.append(message)
    return "\n\n".join(parts), passed


def main(arguments):
    if len(arguments) >= 3 and arguments[0] == "plugins-point":
        documents = []
        for path in arguments[2:]:
            with open(path, encoding="utf-8") as stream:
                documents.append(json.load(stream))
        print(json.dumps(plugins_point(int(arguments[1]), documents)))
        return 0
    if len(arguments) == 2 and arguments[0] == "queue-depth":
        for record in queue_depth_records(read_lines(arguments[1])):
            print(json.dumps(record))
        return 0
    if len(arguments) == 2 and arguments[0] == "tables":
        records = read_lines(arguments[1])
        versions = {record.get("schema_version") for record in records}
        if versions != {SCHEMA_VERSION}:
            print(f"growth.py: {arguments[1]}: schema_version {sorted(map(str, versions))}, this script reads {SCHEMA_VERSION}",
                  file=sys.stderr)
            return 2
        text, passed = tables(records)
        print(text)
        return 1 if passed is False else 0
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
