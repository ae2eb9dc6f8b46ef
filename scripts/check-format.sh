#!/usr/bin/env bash
# Fails when a C++ file differs from clang-format's output (.clang-format: Google, 100 columns).
# `scripts/check-format.sh --fix` rewrites the files instead.
set -euo pipefail
cd "$(dirname "$0")/.."
mapfile -t files < <(git ls-files '*.cpp' '*.hpp' '*.h' '*.cc')
if [ "${1:-}" = "--fix" ]; then
  clang-format -i "${files[@]}"
  exit 0
fi
if clang-format --dry-run --Werror "${files[@]}" 2>/tmp/clang-format.$$; then
  echo "[check-format] ${#files[@]} files formatted"
  rm -f /tmp/clang-format.$$
else
  grep -E "^[^ ].*(warning|error)" /tmp/clang-format.$$ | cut -d: -f1 | sort -u | sed 's/^/  needs formatting: /'
  rm -f /tmp/clang-format.$$
  echo "[check-format] run scripts/check-format.sh --fix" >&2
  exit 1
fi
