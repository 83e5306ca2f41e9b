#!/usr/bin/env bash
# The main job: install and build, bring the lab up (three Debian hosts on this
# machine), provision them into normal mode (playbooks/site.yml), and show the
# placement table read from the live hosts. The lab stays up for you:
#   node dist/uxsv.mjs lab status | degrade ... | lab down
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
node dist/uxsv.mjs lab up
node dist/uxsv.mjs play -i inventory/lab playbooks/site.yml
node dist/uxsv.mjs status -i inventory/lab
