#!/usr/bin/env bash
# The load run (issue 9): meetflow's ingest and queue benchmarks and the peers of ../shared/bench
# (the Node express + BullMQ seed, BullMQ, Sidekiq, RQ) in one session, one after the other on ONE
# Redis port (each script starts and stops its own redis-server there, same flags), then the
# scale-out of meetflow-worker with 1, 2 and 4 processes against a fake EngageLab answering in
# 50 ms. Prints one Markdown table with ratios, the scale-out table and the conditions (time and
# other tenants' CPU per section). It reuses the scripts' own measurements and JSON lines:
#   ingest    scripts/bench-ingest.sh   meetflow-ingest vs the seed, interleaved (03-webhook-seed.sh, wrk)
#   queue     scripts/bench-queue.sh    queue core vs BullMQ (02-bullmq.sh): enqueue, drain, latency, delayed
#   sidekiq   05-sidekiq.sh             50,000 no-op jobs at concurrency 1/10/100 (Debian ruby-sidekiq)
#   rq        04-rq.sh                  one RQ worker, SimpleWorker and the default forking Worker
#   scale-out scripts/bench-sms.sh      PROCS="1 2 4" LATENCY_MS=50, no rate limit
# Usage: scripts/bench-load.sh              full: RUNS=3, about 23 min on the 2-core box
#        QUICK=1 scripts/bench-load.sh      smoke: one run each, short cases, about 5 min
# Env:   RUNS, REDIS_PORT (6395), HTTP_PORT (8095), OUT (target/bench-load),
#        SKIP_PEERS=1 (no peers) or a list of "seed bullmq sidekiq rq", RQ_N (3,000; quick 500),
#        SMS_JOBS (20,000; quick 5,000), QUIET_PCT / MAX_FOREIGN: the peer scripts' busy-box guard,
#        off (1000) by default so the run has a bounded time; others' CPU is reported per section.
# Persistence: ingest with AOF everysec for both servers (bench-ingest's default); queue, Sidekiq,
# RQ and scale-out with persistence off (as in ../shared/bench/BASELINES.md).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
QUICK=${QUICK:-0}
if [ "$QUICK" = 1 ]; then
  RUNS=${RUNS:-1}; DURATION=${DURATION:-5}; RQ_N=${RQ_N:-500}; SMS_JOBS=${SMS_JOBS:-5000}
  SCENARIOS=${SCENARIOS:-enqueue process latency}
else
  RUNS=${RUNS:-3}; DURATION=${DURATION:-20}; RQ_N=${RQ_N:-3000}; SMS_JOBS=${SMS_JOBS:-20000}
  SCENARIOS=${SCENARIOS:-enqueue process latency delayed}
fi
REDIS_PORT=${REDIS_PORT:-6395}; HTTP_PORT=${HTTP_PORT:-8095}
export QUIET_PCT=${QUIET_PCT:-1000} MAX_FOREIGN=${MAX_FOREIGN:-1000} PEERBENCH=${PEERBENCH:-/tmp/peerbench}
OUT=${OUT:-$ROOT/target/bench-load}
BENCH_DIR=${BENCH_DIR:-}
for d in "$ROOT/../shared/bench"; do
  [ -z "$BENCH_DIR" ] && [ -x "$d/03-webhook-seed.sh" ] && BENCH_DIR=$(cd "$d" && pwd)
done
[ -x "${BENCH_DIR:-}/03-webhook-seed.sh" ] || { echo "peer harness not found; set BENCH_DIR" >&2; exit 1; }
rm -rf "$OUT"; mkdir -p "$OUT/peer"
: > "$OUT/not-measured.tsv"; : > "$OUT/sections.jsonl"
if redis-cli -p "$REDIS_PORT" ping >/dev/null 2>&1; then echo "port $REDIS_PORT already answers; set REDIS_PORT" >&2; exit 1; fi

skipped() { [ "${SKIP_PEERS:-}" = 1 ] || [[ " ${SKIP_PEERS:-} " == *" $1 "* ]]; }
not_measured() { printf '%s\t%s\n' "$1" "$2" >> "$OUT/not-measured.tsv"; echo "not measured: $1: $2" >&2; }
# section NAME CMD...: runs CMD with its output in $OUT/NAME.log, timing it and sampling the CPU
# that processes outside this run's tree use meanwhile; a failing section is reported, not fatal.
section() {
  local name=$1 t0 mon result=ok; shift
  echo "== $name ($(date -u +%H:%M:%S))" >&2
  python3 "$ROOT/scripts/bench/others_cpu.py" $$ > "$OUT/.others" & mon=$!
  t0=$(date +%s)
  "$@" > "$OUT/$name.log" 2>&1 || result="failed, see $OUT/$name.log"
  kill "$mon"; wait "$mon" || true
  printf '{"section":"%s","secs":%s,"others_cpu_pct":%s,"result":"%s"}\n' \
    "$name" $(( $(date +%s) - t0 )) "$(cat "$OUT/.others")" "$result" >> "$OUT/sections.jsonl"
  [ "$result" = ok ] || echo "$name: $result" >&2
}

echo "building release binaries..." >&2
cargo build --release -q -p meetflow-ingest --bin meetflow-ingest
cargo build --release -q -p meetflow-worker --bin meetflow-worker
cargo build --release -q -p meetflow-tests --bin queue-bench --bin sms-bench

# Peers: install what is missing once (../shared/bench/setup.sh: npm, venv, wrk, ruby-sidekiq).
if [ "${SKIP_PEERS:-}" != 1 ]; then
  if ! { [ -d "$PEERBENCH/node_modules/bullmq" ] && [ -x "$PEERBENCH/venv/bin/rq" ] \
         && command -v wrk && command -v sidekiq; } >/dev/null 2>&1; then
    bash "$BENCH_DIR/setup.sh" > "$OUT/setup.log" 2>&1 || echo "peer setup failed, see $OUT/setup.log" >&2
  fi
fi
command -v wrk >/dev/null || not_measured "webhook ingest (all servers)" "wrk is not installed"
have_node() { command -v node >/dev/null && [ -d "$PEERBENCH/node_modules/$1" ]; }
if skipped seed; then not_measured "Node seed" "skipped (SKIP_PEERS)"
elif ! have_node express; then not_measured "Node seed" "node or express missing under $PEERBENCH (setup.sh failed?)"; fi
if skipped bullmq; then not_measured BullMQ "skipped (SKIP_PEERS)"
elif ! have_node bullmq; then not_measured BullMQ "bullmq missing under $PEERBENCH (setup.sh failed?)"; fi
if skipped sidekiq; then not_measured Sidekiq "skipped (SKIP_PEERS)"
elif ! command -v sidekiq >/dev/null; then not_measured Sidekiq "sidekiq not installed (apt-get install ruby-sidekiq failed?)"; fi
if skipped rq; then not_measured RQ "skipped (SKIP_PEERS)"
elif [ ! -x "$PEERBENCH/venv/bin/rq" ]; then not_measured RQ "rq missing in $PEERBENCH/venv (setup.sh failed?)"; fi
measured() { ! grep -q "^$1	" "$OUT/not-measured.tsv"; }

if command -v wrk >/dev/null; then
  seed_skip=1; measured "Node seed" && seed_skip=0
  section ingest env RESULTS="$OUT/ingest" BENCH_DIR="$BENCH_DIR" RUNS="$RUNS" DURATION="$DURATION" \
    REDIS_PORT="$REDIS_PORT" PORT="$HTTP_PORT" SKIP_SEED=$seed_skip "$ROOT/scripts/bench-ingest.sh"
fi
bull_skip=; measured BullMQ || bull_skip=1
section queue env OUT="$OUT" PORT="$REDIS_PORT" RUNS="$RUNS" SCENARIOS="$SCENARIOS" SKIP_PEERS="$bull_skip" \
  MEETFLOW_SHARED="$(dirname "$BENCH_DIR")" "$ROOT/scripts/bench-queue.sh"
if measured Sidekiq; then
  section sidekiq env RESULTS="$OUT/peer" REDIS_PORT="$REDIS_PORT" RUNS="$RUNS" CONCURRENCIES="1 10 100" \
    N=50000 "$BENCH_DIR/05-sidekiq.sh"
fi
if measured RQ; then
  section rq env RESULTS="$OUT/peer" REDIS_PORT="$REDIS_PORT" RUNS="$RUNS" N="$RQ_N" "$BENCH_DIR/04-rq.sh"
fi
section scale-out env OUT="$OUT" PORT="$REDIS_PORT" RUNS="$RUNS" PROCS="1 2 4" LATENCY_MS=50 CAP=0 \
  JOBS="$SMS_JOBS" "$ROOT/scripts/bench-sms.sh"

{
  echo "Load run $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) cores ($(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo)), \
$(redis-server --version | awk '{print $1, $3}'), release build, RUNS=$RUNS$([ "$QUICK" = 1 ] && echo ', QUICK=1')"
  echo
  python3 "$ROOT/scripts/bench/load_table.py" "$OUT"
} | tee "$OUT/load.md"
