#!/usr/bin/env bash
# SMS throughput of meetflow-worker (issue 5): 10,000 SMS jobs against a fake EngageLab that
# answers every send in 100 ms, with one and with two `meetflow-worker --queues sms` processes
# (release build, 64 jobs in flight each, the default). Prints jobs/s, the growth against one
# process, CPU and peak RSS per process, the CPU of the driver (which hosts the fake), of Redis and
# of the whole machine, and checks that every SMS was accepted exactly once (no dead letters).
# A last run caps EngageLab at 200/s (engagelab.rate_limit, shared by the processes through Redis)
# to show the limiter holding.
# Usage: scripts/bench-sms.sh     (JOBS=10000 LATENCY_MS=100 RUNS=3 PORT=6394 CAP=200 PROCS="1 2")
#        PROCS="1 2 4" LATENCY_MS=50 CAP=0 scripts/bench-sms.sh    (issue 9's scale-out; CAP=0: no capped run)
# Output: $OUT/sms.jsonl (OUT=/tmp/meetflow-bench). Needs: redis-server.
set -euo pipefail
cd "$(dirname "$0")/.."
JOBS=${JOBS:-10000}; LATENCY_MS=${LATENCY_MS:-100}; RUNS=${RUNS:-3}; PORT=${PORT:-6394}; CAP=${CAP:-200}
PROCS=${PROCS:-1 2}
OUT=${OUT:-/tmp/meetflow-bench}; mkdir -p "$OUT"; : > "$OUT/sms.jsonl"
command -v redis-server >/dev/null || { apt-get update && apt-get install -y redis-server; }
cargo build --release -q -p meetflow-worker --bin meetflow-worker
cargo build --release -q -p meetflow-tests --bin sms-bench
W="$PWD/target/release/meetflow-worker"; B="$PWD/target/release/sms-bench"
. scripts/bench/redis.sh
trap bench_redis_stop EXIT
bench_redis_start "$PORT"
URL="redis://127.0.0.1:$PORT"
for run in $(seq "$RUNS"); do
  for p in $PROCS; do
    redis-cli -p "$PORT" flushall >/dev/null
    "$B" "$URL" "$W" "$p" "$JOBS" "$LATENCY_MS" 100000 | tee -a "$OUT/sms.jsonl"
  done
done
if [ "$CAP" != 0 ]; then
  redis-cli -p "$PORT" flushall >/dev/null
  "$B" "$URL" "$W" 2 $((CAP * 10)) "$LATENCY_MS" "$CAP" | tee -a "$OUT/sms.jsonl"
fi
echo
echo "## meetflow-worker SMS throughput ($JOBS jobs, EngageLab answering in ${LATENCY_MS} ms; medians of $RUNS runs)"
python3 scripts/bench/sms_table.py "$OUT/sms.jsonl"
