#!/usr/bin/env bash
# Runs clang-tidy (.clang-tidy) over the project's sources with build/compile_commands.json.
# Usage: scripts/tidy.sh [build-dir] — fails on any finding (WarningsAsErrors).
set -euo pipefail
cd "$(dirname "$0")/.."
build="${1:-build}"
[ -f "$build/compile_commands.json" ] || { echo "tidy: no $build/compile_commands.json (build first)" >&2; exit 2; }
mapfile -t files < <(git ls-files 'src/*.cpp')
run-clang-tidy -quiet -p "$build" "${files[@]}" 2>/dev/null | grep -E "warning:|error:" && exit 1
echo "[tidy] ${#files[@]} files clean"
