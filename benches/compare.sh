#!/usr/bin/env bash
# Side-by-side comparison of `plinth compile` and `uv pip compile` on the
# shipped examples, against live PyPI, with the same target and cutoff.
#
#   benches/compare.sh [RUNS]
#
# For each example: checks that both tools write the same pins, then times
# RUNS cold-cache runs and RUNS warm-cache runs of each and prints the
# median seconds and the ratio uv/plinth (above 1 means plinth is faster).
# uv and pip-tools are installed into target/bench-venv; they are tools to
# compare with, never dependencies of plinth.
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-3}
flags=(--python-version 3.11 --python-platform x86_64-manylinux_2_28 --exclude-newer 2026-11-01T00:00:00Z)

venv=target/bench-venv
[ -x "$venv/bin/uv" ] || { python3 -m venv "$venv" && "$venv/bin/pip" install -q uv pip-tools; }
cargo build --release --locked -q
plinth=target/release/plinth
uv="$venv/bin/uv"
export UV_PYTHON_DOWNLOADS=never
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# Seconds taken by a command, as a decimal.
seconds() {
  local start end
  start=$(date +%s.%N)
  "$@" >/dev/null 2>&1
  end=$(date +%s.%N)
  echo "$end - $start" | bc
}

median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

printf '%-14s %-6s %10s %10s %8s\n' example cache plinth uv ratio
for input in fixtures/examples/*.in; do
  name=$(basename "$input" .in)
  "$plinth" compile "$input" "${flags[@]}" --no-header --no-annotate -q -o "$work/$name.plinth.txt" --cache-dir "$work/plinth-cache"
  "$uv" pip compile "$input" "${flags[@]}" --no-header --no-annotate -q -o "$work/$name.uv.txt" --cache-dir "$work/uv-cache"
  if ! diff -u "$work/$name.uv.txt" "$work/$name.plinth.txt"; then
    echo "$name: pins differ from uv (above)"; exit 1
  fi
  for cache in cold warm; do
    p=(); u=()
    for _ in $(seq "$runs"); do
      if [ "$cache" = cold ]; then rm -rf "$work/plinth-cache" "$work/uv-cache"; fi
      rm -f "$work/out.txt"
      p+=("$(seconds "$plinth" compile "$input" "${flags[@]}" -q -o "$work/out.txt" --cache-dir "$work/plinth-cache")")
      rm -f "$work/out.txt"
      u+=("$(seconds "$uv" pip compile "$input" "${flags[@]}" -q -o "$work/out.txt" --cache-dir "$work/uv-cache")")
    done
    pm=$(printf '%s\n' "${p[@]}" | median); um=$(printf '%s\n' "${u[@]}" | median)
    printf '%-14s %-6s %10.3f %10.3f %8.2f\n' "$name" "$cache" "$pm" "$um" "$(echo "$um / $pm" | bc -l)"
  done
done
