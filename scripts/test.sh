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
echo "== lab"
trap 'node dist/uxsv.mjs lab down || true' EXIT
node dist/uxsv.mjs lab up
# In this order: the lab itself (it fails and heals hosts), the modules that
# need systemd (and the site modules of library/), each role on its own, then
# the whole cluster through every mode.
for t in lab light engine modules library base dns dhcp web mail ntp mirror synchronize cluster; do
  echo "== lab tests: $t"
  UXSV_LAB=1 npx vitest run --project lab "test/lab/$t.test.ts"
done
