#!/usr/bin/env bash
# End-to-end benchmark: dumpmill against the tools a user would otherwise reach for, same input, same run.
#
#   bench/e2e.sh [--rows 10000000] [--seed 1] [--build build] [--work /tmp/dumpmill-bench]
#                [--ranks "1 2"] [--repeat 3] [--baselines "sort sqlite duckdb"]
#                [--job jobs/clickstream.ini] [--dumpmill PATH] [--dumpmill-args "..."]
#                [--skip-dumpmill]
#
# Generates a synthetic clickstream dump with dumpmill-gen-clickstream (cached in the work dir,
# keyed by rows and seed), compresses it with `gzip -6` (one member, like the Wikimedia files),
# times every tool with /usr/bin/time -v, and prints a Markdown table (also written as TSV to the
# work dir). Each figure is the median of --repeat runs. See bench/README.md for the columns.
set -euo pipefail

usage() { sed -n '2,12s/^# \{0,1\}//p' "$0"; }

rows=10000000
seed=1
build=build
work=/tmp/dumpmill-bench
ranks="1 2"
repeat=3
baselines="sort sqlite duckdb"
job=jobs/clickstream.ini
dumpmill=
dumpmill_args=
skip_dumpmill=0
while [[ $# -gt 0 ]]; do
  case "$1" in
    --rows) rows=$2; shift 2 ;;
    --seed) seed=$2; shift 2 ;;
    --build) build=$2; shift 2 ;;
    --work) work=$2; shift 2 ;;
    --ranks) ranks=$2; shift 2 ;;
    --repeat) repeat=$2; shift 2 ;;
    --baselines) baselines=$2; shift 2 ;;
    --job) job=$2; shift 2 ;;
    --dumpmill) dumpmill=$2; shift 2 ;;
    --dumpmill-args) dumpmill_args=$2; shift 2 ;;
    --skip-dumpmill) skip_dumpmill=1; shift ;;
    -h|--help) usage; exit 0 ;;
    *) echo "e2e.sh: unknown argument '$1' (see --help)" >&2; exit 2 ;;
  esac
done
[[ $rows =~ ^[0-9]+$ && $seed =~ ^[0-9]+$ && $repeat =~ ^[1-9][0-9]*$ ]] ||
  { echo "e2e.sh: --rows, --seed and --repeat take non-negative integers" >&2; exit 2; }

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
[[ $build = /* ]] || build=$repo/$build
[[ $job = /* ]] || job=$repo/$job
mkdir -p "$work"
work=$(cd "$work" && pwd)
log() { echo "[e2e] $*" >&2; }
die() { echo "e2e.sh: $*" >&2; exit 1; }

# An executable by name: the expected place first, else anywhere in the build tree.
find_exe() {
  local expected=$1 name=$2 found
  if [[ -x $expected ]]; then echo "$expected"; return; fi
  found=$(find "$build" -type f -name "$name" -perm -u+x 2>/dev/null | head -n 1)
  [[ -n $found ]] && echo "$found"
}

[[ -x /usr/bin/time ]] || die "/usr/bin/time is missing (Debian package 'time')"
gen=$(find_exe "$build/tools/dumpmill-gen-clickstream" dumpmill-gen-clickstream) ||
  die "dumpmill-gen-clickstream not found under $build (cmake --build $build --target dumpmill-gen-clickstream)"

# --- input: generate once per (rows, seed), then reuse ------------------------------------------
input=$work/clickstream-r$rows-s$seed.tsv.gz
truth=$work/clickstream-r$rows-s$seed.truth.json
if [[ ! -s $input || ! -s $truth ]]; then
  log "generating $rows rows (seed $seed) -> $input"
  "$gen" --rows "$rows" --seed "$seed" --out - --truth "$truth.tmp" | gzip -6 > "$input.tmp"
  mv "$truth.tmp" "$truth"
  mv "$input.tmp" "$input"
fi
json_int() { sed -n "s/^ *\"$1\": \([0-9][0-9]*\).*/\1/p" "$truth"; }
raw_bytes=$(json_int bytes_written)
distinct=$(json_int distinct_pairs)
invalid_utf8=$(json_int invalid_utf8)
gz_bytes=$(stat -c %s "$input")
[[ -n $raw_bytes && -n $distinct ]] || die "cannot read $truth"

# --- measurement ----------------------------------------------------------------------------------
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_mpi_yield_when_idle=1
scratch=$work/scratch
mkdir -p "$scratch"
results=()   # tool \t ranks \t wall \t rss_kib \t rank_rss \t rows_out \t matches_truth
failed=0

median() { sort -g | awk '{ a[NR] = $1 } END { if (NR % 2) print a[(NR + 1) / 2];
  else printf "%.2f\n", (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }

# measure TOOL RANKS CLEANUP SCRIPT: runs `bash -o pipefail -c SCRIPT` --repeat times under
# /usr/bin/time -v (CLEANUP runs untimed before each), sets $wall_s and $rss_kib to medians.
measure() {
  local tool=$1 nranks=$2 cleanup=$3 script=$4 i walls=() rsses=()
  local timing=$scratch/time.txt out=$scratch/$tool-np$nranks.log
  for ((i = 1; i <= repeat; i++)); do
    bash -c "$cleanup"
    log "$tool, $nranks rank(s), run $i/$repeat"
    if ! /usr/bin/time -v -o "$timing" bash -o pipefail -c "$script" > "$out" 2>&1; then
      log "$tool FAILED (exit status in $timing, output in $out):"
      tail -n 5 "$out" >&2
      return 1
    fi
    walls+=("$(awk -F': ' '/Elapsed \(wall clock\)/ { n = split($2, a, ":"); s = 0;
      for (i = 1; i <= n; i++) s = s * 60 + a[i]; printf "%.2f\n", s }' "$timing")")
    rsses+=("$(awk -F': ' '/Maximum resident set size/ { print $2 }' "$timing")")
  done
  wall_s=$(printf '%s\n' "${walls[@]}" | median)
  rss_kib=$(printf '%s\n' "${rsses[@]}" | median)
}

add_result() { results+=("$(printf '%s\t' "$@" | sed 's/\t$//')"); }

# (a) dumpmill at each rank count.
if [[ $skip_dumpmill -eq 0 ]]; then
  if [[ -z $dumpmill ]]; then
    dumpmill=$(find_exe "$build/dumpmill" dumpmill) || die "dumpmill not found under $build (or use --skip-dumpmill)"
  fi
  [[ -x $dumpmill ]] || die "$dumpmill is not an executable"
  dumpmill=$(cd "$(dirname "$dumpmill")" && pwd)/$(basename "$dumpmill")
  [[ -f $job ]] || die "job file $job not found"
  for r in $ranks; do
    outdir=$work/out-dumpmill-np$r
    if measure dumpmill "$r" "rm -rf '$outdir'" \
        "mpirun -n $r --oversubscribe '$dumpmill' run '$job' --input '$input' --output '$outdir' $dumpmill_args"; then
      # Per-rank peak RSS, rows out, and dumpmill's accounting against the generator's truth.
      read -r rank_rss rows_out check < <(/usr/bin/python3 - "$outdir/report.json" "$truth" <<'PY'
import json, sys
try:
    report = json.load(open(sys.argv[1]))
except (OSError, ValueError):
    print("n/a - no-report.json"); sys.exit()
truth = json.load(open(sys.argv[2]))
rss = report.get("peak_rss_bytes")
rss = "/".join(str(round(b / 2**20)) for b in rss) if isinstance(rss, list) and rss else "n/a"
pairs = [("records_read", "rows_written"), ("valid", "valid_rows"), ("rejected", "bad_rows"),
         ("duplicates_dropped", "duplicate_rows_injected"), ("distinct_pairs", "distinct_pairs"),
         ("sum_n", "sum_n_distinct")]
bad = [f"{r}={report.get(r)}!={truth[t]}" for r, t in pairs if report.get(r) != truth[t]]
print(rss, report.get("distinct_pairs", "-"), "yes" if not bad else "NO:" + ",".join(bad))
PY
)
      [[ $check == yes ]] || { failed=1; log "dumpmill at $r ranks disagrees with the truth: $check"; }
      add_result dumpmill "$r" "$wall_s" "$rss_kib" "$rank_rss" "$rows_out" "$check"
    else
      failed=1
      add_result dumpmill "$r" FAILED - - - -
    fi
  done
fi

# (b) what a user would otherwise do. Validity filter as in the generator's truth: 4 fields,
# non-empty titles, type link/external/other, n a positive integer (UTF-8 is not checked).
awk_valid='NF == 4 && $1 != "" && $2 != "" && ($3 == "link" || $3 == "external" || $3 == "other") && $4 ~ /^[1-9][0-9]*$/'
for tool in $baselines; do
  case $tool in
    sort)
      # sort -u drops exact duplicate lines; equal keys are then adjacent, so awk sums in one pass.
      out=$work/out-sort.tsv
      if measure sort 1 "rm -f '$out'" "zcat '$input' | LC_ALL=C sort -u -T '$scratch' |
          LC_ALL=C awk -F'\t' '$awk_valid { k = \$1 FS \$2 FS \$3;
            if (k != key) { if (key != \"\") printf \"%s\t%.0f\n\", key, sum; key = k; sum = 0 }
            sum += \$4 } END { if (key != \"\") printf \"%s\t%.0f\n\", key, sum }' > '$out'"; then
        add_result "zcat + sort -u + awk" 1 "$wall_s" "$rss_kib" - "$(wc -l < "$out")" -
      else
        failed=1; add_result "zcat + sort -u + awk" 1 FAILED - - - -
      fi
      ;;
    sqlite)
      # ASCII mode with tab/newline separators: no quote processing, so "\"Fast\"_Eddie" stays
      # one field as the dump means it (CSV mode would mangle it).
      db=$work/sqlite.db
      if measure sqlite 1 "rm -f '$db'" "zcat '$input' | sqlite3 -batch \
          -cmd 'PRAGMA journal_mode=OFF' -cmd 'PRAGMA synchronous=OFF' \
          -cmd 'CREATE TABLE raw(prev TEXT, curr TEXT, type TEXT, n TEXT)' \
          -cmd '.mode ascii' -cmd '.separator \"\t\" \"\n\"' -cmd '.import /dev/stdin raw' \
          '$db' \"CREATE TABLE pairs AS SELECT prev, curr, type, SUM(CAST(n AS INTEGER)) AS n
            FROM (SELECT DISTINCT prev, curr, type, n FROM raw WHERE prev <> '' AND curr <> ''
                  AND type IN ('link', 'external', 'other') AND n GLOB '[1-9]*'
                  AND NOT n GLOB '*[^0-9]*')
            GROUP BY prev, curr, type\""; then
        add_result "sqlite3 import+GROUP BY" 1 "$wall_s" "$rss_kib" - \
          "$(sqlite3 "$db" 'SELECT COUNT(*) FROM pairs')" -
      else
        failed=1; add_result "sqlite3 import+GROUP BY" 1 FAILED - - - -
      fi
      rm -f "$db"
      ;;
    duckdb)
      if ! command -v duckdb > /dev/null; then
        log "duckdb: no duckdb binary on PATH (not packaged in Debian 12); skipped"
        continue
      fi
      out=$work/out-duckdb.tsv
      if measure duckdb 1 "rm -f '$out'" "duckdb -c \"COPY (
          SELECT prev, curr, type, SUM(n) AS n FROM (SELECT DISTINCT * FROM read_csv('$input',
            delim = '\t', header = false, quote = '\\\"', escape = '\\\\', ignore_errors = true,
            columns = {'prev': 'VARCHAR', 'curr': 'VARCHAR', 'type': 'VARCHAR', 'n': 'BIGINT'}))
          WHERE prev <> '' AND curr <> '' AND type IN ('link', 'external', 'other') AND n > 0
          GROUP BY ALL) TO '$out' (DELIMITER '\t', HEADER false)\""; then
        add_result duckdb 1 "$wall_s" "$rss_kib" - "$(wc -l < "$out")" -
      else
        failed=1; add_result duckdb 1 FAILED - - - -
      fi
      ;;
    *) die "unknown baseline '$tool' (sort, sqlite, duckdb)" ;;
  esac
done

# --- report -----------------------------------------------------------------------------------------
[[ ${#results[@]} -gt 0 ]] || die "nothing was measured"
# Ratio column: fastest baseline wall time / this row's wall time (> 1 means faster than it).
best=$(printf '%s\n' "${results[@]}" | awk -F'\t' '$1 != "dumpmill" && $3 != "FAILED" { print $3 }' |
  sort -g | head -n 1)
tsv=$work/results-r$rows-s$seed.tsv
printf '%s\n' "${results[@]}" | awk -F'\t' -v OFS='\t' -v bytes="$raw_bytes" -v best="$best" '
  BEGIN { print "tool", "ranks", "wall_s", "mb_per_s_per_rank", "peak_rss_mib", "rank_peak_rss_mib",
          "rows_out", "speed_vs_fastest_baseline", "matches_truth" }
  $3 == "FAILED" { print $1, $2, "FAILED", "-", "-", "-", "-", "-", "-"; next }
  { mbs = ($3 > 0) ? sprintf("%.1f", bytes / 1e6 / $3 / $2) : "inf"
    ratio = (best != "" && $3 > 0) ? sprintf("%.2fx", best / $3) : "-"
    print $1, $2, $3, mbs, sprintf("%.0f", $4 / 1024), $5, $6, ratio, $7 }' > "$tsv"

commit=$(git -C "$repo" rev-parse --short HEAD 2>/dev/null || echo unknown)
echo
echo "### dumpmill end-to-end benchmark"
echo
echo "Input: $rows rows (seed $seed), $(awk -v b="$raw_bytes" 'BEGIN { printf "%.1f", b / 1e6 }') MB" \
  "uncompressed, $(awk -v b="$gz_bytes" 'BEGIN { printf "%.1f", b / 1e6 }') MB gzip -6;" \
  "truth: $distinct distinct valid pairs ($invalid_utf8 more rows are invalid UTF-8 only, which" \
  "the baselines keep). Median of $repeat runs; $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg);" \
  "commit $commit."
echo
awk -F'\t' 'NR == 1 { print "| tool | ranks | wall s | MB/s per rank | peak RSS MiB (time -v) |" \
                            " per-rank peak RSS MiB (report.json) | rows out | vs fastest baseline |" \
                            " matches truth |"
                      print "|---|---:|---:|---:|---:|---:|---:|---:|---|"; next }
            { printf "| %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", $1, $2, $3, $4, $5, $6, $7,
                $8, $9 }' "$tsv"
echo
echo "TSV: $tsv"
exit "$failed"
