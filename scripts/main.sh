#!/usr/bin/env bash
# The main job: install and build, bring the lab up (three Debian hosts on this
# machine), provision them into normal mode (playbooks/site.yml), and show the
# placement table read from the live hosts. The lab stays up for you:
#   node dist/engine/cli/main.js lab status | degrade ... | lab down
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
node dist/engine/cli/main.js lab up
node dist/engine/cli/main.js play -i inventory/lab playbooks/site.yml
node dist/engine/cli/main.js status -i inventory/lab
