#!/usr/bin/env bash
# Quick start, command 2: install what is missing, check formatting, build, run clang-tidy, run every
# test. The release build's suite runs first, then the same suite under ASan + UBSan (skip it with
# --no-sanitize), then the libFuzzer targets for 60 s each (scripts/fuzz.sh; skip with --no-fuzz).
# Extra arguments after -- go to ctest (e.g. -- -R parse).
set -euo pipefail
cd "$(dirname "$0")/.."
sanitize=1
fuzz=1
ctest_args=()
while [ $# -gt 0 ]; do
  case "$1" in
    --no-sanitize) sanitize=0 ;;
    --no-fuzz) fuzz=0 ;;
    --) shift; ctest_args=("$@"); break ;;
    *) echo "usage: scripts/test.sh [--no-sanitize] [--no-fuzz] [-- ctest args]" >&2; exit 2 ;;
  esac
  shift
done
scripts/install-deps.sh
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_mpi_yield_when_idle=1
scripts/check-format.sh
scripts/build.sh release
scripts/tidy.sh build
ctest --preset release "${ctest_args[@]}"
if [ "$sanitize" = 1 ]; then
  scripts/build.sh asan
  ctest --preset asan "${ctest_args[@]}"
fi
if [ "$fuzz" = 1 ]; then
  scripts/fuzz.sh 60
fi
