#!/usr/bin/env python3
"""Print the Cluster table of scripts/bench-queue.sh (SCENARIOS=cluster): the queue bench on one
Redis, a Cluster of 1 master and one of 3 (medians), the 3-to-1 ratio, and the keys each master
held after the drain. Usage: cluster_table.py cluster.jsonl CPU_COUNT"""
import json, statistics, sys

recs = [json.loads(l) for l in open(sys.argv[1]) if l.strip().startswith("{")]
cpus = sys.argv[2] if len(sys.argv) > 2 else "?"
TOPOLOGIES = [("single", "one Redis"), ("cluster1", "Cluster, 1 master"), ("cluster3", "Cluster, 3 masters")]
ROWS = [("enqueue one by one (jobs/s)", "meetflow enqueue single"),
        ("process no-op, concurrency 10 (jobs/s)", "meetflow throughput concurrency=10 "),
        ("same, one rate-limit slot per job (jobs/s)", "meetflow limited concurrency=10 ")]


def vals(topology, prefix):
    return [r["jobs_per_s"] for r in recs
            if r.get("topology") == topology and r.get("case", "").startswith(prefix) and "jobs_per_s" in r]


def med(topology, prefix):
    v = vals(topology, prefix)
    return statistics.median(v) if v else None


def fmt(x, topology=None, prefix=None):
    if x is None:
        return "-"
    v = vals(topology, prefix) if topology else []
    spread = f" ({min(v):,.0f}-{max(v):,.0f})" if len(v) > 1 else ""
    return f"{x:,.0f}{spread}"


print("Median jobs/s (lowest-highest run).\n")
print("| | " + " | ".join(t[1] for t in TOPOLOGIES) + " | 3 masters / 1 | Cluster 1 / one Redis |")
print("|---|" + "---|" * (len(TOPOLOGIES) + 2))
for label, prefix in ROWS:
    v = [med(t, prefix) for t, _ in TOPOLOGIES]
    r31 = f"{v[2] / v[1]:.2f}" if v[1] and v[2] else "-"
    r1s = f"{v[1] / v[0]:.2f}" if v[0] and v[1] else "-"
    print(f"| {label} | " + " | ".join(fmt(x, t, prefix) for x, (t, _) in zip(v, TOPOLOGIES))
          + f" | {r31} | {r1s} |")
for t, name in TOPOLOGIES[1:]:
    keys = [r["keys_per_master"] for r in recs if r.get("topology") == t and "keys_per_master" in r]
    if keys:
        print(f"\nKeys per master after the last drain, {name}: {keys[-1]}")
print(f"\nOn {cpus} CPU cores, every master, the bench process and its worker share the machine. The "
      "queue's keys (`{bench}`) hash to one slot, so one master serves all queue traffic however "
      "many there are: the 3-master column measures the Cluster's overhead and shows where the "
      "families with their own tag land (here the rate limiter, `{bench:rl}`, and the worker's "
      "process registry, `{bench:proc}`), "
      "not more capacity.")
