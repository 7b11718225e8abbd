#!/usr/bin/env python3
"""Where a short command's time goes: runs COMMAND N times (each as a fresh process; a command
that execs others, as setpriv and env do, stays one process) and splits each run's wall time
into time on a CPU, time waiting in the run queue for one (both from /proc/PID/schedstat, read
once the process has exited and before it is reaped) and the rest: blocked (disk, locks) or
starting up. Prints the median and the p99 run of each, in ms.
    waits.py LABEL N COMMAND...
"""
import os
import subprocess
import sys
import time


def one(cmd):
    t0 = time.monotonic_ns()
    p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    os.waitid(os.P_PID, p.pid, os.WEXITED | os.WNOWAIT)
    with open(f"/proc/{p.pid}/schedstat") as f:
        cpu, queued, _ = (int(x) for x in f.read().split())
    t1 = time.monotonic_ns()
    p.wait()
    wall = (t1 - t0) / 1e6
    return wall, cpu / 1e6, queued / 1e6, wall - cpu / 1e6 - queued / 1e6


def main():
    label, n, cmd = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
    runs = sorted((one(cmd) for _ in range(n)), key=lambda r: r[0])
    pick = lambda p: runs[min(n - 1, max(0, int(n * p / 100 + 0.999) - 1))]
    for name, p in (("median", 50), ("p99", 99)):
        w, c, q, b = pick(p)
        print(f"{label:<24} {name:<6} run: wall {w:7.1f} ms = on CPU {c:6.1f} + waiting for a CPU {q:7.1f} + blocked/other {b:6.1f}")


main()
