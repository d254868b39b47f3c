#!/usr/bin/env bash
# The whole suite: build, run every compiled test file with tap, end with "N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")/.."
if ! npm run build --silent; then
  echo "0 passed, 1 failed"
  exit 1
fi
out=$(mktemp)
# Integration tests start real processes; two files at a time keeps a 2-core machine responsive.
npx tap --disable-coverage --jobs=2 --timeout=600 --reporter=tap "$@" 'dist/test/**/*.test.js' | tee "$out"
status=${PIPESTATUS[0]}
node dist/scripts/tap-summary.js "$out" "$status"
status=$?
rm -f "$out"
exit $status
