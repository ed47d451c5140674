#!/usr/bin/env python3
"""Print the SMS throughput / scale-out table from sms-bench JSON lines (scripts/bench-sms.sh).
One row per (processes, rate limit): medians over runs of jobs/s, the growth against one process,
the ceiling the in-flight window allows (processes x 64 / latency), per-process CPU and peak RSS,
worker CPU per 1,000 jobs, and where the rest of the CPU went meanwhile (the driver with the fake
EngageLab, Redis, the whole machine), so a flat step can be told apart from a saturated machine.
Usage: sms_table.py sms.jsonl [IN_FLIGHT_PER_PROCESS]"""
import json, statistics, sys

IN_FLIGHT = int(sys.argv[2]) if len(sys.argv) > 2 else 64


def med(xs):
    xs = [x for x in xs if x == x]  # drop NaN (a figure /proc could not give)
    return statistics.median(xs) if xs else float("nan")


def groups(path):
    rows = [json.loads(l) for l in open(path) if l.startswith("{")]
    out = {}
    for r in rows:
        out.setdefault((r["processes"], str(r["rate_limit"]), r["jobs"]), []).append(r)
    return out


def run_pct(rs, key):
    """Median over runs of a during_run CPU figure as % of one core."""
    return med([100 * r["during_run"][key] / r["wall_s"] for r in rs if "during_run" in r])


def print_table(path):
    g = groups(path)
    base = {rate: med([r["jobs_per_s"] for r in rs]) for (p, rate, _), rs in g.items() if p == 1}
    print("| processes | rate limit | jobs | jobs/s | growth vs 1 process | ceiling jobs/s | wall s "
          "| CPU % of a core per process | worker CPU ms per 1,000 jobs | peak RSS MiB per process "
          "| driver + fake CPU % | Redis CPU % | run's CPU, cores | machine busy % of all cores | accepted once |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for (p, rate, jobs), rs in sorted(g.items(), key=lambda kv: (kv[0][1] != "100000", kv[0][0])):
        rate_cell = "none" if rate == "100000" else rate + "/s"
        latency = rs[0].get("latency_ms", 0)
        ceiling = p * IN_FLIGHT * 1000 / latency if latency else float("nan")
        if rate != "100000":
            ceiling = min(ceiling, float(rate))
        jps = med([r["jobs_per_s"] for r in rs])
        growth = f"{jps / base[rate]:.2f}x" if base.get(rate) else "–"
        pct = [100 * pp["cpu_s"] / r["wall_s"] for r in rs for pp in r["per_process"]]
        rss = [pp["rss_peak_mib"] for r in rs for pp in r["per_process"]]
        per_k = med([1e6 * sum(pp["cpu_s"] for pp in r["per_process"]) / r["jobs"] for r in rs])
        # workers + driver (fake EngageLab) + Redis, in cores, averaged over the wall time
        cores = med([(sum(pp["cpu_s"] for pp in r["per_process"]) + r["during_run"]["driver_cpu_s"]
                      + r["during_run"]["redis_cpu_s"]) / r["wall_s"] for r in rs if "during_run" in r])
        busy = med([r["during_run"]["machine_busy_pct"] for r in rs if "during_run" in r])
        once = all(r["accepted"] == r["jobs"] == r["distinct_bookings"] and r.get("dead", 0) == 0 for r in rs)
        print(f"| {p} | {rate_cell} | {jobs} | {jps:,.0f} | {growth} | {ceiling:,.0f} | "
              f"{med([r['wall_s'] for r in rs]):.1f} | {med(pct):.0f} | {per_k:.0f} | {med(rss):.1f} | "
              f"{run_pct(rs, 'driver_cpu_s'):.0f} | {run_pct(rs, 'redis_cpu_s'):.0f} | {cores:.2f} | {busy:.0f} | "
              f"{'yes' if once else 'NO'} |")


if __name__ == "__main__":
    print_table(sys.argv[1])
