#!/usr/bin/env python3
"""Print the queue benchmark table: our medians beside BullMQ's (same machine, same session),
with ratios. Usage: queue_table.py ours.jsonl bullmq.jsonl redis_lpush_per_s"""
import json, statistics, sys

def load(path):
    groups = {}
    try:
        for line in open(path):
            line = line.strip()
            if line.startswith("{"):
                rec = json.loads(line)
                groups.setdefault(rec["case"], []).append(rec)
    except FileNotFoundError:
        pass
    return groups

def med(groups, prefix, field):
    vals = [r[field] for case, recs in groups.items() if case.startswith(prefix) for r in recs if field in r]
    return statistics.median(vals) if vals else None

ROWS = [
    ("enqueue one by one (jobs/s)", "meetflow enqueue single", "bullmq enqueue single", "jobs_per_s", True),
    ("enqueue batches of 1,000 (jobs/s)", "meetflow enqueue bulk", "bullmq enqueue bulk", "jobs_per_s", True),
    ("process no-op, concurrency 1 (jobs/s)", "meetflow throughput concurrency=1 ", "bullmq throughput concurrency=1 ", "jobs_per_s", True),
    ("process no-op, concurrency 10 (jobs/s)", "meetflow throughput concurrency=10 ", "bullmq throughput concurrency=10 ", "jobs_per_s", True),
    ("process no-op, concurrency 100 (jobs/s)", "meetflow throughput concurrency=100 ", "bullmq throughput concurrency=100 ", "jobs_per_s", True),
    ("enqueue -> start p50 at 1,000/s (ms)", "meetflow latency", "bullmq latency", "p50_ms", False),
    ("enqueue -> start p99 at 1,000/s (ms)", "meetflow latency", "bullmq latency", "p99_ms", False),
    ("20k delayed over 10 s: lateness p50 (ms)", "meetflow delayed", "bullmq delayed", "p50_ms", False),
    ("20k delayed over 10 s: lateness p99 (ms)", "meetflow delayed", "bullmq delayed", "p99_ms", False),
    ("20k delayed over 10 s: lateness max (ms)", "meetflow delayed", "bullmq delayed", "max_ms", False),
    ("same, delay >= 1 s only: p99 (ms)", "meetflow delayed", "bullmq delayed", "sched_p99_ms", False),
]


def fmt(x):
    return "-" if x is None else (f"{x:,.0f}" if abs(x) >= 100 else f"{x:.3g}")


def main(ours, peer, redis_ops):
    print("| case | meetflow | BullMQ | ratio (better > 1) |")
    print("|---|---|---|---|")
    for label, ours_case, peer_case, field, higher in ROWS:
        a, b = med(ours, ours_case, field), med(peer, peer_case, field)
        ratio = None
        if a and b:
            ratio = a / b if higher else b / a
        print(f"| {label} | {fmt(a)} | {fmt(b)} | {fmt(ratio) + 'x' if ratio else '-'} |")
    for case in ours:
        if case.startswith("meetflow memory"):
            print(f"| Redis bytes per waiting job ({case.split('memory ')[1]}) | {fmt(med(ours, case, 'bytes_per_job'))} | BullMQ ~240-280 B, 3,122 B with 2.2 KB body (BASELINES.md) | |")
    for case, recs in ours.items():
        if case.startswith("meetflow backlog"):
            r = recs[-1]
            print(f"| backlog: {r['delayed_at_due']:,} delayed jobs due at once | drained in {r['secs']:.1f} s ({r['jobs_per_s']:,.0f} jobs/s), dead {r['dead']}, left {r['left']}, worker alive: {r['worker_alive']} | apalis-redis 1.0: workers die above ~8,000 | |")
    c100 = med(ours, "meetflow throughput concurrency=100 ", "jobs_per_s")
    if redis_ops and c100:
        print(f"\nProcessing at concurrency 100 = {c100:,.0f} jobs/s = {100 * c100 / redis_ops:.1f}% of redis-benchmark LPUSH ({redis_ops:,.0f} ops/s, no pipelining) on the same Redis.")


if __name__ == "__main__":
    main(load(sys.argv[1]), load(sys.argv[2]), float(sys.argv[3]) if len(sys.argv) > 3 and sys.argv[3] else None)
