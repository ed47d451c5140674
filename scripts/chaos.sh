#!/usr/bin/env bash
# The chaos run v2 (tests/it/chaos/run.rs) with its figures printed:
#
#   scripts/chaos.sh                       # short size (240 bookings + a storm of 60, ~85 s; what CI runs),
#                                          # the Sentinel run and the Cluster run (short size, ~90 s each)
#   scripts/chaos.sh long                  # long size (3,000 bookings + a storm of 200, 5-7 min), then the
#                                          # Sentinel and Cluster runs (short size)
#   MEETFLOW_CHAOS_SEED=123 scripts/chaos.sh   # replay one plan (the seed is printed)
#
# It builds meetflow-ingest, -worker, -scheduler and -admin (debug), then starts them as separate
# processes against a private redis-server with AOF and fake Brevo/EngageLab/Zoom servers:
# ingest, two SMS workers (one with its host clock 30 s ahead, through libfaketime: the faketime
# package), two Brevo workers, an events+zoom worker and two schedulers. Signed Calendly bookings
# (some cancelled, some rescheduled in both orders, some redelivered, a few deliberately broken)
# arrive with meetings seconds ahead (reminders.offsets [16s, 8s], follow_up_after_end 2s, set
# through MEETFLOW__ overrides); mid-run a storm of bookings is cancelled or moved 0.3-1.5 s after
# booking, while their confirmations wait behind a low engagelab.rate_limit. The fakes answer 5xx,
# 429 bursts and slow answers; EngageLab times out after accepting about 1.5% of messages and
# refuses its key for about a second a few times. A random worker or scheduler is killed -9 every
# 2-4 s and restarted, and Redis is killed -9 and restarted once (the Sentinel run: master + replica
# + 3 Sentinels, redis.wait_replicas: 1, the master killed -9 and the replica promoted; the Cluster
# run: 3 masters with a replica each, redis.wait_replicas: 1, the master serving the namespace's
# slot - every key of the run - killed -9 and its replica promoted by CLUSTER FAILOVER FORCE). An operator
# works the dead letters with the real meetflow-admin (tests/it/chaos/operator.rs): filtered bulk
# replays after each outage, one filtered bulk delete, and for each "possibly sent" SMS a delete
# (EngageLab has it) or a `dlq retry ID --resend` (it has not).
# The end state is checked from the fakes' records and Redis: 0 SMS twice, 0 for a cancelled or
# moved booking, 0 lost, every "possibly sent" accounted for (docs/operations.md, "Rehearsed in the
# chaos run"); every log line is scanned for secrets, phone numbers and e-mail addresses.
# Logs of a failed run are kept in $TMPDIR/meetflow-chaos-<seed>/ (one file per process, and
# problems.txt).
set -euo pipefail
cd "$(dirname "$0")/.."

case "${1:-short}" in
  short) export MEETFLOW_CHAOS=short ;;
  long) export MEETFLOW_CHAOS=long ;;
  *) echo "usage: scripts/chaos.sh [short|long]" >&2; exit 2 ;;
esac
command -v redis-server >/dev/null 2>&1 || { echo "chaos.sh: redis-server is needed" >&2; exit 1; }
command -v faketime >/dev/null 2>&1 || { echo "chaos.sh: libfaketime is needed (apt-get install faketime)" >&2; exit 1; }

cargo build --quiet -p meetflow-ingest -p meetflow-worker -p meetflow-scheduler -p meetflow-admin --bins
# cargo test rather than nextest: no per-test time limit for the long size, output shown live.
exec cargo test --quiet -p meetflow-tests --test it chaos:: -- --nocapture --test-threads 1
