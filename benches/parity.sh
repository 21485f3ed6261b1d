#!/usr/bin/env bash
# Pin parity with uv: resolves each input with `plinth compile` and
# `uv pip compile` against live PyPI, with the same target and cutoff, and
# says whether they pin the same versions. A regression corpus, not a
# benchmark: run it after changing the resolver.
#
#   benches/parity.sh [INPUT.in ...]
#
# Inputs default to fixtures/parity/*.in, fixtures/compare/*.in,
# fixtures/examples/*.in and fixtures/bench/*/requirements.in. Both tools get
#   --python-version 3.11 --python-platform x86_64-manylinux_2_28
#   --exclude-newer 2026-11-01T00:00:00Z
# An input may change the target in a comment among its first lines,
#   # flags: --python-version 3.10 --python-platform aarch64-manylinux_2_28
#   # flags: --universal          (no --python-platform; Python 3.11 unless given)
# which replaces the defaults it names and adds any other flag; the cutoff
# always stays. The tools run one after the other (plinth first), each with
# a timeout of PARITY_TIMEOUT seconds (default 300).
#
# Compared: the exit codes (both failing counts as a match) and the sets of
# `name==version` lines of the two lockfiles (names normalized, comments and
# annotations left out; with --universal the markers after `;` too,
# whitespace normalized). One line per input,
#   same|DIFF|BOTH-FAIL|PLINTH-FAIL|UV-FAIL|TIMEOUT  INPUT  PLINTH_S  UV_S
# followed, for DIFF, by the packages whose pins differ and, for a failure, by
# the last line of each failing tool's stderr (TIMEOUT: a tool ran out of
# time, which is no match); then a count per outcome and the summed seconds.
# Exits 1 when an input is neither `same` nor `BOTH-FAIL`.
#
# Environment (paths relative to the current directory):
#   PLINTH        the binary to test (default target/release/plinth; not built
#                 here: `cargo build --release -p plinth` first)
#   BENCH_VENV    where uv lives (default target/bench-venv; uv 0.13.9,
#                 pip-tools 7.6.2 and pip >= 26 are installed there when it
#                 has no uv, as benches/compare.sh does)
#   PARITY_CACHE  the caches, $PARITY_CACHE/plinth and $PARITY_CACHE/uv, kept
#                 between runs so that a rerun is fast (default
#                 target/parity-cache; delete it for a cold run)
#   PARITY_OUT    both lockfiles, stderrs and compared pins of each input, as
#                 NAME.{plinth,uv}.{txt,err,pins} (default target/parity-out)
#   PARITY_TIMEOUT  seconds per tool and input (default 300)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
abs() { realpath -m -- "$1"; }
plinth=$(abs "${PLINTH:-$root/target/release/plinth}")
venv=$(abs "${BENCH_VENV:-$root/target/bench-venv}")
cache=$(abs "${PARITY_CACHE:-$root/target/parity-cache}")
out=$(abs "${PARITY_OUT:-$root/target/parity-out}")
limit=${PARITY_TIMEOUT:-300}
inputs=()
for input in "$@"; do inputs+=("$(abs "$input")"); done
cd "$root"
if [ ${#inputs[@]} -eq 0 ]; then
  shopt -s nullglob
  inputs=(fixtures/parity/*.in fixtures/compare/*.in fixtures/examples/*.in fixtures/bench/*/requirements.in)
  shopt -u nullglob
fi
cutoff=2026-11-01T00:00:00Z

if [ ! -x "$plinth" ]; then
  echo "no plinth at $plinth (build it, or set PLINTH)" >&2
  exit 2
fi
if [ ! -x "$venv/bin/uv" ]; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q 'pip>=26'
  "$venv/bin/pip" install -q uv==0.13.9 pip-tools==7.6.2
fi
uv="$venv/bin/uv"
export UV_PYTHON_DOWNLOADS=never LC_ALL=C
mkdir -p "$cache/plinth" "$cache/uv" "$out"

# target INPUT: sets `flags` (the flags of both tools) and `universal` from
# the defaults and the input's `# flags:` comment (in its leading comments).
target() {
  local version=3.11 platform=x86_64-manylinux_2_28 extra=() words=() i word
  universal=0
  read -r -a words < <(awk '!/^[[:space:]]*(#|$)/ {exit} sub(/^[[:space:]]*#[[:space:]]*flags:/, "") {printf "%s ", $0}' "$1") || true
  for ((i = 0; i < ${#words[@]}; i++)); do
    word=${words[i]}
    case $word in
      --python-version) version=${words[++i]} ;;
      --python-version=*) version=${word#*=} ;;
      --python-platform) platform=${words[++i]} ;;
      --python-platform=*) platform=${word#*=} ;;
      --universal) universal=1 ;;
      --exclude-newer|--exclude-newer=*) echo "$1: the cutoff can't be changed" >&2; return 1 ;;
      *) extra+=("$word") ;;
    esac
  done
  flags=(--python-version "$version")
  if [ "$universal" = 1 ]; then flags+=(--universal); else flags+=(--python-platform "$platform"); fi
  flags+=("${extra[@]}" --exclude-newer "$cutoff")
}

# pins FILE: the pins of a lockfile, one a line, sorted: `name==version`
# (name lowercased, runs of -_. as one -), and with --universal `; marker`
# (whitespace normalized) after it.
pins() {
  awk -v universal="$universal" '
    /^[A-Za-z0-9]/ {
      line = $0
      sub(/[[:space:]]+#.*$/, "", line)
      sub(/[[:space:]]*\\$/, "", line)
      marker = ""
      if (universal && index(line, ";")) {
        marker = substr(line, index(line, ";") + 1)
        gsub(/[[:space:]]+/, " ", marker)
        sub(/^ /, "", marker); sub(/ $/, "", marker)
        marker = " ; " marker
      }
      sub(/[[:space:]]*;.*$/, "", line)
      gsub(/[[:space:]]+/, "", line)
      split(line, parts, "==")
      name = tolower(parts[1]); gsub(/[-_.]+/, "-", name)
      print name "==" parts[2] marker
    }' "$1" | sort
}

# differences UV_PINS PLINTH_PINS (files of `pins`): `  name: plinth V, uv W`
# for each package whose pins differ, V and W the pins only that tool wrote
# (several joined by ` | `; `-` for none).
differences() {
  { comm -13 "$1" "$2" | sed 's/^/p /'; comm -23 "$1" "$2" | sed 's/^/u /'; } | awk '
    {
      tool = $1; name = substr($0, 3); sub(/==.*/, "", name)
      pin = substr($0, length(name) + 5)
      key = tool SUBSEP name
      joined = (key in pins) ? pins[key] " | " pin : pin
      pins[key] = joined
      names[name] = 1
    }
    END {
      for (name in names) {
        p = (("p" SUBSEP name) in pins) ? pins["p" SUBSEP name] : "-"
        u = (("u" SUBSEP name) in pins) ? pins["u" SUBSEP name] : "-"
        print "  " name ": plinth " p ", uv " u
      }
    }' | sort
}

# run SECONDS_VAR STATUS_VAR CMD...: run CMD with the timeout, its output
# to the files the caller named, and keep its time and exit code.
run() {
  local -n seconds_=$1 status_=$2
  shift 2
  local start end
  start=$(date +%s.%N)
  status_=0
  timeout -k 10 "$limit" "$@" || status_=$?
  end=$(date +%s.%N)
  seconds_=$(printf '%.2f' "$(echo "$end - $start" | bc)")
}

# last_error FILE: the last non-empty line of a tool's stderr, shortened.
last_error() { grep -v '^[[:space:]]*$' "$1" | tail -n 1 | sed 's/^[[:space:]]*//' | cut -c 1-160 || true; }

declare -A count=()
plinth_total=0 uv_total=0 failed=0
for input in "${inputs[@]}"; do
  shown=$(realpath -m --relative-to=. -- "$input")
  name=$shown
  case $name in fixtures/*) name=${name#fixtures/} ;; esac
  name=${name//..\//}; name=${name%.in}; name=${name%/requirements}; name=${name//\//-}
  target "$input"
  p_out="$out/$name.plinth.txt" u_out="$out/$name.uv.txt"
  rm -f "$p_out" "$u_out" "$out/$name".*.pins
  run p_secs p_status "$plinth" compile "$shown" "${flags[@]}" --no-progress \
    --cache-dir "$cache/plinth" -o "$p_out" >/dev/null 2>"$out/$name.plinth.err"
  run u_secs u_status "$uv" pip compile "$shown" "${flags[@]}" \
    --cache-dir "$cache/uv" -o "$u_out" -q >/dev/null 2>"$out/$name.uv.err"
  plinth_total=$(echo "$plinth_total + $p_secs" | bc)
  uv_total=$(echo "$uv_total + $u_secs" | bc)
  detail=""
  if [ "$p_status" -eq 124 ] || [ "$u_status" -eq 124 ]; then
    outcome=TIMEOUT
    [ "$p_status" -ne 124 ] || detail="  plinth: timed out after ${limit}s"
    [ "$u_status" -ne 124 ] || detail+="${detail:+$'\n'}  uv: timed out after ${limit}s"
  elif [ "$p_status" -ne 0 ] && [ "$u_status" -ne 0 ]; then
    outcome=BOTH-FAIL
    detail="  plinth (exit $p_status): $(last_error "$out/$name.plinth.err")"
    detail+=$'\n'"  uv (exit $u_status): $(last_error "$out/$name.uv.err")"
  elif [ "$p_status" -ne 0 ]; then
    outcome=PLINTH-FAIL
    detail="  plinth (exit $p_status): $(last_error "$out/$name.plinth.err")"
  elif [ "$u_status" -ne 0 ]; then
    outcome=UV-FAIL
    detail="  uv (exit $u_status): $(last_error "$out/$name.uv.err")"
  else
    pins "$u_out" >"$out/$name.uv.pins"
    pins "$p_out" >"$out/$name.plinth.pins"
    detail=$(differences "$out/$name.uv.pins" "$out/$name.plinth.pins")
    if [ -z "$detail" ]; then outcome=same; else outcome=DIFF; fi
  fi
  count[$outcome]=$((${count[$outcome]:-0} + 1))
  case $outcome in same|BOTH-FAIL) ;; *) failed=1 ;; esac
  printf '%-11s %-45s %7s %7s\n' "$outcome" "$shown" "$p_secs" "$u_secs"
  if [ -n "$detail" ]; then printf '%s\n' "$detail"; fi
done

echo
summary="${#inputs[@]} inputs:"
for outcome in same DIFF BOTH-FAIL PLINTH-FAIL UV-FAIL TIMEOUT; do
  summary+=" ${count[$outcome]:-0} $outcome,"
done
echo "${summary%,}"
printf 'seconds: plinth %.2f, uv %.2f (summed)\n' "$plinth_total" "$uv_total"
exit "$failed"
