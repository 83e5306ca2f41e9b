"""Keeps of ansible-playbook's stdout what its events stand for (see generate.sh)."""
import re
import sys

lines = sys.stdin.read().split('\n')
start = next((i for i, line in enumerate(lines) if re.match(r'(PLAYBOOK: |PLAY \[|PLAY \*|DRY RUN \*)', line)), 0)
# The banner's own empty line comes before it.
if start > 0 and lines[start - 1] == '':
    start -= 1
worker = re.compile(r'^(<[^>]+> |Using module file |Including module_utils file |Pipelining is enabled\.|Running [\w.]+$)')
# At -vvvv the callback lists ansible-playbook's parsed command line after the PLAYBOOK banner.
cli_args = re.compile(r'^(Positional arguments: |[a-z_]+: )')
kept = []
in_cli_args = False
for line in lines[start:]:
    if line.startswith('PLAYBOOK: '):
        in_cli_args = True
    elif in_cli_args and not cli_args.match(line):
        in_cli_args = False
    elif in_cli_args:
        continue
    if not worker.match(line):
        kept.append(line)
sys.stdout.write('\n'.join(kept))
