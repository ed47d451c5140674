#!/usr/bin/env python3
"""Print the webhook ingest tables of scripts/bench-ingest.sh: meetflow-ingest beside the Node seed
(express 5 + BullMQ), both driven by ../shared/bench/03-webhook-seed.sh, with ratios and goals.
Usage: ingest_table.py webhook-seed.jsonl webhook-meetflow.jsonl PERSIST"""
import json, os, statistics, sys


def load(path):
    """Harness JSON lines grouped by wrk concurrency: {c: [record, ...]}."""
    by_c = {}
    if not os.path.exists(path):
        return by_c
    for line in open(path):
        if line.startswith("{"):
            r = json.loads(line)
            c = int(r["case"].split("c=")[1].split()[0])
            by_c.setdefault(c, []).append(r)
    return by_c


def med(rows, key):
    return statistics.median(r[key] for r in rows)


def cpu_us(rows):
    # CPU time the server spent per request: the figure least disturbed by a busy box.
    return statistics.median(r["server_cpu_pct"] * 1e4 / r["rps"] for r in rows)


def jobs_match(rows, c):
    """Every 2xx left one job in Redis (plus at most c requests in flight at wrk's deadline)."""
    return all(0 <= r["jobs_in_redis"] - r["wrk_2xx"] <= c and r["non2xx"] == 0 for r in rows)


def main(seed_path, ours_path, persist):
    seed, ours = load(seed_path), load(ours_path)
    print(f"\n## Webhook ingest, wrk 2.2 KB signed Calendly body, Redis persistence: {persist} (medians)")
    print("| server | c | req/s | p50 ms | p99 ms | max ms | RSS peak MB | server CPU % | server CPU µs/req | jobs == 2xx | runs | others' CPU % |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    for name, data in (("seed (express+BullMQ)", seed), ("meetflow-ingest", ours)):
        for c in sorted(data):
            rows = data[c]
            print(f"| {name} | {c} | {med(rows, 'rps'):,.0f} | {med(rows, 'p50_ms'):.2f} | {med(rows, 'p99_ms'):.2f} "
                  f"| {med(rows, 'max_ms'):.1f} | {med(rows, 'rss_peak_mb'):.1f} | {med(rows, 'server_cpu_pct'):.0f} "
                  f"| {cpu_us(rows):.0f} "
                  f"| {'yes' if jobs_match(rows, c) else 'NO'} | {len(rows)} | {med(rows, 'foreign_cpu_pct'):.0f} |")
    if seed and ours:
        print("\n| c | req/s ours/seed | p99 seed/ours | RSS seed/ours | server CPU per request seed/ours |")
        print("|---|---|---|---|---|")
        for c in sorted(set(seed) & set(ours)):
            s, o = seed[c], ours[c]
            print(f"| {c} | {med(o, 'rps') / med(s, 'rps'):.1f}x | {med(s, 'p99_ms') / med(o, 'p99_ms'):.1f}x "
                  f"| {med(s, 'rss_peak_mb') / med(o, 'rss_peak_mb'):.1f}x | {cpu_us(s) / cpu_us(o):.1f}x |")
    goals = []
    if 64 in ours and 64 in seed:
        goals.append(("req/s at c=64 >= 8x seed", med(ours[64], "rps") >= 8 * med(seed[64], "rps")))
    if 16 in ours:
        goals.append(("p99 at c=16 < 5 ms", med(ours[16], "p99_ms") < 5))
    if ours:
        goals.append(("RSS peak < 20 MB", max(med(r, "rss_peak_mb") for r in ours.values()) < 20))
    for goal, met in goals:
        print(f"- goal {goal}: {'met' if met else 'NOT met'}")


if __name__ == "__main__":
    main(*sys.argv[1:4])
