# Sourced by scripts/bench-*.sh: a private redis-server (persistence off unless flags say otherwise)
# on an explicit port, stopped by its pid, never by name or port.
#   bench_redis_start PORT [redis-server flags...]   refuses a port that already answers
#   bench_redis_stop                                  idempotent; waits until the process is gone
bench_redis_start() {
  local port=$1; shift
  if redis-cli -p "$port" ping >/dev/null 2>&1; then
    echo "port $port already answers (another Redis); pick another with PORT=" >&2; return 1
  fi
  BENCH_REDIS_DIR=$(mktemp -d)
  redis-server --port "$port" --bind 127.0.0.1 --save "" --appendonly no --dir "$BENCH_REDIS_DIR" \
    --logfile "$BENCH_REDIS_DIR/redis.log" "$@" >/dev/null 2>&1 &
  BENCH_REDIS_PID=$!
  until redis-cli -p "$port" ping >/dev/null 2>&1; do
    if ! kill -0 "$BENCH_REDIS_PID" 2>/dev/null; then
      echo "redis-server on port $port did not start: $(tail -3 "$BENCH_REDIS_DIR/redis.log")" >&2; return 1
    fi
    sleep 0.05
  done
}

bench_redis_stop() {
  [ -n "${BENCH_REDIS_PID:-}" ] || return 0
  kill "$BENCH_REDIS_PID" 2>/dev/null || true
  wait "$BENCH_REDIS_PID" 2>/dev/null || true
  rm -rf "$BENCH_REDIS_DIR"; BENCH_REDIS_PID=
}
