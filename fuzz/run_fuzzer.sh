#!/usr/bin/env bash
# run_fuzzer.sh FUZZER SEED_DIR SECONDS: a short libFuzzer run from the seeds (plus the fixtures
# named by $BAREKIT_FIXTURES); fails when libFuzzer finds a crash, leak or timeout.
set -eu
fuzzer=$1 seeds=$2 secs=$3
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
dirs=("$seeds")
[ -n "${BAREKIT_FIXTURES:-}" ] && [ -d "$BAREKIT_FIXTURES" ] && dirs+=("$BAREKIT_FIXTURES")
exec "$fuzzer" -max_total_time="$secs" -rss_limit_mb=2048 -timeout=10 -max_len=1048576 \
  -artifact_prefix="$work/" "$work" "${dirs[@]}"
