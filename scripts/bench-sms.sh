#!/usr/bin/env bash
# SMS throughput of meetflow-worker (issue 5): 10,000 SMS jobs against a fake EngageLab that
# answers every send in 100 ms, with one and with two `meetflow-worker --queues sms` processes
# (release build, 64 jobs in flight each, the default). Prints jobs/s, CPU and peak RSS per process,
# and checks that every SMS was accepted exactly once (no dead letters). A last run caps EngageLab at 200/s
# (engagelab.rate_limit, shared by both processes through Redis) to show the limiter holding.
# Usage: scripts/bench-sms.sh     (JOBS=10000 LATENCY_MS=100 RUNS=3 PORT=6394 CAP=200)
# Needs: redis-server.
set -euo pipefail
cd "$(dirname "$0")/.."
JOBS=${JOBS:-10000}; LATENCY_MS=${LATENCY_MS:-100}; RUNS=${RUNS:-3}; PORT=${PORT:-6394}; CAP=${CAP:-200}
OUT=${OUT:-/tmp/meetflow-bench}; mkdir -p "$OUT"; : > "$OUT/sms.jsonl"
command -v redis-server >/dev/null || { apt-get update && apt-get install -y redis-server; }
cargo build --release -q -p meetflow-worker --bin meetflow-worker
cargo build --release -q -p meetflow-tests --bin sms-bench
W="$PWD/target/release/meetflow-worker"; B="$PWD/target/release/sms-bench"
DIR=$(mktemp -d)
redis-server --port "$PORT" --bind 127.0.0.1 --save "" --appendonly no --dir "$DIR" --daemonize yes >/dev/null
trap 'redis-cli -p "$PORT" shutdown nosave >/dev/null 2>&1 || true; rm -rf "$DIR"' EXIT
until redis-cli -p "$PORT" ping >/dev/null 2>&1; do sleep 0.05; done
URL="redis://127.0.0.1:$PORT"
for run in $(seq "$RUNS"); do
  for p in 1 2; do
    redis-cli -p "$PORT" flushall >/dev/null
    "$B" "$URL" "$W" "$p" "$JOBS" "$LATENCY_MS" 100000 | tee -a "$OUT/sms.jsonl"
  done
done
redis-cli -p "$PORT" flushall >/dev/null
"$B" "$URL" "$W" 2 $((CAP * 10)) "$LATENCY_MS" "$CAP" | tee -a "$OUT/sms.jsonl"
echo
echo "## meetflow-worker SMS throughput ($JOBS jobs, EngageLab answering in ${LATENCY_MS} ms; medians of $RUNS runs)"
python3 - "$OUT/sms.jsonl" <<'PY'
import json, statistics, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.startswith("{")]
def med(xs): return statistics.median(xs) if xs else float("nan")
print("| processes | rate limit | jobs | jobs/s | wall s | CPU s per process | CPU % of one core per process | peak RSS MiB per process | accepted once |")
print("|---|---|---|---|---|---|---|---|---|")
groups = {}
for r in rows:
    groups.setdefault((r["processes"], r["rate_limit"], r["jobs"]), []).append(r)
for (p, rate, jobs), rs in sorted(groups.items(), key=lambda kv: (kv[0][1] != "100000", kv[0][0])):
    cpu = [pp["cpu_s"] for r in rs for pp in r["per_process"]]
    pct = [100 * pp["cpu_s"] / r["wall_s"] for r in rs for pp in r["per_process"]]
    rss = [pp["rss_peak_mib"] for r in rs for pp in r["per_process"]]
    once = all(r["accepted"] == r["jobs"] == r["distinct_bookings"] and r.get("dead", 0) == 0 for r in rs)
    print(f"| {p} | {'none' if rate == '100000' else rate + '/s'} | {jobs} | {med([r['jobs_per_s'] for r in rs]):.0f} | "
          f"{med([r['wall_s'] for r in rs]):.1f} | {med(cpu):.2f} | {med(pct):.0f} | {med(rss):.1f} | {'yes' if once else 'NO'} |")
PY
