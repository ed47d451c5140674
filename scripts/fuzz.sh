#!/usr/bin/env bash
# Long fuzzing run of the webhook intake's parsers with cargo-fuzz (libFuzzer):
#
#   scripts/fuzz.sh                 # every target, 5 minutes each
#   FUZZ_SECONDS=3600 scripts/fuzz.sh calendly_event zoom_event
#
# Targets (fuzz/fuzz_targets): calendly_signature, zoom_signature (header parsers + verifiers),
# calendly_event, zoom_event (lenient head, delivery identity, typed parse).
#
# cargo-fuzz needs a NIGHTLY toolchain (it builds with -Zsanitizer=address and SanitizerCoverage).
# CI has only the stable toolchain, so CI runs the property tests instead
# (tests/it/security/parsers.rs, shared/src/events/proptests.rs, ingest/src/signature/*_tests.rs);
# this script is the longer run, for a machine where `rustup toolchain install nightly` works.
#
# Each target runs with -rss_limit_mb=1024 and -malloc_limit_mb=256: a single allocation out of
# proportion to the input (inputs are capped at 64 KiB, ingest's default body limit) is reported
# as a crash, like a panic. Findings land in fuzz/artifacts/<target>/; reproduce one with
#   cargo +nightly fuzz run <target> fuzz/artifacts/<target>/<file>
# and turn it into a regression test before fixing. Corpora grow in fuzz/corpus/ (not committed);
# they are seeded from the provider fixtures on the first run.
set -euo pipefail
cd "$(dirname "$0")/.."

seconds=${FUZZ_SECONDS:-300}
all=(calendly_signature zoom_signature calendly_event zoom_event)
targets=("$@")
[ ${#targets[@]} -eq 0 ] && targets=("${all[@]}")

if ! cargo +nightly --version >/dev/null 2>&1; then
  echo "fuzz.sh: cargo-fuzz needs a nightly toolchain (rustup toolchain install nightly)." >&2
  echo "fuzz.sh: without one, run the property tests: cargo nextest run -p meetflow-tests security_parsers" >&2
  exit 2
fi
if ! cargo +nightly fuzz --version >/dev/null 2>&1; then
  echo "fuzz.sh: installing cargo-fuzz" >&2
  cargo install cargo-fuzz --locked
fi

seed() {
  local dir=fuzz/corpus/$1
  shift
  [ -d "$dir" ] && return 0
  mkdir -p "$dir"
  local f
  for f in "$@"; do cp "$f" "$dir/"; done
}
now=$(date +%s)
seed calendly_event shared/src/events/testdata/*.json
seed zoom_event shared/src/events/testdata/zoom_*.json
if [ ! -d fuzz/corpus/calendly_signature ]; then
  mkdir -p fuzz/corpus/calendly_signature fuzz/corpus/zoom_signature
  printf 't=%s,v1=%064d\n{"event":"invitee.created"}' "$now" 0 > fuzz/corpus/calendly_signature/seed
  printf 't=%s, v1=%064d, v1=%064d\n{}' "$now" 1 2 > fuzz/corpus/calendly_signature/seed2
  printf 'v0=%064d\n%s\n{"event":"meeting.ended"}' 0 "$now" > fuzz/corpus/zoom_signature/seed
fi

for t in "${targets[@]}"; do
  case $t in
    *_signature) dict=fuzz/dict/signature.dict ;;
    *) dict=fuzz/dict/json.dict ;;
  esac
  echo "fuzz.sh: $t for ${seconds}s"
  (cd fuzz && cargo +nightly fuzz run "$t" -- \
    -max_total_time="$seconds" -max_len=65536 -timeout=5 \
    -rss_limit_mb=1024 -malloc_limit_mb=256 -dict="../$dict" -print_final_stats=1)
done
echo "fuzz.sh: no crash in ${targets[*]} (${seconds}s each)"
