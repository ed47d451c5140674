#!/usr/bin/env bash
# Queue-core benchmark beside BullMQ, same machine, same session, same counts (issue 3).
#   enqueue 50,000 one by one and in batches of 1,000; drain 50,000 no-op jobs with one worker
#   process at concurrency 1, 10, 100; enqueue->start latency at 1,000 jobs/s for 30 s; lateness of
#   20,000 delayed jobs due over 10 s; Redis bytes per waiting job; a backlog of 1,000,000 delayed
#   jobs all due at once, drained by one worker; redis-benchmark on the same Redis.
# Usage: scripts/bench-queue.sh            (RUNS=3; SKIP_PEERS=1 to skip BullMQ; PORT=6393)
#   SCENARIOS="enqueue process latency delayed memory backlog" (the first four are passed to BullMQ's
#   script too); BACKLOG=1000000; QUIET_PCT / MAX_FOREIGN: the peer script's busy-box guard (off: 1000).
# Both systems use one Redis port in turn: ours is stopped before BullMQ's script starts its own.
# Needs: redis-server, redis-benchmark, node + npm (for BullMQ via ../shared/bench/setup.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
SHARED=${MEETFLOW_SHARED:-$(cd "$ROOT/.." && pwd)/shared}
RUNS=${RUNS:-3}; PORT=${PORT:-6393}; N=${N:-50000}
SCENARIOS=${SCENARIOS:-enqueue process latency delayed memory backlog}
has() { [[ " $SCENARIOS " == *" $1 "* ]]; }
OUT=${OUT:-/tmp/meetflow-bench}; mkdir -p "$OUT"; : > "$OUT/queue.jsonl"
command -v redis-server >/dev/null || { apt-get update && apt-get install -y redis-server; }
cargo build --release -q -p meetflow-tests --bin queue-bench
B="$ROOT/target/release/queue-bench"
. "$ROOT/scripts/bench/redis.sh"
trap bench_redis_stop EXIT
bench_redis_start "$PORT"
URL="redis://127.0.0.1:$PORT"
fresh() { redis-cli -p "$PORT" flushall >/dev/null; }
rec() { "$@" | grep '^{' | tee -a "$OUT/queue.jsonl"; }
for run in $(seq "$RUNS"); do
  if has enqueue; then
    fresh; rec "$B" "$URL" enqueue single "$N"
    fresh; rec "$B" "$URL" enqueue bulk "$N"
  fi
  if has process; then
    for c in 1 10 100; do fresh; "$B" "$URL" fill "$N"; rec "$B" "$URL" worker throughput "$c" "$N"; done
  fi
  if has latency; then
    fresh; rec "$B" "$URL" worker latency 10 30000 & w=$!; sleep 1; "$B" "$URL" steady 1000 30; wait $w
  fi
  if has delayed; then
    fresh; rec "$B" "$URL" worker delayed 10 20000 & w=$!; sleep 1; "$B" "$URL" delayed-producer 20000 10000; wait $w
  fi
done
if has memory; then fresh; rec "$B" "$URL" memory 10000 16; fresh; rec "$B" "$URL" memory 10000 2200; fi
if has backlog; then fresh; rec "$B" "$URL" backlog "${BACKLOG:-1000000}"; fi
LPUSH=$(redis-benchmark -p "$PORT" -t lpush -n 200000 --csv | awk -F'"' '/LPUSH/ {print $4}')
bench_redis_stop
PEER_SCENARIOS=$(for s in enqueue process latency delayed; do if has "$s"; then echo -n "$s "; fi; done)
if [ -z "${SKIP_PEERS:-}" ] && [ -n "$PEER_SCENARIOS" ]; then
  [ -d /tmp/peerbench/node_modules/bullmq ] || bash "$SHARED/bench/setup.sh" >/dev/null
  RESULTS="$OUT/peer" QUIET_PCT=${QUIET_PCT:-1000} MAX_FOREIGN=${MAX_FOREIGN:-1000} RUNS="$RUNS" \
    CONCURRENCIES="1 10 100" SCENARIOS="$PEER_SCENARIOS" REDIS_PORT="$PORT" \
    bash "$SHARED/bench/02-bullmq.sh" > "$OUT/bullmq.log" 2>&1 || echo "BullMQ run failed: see $OUT/bullmq.log"
fi
echo; echo "## Queue core vs BullMQ ($RUNS runs each, medians; raw: $OUT)"
python3 "$ROOT/scripts/bench/queue_table.py" "$OUT/queue.jsonl" "$OUT/peer/bullmq-none.jsonl" "${LPUSH:-}"
