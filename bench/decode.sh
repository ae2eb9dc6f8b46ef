#!/usr/bin/env bash
# Decode-only benchmark of one single-member .tsv.gz: gzip, pigz, igzip and dumpmill, same run.
#
#   bench/decode.sh [--rows 10000000] [--seed 1] [--build build] [--work /tmp/dumpmill-bench]
#                   [--ranks "1 2"] [--repeat 3]
#
# Input: the e2e benchmark's generated dump (gzip -6, one member; generated here if missing).
# dumpmill rows: "scan" = the parallel index build (each rank finds a block boundary in its slice,
# decodes it, windows are resolved across ranks, CRC32 checked: a full decode with no sequential
# pass and no index); "indexed" = every byte decoded by ISA-L from the saved index; "stream" =
# one rank, no index, ISA-L from byte 0 (what a 1-rank run does). Prints a
# Markdown table of median wall seconds and decoded MB/s (per rank for dumpmill).
set -euo pipefail

usage() { sed -n '2,11s/^# \{0,1\}//p' "$0"; }
rows=10000000 seed=1 build=build work=/tmp/dumpmill-bench ranks="1 2" repeat=3
while [[ $# -gt 0 ]]; do
  case "$1" in
    --rows) rows=$2; shift 2 ;;
    --seed) seed=$2; shift 2 ;;
    --build) build=$2; shift 2 ;;
    --work) work=$2; shift 2 ;;
    --ranks) ranks=$2; shift 2 ;;
    --repeat) repeat=$2; shift 2 ;;
    -h|--help) usage; exit 0 ;;
    *) echo "decode.sh: unknown argument '$1' (see --help)" >&2; exit 2 ;;
  esac
done
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
[[ $build = /* ]] || build=$repo/$build
mkdir -p "$work"
die() { echo "decode.sh: $*" >&2; exit 1; }
find_exe() { find "$build" -type f -name "$1" -perm -u+x 2>/dev/null | head -n 1; }
gen=$(find_exe dumpmill-gen-clickstream)
bench=$(find_exe dumpmill-bench-decode)
[[ -n $gen && -n $bench ]] ||
  die "build dumpmill-gen-clickstream and dumpmill-bench-decode first (cmake --build $build --target ...)"

input=$work/clickstream-r$rows-s$seed.tsv.gz
if [[ ! -s $input ]]; then
  echo "[decode] generating $rows rows -> $input" >&2
  "$gen" --rows "$rows" --seed "$seed" --out - --truth "$work/clickstream-r$rows-s$seed.truth.json" |
    gzip -6 > "$input.tmp"
  mv "$input.tmp" "$input"
fi
# The bench keeps its own copy so its index never collides with a dumpmill run's.
copy=$work/decode-bench.tsv.gz
[[ -s $copy && $copy -nt $input ]] || cp "$input" "$copy"
decoded=$(igzip -dc "$copy" | wc -c)
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_mpi_yield_when_idle=1

median() { sort -g | awk '{ a[NR] = $1 } END { if (NR % 2) print a[(NR + 1) / 2];
  else printf "%.3f\n", (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }
now() { date +%s.%N; }
rows_out=()
row() {
  awk -v name="$1" -v n="$2" -v w="$3" -v d="$decoded" \
    'BEGIN { printf "| %s | %d | %.2f | %.0f | %.0f |\n", name, n, w, d / 1e6 / w, d / 1e6 / w / n }'
}
# tool-name ranks command...: median wall time over --repeat runs.
time_tool() {
  local name=$1 n=$2 i t0 walls=()
  shift 2
  for ((i = 1; i <= repeat; i++)); do
    t0=$(now)
    "$@" > /dev/null
    walls+=("$(awk -v a="$(now)" -v b="$t0" 'BEGIN { printf "%.3f\n", a - b }')")
  done
  local wall
  wall=$(printf '%s\n' "${walls[@]}" | median)
  rows_out+=("$(row "$name" "$n" "$wall")")
}
# dumpmill's own figure (seconds of the slowest rank, startup excluded) from its JSON line.
dumpmill_run() {
  local mode=$1 n=$2 i walls=() line
  for ((i = 1; i <= repeat; i++)); do
    [[ $mode = scan ]] && rm -f "$copy.dmidx"
    line=$(mpirun -n "$n" --oversubscribe "$bench" "$copy" "$mode")
    walls+=("$(sed -n 's/.*"seconds": \([0-9.]*\).*/\1/p' <<< "$line")")
  done
  local wall
  wall=$(printf '%s\n' "${walls[@]}" | median)
  rows_out+=("$(row "dumpmill $mode" "$n" "$wall")")
}

time_tool "gzip -dc" 1 gzip -dc "$copy"
time_tool "pigz -dc" 1 pigz -dc "$copy"
time_tool "igzip -dc" 1 igzip -dc "$copy"
dumpmill_run stream 1
for n in $ranks; do dumpmill_run scan "$n"; done
for n in $ranks; do dumpmill_run indexed "$n"; done

echo "Decoding $(basename "$input"): $(stat -c %s "$copy") bytes gzip -6, $decoded decoded; median of $repeat"
echo
echo "| tool | ranks | wall s | MB/s decoded | MB/s per rank |"
echo "|---|---|---|---|---|"
printf '%s\n' "${rows_out[@]}"
