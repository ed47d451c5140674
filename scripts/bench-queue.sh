#!/usr/bin/env bash
# Queue-core benchmark beside BullMQ, same machine, same session, same counts (issue 3).
#   enqueue 50,000 one by one and in batches of 1,000; drain 50,000 no-op jobs with one worker
#   process at concurrency 1, 10, 100; enqueue->start latency at 1,000 jobs/s for 30 s; lateness of
#   20,000 delayed jobs due over 10 s; Redis bytes per waiting job; a backlog of 1,000,000 delayed
#   jobs all due at once, drained by one worker; redis-benchmark on the same Redis.
# Usage: scripts/bench-queue.sh            (RUNS=3; SKIP_PEERS=1 to skip BullMQ; PORT=6393; PROFILE=release)
#   SCENARIOS="enqueue process latency delayed memory backlog" (the first four are passed to BullMQ's
#   script too); BACKLOG=1000000; QUIET_PCT / MAX_FOREIGN: the peer script's busy-box guard (off: 1000).
#   SCENARIOS=cluster (not in the default list): enqueue one by one and drain at concurrency 10
#   (plain, and taking a shared rate-limit slot per job: `{bench:rl}`, a tag of its own),
#   CLUSTER_N jobs (20000), on the one Redis and on a loopback Redis Cluster of 1 and of 3 masters
#   (ports CLUSTER_PORT.. , 6400), with the keys each master holds afterwards. The queue's keys share
#   one hash tag, so 3 masters add no queue capacity: on one machine the figure is the Cluster
#   client's overhead and where the independently tagged families land, not a scaling factor.
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
PROFILE=${PROFILE:-release}  # PROFILE=debug: a debug build (quicker to build; slower figures, say so)
if [ "$PROFILE" = release ]; then cargo build --release -q -p meetflow-tests --bin queue-bench
else cargo build -q -p meetflow-tests --bin queue-bench; fi
B="$ROOT/target/$PROFILE/queue-bench"
. "$ROOT/scripts/bench/redis.sh"
. "$ROOT/scripts/bench/cluster.sh"
trap 'bench_redis_stop; bench_cluster_stop' EXIT
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
if has cluster; then
  CN=${CLUSTER_N:-20000}; : > "$OUT/cluster.jsonl"
  # crec TOPOLOGY CMD...: one record of the cluster table, labelled with its topology.
  crec() { local t=$1; shift; "$@" | grep '^{' | sed "s/^{/{\"topology\":\"$t\",/" | tee -a "$OUT/cluster.jsonl"; }
  # One run = each topology in turn, so load that drifts during the session hits all three alike.
  for run in $(seq "$RUNS"); do
    fresh; crec single "$B" "$URL" enqueue single "$CN"
    fresh; "$B" "$URL" fill "$CN"; crec single "$B" "$URL" worker throughput 10 "$CN"
    fresh; "$B" "$URL" fill "$CN"; crec single "$B" "$URL" worker limited 10 "$CN"
    for shards in 1 3; do
      bench_cluster_start "$shards" "${CLUSTER_PORT:-6400}"
      crec "cluster$shards" "$B" "$BENCH_CLUSTER_URL" enqueue single "$CN"
      bench_cluster_flush; "$B" "$BENCH_CLUSTER_URL" fill "$CN"
      crec "cluster$shards" "$B" "$BENCH_CLUSTER_URL" worker throughput 10 "$CN"
      bench_cluster_flush; "$B" "$BENCH_CLUSTER_URL" fill "$CN"
      crec "cluster$shards" "$B" "$BENCH_CLUSTER_URL" worker limited 10 "$CN"
      echo "{\"topology\":\"cluster$shards\",\"keys_per_master\":\"$(bench_cluster_keys)\"}" | tee -a "$OUT/cluster.jsonl"
      bench_cluster_stop
    done
  done
fi
LPUSH=$(redis-benchmark -p "$PORT" -t lpush -n 200000 --csv | awk -F'"' '/LPUSH/ {print $4}')
bench_redis_stop
PEER_SCENARIOS=$(for s in enqueue process latency delayed; do if has "$s"; then echo -n "$s "; fi; done)
if [ -z "${SKIP_PEERS:-}" ] && [ -n "$PEER_SCENARIOS" ]; then
  [ -d /tmp/peerbench/node_modules/bullmq ] || bash "$SHARED/bench/setup.sh" >/dev/null
  RESULTS="$OUT/peer" QUIET_PCT=${QUIET_PCT:-1000} MAX_FOREIGN=${MAX_FOREIGN:-1000} RUNS="$RUNS" \
    CONCURRENCIES="1 10 100" SCENARIOS="$PEER_SCENARIOS" REDIS_PORT="$PORT" \
    bash "$SHARED/bench/02-bullmq.sh" > "$OUT/bullmq.log" 2>&1 || echo "BullMQ run failed: see $OUT/bullmq.log"
fi
if [ -s "$OUT/queue.jsonl" ]; then
  echo; echo "## Queue core vs BullMQ ($RUNS runs each, medians; raw: $OUT)"
  python3 "$ROOT/scripts/bench/queue_table.py" "$OUT/queue.jsonl" "$OUT/peer/bullmq-none.jsonl" "${LPUSH:-}"
fi
if has cluster; then
  echo; echo "## One Redis vs Redis Cluster of 1 and 3 masters, loopback ($RUNS runs each, medians; N=$CN)"
  python3 "$ROOT/scripts/bench/cluster_table.py" "$OUT/cluster.jsonl" "$(nproc)"
fi
