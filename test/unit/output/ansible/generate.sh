#!/usr/bin/env bash
# Runs each case of runs/ under ansible-playbook 2.14 (the default stdout
# callback, stdout not a terminal) with the uxsv_events recorder enabled, and
# keeps what it printed (stdout.txt, stderr.txt) and the events it reported
# (events.json). The reporter tests feed events.json to uxsv's plain reporter
# and expect the same text.
#   bash generate.sh [CASE...]     (default: every case)
# A case is a folder with playbook.yml, and optionally `args` (extra
# ansible-playbook arguments, one line) and `env` (VAR=value lines).
# What no event stands for is left out of stdout.txt (normalize.py): the
# command's own preamble before the playbook starts (version, config file),
# and the lines of Ansible's worker processes (connection plugins at -vvv).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
cd "$here/runs"
cases=("$@")
[ ${#cases[@]} -gt 0 ] || mapfile -t cases < <(find . -mindepth 1 -maxdepth 1 -type d -printf '%f\n' | sort)
for case in "${cases[@]}"; do
  (
    cd "$case"
    args=()
    [ -f args ] && read -r -a args < args
    envs=()
    [ -f env ] && mapfile -t envs < env
    work=$(mktemp -d)
    set +e
    env -i PATH=/usr/bin:/bin HOME="$work" LANG=C.UTF-8 PYTHONDONTWRITEBYTECODE=1 \
      ANSIBLE_CALLBACK_PLUGINS="$here/callback" ANSIBLE_CALLBACKS_ENABLED=uxsv_events UXSV_EVENTS_FILE="$PWD/events.json" \
      ANSIBLE_LOCAL_TEMP="$work/tmp" ANSIBLE_ASYNC_DIR="$work/async" ANSIBLE_NOCOLOR=1 ANSIBLE_RETRY_FILES_ENABLED=0 WORK="$work" \
      "${envs[@]}" \
      ansible-playbook -i "$here/runs/inventory" playbook.yml "${args[@]}" > stdout.raw 2> stderr.txt
    echo "$?" > exit-code
    set -e
    python3 "$here/normalize.py" < stdout.raw > stdout.txt
    rm -rf stdout.raw "$work"
    echo "$case: exit $(cat exit-code)"
  )
done
