#!/usr/bin/env python3
"""Print the table of scripts/bench-delivery-log.sh: webhook ingest with the delivery log off and
on, side by side per concurrency (medians over the rounds), and the on/off ratios.
Usage: delivery_log_table.py delivery-log.jsonl PROFILE PERSIST LOG_MAX_ENTRIES"""
import json, statistics, sys


def main(path, profile, persist, cap):
    rows = [json.loads(l) for l in open(path) if l.startswith("{")]
    by = {}
    for r in rows:
        by.setdefault((r["c"], r["mode"]), []).append(r)

    def med(c, mode, key):
        return statistics.median(r[key] for r in by[(c, mode)])

    def cpu_us(c, mode, key):
        # CPU time per request (µs), the figure a busy box disturbs least.
        return statistics.median(r[key] * 1e4 / r["rps"] for r in by[(c, mode)])

    print(f"\n## Webhook ingest with the delivery log off and on ({profile} build, Redis persistence: "
          f"{persist}, log max_entries {cap}, medians of {len(by[next(iter(by))])} runs)")
    print("| c | delivery log | req/s | p50 ms | p95 ms | p99 ms | max ms | ingest CPU µs/req | Redis CPU µs/req "
          "| non-2xx | jobs == 2xx | log entries after | Redis MB after |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    cs = sorted({c for c, _ in by})
    for c in cs:
        for mode in ("off", "on"):
            if (c, mode) not in by:
                continue
            ok = all(0 <= r["jobs_in_redis"] - (r["requests"] - r["non2xx"]) <= c for r in by[(c, mode)])
            print(f"| {c} | {mode} | {med(c, mode, 'rps'):,.0f} | {med(c, mode, 'p50_ms'):.2f} "
                  f"| {med(c, mode, 'p95_ms'):.2f} | {med(c, mode, 'p99_ms'):.2f} | {med(c, mode, 'max_ms'):.1f} "
                  f"| {cpu_us(c, mode, 'server_cpu_pct'):.0f} | {cpu_us(c, mode, 'redis_cpu_pct'):.0f} "
                  f"| {sum(r['non2xx'] + r['socket_errors'] for r in by[(c, mode)])} | {'yes' if ok else 'NO'} "
                  f"| {med(c, mode, 'log_entries'):,.0f} | {med(c, mode, 'redis_used_mb'):.0f} |")
    print("\n| c | req/s on/off | p50 on/off | p95 on/off | p99 on/off | ingest CPU/req on/off | Redis CPU/req on/off |")
    print("|---|---|---|---|---|---|---|")
    for c in cs:
        if (c, "on") not in by or (c, "off") not in by:
            continue
        ratio = lambda key: med(c, "on", key) / med(c, "off", key)
        cpu = lambda key: cpu_us(c, "on", key) / cpu_us(c, "off", key)
        print(f"| {c} | {ratio('rps'):.2f} | {ratio('p50_ms'):.2f} | {ratio('p95_ms'):.2f} | {ratio('p99_ms'):.2f} "
              f"| {cpu('server_cpu_pct'):.2f} | {cpu('redis_cpu_pct'):.2f} |")


if __name__ == "__main__":
    main(*sys.argv[1:5])
