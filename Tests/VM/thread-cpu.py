#!/usr/bin/env python3
"""thread-cpu.py — where the CPU time goes while a command runs, per thread, from /proc.

Made for the TCG guest, where perf sampling and valgrind do not work: it runs COMMAND, waits
START seconds, then reads /proc/stat and every task's /proc/<pid>/task/<tid>/stat and status,
again LENGTH seconds later, and prints the differences: per-CPU user/system/idle ticks and, for
the busiest threads (the command's and the kernel's, e.g. rxe's kworkers), user and system
ticks and voluntary/involuntary context switches. Ticks are 1/100 s (USER_HZ).

Usage: thread-cpu.py START LENGTH -- COMMAND [ARGS...]
Example (in the guest, via Tests/VM/run-in-vm.sh):
  python3 Tests/VM/thread-cpu.py 8 4 -- .build/release/dmactl bench --device rdma:rxe0 --op write --seconds 10 ...
Pick START past the command's set-up (dmactl bench measures its memcpy baseline first).
"""
import os
import subprocess
import sys
import time

FIELDS = ["user", "nice", "system", "idle", "iowait", "irq", "softirq", "steal"]


def cpu_ticks():
    """Per-CPU tick counters of /proc/stat, and the context-switch total."""
    cpus, switches = {}, 0
    with open("/proc/stat") as stat:
        for line in stat:
            fields = line.split()
            if fields[0].startswith("cpu"):
                cpus[fields[0]] = [int(value) for value in fields[1:1 + len(FIELDS)]]
            elif fields[0] == "ctxt":
                switches = int(fields[1])
    return cpus, switches


def threads():
    """(pid, tid) -> (name, user ticks, system ticks, voluntary and involuntary switches)."""
    result = {}
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            tids = os.listdir(f"/proc/{pid}/task")
        except OSError:
            continue
        for tid in tids:
            try:
                with open(f"/proc/{pid}/task/{tid}/stat") as stat:
                    text = stat.read()
                with open(f"/proc/{pid}/task/{tid}/status") as status:
                    lines = status.read().splitlines()
            except OSError:
                continue
            name = text[text.index("(") + 1:text.rindex(")")]
            rest = text[text.rindex(")") + 2:].split()
            switches = {key: int(value) for key, value in
                        (line.split(":", 1) for line in lines if line.endswith(tuple("0123456789")) and "ctxt_switches" in line)}
            result[(pid, tid)] = (name, int(rest[11]), int(rest[12]),
                                  switches.get("voluntary_ctxt_switches", 0), switches.get("nonvoluntary_ctxt_switches", 0))
    return result


def main():
    if len(sys.argv) < 5 or sys.argv[3] != "--":
        sys.exit(__doc__)
    start, length, command = float(sys.argv[1]), float(sys.argv[2]), sys.argv[4:]
    child = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    time.sleep(start)
    (cpus0, switches0), threads0, clock0 = cpu_ticks(), threads(), time.monotonic()
    time.sleep(length)
    (cpus1, switches1), threads1, clock1 = cpu_ticks(), threads(), time.monotonic()
    output = child.communicate()[0].decode(errors="replace")
    window = clock1 - clock0
    print("---- command output (last lines)")
    print("\n".join(output.strip().splitlines()[-8:]))
    print(f"---- window of {window:.2f} s; ticks per CPU: {' '.join(FIELDS)}")
    for cpu in sorted(cpus0):
        print(f"{cpu:6s}", [after - before for before, after in zip(cpus0[cpu], cpus1[cpu])])
    print(f"context switches/s: {(switches1 - switches0) / window:.0f}")
    rows = []
    for key, (name, user, system, voluntary, involuntary) in threads1.items():
        if key not in threads0:
            continue
        _, user0, system0, voluntary0, involuntary0 = threads0[key]
        busy = user - user0 + system - system0
        if busy > 0:
            rows.append((busy, name, key, user - user0, system - system0, voluntary - voluntary0, involuntary - involuntary0))
    print("---- busiest threads: name pid/tid user system voluntary-switches involuntary-switches")
    for _, name, (pid, tid), user, system, voluntary, involuntary in sorted(rows, reverse=True)[:20]:
        print(f"{name:24s} {pid}/{tid:8s} u={user:<5d} s={system:<5d} vcs={voluntary:<7d} nvcs={involuntary}")
    return child.returncode


if __name__ == "__main__":
    sys.exit(main())
