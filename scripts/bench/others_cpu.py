#!/usr/bin/env python3
"""CPU used on this machine by processes OUTSIDE one process tree (the load run's), as % of one
core: what other tenants (builds, tests) took while a section of scripts/bench-load.sh ran.
Unlike ../shared/bench/lib/foreign_cpu.py, which tells processes apart by session, this follows
parent links, so the peer scripts (each in its own session) still count as ours.
Usage: others_cpu.py ROOT_PID     samples every 0.5 s until SIGTERM, then prints the percentage"""
import os, signal, sys, time

HZ = os.sysconf("SC_CLK_TCK")


def snapshot():
    """{pid: (ppid, utime + stime ticks)} for every process we can read."""
    procs = {}
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open(f"/proc/{pid}/stat") as f:
                stat = f.read()
        except OSError:
            continue
        fields = stat[stat.rfind(")") + 2:].split()  # fields[0] = state, [1] = ppid
        procs[int(pid)] = (int(fields[1]), int(fields[11]) + int(fields[12]))
    return procs


def ours(procs, root):
    """Pids in root's tree."""
    tree = set()
    for pid in procs:
        p, seen = pid, 0
        while p > 1 and seen < 64:
            if p == root or p in tree:
                tree.add(pid)
                break
            p, seen = procs.get(p, (0, 0))[0], seen + 1
    return tree


def main(root):
    stop = []
    signal.signal(signal.SIGTERM, lambda *_: stop.append(1))
    t0, total, prev = time.time(), 0, snapshot()
    while not stop:
        time.sleep(0.5)
        cur = snapshot()
        mine = ours(cur, root)
        # processes that appeared since the last sample count with all their ticks
        total += sum(t - prev.get(pid, (0, 0))[1] for pid, (_, t) in cur.items()
                     if pid not in mine and t >= prev.get(pid, (0, 0))[1])
        prev = cur
    print(f"{100 * total / HZ / max(time.time() - t0, 1e-9):.1f}")


if __name__ == "__main__":
    main(int(sys.argv[1]))
