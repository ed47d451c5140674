# Sourced by scripts/bench-queue.sh: a private Redis Cluster of N masters (no replicas, persistence
# off) on consecutive loopback ports, stopped by its pids, never by name or port.
#   bench_cluster_start SHARDS FIRST_PORT   refuses a port that already answers; sets
#                                           BENCH_CLUSTER_URL (redis+cluster://...) and BENCH_CLUSTER_PORTS
#   bench_cluster_flush                     FLUSHALL on every master
#   bench_cluster_keys                      the keys each master holds by tag, one line:
#                                           ":6400 20000 {bench}; :6401 none; :6402 3 {bench:proc}"
#   bench_cluster_stop                      idempotent; waits until every process is gone
# Slots are split evenly (CLUSTER ADDSLOTSRANGE on each node, then CLUSTER MEET), so one shard works
# the same way as three (redis-cli --cluster create refuses fewer than three masters).
bench_cluster_start() {
  local shards=$1 first=$2 i port lo hi
  BENCH_CLUSTER_PIDS=(); BENCH_CLUSTER_PORTS=(); BENCH_CLUSTER_DIR=$(mktemp -d)
  for ((i = 0; i < shards; i++)); do
    port=$((first + i))
    if redis-cli -p "$port" ping >/dev/null 2>&1; then
      echo "port $port already answers (another Redis); pick another with CLUSTER_PORT=" >&2; return 1
    fi
    mkdir -p "$BENCH_CLUSTER_DIR/$port"
    redis-server --port "$port" --bind 127.0.0.1 --save "" --appendonly no \
      --cluster-enabled yes --cluster-config-file nodes.conf --cluster-node-timeout 5000 \
      --dir "$BENCH_CLUSTER_DIR/$port" --logfile "$BENCH_CLUSTER_DIR/$port/redis.log" >/dev/null 2>&1 &
    BENCH_CLUSTER_PIDS+=($!); BENCH_CLUSTER_PORTS+=("$port")
  done
  for ((i = 0; i < shards; i++)); do
    port=${BENCH_CLUSTER_PORTS[$i]}
    until redis-cli -p "$port" ping >/dev/null 2>&1; do
      kill -0 "${BENCH_CLUSTER_PIDS[$i]}" 2>/dev/null || { echo "cluster node $port did not start" >&2; return 1; }
      sleep 0.05
    done
    lo=$((16384 * i / shards)); hi=$((16384 * (i + 1) / shards - 1))
    redis-cli -p "$port" cluster addslotsrange "$lo" "$hi" >/dev/null
    [ "$i" -eq 0 ] || redis-cli -p "$port" cluster meet 127.0.0.1 "${BENCH_CLUSTER_PORTS[0]}" >/dev/null
  done
  local deadline=$((SECONDS + 30))
  for port in "${BENCH_CLUSTER_PORTS[@]}"; do
    until redis-cli -p "$port" cluster info | grep -q "cluster_state:ok" \
      && [ "$(redis-cli -p "$port" cluster info | awk -F: '/cluster_known_nodes/ {print $2+0}')" -eq "$shards" ]; do
      [ "$SECONDS" -lt "$deadline" ] || { echo "cluster node $port not ok after 30 s" >&2; return 1; }
      sleep 0.1
    done
  done
  BENCH_CLUSTER_URL="redis+cluster://$(printf '127.0.0.1:%s,' "${BENCH_CLUSTER_PORTS[@]}" | sed 's/,$//')"
}

bench_cluster_flush() {
  local port
  for port in "${BENCH_CLUSTER_PORTS[@]}"; do redis-cli -p "$port" flushall >/dev/null; done
}

bench_cluster_keys() {
  local port out="" tags
  for port in "${BENCH_CLUSTER_PORTS[@]}"; do
    tags=$(redis-cli -p "$port" --scan | sed -n 's/^{\([^}]*\)}.*/\1/p' | sort | uniq -c \
      | awk '{printf "%s%s {%s}", (NR > 1 ? ", " : ""), $1, $2}')
    out+="${out:+; }:$port ${tags:-none}"
  done
  echo "$out"
}

bench_cluster_stop() {
  [ -n "${BENCH_CLUSTER_PIDS+x}" ] || return 0
  local pid
  for pid in "${BENCH_CLUSTER_PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${BENCH_CLUSTER_PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
  rm -rf "$BENCH_CLUSTER_DIR"; unset BENCH_CLUSTER_PIDS BENCH_CLUSTER_PORTS
}
