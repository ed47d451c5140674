#!/usr/bin/env bash
# Benchmark of meetflow's durable reminders (issue 6), printing a Markdown table:
#   - 1,000,002 planned reminders (333,334 bookings x 24 h, 1 h, follow-up): time to plan them
#     through Bookings::booked (64 in flight) and Redis memory per reminder;
#   - lateness of 20,000 reminders due over 10 s: the real meetflow-scheduler binary enqueues them,
#     an SMS consumer (meetflow's queue runtime, concurrency 10 like the BullMQ worker) records
#     due -> job start;
#     median of RUNS (3) runs;
#   - beside BullMQ's delayed-job lateness from ../shared/bench (02-bullmq.sh, scenario `delayed`),
#     measured in the same session when the peer bench is installed (its setup.sh), else quoted
#     from its BASELINES.md.
# Own redis-server (persistence off, like the BullMQ baseline) on REDIS_PORT (6393), stopped by pid.
# Knobs: REDIS_PORT, BOOKINGS, LATENESS, WINDOW_MS, RUNS, PEERS (../shared/bench), SKIP_BULLMQ=1.
# Usage: scripts/bench-reminders.sh    (release build; ~5 min on 2 cores)
set -euo pipefail
# Own session, so the peer bench's foreign_cpu.py can tell our processes from the rest of the box.
if [ "$(ps -o sid= -p $$ | tr -d ' ')" != "$$" ]; then exec setsid -w "$0" "$@"; fi
cd "$(dirname "$0")/.."
PORT=${REDIS_PORT:-6393}; BOOKINGS=${BOOKINGS:-333334}; LATENESS=${LATENESS:-20000}
WINDOW_MS=${WINDOW_MS:-10000}; RUNS=${RUNS:-3}; PEERS=${PEERS:-../shared/bench}

cargo build --release --quiet -p meetflow-scheduler --bin meetflow-scheduler --example bench_reminders
if redis-cli -p "$PORT" ping >/dev/null 2>&1; then
  echo "bench-reminders: port $PORT already answers; set REDIS_PORT to a free port" >&2; exit 1
fi
DIR=$(mktemp -d)
redis-server --port "$PORT" --bind 127.0.0.1 --dir "$DIR" --save "" --appendonly no \
  --maxmemory-policy noeviction --logfile "$DIR/redis.log" --daemonize no &
REDIS_PID=$!
cleanup() { kill "$REDIS_PID" 2>/dev/null || true; wait "$REDIS_PID" 2>/dev/null || true; rm -rf "$DIR"; }
trap cleanup EXIT
until redis-cli -p "$PORT" ping >/dev/null 2>&1; do sleep 0.1; done
[ -f "$PEERS/lib/foreign_cpu.py" ] && export BENCH_FOREIGN_CPU="$PEERS/lib/foreign_cpu.py"

target/release/examples/bench_reminders --redis "redis://127.0.0.1:$PORT" --bookings "$BOOKINGS" \
  --lateness "$LATENESS" --window-ms "$WINDOW_MS" --runs "$RUNS" \
  --scheduler-bin target/release/meetflow-scheduler

echo
if [ -z "${SKIP_BULLMQ:-}" ] && [ -d "${PEERBENCH:-/tmp/peerbench}/node_modules/bullmq" ]; then
  echo "## BullMQ delayed jobs, same session (../shared/bench/02-bullmq.sh, RUNS=$RUNS)"
  RUNS=$RUNS SCENARIOS=delayed "$PEERS/02-bullmq.sh" 2>/dev/null | grep '^| bullmq' || echo "(02-bullmq.sh failed)"
else
  echo "## BullMQ delayed jobs (not installed here: run $PEERS/setup.sh to measure it in this session)"
  grep -m1 'delayed jobs due over 10 s' "$PEERS/BASELINES.md" 2>/dev/null || echo "(no BASELINES.md at $PEERS)"
fi
