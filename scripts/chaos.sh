#!/usr/bin/env bash
# The chaos run (tests/it/chaos/run.rs) with its figures printed:
#
#   scripts/chaos.sh                       # short size (240 bookings, ~80 s; what CI runs)
#   scripts/chaos.sh long                  # long size (3,000 bookings, ~4 min)
#   MEETFLOW_CHAOS_SEED=123 scripts/chaos.sh   # replay one plan (the seed is printed)
#
# It builds meetflow-ingest, -worker and -scheduler (debug), then starts them as separate
# processes against a private redis-server with AOF and fake Brevo/EngageLab/Zoom servers:
# ingest, two SMS workers, two Brevo workers, an events+zoom worker and two schedulers. Signed
# Calendly bookings (some cancelled, some rescheduled in both orders, some redelivered, a few
# deliberately broken) arrive with meetings seconds ahead (reminders.offsets [16s, 8s],
# follow_up_after_end 2s, set through MEETFLOW__ overrides). The fakes answer 5xx, 429 bursts
# and slow answers; a random worker or scheduler is killed -9 every 2-4 s and restarted, and
# Redis is killed -9 and restarted once. The end state is checked from the fakes' records and
# Redis, and every log line is scanned for secrets, phone numbers and e-mail addresses.
# Logs of a failed run are kept in $TMPDIR/meetflow-chaos-<seed>/ (one file per process).
set -euo pipefail
cd "$(dirname "$0")/.."

case "${1:-short}" in
  short) export MEETFLOW_CHAOS=short ;;
  long) export MEETFLOW_CHAOS=long ;;
  *) echo "usage: scripts/chaos.sh [short|long]" >&2; exit 2 ;;
esac
command -v redis-server >/dev/null 2>&1 || { echo "chaos.sh: redis-server is needed" >&2; exit 1; }

cargo build --quiet -p meetflow-ingest -p meetflow-worker -p meetflow-scheduler --bins
# cargo test rather than nextest: no per-test time limit for the long size, output shown live.
exec cargo test --quiet -p meetflow-tests --test it chaos:: -- --nocapture --test-threads 1
