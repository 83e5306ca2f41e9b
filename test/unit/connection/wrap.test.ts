/**
 * The shared shell wrapping, and the sudo password exchange driven against a
 * stand-in `sudo` (a shell script on PATH that behaves like `sudo -S`), so it
 * runs where sudo is not installed.
 */
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalConnection } from '../../../engine/connection/local.js';
import { BECOME_PROMPT, buildShellLine, needsBecome, prepareCommand, putFileCommand } from '../../../engine/connection/wrap.js';

describe('prepareCommand', () => {
  it('puts cd and exports on their own lines before the command', () => {
    expect(buildShellLine('ls', { cwd: '/a b', env: { X: "it's" } })).toBe(`cd -- '/a b' || exit\nexport X='it'\\''s'\nls`);
    expect(buildShellLine('ls')).toBe('ls');
  });

  it('puts the command under a remote timeout for transports that cannot kill a process group', () => {
    expect(prepareCommand('sleep 9', { timeoutMs: 300 }, 'root', { killsProcessGroup: false }).line)
      .toBe(`exec timeout -k 1 -s KILL 0.800 /bin/sh -c 'sleep 9'`);
    expect(prepareCommand('sleep 9', { timeoutMs: 300 }, 'root').line).toBe('sleep 9');
  });

  it('only uses sudo to change user', () => {
    expect(needsBecome('root', undefined)).toBe(false);
    expect(needsBecome('root', { user: 'root' })).toBe(false);
    expect(needsBecome('admin', { user: 'root' })).toBe(true);
    expect(prepareCommand('id', { become: { user: 'root' } }, 'root')).toEqual({ line: 'id' });
  });

  it('uses sudo for the same user when become_allow_same_user says so', () => {
    expect(needsBecome('root', { user: 'root', allowSameUser: true })).toBe(true);
    expect(prepareCommand('id', { become: { user: 'root', allowSameUser: true } }, 'root').line).toBe("sudo -H -S -n -u root -- /bin/sh -c id");
  });

  it('wraps with non-interactive sudo without a password, env and cwd inside', () => {
    expect(prepareCommand('id', { become: { user: 'postgres' }, cwd: '/tmp' }, 'admin').line)
      .toBe(`sudo -H -S -n -u postgres -- /bin/sh -c 'cd -- /tmp || exit\nid'`);
  });

  it('wraps with a prompt and a start marker when there is a password', () => {
    const prepared = prepareCommand('id', { become: { user: 'root', password: 'pw' } }, 'admin');
    expect(prepared.becomePassword).toBe('pw');
    expect(prepared.becomeMarker).toMatch(/^uxsv-become-ok-[0-9a-f]{16}$/);
    expect(prepared.line).toBe(
      `sudo -H -S -p '${BECOME_PROMPT}' -u root -- /bin/sh -c 'printf '\\''%s\\n'\\'' ${prepared.becomeMarker} >&2\nid'`,
    );
  });

  it('builds the atomic write as one command', () => {
    expect(putFileCommand('/etc/a b', '0644')).toBe(
      `tmp=$(mktemp /etc/.uxsv.XXXXXX) || exit\n` +
      `{ cat > "$tmp" && chmod -- 0644 "$tmp" && mv -f -- "$tmp" '/etc/a b'; } || { rc=$?; rm -f -- "$tmp"; exit "$rc"; }`,
    );
    expect(putFileCommand('-x/f', '600')).toContain(`mktemp ./-x/.uxsv.XXXXXX`);
  });
});

const FAKE_SUDO = `#!/bin/sh
# Like sudo -S: accepts the password "secret", 3 tries, reads it from stdin.
prompt='Password: '
nonint=0
while [ $# -gt 0 ]; do
  case $1 in
    -H|-S) shift ;;
    -n) nonint=1; shift ;;
    -p) prompt=$2; shift 2 ;;
    -u) shift 2 ;;
    --) shift; break ;;
    *) break ;;
  esac
done
[ -f "$(dirname "$0")/nopasswd" ] && exec "$@"
if [ $nonint = 1 ]; then echo 'sudo: a password is required' >&2; exit 1; fi
tries=0
while [ $tries -lt 3 ]; do
  printf '%s' "$prompt" >&2
  if ! IFS= read -r pw; then
    echo 'sudo: no password was provided' >&2
    [ $tries -gt 0 ] && echo "sudo: $tries incorrect password attempt" >&2
    exit 1
  fi
  [ "$pw" = secret ] && exec "$@"
  echo 'Sorry, try again.' >&2
  tries=$((tries + 1))
done
exit 1
`;

describe('become password exchange (stand-in sudo)', () => {
  let dir: string;
  let savedPath: string | undefined;
  const conn = new LocalConnection();
  const other = { user: 'somebody-else' };

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'uxsv-sudo-'));
    writeFileSync(join(dir, 'sudo'), FAKE_SUDO);
    chmodSync(join(dir, 'sudo'), 0o755);
    savedPath = process.env['PATH'];
    process.env['PATH'] = `${dir}:${savedPath ?? '/usr/bin:/bin'}`;
  });
  afterAll(() => {
    process.env['PATH'] = savedPath;
    rmSync(dir, { recursive: true, force: true });
  });

  it('sends the password when asked, then the caller stdin, with a clean stderr', async () => {
    const stdin = Buffer.from([0, 1, 2, 255, 10, 13]);
    const result = await conn.exec('echo warn >&2; cat', { become: { ...other, password: 'secret' }, stdin });
    expect(result.rc).toBe(0);
    expect(Buffer.compare(result.stdout, stdin)).toBe(0);
    expect(result.stderr.toString()).toBe('warn\n');
  });

  it('fails clearly and promptly on a wrong password', async () => {
    const started = Date.now();
    const result = await conn.exec('cat', { become: { ...other, password: 'wrong' }, stdin: 'secret\n' });
    expect(result.rc).not.toBe(0);
    expect(result.stdout.toString()).toBe('');
    expect(result.stderr.toString()).toContain('uxsv: sudo rejected the become password');
    expect(result.stderr.toString()).not.toContain(BECOME_PROMPT);
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it('never feeds the password to the command when sudo does not ask for it', async () => {
    writeFileSync(join(dir, 'nopasswd'), '');
    try {
      const result = await conn.exec('cat', { become: { ...other, password: 'secret' }, stdin: 'data' });
      expect(result.stdout.toString()).toBe('data');
      expect(result.stderr.toString()).toBe('');
    } finally {
      rmSync(join(dir, 'nopasswd'));
    }
  });

  it('writes files through become', async () => {
    const target = join(dir, 'file');
    await conn.putFile(Buffer.from('content'), target, { mode: '0600', become: { ...other, password: 'secret' } });
    expect(readFileSync(target, 'utf8')).toBe('content');
  });

  it('reports sudo refusing a non-interactive become', async () => {
    const result = await conn.exec('id', { become: other });
    expect(result.rc).toBe(1);
    expect(result.stderr.toString()).toContain('a password is required');
  });
});
