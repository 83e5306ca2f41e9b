#!/usr/bin/env bash
# The whole test suite: unit tests on local connections and a local sshd,
# then the lab (three nspawn hosts) and the lab tests. The lab always comes down.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh

echo "== unit tests"
npx vitest run --project unit

if [[ "${UXSV_SKIP_LAB:-}" == 1 ]]; then
  echo "== lab tests skipped (UXSV_SKIP_LAB=1)"
  exit 0
fi
if [[ ! -f dist/lab/cli.js ]]; then
  echo "== no lab yet"
  exit 0
fi
echo "== lab"
trap 'node dist/engine/cli/main.js lab down || true' EXIT
node dist/engine/cli/main.js lab up
UXSV_LAB=1 npx vitest run --project lab
