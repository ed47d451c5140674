#!/usr/bin/env bash
# Runs all of meetflow on this machine: `scripts/run-local.sh [--no-build]`.
#
# - builds the four binaries (release);
# - uses the Redis at $MEETFLOW__REDIS__URL (default redis://127.0.0.1:6379) if it answers PING,
#   else starts a private one with AOF under ./.meetflow/redis on a free port;
# - without BREVO_API_KEY / ENGAGELAB_DEV_KEY / CALENDLY_ACCESS_TOKEN / ZOOM_ACCOUNT_ID, starts
#   `meetflow-admin sandbox` (records every provider call) and points brevo.base_url /
#   engagelab.base_url / the Calendly API / the Zoom API and OAuth at it for each provider without
#   credentials (local tokens); standing in for EngageLab, it also posts signed delivery
#   callbacks to ingest's /webhooks/engagelab (a local ENGAGELAB_CALLBACK_SECRET;
#   MEETFLOW_SANDBOX_FAIL_SHARE, default 0.2, of them delivered_failed) and the win-back and
#   no-show apology SMS are on (due after 1m); standing in for Calendly, it has a webhook subscription to ingest (so a no-show marked through its API comes
#   back as `invitee_no_show.created`) and the reconciliation runs every minute
#   (MEETFLOW_SANDBOX_RECONCILE_EVERY); `send-test-webhook` uses it (MEETFLOW_SANDBOX_URL in
#   ./.meetflow/env) for samples about the bookings it serves;
# - without CALENDLY_WEBHOOK_SIGNING_KEY / ZOOM_WEBHOOK_SECRET, generates local ones (kept in
#   ./.meetflow/secrets.env across runs);
# - starts ingest, worker, scheduler and `meetflow-admin serve`, logs under ./.meetflow/logs;
# - Ctrl-C stops everything (SIGTERM, then waits for each process to finish its work).
#
# Config: $MEETFLOW_CONFIG if set, else config/meetflow.example.yaml. Any key can be changed
# with MEETFLOW__SECTION__KEY=value in the environment (see README "Configuration").
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"
STATE="$ROOT/.meetflow"
LOGS="$STATE/logs"
BIN="${MEETFLOW_BIN_DIR:-$ROOT/target/release}"   # MEETFLOW_BIN_DIR=target/debug with --no-build for a debug run
mkdir -p "$LOGS" "$STATE/redis"

say() { printf 'run-local: %s\n' "$*" >&2; }
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

# ---------- processes we started, stopped in reverse order on exit ----------
PIDS=()
NAMES=()
stopping=0
cleanup() {
  [ "$stopping" = 1 ] && return
  stopping=1
  trap - INT TERM
  say "stopping..."
  local i
  for ((i = ${#PIDS[@]} - 1; i >= 0; i--)); do
    kill -TERM "${PIDS[$i]}" 2>/dev/null || true
    # Wait for each one in turn (ingest stops taking webhooks before the worker drains).
    for _ in $(seq 1 300); do kill -0 "${PIDS[$i]}" 2>/dev/null || break; sleep 0.1; done
    if kill -0 "${PIDS[$i]}" 2>/dev/null; then
      say "${NAMES[$i]} did not stop within 30s; killing it"
      kill -KILL "${PIDS[$i]}" 2>/dev/null || true
    fi
    wait "${PIDS[$i]}" 2>/dev/null || true
  done
  say "stopped"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

start() { # start NAME COMMAND... : runs in the background, output to $LOGS/NAME.log
  local name="$1"; shift
  "$@" >"$LOGS/$name.log" 2>&1 &
  PIDS+=("$!")
  NAMES+=("$name")
}

port_open() { (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null; }
free_port() { # free_port PREFERRED: PREFERRED if nothing listens there, else the next free one
  local p="$1"
  while port_open 127.0.0.1 "$p"; do p=$((p + 1)); done
  echo "$p"
}
wait_port() { # wait_port NAME PORT: until something listens, or the process died
  local name="$1" port="$2" pid="${PIDS[${#PIDS[@]}-1]}"
  for _ in $(seq 1 150); do
    port_open 127.0.0.1 "$port" && return 0
    if ! kill -0 "$pid" 2>/dev/null; then
      say "$name exited at start; last lines of $LOGS/$name.log:"
      tail -n 20 "$LOGS/$name.log" >&2 || true
      exit 1
    fi
    sleep 0.2
  done
  say "$name is not listening on port $port after 30s (see $LOGS/$name.log)"
  exit 1
}

# ---------- build ----------
if [ "${1:-}" != "--no-build" ]; then
  say "building (release)..."
  cargo build --release -p meetflow-ingest -p meetflow-worker -p meetflow-scheduler -p meetflow-admin
fi
for b in meetflow-ingest meetflow-worker meetflow-scheduler meetflow-admin; do
  [ -x "$BIN/$b" ] || { say "missing $BIN/$b (run without --no-build)"; exit 1; }
done

export MEETFLOW_CONFIG="${MEETFLOW_CONFIG:-$ROOT/config/meetflow.example.yaml}"
export MEETFLOW_LOG_FORMAT="${MEETFLOW_LOG_FORMAT:-pretty}"
export RUST_LOG="${RUST_LOG:-info}"

# ---------- Redis ----------
redis_ping() { # redis_ping URL
  if command -v redis-cli >/dev/null 2>&1; then
    [ "$(timeout 2 redis-cli -u "$1" ping 2>/dev/null)" = "PONG" ]
  else
    local hostport="${1#redis://}"; hostport="${hostport%%/*}"; hostport="${hostport##*@}"
    local reply
    reply="$(timeout 2 bash -c "exec 3<>/dev/tcp/${hostport%:*}/${hostport##*:}; printf 'PING\r\n' >&3; head -c 5 <&3" 2>/dev/null || true)"
    [ "${reply%$'\r'}" = "+PONG" ]
  fi
}
REDIS_URL="${MEETFLOW__REDIS__URL:-redis://127.0.0.1:6379}"
if redis_ping "$REDIS_URL"; then
  say "using Redis at $REDIS_URL"
else
  if ! command -v redis-server >/dev/null 2>&1; then
    say "installing redis-server"
    as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server >/dev/null
  fi
  REDIS_PORT="$(free_port 6390)"
  start redis redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --dir "$STATE/redis" \
    --appendonly yes --appendfsync everysec --save "" --daemonize no
  wait_port redis "$REDIS_PORT"
  REDIS_URL="redis://127.0.0.1:$REDIS_PORT"
  say "started Redis at $REDIS_URL (AOF in $STATE/redis)"
fi
export MEETFLOW__REDIS__URL="$REDIS_URL"

# ---------- local secrets ----------
SECRETS="$STATE/secrets.env"
if [ -z "${CALENDLY_WEBHOOK_SIGNING_KEY:-}" ] || [ -z "${ZOOM_WEBHOOK_SECRET:-}" ]; then
  if [ ! -f "$SECRETS" ]; then
    umask 077
    {
      echo "LOCAL_CALENDLY_WEBHOOK_SIGNING_KEY=local-$(od -An -tx1 -N24 /dev/urandom | tr -d ' \n')"
      echo "LOCAL_ZOOM_WEBHOOK_SECRET=local-$(od -An -tx1 -N24 /dev/urandom | tr -d ' \n')"
    } >"$SECRETS"
  fi
  # shellcheck disable=SC1090
  . "$SECRETS"
  export CALENDLY_WEBHOOK_SIGNING_KEY="${CALENDLY_WEBHOOK_SIGNING_KEY:-$LOCAL_CALENDLY_WEBHOOK_SIGNING_KEY}"
  export ZOOM_WEBHOOK_SECRET="${ZOOM_WEBHOOK_SECRET:-$LOCAL_ZOOM_WEBHOOK_SECRET}"
  say "using local webhook signing keys from $SECRETS"
fi
export MEETFLOW__CONNECTORS__CALENDLY__SIGNING_KEY="$CALENDLY_WEBHOOK_SIGNING_KEY"
export MEETFLOW__CONNECTORS__ZOOM__WEBHOOK_SECRET="$ZOOM_WEBHOOK_SECRET"
# EngageLab delivery callbacks: with the sandbox standing in for EngageLab, a local callback
# secret signs the callbacks the sandbox posts to ingest (kept in the same file).
if [ -z "${ENGAGELAB_CALLBACK_SECRET:-}" ] && [ -z "${ENGAGELAB_DEV_KEY:-}" ]; then
  # shellcheck disable=SC1090
  [ -f "$SECRETS" ] && . "$SECRETS"
  if [ -z "${LOCAL_ENGAGELAB_CALLBACK_SECRET:-}" ]; then
    LOCAL_ENGAGELAB_CALLBACK_SECRET="local-$(od -An -tx1 -N24 /dev/urandom | tr -d ' \n')"
    (umask 077; echo "LOCAL_ENGAGELAB_CALLBACK_SECRET=$LOCAL_ENGAGELAB_CALLBACK_SECRET" >>"$SECRETS")
  fi
  export ENGAGELAB_CALLBACK_SECRET="$LOCAL_ENGAGELAB_CALLBACK_SECRET"
fi
if [ -n "${ENGAGELAB_CALLBACK_SECRET:-}" ]; then
  export MEETFLOW__ENGAGELAB__CALLBACK_SECRET="$ENGAGELAB_CALLBACK_SECRET"
fi

# ---------- ports ----------
INGEST_PORT="$(free_port 8080)"
ADMIN_PORT="$(free_port 8081)"
[ "$ADMIN_PORT" = "$INGEST_PORT" ] && ADMIN_PORT="$(free_port $((INGEST_PORT + 1)))"
export MEETFLOW__INGEST__LISTEN="127.0.0.1:$INGEST_PORT"
export MEETFLOW__ADMIN__LISTEN="127.0.0.1:$ADMIN_PORT"
next_port=9091
ops_port() { local p; p="$(free_port "$next_port")"; next_port=$((p + 1)); echo "$p"; }

# ---------- provider sandbox ----------
SANDBOX_PORT=""
if [ -z "${BREVO_API_KEY:-}" ] || [ -z "${ENGAGELAB_DEV_KEY:-}" ] \
   || [ -z "${CALENDLY_ACCESS_TOKEN:-}" ] || [ -z "${ZOOM_ACCOUNT_ID:-}" ]; then
  SANDBOX_PORT="$(free_port 8090)"
  SANDBOX_ARGS=(--listen "127.0.0.1:$SANDBOX_PORT")
  if [ -z "${ENGAGELAB_DEV_KEY:-}" ] && [ -n "${ENGAGELAB_CALLBACK_SECRET:-}" ]; then
    # Delivery callbacks for every SMS the sandbox accepts; MEETFLOW_SANDBOX_FAIL_SHARE of them failed.
    SANDBOX_ARGS+=(--callback-url "http://127.0.0.1:$INGEST_PORT/webhooks/engagelab"
                   --fail-share "${MEETFLOW_SANDBOX_FAIL_SHARE:-0.2}")
  fi
  if [ -z "${CALENDLY_ACCESS_TOKEN:-}" ]; then
    # As a Calendly account set up for meetflow: a webhook subscription to ingest, signed with
    # the local key (CALENDLY_WEBHOOK_SIGNING_KEY), so a no-show marked through its API comes back.
    SANDBOX_ARGS+=(--calendly-webhook-url "http://127.0.0.1:$INGEST_PORT/webhooks/calendly")
  fi
  start sandbox "$BIN/meetflow-admin" sandbox "${SANDBOX_ARGS[@]}"
  wait_port sandbox "$SANDBOX_PORT"
  if [ -z "${BREVO_API_KEY:-}" ]; then
    export MEETFLOW__BREVO__BASE_URL="http://127.0.0.1:$SANDBOX_PORT/v3"
  fi
  if [ -z "${ENGAGELAB_DEV_KEY:-}" ]; then
    export MEETFLOW__ENGAGELAB__BASE_URL="http://127.0.0.1:$SANDBOX_PORT/v1"
    # The sandbox takes any template: the win-back and the no-show apology are on, due a minute
    # after the cancellation / the no-show, so a local run shows them.
    export MEETFLOW__ENGAGELAB__TEMPLATES__WIN_BACK="${MEETFLOW__ENGAGELAB__TEMPLATES__WIN_BACK:-tpl_win_back}"
    export MEETFLOW__ENGAGELAB__TEMPLATES__NO_SHOW="${MEETFLOW__ENGAGELAB__TEMPLATES__NO_SHOW:-tpl_no_show}"
    export MEETFLOW__ENGAGEMENT__WIN_BACK_AFTER="${MEETFLOW__ENGAGEMENT__WIN_BACK_AFTER:-1m}"
    export MEETFLOW__ENGAGEMENT__NO_SHOW_AFTER="${MEETFLOW__ENGAGEMENT__NO_SHOW_AFTER:-1m}"
  fi
  if [ -z "${CALENDLY_ACCESS_TOKEN:-}" ]; then
    # The sandbox's Calendly API: reconciliation, scheduling links (win-back, no-show), no-shows.
    export CALENDLY_ACCESS_TOKEN="sandbox-calendly-token"
    export MEETFLOW__CONNECTORS__CALENDLY__API_BASE_URL="http://127.0.0.1:$SANDBOX_PORT"
    export MEETFLOW__CONNECTORS__CALENDLY__RECONCILE_EVERY="${MEETFLOW_SANDBOX_RECONCILE_EVERY:-1m}"
  fi
  if [ -z "${ZOOM_ACCOUNT_ID:-}" ]; then
    # The sandbox's Zoom API: meeting attendance, webinar registrants and attendees.
    export ZOOM_ACCOUNT_ID="sandbox-account" ZOOM_CLIENT_ID="sandbox-client" ZOOM_CLIENT_SECRET="sandbox-secret"
    export MEETFLOW__CONNECTORS__ZOOM__API_BASE_URL="http://127.0.0.1:$SANDBOX_PORT/v2"
    export MEETFLOW__CONNECTORS__ZOOM__OAUTH_BASE_URL="http://127.0.0.1:$SANDBOX_PORT"
  fi
  export MEETFLOW_SANDBOX_URL="http://127.0.0.1:$SANDBOX_PORT"
  say "provider sandbox on $MEETFLOW_SANDBOX_URL (calls recorded in $LOGS/sandbox.log)"
fi

# ---------- the services ----------
"$BIN/meetflow-admin" config check >"$LOGS/config-check.txt" || {
  say "configuration rejected (see above)"; exit 1; }

declare -A OPS
for svc in ingest worker scheduler; do
  OPS[$svc]="$(ops_port)"
  MEETFLOW__OPS__LISTEN="127.0.0.1:${OPS[$svc]}" start "$svc" "$BIN/meetflow-$svc"
  wait_port "$svc" "${OPS[$svc]}"
done
OPS[admin]="$(ops_port)"
MEETFLOW__OPS__LISTEN="127.0.0.1:${OPS[admin]}" start admin "$BIN/meetflow-admin" serve
wait_port admin "$ADMIN_PORT"

# An env file so commands in another terminal see the same setup.
ENV_FILE="$STATE/env"
{
  for v in MEETFLOW_CONFIG MEETFLOW__REDIS__URL MEETFLOW__INGEST__LISTEN MEETFLOW__ADMIN__LISTEN \
           CALENDLY_WEBHOOK_SIGNING_KEY ZOOM_WEBHOOK_SECRET MEETFLOW__CONNECTORS__CALENDLY__SIGNING_KEY \
           MEETFLOW__CONNECTORS__ZOOM__WEBHOOK_SECRET MEETFLOW__BREVO__BASE_URL MEETFLOW__ENGAGELAB__BASE_URL \
           ENGAGELAB_CALLBACK_SECRET MEETFLOW__ENGAGELAB__CALLBACK_SECRET \
           CALENDLY_ACCESS_TOKEN MEETFLOW__CONNECTORS__CALENDLY__API_BASE_URL \
           MEETFLOW__CONNECTORS__CALENDLY__RECONCILE_EVERY ZOOM_ACCOUNT_ID ZOOM_CLIENT_ID \
           ZOOM_CLIENT_SECRET MEETFLOW__CONNECTORS__ZOOM__API_BASE_URL \
           MEETFLOW__CONNECTORS__ZOOM__OAUTH_BASE_URL MEETFLOW_SANDBOX_URL \
           MEETFLOW__ENGAGELAB__TEMPLATES__WIN_BACK MEETFLOW__ENGAGELAB__TEMPLATES__NO_SHOW \
           MEETFLOW__ENGAGEMENT__WIN_BACK_AFTER MEETFLOW__ENGAGEMENT__NO_SHOW_AFTER; do
    if [ -n "${!v:-}" ]; then printf 'export %s=%q\n' "$v" "${!v}"; fi
  done
} >"$ENV_FILE"
chmod 600 "$ENV_FILE"

cat <<EOF

meetflow is running. Ctrl-C stops everything.

  webhooks      http://127.0.0.1:$INGEST_PORT/webhooks/calendly   http://127.0.0.1:$INGEST_PORT/webhooks/zoom
                http://127.0.0.1:$INGEST_PORT/webhooks/engagelab   (SMS delivery receipts)
  admin page    http://127.0.0.1:$ADMIN_PORT/
  ops           ingest :${OPS[ingest]}  worker :${OPS[worker]}  scheduler :${OPS[scheduler]}  admin :${OPS[admin]}   (/healthz /readyz /metrics)
  redis         $REDIS_URL

Send a signed test webhook (from another terminal):
  source .meetflow/env && $BIN/meetflow-admin send-test-webhook calendly invitee.created
  Calendly: invitee.created invitee.canceled reschedule invitee_no_show.created invitee_no_show.deleted routing_form_submission.created
  Zoom:     meeting.ended meeting.participant_joined webinar.registration_created webinar.participant_joined webinar.ended recording.completed

Then look at:
  $BIN/meetflow-admin queues        (with the same env)
  $BIN/meetflow-admin reminders list   (DELIVERY: delivered / delivered_failed from the callbacks)
  $LOGS/worker.log
EOF
if [ -n "$SANDBOX_PORT" ]; then
  echo "  $LOGS/sandbox.log   (every Brevo / EngageLab / Calendly / Zoom call meetflow made)"
fi
echo

# ---------- watch ----------
while true; do
  for i in "${!PIDS[@]}"; do
    if ! kill -0 "${PIDS[$i]}" 2>/dev/null; then
      say "${NAMES[$i]} exited unexpectedly; last lines of $LOGS/${NAMES[$i]}.log:"
      tail -n 20 "$LOGS/${NAMES[$i]}.log" >&2 || true
      exit 1
    fi
  done
  sleep 1
done
