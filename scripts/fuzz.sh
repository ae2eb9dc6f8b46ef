#!/usr/bin/env bash
# Builds the libFuzzer targets (fuzz/) with clang-14 in build-fuzz and runs each for SECONDS
# (default 60) from a seed corpus of gzip files made at run time. Exits non-zero when a target
# crashes, breaks an invariant, leaks or times out, printing the reproducer's path.
# Usage: scripts/fuzz.sh [SECONDS] [TARGET...]   (targets: block_finder marker_inflate chunk_decode)
# Reproduce: build-fuzz/fuzz/fuzz_<target> <reproducer file>
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-60}"
shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(block_finder marker_inflate chunk_decode)
build=build-fuzz
work="$build/fuzz-run"

for tool in clang-14 clang++-14; do
  command -v "$tool" >/dev/null || { echo "[fuzz] $tool missing: apt-get install clang-14 libclang-rt-14-dev" >&2; exit 2; }
done
if ! ls /usr/lib/llvm-14/lib/clang/*/lib/linux/libclang_rt.fuzzer-x86_64.a >/dev/null 2>&1; then
  echo "[fuzz] libFuzzer runtime missing: apt-get install libclang-rt-14-dev" >&2
  exit 2
fi

CC=clang-14 CXX=clang++-14 cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DDUMPMILL_FUZZ=ON -DDUMPMILL_BUILD_TESTS=OFF -DDUMPMILL_BUILD_BENCH=OFF >/dev/null
cmake --build "$build" -j "$(nproc)" --target "${targets[@]/#/fuzz_}"

# Seeds: small gzip files from the compressors dumpmill meets (block structure for the block
# finder and marker decoder), and their plain text (the chunk target compresses its input).
seeds="$work/seeds"
rm -rf "$seeds"
mkdir -p "$seeds/gzip" "$seeds/plain" "$work/artifacts"
python3 - "$seeds/plain" <<'EOF'
import random, sys
rng = random.Random(7)
words = ["History", "List", "of", "United", "States", "Film", "Album", "River", "other-search"]
for i, n in enumerate([300, 2000, 6000, 20000]):
    rows = []
    while sum(map(len, rows)) < n:
        rows.append("%s\t%s\t%s\t%d\n" % (rng.choice(words), "_".join(rng.choice(words) for _ in range(rng.randint(1, 3))),
                                         rng.choice(["link", "external", "other"]), rng.randint(10, 99999)))
    open("%s/rows%d.tsv" % (sys.argv[1], i), "w").write("".join(rows))
open("%s/random.bin" % sys.argv[1], "wb").write(bytes(rng.randrange(256) for _ in range(3000)))
open("%s/runs.bin" % sys.argv[1], "wb").write(b"a" * 5000 + b"ab" * 2000)
EOF
for f in "$seeds"/plain/*; do
  b=$(basename "$f")
  gzip -1 -c "$f" > "$seeds/gzip/$b.gzip1.gz"
  gzip -9 -c "$f" > "$seeds/gzip/$b.gzip9.gz"
  pigz -c "$f" > "$seeds/gzip/$b.pigz.gz"
  igzip -0 -c "$f" > "$seeds/gzip/$b.igzip0.gz"
  python3 -c 'import sys, zlib; d = open(sys.argv[1], "rb").read()
c = zlib.compressobj(6, zlib.DEFLATED, 31, 1)  # memLevel 1: many small blocks
sys.stdout.buffer.write(c.compress(d) + c.flush())' "$f" > "$seeds/gzip/$b.zlib-mem1.gz"
done

status=0
for t in "${targets[@]}"; do
  case "$t" in
    block_finder) max_len=4096; seed_dir="$seeds/gzip" ;;
    marker_inflate) max_len=4096; seed_dir="$seeds/gzip" ;;
    chunk_decode) max_len=65536; seed_dir="$seeds/plain" ;;
    *) echo "[fuzz] unknown target $t" >&2; exit 2 ;;
  esac
  corpus="$work/corpus/$t"
  mkdir -p "$corpus"
  log="$work/$t.log"
  echo "[fuzz] $t: ${seconds}s, corpus $corpus, log $log"
  # -timeout 10: one input taking 10 s is a hang (an execution takes milliseconds);
  # -rss_limit_mb 2048: the largest legitimate execution needs ~40 MB (8.4 MB of symbols).
  if "$build/fuzz/fuzz_$t" -max_total_time="$seconds" -max_len="$max_len" -rss_limit_mb=2048 \
      -timeout=10 -print_final_stats=1 -artifact_prefix="$work/artifacts/$t-" \
      "$corpus" "$seed_dir" >"$log" 2>&1; then
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
    time_s=$(sed -n 's/^stat::.*//;s/^Done \([0-9]*\) runs in \([0-9]*\) second.*/\2/p' "$log")
    rate=$(( ${runs:-0} / (${time_s:-0} > 0 ? ${time_s:-1} : 1) ))
    cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1)
    echo "[fuzz] $t: ok, ${runs:-?} runs in ${time_s:-?} s (${rate} exec/s), $cov, corpus $(ls "$corpus" | wc -l) inputs"
  else
    status=1
    echo "[fuzz] $t: FAILED; last lines of $log:" >&2
    tail -n 30 "$log" >&2
    repro=$(sed -n 's/.*Test unit written to \(.*\)$/\1/p' "$log" | tail -1)
    echo "[fuzz] reproducer: ${repro:-see $log}  (run: $build/fuzz/fuzz_$t ${repro:-FILE})" >&2
  fi
done
exit $status
