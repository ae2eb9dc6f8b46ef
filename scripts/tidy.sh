#!/usr/bin/env bash
# Runs clang-tidy (.clang-tidy) over the project's sources with <build>/compile_commands.json.
# Usage: scripts/tidy.sh [build-dir]  — fails on any finding (WarningsAsErrors).
set -euo pipefail
cd "$(dirname "$0")/.."
build="${1:-build}"
[ -f "$build/compile_commands.json" ] || { echo "tidy: no $build/compile_commands.json (build first)" >&2; exit 2; }
mapfile -t files < <(git ls-files 'src/*.cpp' 'tools/*.cpp')
# GCC-only flags in compile_commands.json (e.g. -Wno-restrict) are unknown to clang.
findings=$(run-clang-tidy -quiet -extra-arg=-Wno-unknown-warning-option -p "$build" "${files[@]}" 2>/dev/null | sed 's/\x1b\[[0-9;]*m//g' |
           grep -E "(warning|error):" | sort -u || true)
if [ -n "$findings" ]; then
  echo "$findings"
  echo "[tidy] $(echo "$findings" | wc -l) finding(s)" >&2
  exit 1
fi
echo "[tidy] ${#files[@]} files clean"
