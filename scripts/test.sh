#!/usr/bin/env bash
# Runs the whole test suite the way CI does: `scripts/test.sh [nextest filters...]`.
# Tests start their own private redis-server processes on free ports, so the redis-server
# binary must be installed (it is installed here if missing); nothing touches a Redis on 6379.
set -euo pipefail
cd "$(dirname "$0")/.."

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

if ! command -v redis-server >/dev/null 2>&1; then
  echo "test.sh: installing redis-server (needed by the tests)" >&2
  as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server >/dev/null
fi
if ! command -v faketime >/dev/null 2>&1; then
  # The chaos run and the clock tests run a worker on a host clock 30 s ahead (LD_PRELOAD).
  echo "test.sh: installing faketime (libfaketime)" >&2
  as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq faketime >/dev/null
fi
if ! command -v cargo-nextest >/dev/null 2>&1; then
  echo "test.sh: installing cargo-nextest" >&2
  cargo install cargo-nextest --locked
fi

if [ -z "${NEXTEST_PROFILE:-}" ]; then
  if [ "${CI:-}" = "true" ]; then export NEXTEST_PROFILE=ci; else export NEXTEST_PROFILE=default; fi
fi
# A private redis-server for the library unit tests (integration tests start one per test).
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
dir=$(mktemp -d)
redis-server --port "$port" --bind 127.0.0.1 --save "" --appendonly no --dir "$dir" \
  --daemonize yes --pidfile "$dir/redis.pid" --logfile "$dir/redis.log"
trap 'kill "$(cat "$dir/redis.pid" 2>/dev/null)" 2>/dev/null || true; rm -rf "$dir"' EXIT
export MEETFLOW_TEST_REDIS_URL="redis://127.0.0.1:$port"

# Tests that start meetflow's binaries as processes (crash, restart, compose-as-processes) need
# them built; MEETFLOW_REQUIRE_BINS turns a missing binary into a failure instead of a skip.
cargo build --workspace --bins
export MEETFLOW_REQUIRE_BINS=1

# Conformance: the fakes and the sandbox append every request they receive to
# $MEETFLOW_REQUEST_LOG (JSON lines); after the suite, the providers' own checker
# (../shared/conformance/check_requests.py) holds that traffic against their published specs.
# Lines marked "deliberate" (the fakes' own probes of requests the real APIs refuse) are left out.
SHARED=${MEETFLOW_SHARED:-$(cd .. && pwd)/shared}
[ -d "$SHARED" ] && export MEETFLOW_SHARED="$SHARED"
mkdir -p target/conformance
export MEETFLOW_REQUEST_LOG="$PWD/target/conformance/requests.jsonl"
: >"$MEETFLOW_REQUEST_LOG"

status=0
cargo nextest run --workspace --no-fail-fast "$@" || status=$?

checker="$SHARED/conformance/check_requests.py"
if [ -f "$checker" ]; then
  checked="$PWD/target/conformance/checked.jsonl"
  python3 - "$MEETFLOW_REQUEST_LOG" "$checked" <<'PY'
import json, sys
kept = left = 0
with open(sys.argv[1], encoding="utf-8") as src, open(sys.argv[2], "w", encoding="utf-8") as out:
    for line in src:
        if not line.strip():
            continue
        try:
            deliberate = json.loads(line).get("deliberate") is True
        except ValueError:
            deliberate = False
        if deliberate:
            left += 1
        else:
            kept += 1
            out.write(line)
print(f"test.sh: conformance: {kept} requests checked, {left} deliberate probes left out")
PY
  # The Zoom endpoints of the catch-up sweep (users, meeting reports, recordings) are not in the
  # shared extract: tests/conformance/zoom-history.openapi.json, written here from Zoom's API
  # reference, is laid over its Zoom spec so that traffic is judged too, not waved through.
  specs="$PWD/target/conformance/specs"
  rm -rf "$specs" && cp -r "$SHARED/conformance/specs" "$specs"
  python3 - "$specs/zoom.openapi.json" tests/conformance/zoom-history.openapi.json <<'PY'
import json, sys
spec, extra = (json.load(open(p, encoding="utf-8")) for p in sys.argv[1:3])
for path, item in extra["paths"].items():
    if path in spec["paths"]:
        sys.exit(f"test.sh: {path} is in the shared Zoom spec now: drop it from {sys.argv[2]}")
    spec["paths"][path] = item
json.dump(spec, open(sys.argv[1], "w", encoding="utf-8"))
PY
  echo "test.sh: conformance check of the suite's provider traffic ($checker)"
  python3 "$checker" --specs "$specs" "$checked" || status=1
else
  echo "test.sh: conformance check SKIPPED: $checker is absent (set MEETFLOW_SHARED to the shared material)"
fi
exit "$status"
