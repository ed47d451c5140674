#!/usr/bin/env bash
# What the delivery log costs webhook intake: ingest latency (p50/p95/p99) and throughput with
# `ingest.delivery_log` off (`retention: 0s`) and on, side by side in one session, with ratios.
# Each round runs the log off, then on, at every concurrency (interleaved, so drift on a shared
# box hits both alike); the table shows medians over the rounds.
#
# Server: `ingest-load-server` (meetflow-ingest without redelivery de-duplication, from the tests
# crate, see scripts/bench-ingest.sh): every request is a new delivery, so with the log on each
# one writes its job AND its log entry (entry hash, provider, provider:event and person indexes)
# in the same script, then the batch's trim runs. The body is the repo's Calendly
# `invitee.created` sample (shared/src/events/testdata/invitee_created.json, 2 persons: an e-mail
# and a phone), signed once with a fixed timestamp (tolerance 100 years).
# With the log on, `max_entries` is LOG_MAX_ENTRIES, so the log reaches its cap in the warm-up
# and the measured run pays the steady-state trim (one entry out per entry in), as a full
# production log does.
# Driver: wrk (apt-get install wrk), scripts/bench/wrk-latency.lua.
#
# Usage: scripts/bench-delivery-log.sh                       (about 5 min after the build)
# Env:   PROFILE          release | debug  [release]
#        RUNS             rounds  [3]
#        DURATION         seconds per measured run, after a 3 s warm-up  [15]
#        CONCURRENCIES    wrk connections  ["16 64"]
#        WRK_THREADS      [2]
#        PERSIST          aof (appendfsync everysec) | none  [aof]
#        LOG_MAX_ENTRIES  ingest.delivery_log.max_entries of the "on" runs  [10000]
#        REDIS_PORT, PORT [6397, 8097]
#        RESULTS          where the JSON lines go  [target/bench-delivery-log]
#        SUMMARY_ONLY=1   reprint the table of the last run
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
PROFILE=${PROFILE:-release}; RUNS=${RUNS:-3}; DURATION=${DURATION:-15}
CONCURRENCIES=${CONCURRENCIES:-16 64}; WRK_THREADS=${WRK_THREADS:-2}; PERSIST=${PERSIST:-aof}
LOG_MAX_ENTRIES=${LOG_MAX_ENTRIES:-10000}; REDIS_PORT=${REDIS_PORT:-6397}; PORT=${PORT:-8097}
RESULTS=${RESULTS:-$ROOT/target/bench-delivery-log}
OUT=$RESULTS/delivery-log.jsonl
mkdir -p "$RESULTS"

if [ "${SUMMARY_ONLY:-0}" != 1 ]; then
command -v wrk >/dev/null || { echo "wrk not found (apt-get install wrk)" >&2; exit 1; }
echo "building ingest-load-server ($PROFILE)..." >&2
if [ "$PROFILE" = release ]; then
  (cd "$ROOT" && cargo build --release -q -p meetflow-tests --bin ingest-load-server)
else
  (cd "$ROOT" && cargo build -q -p meetflow-tests --bin ingest-load-server)
fi
BIN=${CARGO_TARGET_DIR:-$ROOT/target}/$PROFILE/ingest-load-server

# shellcheck source=scripts/bench/redis.sh
. "$ROOT/scripts/bench/redis.sh"
persist=()
[ "$PERSIST" = aof ] && persist=(--appendonly yes --appendfsync everysec)
bench_redis_start "$REDIS_PORT" --maxmemory-policy noeviction "${persist[@]}"
spid=
trap '[ -n "$spid" ] && kill "$spid" 2>/dev/null; bench_redis_stop' EXIT
if curl -s -o /dev/null "http://127.0.0.1:$PORT/"; then echo "port $PORT is busy; set PORT" >&2; exit 1; fi

KEY=bench-delivery-log-key
export BODY_FILE=$ROOT/shared/src/events/testdata/invitee_created.json
SIG_HEADER="t=1,v1=$(python3 -c 'import hmac,hashlib,sys
print(hmac.new(sys.argv[1].encode(), b"1." + open(sys.argv[2], "rb").read(), hashlib.sha256).hexdigest())' "$KEY" "$BODY_FILE")"
export SIG_HEADER
URL=http://127.0.0.1:$PORT/webhooks/calendly
rcli() { redis-cli -p "$REDIS_PORT" "$@"; }
ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }          # utime + stime of a pid
wrk_run() { wrk -t"$WRK_THREADS" -c"$1" -d"$2"s -s "$ROOT/scripts/bench/wrk-latency.lua" "$URL"; }

# one_run MODE C ROUND: a fresh Redis database and server, warm-up, measured run; one JSON line.
one_run() {
  local mode=$1 c=$2 round=$3 log_env jobs0 s0 r0 res s1 r1 jobs
  if [ "$mode" = off ]; then log_env=(MEETFLOW__INGEST__DELIVERY_LOG__RETENTION=0s)
  else log_env=(MEETFLOW__INGEST__DELIVERY_LOG__MAX_ENTRIES="$LOG_MAX_ENTRIES"); fi
  rcli flushall >/dev/null
  env MEETFLOW__INGEST__LISTEN=127.0.0.1:$PORT MEETFLOW__REDIS__URL=redis://127.0.0.1:$REDIS_PORT \
    MEETFLOW__CONNECTORS__CALENDLY__SIGNING_KEY=$KEY MEETFLOW__CONNECTORS__CALENDLY__TOLERANCE=100y \
    MEETFLOW__OPS__LISTEN=127.0.0.1:0 MEETFLOW_LOG_FORMAT=json RUST_LOG=warn "${log_env[@]}" \
    "$BIN" > "$RESULTS/.server-$mode.log" 2>&1 & spid=$!
  until curl -s -o /dev/null "http://127.0.0.1:$PORT/"; do
    kill -0 "$spid" 2>/dev/null || { echo "server exited: $(tail -3 "$RESULTS/.server-$mode.log")" >&2; exit 1; }
    sleep 0.1
  done
  wrk_run "$c" 3 >/dev/null                                    # warm-up, discarded
  sleep 1
  jobs0=$(rcli llen '{meetflow}:q:events:ready'); s0=$(ticks "$spid"); r0=$(ticks "$BENCH_REDIS_PID")
  res=$(wrk_run "$c" "$DURATION" | tail -1)
  s1=$(ticks "$spid"); r1=$(ticks "$BENCH_REDIS_PID")
  sleep 1
  jobs=$(( $(rcli llen '{meetflow}:q:events:ready') - jobs0 ))
  RES=$res MODE=$mode C=$c ROUND=$round JOBS=$jobs HZ=$(getconf CLK_TCK) DUR=$DURATION \
    SERVER_TICKS=$((s1 - s0)) REDIS_TICKS=$((r1 - r0)) LOG_ENTRIES="$(rcli zcard '{meetflow}:deliveries')" \
    REDIS_MB="$(rcli info memory | awk -F: '/^used_memory:/ {printf "%.1f", $2 / 1048576}')" \
    python3 -c 'import json, os
e = os.environ; r = json.loads(e["RES"]); hz = int(e["HZ"]); d = int(e["DUR"])
r.update(mode=e["MODE"], c=int(e["C"]), round=int(e["ROUND"]), jobs_in_redis=int(e["JOBS"]),
         server_cpu_pct=round(int(e["SERVER_TICKS"]) * 100 / hz / d, 1),
         redis_cpu_pct=round(int(e["REDIS_TICKS"]) * 100 / hz / d, 1),
         log_entries=int(e["LOG_ENTRIES"]), redis_used_mb=float(e["REDIS_MB"]))
print(json.dumps(r))' | tee -a "$OUT"
  kill "$spid"; wait "$spid" 2>/dev/null || true; spid=
}

: > "$OUT"
for round in $(seq "$RUNS"); do
  for c in $CONCURRENCIES; do
    for mode in off on; do
      echo "== round $round/$RUNS c=$c delivery log $mode" >&2
      one_run "$mode" "$c" "$round" >&2
    done
  done
done
fi

python3 "$ROOT/scripts/bench/delivery_log_table.py" "$OUT" "${PROFILE}" "${PERSIST}" "${LOG_MAX_ENTRIES}"
