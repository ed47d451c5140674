#!/usr/bin/env bash
# Webhook ingest benchmark: meetflow-ingest beside the Node seed server (express 5 + BullMQ), both
# driven by the same harness, ../shared/bench/03-webhook-seed.sh (wrk, the same 2.2 KB signed
# Calendly body, c=16 and c=64, 20 s runs after a 3 s warm-up, medians of RUNS runs), in one session.
# Prints requests/s, latency p50/p99/max, server RSS, jobs-in-Redis vs 2xx, and our/seed ratios.
#
# Usage: scripts/bench-ingest.sh                     (about 5 min on a quiet box)
# Env:   BENCH_DIR   the peer harness        [/work/shared/bench, else ../shared/bench]
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
#   - --no-dedupe: the harness sends the SAME delivery every time and counts one job per 200. With
#     de-duplication on (production) every request after the first is a duplicate and stores
#     nothing, so the check could not hold. --no-dedupe gives each request a fresh job id; the Redis
#     work per request (one enqueue script, job hash + list push) is the same as for a new delivery.
#   - JOBS_CMD counts the `events` ready list; no worker runs, so every job stays there.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BENCH_DIR=${BENCH_DIR:-}
if [ -z "$BENCH_DIR" ]; then
  for d in /work/shared/bench "$ROOT/../shared/bench"; do [ -x "$d/03-webhook-seed.sh" ] && BENCH_DIR=$(cd "$d" && pwd) && break; done
fi
[ -x "${BENCH_DIR:-}/03-webhook-seed.sh" ] || { echo "peer harness not found; set BENCH_DIR" >&2; exit 1; }
export RESULTS=${RESULTS:-$ROOT/target/bench-ingest}
export PERSIST=${PERSIST:-aof} REDIS_PORT=${REDIS_PORT:-6392} PORT=${PORT:-8080}
mkdir -p "$RESULTS"

if [ "${SUMMARY_ONLY:-0}" != 1 ]; then
echo "building meetflow-ingest (release)..." >&2
(cd "$ROOT" && cargo build --release -q -p meetflow-ingest)
BIN=$ROOT/target/release/meetflow-ingest

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
exec "$BIN" --no-dedupe
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

python3 - "$RESULTS/webhook-seed.jsonl" "$RESULTS/webhook-meetflow.jsonl" "$PERSIST" <<'PY'
import json, os, statistics, sys
seed_path, ours_path, persist = sys.argv[1:4]

def load(path):
    by_c = {}
    if not os.path.exists(path):
        return by_c
    for line in open(path):
        if line.startswith("{"):
            r = json.loads(line)
            c = int(r["case"].split("c=")[1].split()[0])
            by_c.setdefault(c, []).append(r)
    return by_c

def med(rows, key):
    return statistics.median(r[key] for r in rows)

def cpu_us(rows):
    # CPU time the server spent per request: the figure least disturbed by a busy box.
    return statistics.median(r["server_cpu_pct"] * 1e4 / r["rps"] for r in rows)

seed, ours = load(seed_path), load(ours_path)
print(f"\n## Webhook ingest, wrk 2.2 KB signed Calendly body, Redis persistence: {persist} (medians)")
print("| server | c | req/s | p50 ms | p99 ms | max ms | RSS peak MB | server CPU % | server CPU µs/req | jobs == 2xx | runs | others' CPU % |")
print("|---|---|---|---|---|---|---|---|---|---|---|---|")
for name, data in (("seed (express+BullMQ)", seed), ("meetflow-ingest", ours)):
    for c in sorted(data):
        rows = data[c]
        ok = all(0 <= r["jobs_in_redis"] - r["wrk_2xx"] <= c and r["non2xx"] == 0 for r in rows)
        print(f"| {name} | {c} | {med(rows, 'rps'):,.0f} | {med(rows, 'p50_ms'):.2f} | {med(rows, 'p99_ms'):.2f} "
              f"| {med(rows, 'max_ms'):.1f} | {med(rows, 'rss_peak_mb'):.1f} | {med(rows, 'server_cpu_pct'):.0f} "
              f"| {cpu_us(rows):.0f} "
              f"| {'yes' if ok else 'NO'} | {len(rows)} | {med(rows, 'foreign_cpu_pct'):.0f} |")
if seed and ours:
    print("\n| c | req/s ours/seed | p99 seed/ours | RSS seed/ours | server CPU per request seed/ours |")
    print("|---|---|---|---|---|")
    for c in sorted(set(seed) & set(ours)):
        s, o = seed[c], ours[c]
        print(f"| {c} | {med(o, 'rps') / med(s, 'rps'):.1f}x | {med(s, 'p99_ms') / med(o, 'p99_ms'):.1f}x "
              f"| {med(s, 'rss_peak_mb') / med(o, 'rss_peak_mb'):.1f}x | {cpu_us(s) / cpu_us(o):.1f}x |")
goals = []
if 64 in ours and 64 in seed:
    goals.append(("req/s at c=64 >= 8x seed", med(ours[64], "rps") >= 8 * med(seed[64], "rps")))
if 16 in ours:
    goals.append(("p99 at c=16 < 5 ms", med(ours[16], "p99_ms") < 5))
if ours:
    goals.append(("RSS peak < 20 MB", max(med(r, "rss_peak_mb") for r in ours.values()) < 20))
for goal, met in goals:
    print(f"- goal {goal}: {'met' if met else 'NOT met'}")
PY
