#!/usr/bin/env bash
# Run every fuzz target for a fixed time (default 60 s each).
#
#   fuzz/run.sh [SECONDS]
#
# Needs cargo-fuzz (`cargo install cargo-fuzz`). The toolchain here is stable
# only, so the sanitizer flags cargo-fuzz passes are enabled with
# RUSTC_BOOTSTRAP=1. A crash leaves its input in fuzz/artifacts/<target>/;
# turn it into a regression test next to the parser it broke.
set -euo pipefail
cd "$(dirname "$0")"
seconds=${1:-60}
export RUSTC_BOOTSTRAP=1
status=0
for target in $(cargo fuzz list); do
  mkdir -p "corpus/$target"
  if cargo fuzz run "$target" "corpus/$target" -- -max_total_time="$seconds" -print_final_stats=1 >"/tmp/fuzz-$target.log" 2>&1; then
    runs=$(grep -o 'Done [0-9]* runs' "/tmp/fuzz-$target.log" | tail -1)
    echo "$target: no crash ($runs in ${seconds}s)"
  else
    echo "$target: CRASH, see /tmp/fuzz-$target.log and fuzz/artifacts/$target/"
    status=1
  fi
done
exit $status
