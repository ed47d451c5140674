#!/usr/bin/env bash
# Webhook ingest benchmark: meetflow-ingest beside the Node seed server (express 5 + BullMQ), both
# driven by the same harness, ../shared/bench/03-webhook-seed.sh (wrk, the same 2.2 KB signed
# Calendly body, c=16 and c=64, 20 s runs after a 3 s warm-up, medians of RUNS runs), in one session.
# Prints requests/s, latency p50/p99/max, server RSS, jobs-in-Redis vs 2xx, and our/seed ratios.
#
# Usage: scripts/bench-ingest.sh                     (about 5 min on a quiet box)
# Env:   BENCH_DIR   the peer harness        [../shared/bench beside the repo]
#        PERSIST     Redis persistence for both servers: aof (appendfsync everysec) | none   [aof]
#        RUNS        rounds; each round runs the seed once, then ours once (interleaved)   [3]
#        DURATION, CONCURRENCIES, REDIS_PORT, PORT    passed to the harness   [20, "16 64", 6392, 8080]
#        RESULTS     where the JSON lines go  [target/bench-ingest]
#        SKIP_SEED=1 only run ours (no ratios); SUMMARY_ONLY=1 reprint the tables of the last run
#        QUIET_PCT, MAX_FOREIGN   the harness's shared-box guard (see its README); on a busy box use
#                    QUIET_PCT=1000 MAX_FOREIGN=1000 and read the ratios ("others' CPU %" shows the noise)
#
# How our server meets the harness contract (it passes PORT, REDIS_PORT, WEBHOOK_SECRET, TOLERANCE_S):
#   - configuration through MEETFLOW__ environment overrides only (no file);
#   - TOLERANCE_S=0 means "skip the timestamp check" (wrk replays one fixed, old `t`): our window must
#     be positive, so it becomes a window of 100 years; any other value is used in seconds;
#   - de-duplication off: the harness sends the SAME delivery every time and counts one job per 200.
#     With de-duplication on (production) every request after the first is a duplicate and stores
#     nothing, so the check could not hold. The production binary cannot turn it off (no flag, no
#     key); the benchmark runs `ingest-load-server` from the tests crate instead: the same library
#     and start-up, each request with a fresh job id; the Redis work per request (one enqueue
#     script, job hash + list push) is the same as for a new delivery.
#   - JOBS_CMD counts the `events` ready list; no worker runs, so every job stays there.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BENCH_DIR=${BENCH_DIR:-}
if [ -z "$BENCH_DIR" ]; then
  for d in "$ROOT/../shared/bench"; do [ -x "$d/03-webhook-seed.sh" ] && BENCH_DIR=$(cd "$d" && pwd) && break; done
fi
[ -x "${BENCH_DIR:-}/03-webhook-seed.sh" ] || { echo "peer harness not found; set BENCH_DIR" >&2; exit 1; }
export RESULTS=${RESULTS:-$ROOT/target/bench-ingest}
export PERSIST=${PERSIST:-aof} REDIS_PORT=${REDIS_PORT:-6392} PORT=${PORT:-8080}
mkdir -p "$RESULTS"

if [ "${SUMMARY_ONLY:-0}" != 1 ]; then
echo "building ingest-load-server (release; meetflow-ingest without de-duplication)..." >&2
(cd "$ROOT" && cargo build --release -q -p meetflow-tests --bin ingest-load-server)
BIN=$ROOT/target/release/ingest-load-server

# The harness runs SERVER_CMD without a shell; this wrapper maps its variables onto our config.
WRAPPER=$RESULTS/meetflow-ingest-bench.sh
cat > "$WRAPPER" <<EOF
#!/usr/bin/env bash
if [ "\${TOLERANCE_S:-0}" = 0 ]; then tolerance=100y; else tolerance=\${TOLERANCE_S}s; fi
export MEETFLOW__INGEST__LISTEN=127.0.0.1:\$PORT
export MEETFLOW__REDIS__URL=redis://127.0.0.1:\$REDIS_PORT
export MEETFLOW__CONNECTORS__CALENDLY__SIGNING_KEY=\$WEBHOOK_SECRET
export MEETFLOW__CONNECTORS__CALENDLY__TOLERANCE=\$tolerance
export MEETFLOW__OPS__LISTEN=127.0.0.1:0
export MEETFLOW_LOG_FORMAT=json RUST_LOG=\${RUST_LOG:-warn}
exec "$BIN"
EOF
chmod +x "$WRAPPER"

# Interleave the two servers, one run each per round, so drift on a shared box hits both alike.
ROUNDS=${RUNS:-3}
rm -f "$RESULTS"/webhook-seed-r*.jsonl "$RESULTS"/webhook-meetflow-r*.jsonl
for round in $(seq "$ROUNDS"); do
  if [ "${SKIP_SEED:-0}" != 1 ]; then
    echo "== round $round/$ROUNDS: seed, node express 5 + BullMQ (PERSIST=$PERSIST)" >&2
    RUNS=1 NAME=seed-r$round "$BENCH_DIR/03-webhook-seed.sh" >&2
  fi
  echo "== round $round/$ROUNDS: meetflow-ingest (PERSIST=$PERSIST)" >&2
  RUNS=1 NAME=meetflow-r$round SERVER_CMD=$WRAPPER \
    JOBS_CMD="redis-cli -p $REDIS_PORT llen {meetflow}:q:events:ready" "$BENCH_DIR/03-webhook-seed.sh" >&2
done
cat "$RESULTS"/webhook-seed-r*.jsonl > "$RESULTS/webhook-seed.jsonl" 2>/dev/null || true
cat "$RESULTS"/webhook-meetflow-r*.jsonl > "$RESULTS/webhook-meetflow.jsonl"
fi

python3 "$ROOT/scripts/bench/ingest_table.py" "$RESULTS/webhook-seed.jsonl" "$RESULTS/webhook-meetflow.jsonl" "$PERSIST"
