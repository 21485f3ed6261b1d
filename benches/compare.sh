#!/usr/bin/env bash
# Side-by-side comparison of `plinth compile`, `uv pip compile` and
# pip-compile on the shipped examples and the bench sets, against live PyPI,
# with the same target and cutoff.
#
#   benches/compare.sh [RUNS] [INPUT.in ...]
#
# Inputs default to fixtures/examples/*.in and fixtures/bench/*/requirements.in.
# For each input: checks that plinth and uv write the same pins (and says
# whether pip-compile's differ), then times, alternating the tools,
#   cold     RUNS runs of plinth and uv with empty caches, and PIP_RUNS
#            (default 1; it is slow) of pip-compile;
#   warm     RUNS runs of plinth and uv with the cache of the runs before
#            (pages revalidated as their HTTP caching headers say);
#   offline  RUNS runs of plinth and uv with that cache and `--offline`.
# It prints a Markdown table of the median seconds per input and mode, the
# ratios plinth/uv and plinth/pip-compile (below 1 means plinth is faster),
# the ratios of the summed medians, the HTTP requests plinth made (from its
# `-v` summary; uv and pip print no count), and the peak resident memory of
# each tool on the input with the most pins (`/usr/bin/time`, else polled
# from /proc; with /usr/bin/time the largest process of the tool's tree,
# build backends included, from /proc the tool's own process).
#
# TARGET_FLAGS replaces the target options given to plinth and uv (default
# `--python-version 3.11 --python-platform x86_64-manylinux_2_28`), e.g.
# `TARGET_FLAGS="--universal --python-version 3.11" PIP_RUNS=0` for universal
# lockfiles (pip-compile has no such mode); the lockfiles must still match.
#
# uv 0.13.9, pip-tools 7.6.2 and pip >= 26 are installed into BENCH_VENV
# (default target/bench-venv) when it has no uv; they are tools to compare
# with, never dependencies of plinth. pip-compile gets the cutoff as
# `--uploaded-prior-to` when the venv's pip is 26 or newer, and runs without
# one otherwise (it then may pick newer releases; the table says so). It has
# no target options: it resolves for the venv's interpreter and this machine
# (CPython 3.11 on x86_64 Linux, like the others' target, but with this
# machine's glibc instead of manylinux_2_28).
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-3}
shift || true
pip_runs=${PIP_RUNS:-1}
pip_timeout=${PIP_TIMEOUT:-900}
if [ $# -gt 0 ]; then
  inputs=("$@")
else
  inputs=(fixtures/examples/*.in fixtures/bench/*/requirements.in)
fi
cutoff=2026-11-01T00:00:00Z
target_flags=${TARGET_FLAGS:---python-version 3.11 --python-platform x86_64-manylinux_2_28}
read -ra target <<<"$target_flags"
flags=("${target[@]}" --exclude-newer "$cutoff")

venv=${BENCH_VENV:-target/bench-venv}
if [ ! -x "$venv/bin/uv" ]; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q 'pip>=26'
  "$venv/bin/pip" install -q uv==0.13.9 pip-tools==7.6.2
fi
cargo build --release --locked -q -p plinth
plinth=target/release/plinth
uv="$venv/bin/uv"
pip_compile="$venv/bin/pip-compile"
export UV_PYTHON_DOWNLOADS=never
if "$venv/bin/python" -c 'import sys, pip; sys.exit(int(pip.__version__.split(".")[0]) < 26)'; then
  pip_flags=(--uploaded-prior-to "$cutoff")
  pip_note="pip-compile with --uploaded-prior-to $cutoff"
else
  pip_flags=()
  pip_note="pip-compile WITHOUT a cutoff (the venv's pip is older than 26)"
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# measure CMD...: run CMD (its output to $work/stdout and $work/stderr) and
# print "SECONDS PEAK_RSS_KIB"; a failure stops the script with its output.
measure() {
  local start end rss status=0
  start=$(date +%s.%N)
  if [ -x /usr/bin/time ]; then
    /usr/bin/time -f %M -o "$work/rss" "$@" >"$work/stdout" 2>"$work/stderr" || status=$?
    end=$(date +%s.%N)
    rss=$(tail -n 1 "$work/rss")
  else
    "$@" >"$work/stdout" 2>"$work/stderr" &
    local pid=$! peak=0 value
    while kill -0 "$pid" 2>/dev/null; do
      value=$(awk '/^VmHWM/ {print $2}' "/proc/$pid/status" 2>/dev/null || true)
      [ -n "$value" ] && peak=$value
      sleep 0.01
    done
    wait "$pid" || status=$?
    end=$(date +%s.%N)
    rss=$peak
  fi
  if [ "$status" -ne 0 ]; then
    echo "failed ($status): $*" >&2
    cat "$work/stderr" >&2
    return "$status"
  fi
  echo "$(echo "$end - $start" | bc) $rss"
}

median() { sort -n | awk '{a[NR]=$1} END {if (NR) print a[int((NR+1)/2)]; else print ""}'; }
maximum() { sort -n | tail -n 1; }
# ratio A B: A/B with two decimals, or "-" when either is missing.
ratio() { if [ -n "$1" ] && [ -n "$2" ]; then printf '%.2f' "$(echo "$1 / $2" | bc -l)"; else echo -; fi; }
secs() { if [ -n "$1" ]; then printf '%.3f' "$1"; else echo -; fi; }
# The `name==version` lines of a lockfile, names normalized, sorted.
pins() {
  awk -F'==' '/^[A-Za-z0-9]/ {n = tolower($1); gsub(/[-_.]+/, "-", n); split($2, v, " "); print n "==" v[1]}' "$1" | sort
}

# The commands, as arrays (`/usr/bin/time` runs programs, not functions).
commands() {
  plinth_cmd=("$plinth" compile "$input" "${flags[@]}" -v --no-progress -o "$work/out.txt" --cache-dir "$work/plinth-cache")
  uv_cmd=("$uv" pip compile "$input" "${flags[@]}" -q -o "$work/out.txt" --cache-dir "$work/uv-cache")
  pip_cmd=(env PIP_CACHE_DIR="$work/pip-cache" timeout "$pip_timeout" "$pip_compile" "$input" "${pip_flags[@]}"
    --strip-extras -q -o "$work/out.txt" --cache-dir "$work/pip-tools-cache")
}

declare -A total
largest="" largest_pins=0 largest_rss=""
table="| input | pins | cache | plinth | uv | pip-compile | plinth/uv | plinth/pip-compile | plinth requests |
| --- | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: |"
for input in "${inputs[@]}"; do
  name=$(basename "$input" .in)
  [ "$name" = requirements ] && name=$(basename "$(dirname "$input")")
  rm -rf "$work"/*-cache
  "$plinth" compile "$input" "${flags[@]}" --no-header --no-annotate -q -o "$work/$name.plinth.txt" --cache-dir "$work/plinth-cache"
  "$uv" pip compile "$input" "${flags[@]}" --no-header --no-annotate -q -o "$work/$name.uv.txt" --cache-dir "$work/uv-cache"
  if ! diff -u "$work/$name.uv.txt" "$work/$name.plinth.txt"; then
    echo "$name: pins differ from uv (above)"; exit 1
  fi
  commands
  count=$(pins "$work/$name.plinth.txt" | wc -l)
  declare -A rss=()
  for cache in cold warm offline; do
    p=() u=() q=() requests=()
    for run in $(seq "$runs"); do
      extra=()
      if [ "$cache" = cold ]; then rm -rf "$work"/*-cache; fi
      if [ "$cache" = offline ]; then extra=(--offline); fi
      rm -f "$work/out.txt"
      measure "${plinth_cmd[@]}" "${extra[@]}" >"$work/measured"
      read -r seconds kib <"$work/measured"
      p+=("$seconds"); rss[plinth-$cache]+="$kib "
      requests+=("$(sed -n 's/.*Made \([0-9]*\) HTTP requests.*/\1/p' "$work/stderr" | tail -n 1)")
      rm -f "$work/out.txt"
      measure "${uv_cmd[@]}" "${extra[@]}" >"$work/measured"
      read -r seconds kib <"$work/measured"
      u+=("$seconds"); rss[uv-$cache]+="$kib "
      if [ "$cache" = cold ] && [ "$run" -le "$pip_runs" ]; then
        rm -f "$work/out.txt"
        if measure "${pip_cmd[@]}" >"$work/measured"; then
          read -r seconds kib <"$work/measured"
          q+=("$seconds"); rss[pip-compile-$cache]+="$kib "
          if [ "$run" = 1 ]; then
            if diff -q <(pins "$work/out.txt") <(pins "$work/$name.plinth.txt") >/dev/null; then
              pip_same="same pins"
            else
              pip_same="pins differ: $( (diff <(pins "$work/out.txt") <(pins "$work/$name.plinth.txt") || true) | grep -c '^[<>]') lines"
            fi
            echo "$name: pip-compile: $pip_same" >&2
          fi
        else
          echo "$name: pip-compile failed or took over ${pip_timeout}s" >&2
        fi
      fi
    done
    pm=$(printf '%s\n' "${p[@]}" | median)
    um=$(printf '%s\n' "${u[@]}" | median)
    qm=$( ((${#q[@]})) && printf '%s\n' "${q[@]}" | median || true)
    rm_=$(printf '%s\n' "${requests[@]}" | median)
    total[plinth-$cache]=$(echo "${total[plinth-$cache]:-0} + $pm" | bc)
    total[uv-$cache]=$(echo "${total[uv-$cache]:-0} + $um" | bc)
    if [ -n "$qm" ]; then
      total[pip-$cache]=$(echo "${total[pip-$cache]:-0} + $qm" | bc)
      total[plinth-with-pip-$cache]=$(echo "${total[plinth-with-pip-$cache]:-0} + $pm" | bc)
    fi
    row="| $name | $count | $cache | $(secs "$pm") | $(secs "$um") | $(secs "$qm") | $(ratio "$pm" "$um") | $(ratio "$pm" "$qm") | ${rm_:--} |"
    echo "$row" >&2
    table+=$'\n'"$row"
  done
  if [ "$count" -gt "$largest_pins" ]; then
    largest=$name largest_pins=$count
    largest_rss="| tool | cold | warm | offline |
| --- | ---: | ---: | ---: |"
    for tool in plinth uv pip-compile; do
      line="| $tool |"
      for cache in cold warm offline; do
        kib=$(printf '%s\n' ${rss[$tool-$cache]:-} | maximum)
        if [ -n "$kib" ]; then line+=" $((kib / 1024)) MB |"; else line+=" - |"; fi
      done
      largest_rss+=$'\n'"$line"
    done
  fi
  unset rss
done

echo
echo "Median of $runs runs (pip-compile: $pip_runs, cold only); $pip_note."
echo
echo "$table"
echo
echo "Summed medians over the inputs (plinth/pip-compile over the inputs pip-compile finished):"
echo
echo "| cache | plinth | uv | pip-compile | plinth/uv | plinth/pip-compile |"
echo "| --- | ---: | ---: | ---: | ---: | ---: |"
for cache in cold warm offline; do
  echo "| $cache | $(secs "${total[plinth-$cache]}") | $(secs "${total[uv-$cache]}") | $(secs "${total[pip-$cache]:-}") | $(ratio "${total[plinth-$cache]}" "${total[uv-$cache]}") | $(ratio "${total[plinth-with-pip-$cache]:-}" "${total[pip-$cache]:-}") |"
done
echo
echo "Peak resident memory on $largest ($largest_pins pins), largest over its runs:"
echo
echo "$largest_rss"
