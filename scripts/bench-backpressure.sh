#!/usr/bin/env bash
# Backpressure under a shared rate limit (issue 16, item 3): SMS=10000 confirmation SMS (one stored
# booking each) drained by one `meetflow-worker --queues sms` under an EngageLab limit of RATE/s,
# against the fake EngageLab. Prints one JSON line with Redis commands per completed job
# (`total_commands_processed`, a script's inner calls included), Redis CPU (`used_cpu_sys +
# used_cpu_user` delta), and the drain time against the limit's theoretical minimum
# ((jobs - 1) / rate). Printed, not asserted.
# With BOOKINGS=N: N bookings' Brevo work instead (a contact sync and a `booked` event each, two
# jobs) drained by one `meetflow-worker --queues brevo` at the default `brevo.rate_limits`
# against a fake Brevo enforcing Brevo's limits (10/s on /contacts and on /events); the same line,
# per completed job, with the limit's minimum (N - 1) / 10 s.
# Usage: scripts/bench-backpressure.sh             (SMS=10000 RATE=20 PROCS=1 PORT=6395)
#        SMS=1000 scripts/bench-backpressure.sh    (short mode)
#        BOOKINGS=3000 scripts/bench-backpressure.sh   (the Brevo backlog)
#        PROFILE=debug ...                          (use the debug build; default release)
# Needs: redis-server.
set -euo pipefail
cd "$(dirname "$0")/.."
SMS=${SMS:-10000}; RATE=${RATE:-20}; PROCS=${PROCS:-1}; PORT=${PORT:-6395}; PROFILE=${PROFILE:-release}
BOOKINGS=${BOOKINGS:-}
command -v redis-server >/dev/null || { apt-get update && apt-get install -y redis-server; }
FLAG=--release; [ "$PROFILE" = debug ] && FLAG=
DRIVER=sms-bench; [ -n "$BOOKINGS" ] && DRIVER=brevo-bench
cargo build $FLAG -q -p meetflow-worker --bin meetflow-worker
cargo build $FLAG -q -p meetflow-tests --bin "$DRIVER"
W="$PWD/target/$PROFILE/meetflow-worker"; B="$PWD/target/$PROFILE/$DRIVER"
. scripts/bench/redis.sh
trap bench_redis_stop EXIT
bench_redis_start "$PORT"
if [ -n "$BOOKINGS" ]; then
  "$B" "redis://127.0.0.1:$PORT" "$W" "$BOOKINGS"
else
  "$B" "redis://127.0.0.1:$PORT" "$W" "$PROCS" "$SMS" 0 "$RATE"
fi
