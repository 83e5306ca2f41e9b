/**
 * synchronize (ansible.posix.synchronize) with the real rsync: on a local
 * connection, and over a real sshd (test/helpers/sshd.ts) where rsync runs
 * on the controller and reaches the host with OpenSSH. Each run's registered
 * result is written to a JSON file to look at cmd, msg and stdout_lines.
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { play, project, type Project } from '../../../helpers/engine.js';
import { startSshd, type TestSshd } from '../../../helpers/sshd.js';
import { findProgram } from '../../../../engine/modules/files/synchronize-ends.js';
import { rshCommand, rshWord, rsyncCommand, rsyncOutcome, type RsyncOptions } from '../../../../engine/modules/files/synchronize-command.js';

const HAS_SUDO = existsSync('/usr/bin/sudo') || existsSync('/bin/sudo');
const LOCAL = 'all:\n  hosts:\n    h1:\n      ansible_connection: local\n';
/** Names a shell or rsync could misread: spaces, quotes, a command substitution, a newline, a leading dash. */
const HOSTILE = ['with space', `it's "quoted"`, '$(touch PWNED)', 'line\nbreak', '-leading-dash', '*glob?'];

function tree(root: string, files: Record<string, string>): void {
  for (const [rel, content] of Object.entries(files)) {
    mkdirSync(join(root, rel, '..'), { recursive: true });
    writeFileSync(join(root, rel), content);
  }
}

/** One task that registers r and writes it to <name>.json beside the playbook. */
function syncTask(p: Project, name: string, args: Record<string, unknown>, extra = ''): string {
  return [
    `    - name: ${name}`,
    `      ansible.posix.synchronize: ${JSON.stringify(args)}`,
    '      register: r',
    extra,
    `    - copy: { content: "{{ r | to_json }}", dest: "${p.path(`${name}.json`)}" }`,
    '      delegate_to: localhost',
    '      check_mode: false',
  ].filter(Boolean).join('\n');
}

function playbook(tasks: string[], header = ''): string {
  return `- hosts: all\n  gather_facts: false\n${header}  tasks:\n${tasks.join('\n')}\n`;
}

const result = (p: Project, name: string) => JSON.parse(p.read(`${name}.json`));

describe('synchronize on a local connection', () => {
  let p: Project;
  beforeAll(() => {
    p = project();
  });
  afterAll(() => p.cleanup());

  it('pushes a tree, then finds nothing to do; delete removes what the source lacks', async () => {
    tree(p.path('src'), { a: 'A\n', 'sub/b': 'B\n' });
    const src = `${p.path('src')}/`;
    const dest = p.path('dst');
    const run = await play(p, playbook([
      syncTask(p, 'first', { src, dest }),
      syncTask(p, 'second', { src, dest }),
    ]), [], LOCAL);
    expect(run.code).toBe(0);
    const first = result(p, 'first');
    expect(first).toMatchObject({ changed: true, rc: 0 });
    expect(first.cmd).toMatch(/rsync --delay-updates -F --compress --archive --out-format='<<CHANGED>>%i %n%L' \S+\/src\/ \S+\/dst$/);
    expect(first.stdout_lines).toEqual(expect.arrayContaining(['>f+++++++++ a', '>f+++++++++ sub/b']));
    expect(first.msg).not.toContain('<<CHANGED>>');
    expect(readFileSync(join(dest, 'sub/b'), 'utf8')).toBe('B\n');
    expect(result(p, 'second')).toMatchObject({ changed: false, msg: '', stdout_lines: [] });

    writeFileSync(join(dest, 'extra'), 'x');
    const kept = await play(p, playbook([syncTask(p, 'keep', { src, dest })]), [], LOCAL);
    expect(kept.code).toBe(0);
    expect(existsSync(join(dest, 'extra'))).toBe(true);
    const deleted = await play(p, playbook([syncTask(p, 'delete', { src, dest, delete: true })]), [], LOCAL);
    expect(deleted.code).toBe(0);
    expect(result(p, 'delete')).toMatchObject({ changed: true, stdout_lines: ['*deleting   extra'] });
    expect(result(p, 'delete').cmd).toContain('--delete-after');
    expect(existsSync(join(dest, 'extra'))).toBe(false);
  });

  it('check mode runs rsync --dry-run: changed as it would be, nothing written', async () => {
    tree(p.path('csrc'), { f: 'F\n' });
    const args = { src: `${p.path('csrc')}/`, dest: p.path('cdst') };
    const checked = await play(p, playbook([syncTask(p, 'check', args)]), ['--check'], LOCAL);
    expect(checked.code).toBe(0);
    expect(result(p, 'check')).toMatchObject({ changed: true });
    expect(result(p, 'check').cmd).toContain('--dry-run');
    expect(existsSync(p.path('cdst'))).toBe(false);
    await play(p, playbook([syncTask(p, 'real', args)]), [], LOCAL);
    expect(readFileSync(p.path('cdst/f'), 'utf8')).toBe('F\n');
    await play(p, playbook([syncTask(p, 'check-again', args)]), ['--check'], LOCAL);
    expect(result(p, 'check-again')).toMatchObject({ changed: false, stdout_lines: [] });
  });

  it('copies hostile names and into a hostile destination, running nothing they contain', async () => {
    const files = Object.fromEntries(HOSTILE.map((name, i) => [name, `${i}\n`]));
    tree(p.path('hsrc'), files);
    // rsync makes the last folder of dest only, as under Ansible.
    const dest = p.path(`h dst/${HOSTILE.join('_').replace(/\n/g, ' ')}/-dest`);
    mkdirSync(join(dest, '..'), { recursive: true });
    const run = await play(p, playbook([syncTask(p, 'hostile', { src: `${p.path('hsrc')}/`, dest })]), [], LOCAL);
    expect(run.code).toBe(0);
    expect(readdirSync(dest).sort()).toEqual([...HOSTILE].sort());
    for (const [name, content] of Object.entries(files)) expect(readFileSync(join(dest, name), 'utf8')).toBe(content);
    expect(existsSync(p.path('PWNED'))).toBe(false);
    expect(existsSync(join(process.cwd(), 'PWNED'))).toBe(false);
  });

  it("finds a relative src in the playbook's files/ folder, keeping its trailing slash", async () => {
    tree(p.path('files/site'), { 'index.html': 'hi\n' });
    const run = await play(p, playbook([syncTask(p, 'relative', { src: 'site/', dest: p.path('www') })]), [], LOCAL);
    expect(run.code).toBe(0);
    expect(result(p, 'relative').cmd).toContain(` ${p.path('files/site')}/ `);
    expect(readFileSync(p.path('www/index.html'), 'utf8')).toBe('hi\n');
  });

  it('fails clearly when rsync is not there', async () => {
    tree(p.path('msrc'), { f: 'x' });
    const inventory = `${LOCAL}      ansible_rsync_path: no-such-rsync-program\n`;
    const run = await play(p, playbook([
      `    - name: missing\n      ansible.posix.synchronize: { src: "${p.path('msrc')}", dest: "${p.path('mdst')}" }\n      ignore_errors: true\n      register: r`,
      `    - copy: { content: "{{ r | to_json }}", dest: "${p.path('missing.json')}" }`,
    ]), [], inventory);
    expect(run.code).toBe(0);
    expect(result(p, 'missing')).toMatchObject({ failed: true });
    expect(result(p, 'missing').msg).toMatch(/^Failed to find required executable "no-such-rsync-program" in paths: /);
  });

  it('a task without src fails alone, with Ansible\'s message', async () => {
    const run = await play(p, playbook([
      `    - name: nosrc\n      ansible.posix.synchronize: { dest: "${p.path('x')}" }\n      ignore_errors: true\n      register: r`,
      `    - copy: { content: "{{ r | to_json }}", dest: "${p.path('nosrc.json')}" }`,
    ]), [], LOCAL);
    expect(run.code).toBe(0);
    expect(result(p, 'nosrc')).toMatchObject({ failed: true, msg: 'synchronize requires both src and dest parameters are set' });
  });

  it.skipIf(!HAS_SUDO)('runs rsync itself under become on a local connection', async () => {
    const user = 'uxsvbecome';
    execFileSync('sh', ['-c', `id ${user} >/dev/null 2>&1 || useradd --no-create-home ${user}`]);
    tree(p.path('bsrc'), { f: 'x\n' });
    mkdirSync(p.path('bdst'));
    chownSync(p.path('bdst'), Number(execFileSync('id', ['-u', user]).toString()), 0);
    chmodSync(p.dir, 0o755);
    const run = await play(p, playbook([syncTask(p, 'become', { src: `${p.path('bsrc')}/`, dest: p.path('bdst') }, `      become: true\n      become_user: ${user}`)]), [], LOCAL);
    expect(run.code).toBe(0);
    // rsync ran as that user, so the file it made is that user's (a root rsync would keep the source's root owner).
    expect(statSync(p.path('bdst/f')).uid).toBe(Number(execFileSync('id', ['-u', user]).toString()));
    expect(result(p, 'become').cmd).not.toContain('--rsync-path');
  });
});

describe('synchronize over SSH', () => {
  let sshd: TestSshd;
  let p: Project;
  beforeAll(async () => {
    sshd = await startSshd();
    p = project();
  });
  afterAll(async () => {
    await sshd?.stop();
    p?.cleanup();
  });

  /** The sshd as host s1; its connection's known_hosts given on the command line's way (common args). */
  function inventory(vars = ''): string {
    return [
      'all:', '  hosts:', '    s1:',
      '      ansible_host: 127.0.0.1',
      `      ansible_port: ${sshd.port}`,
      '      ansible_user: root',
      `      ansible_ssh_private_key_file: ${JSON.stringify(sshd.clientKeyPath)}`,
      `      ansible_ssh_common_args: -o UserKnownHostsFile=${sshd.knownHostsPath}`,
      '      uxsv_ssh_persist: 0',
      vars,
    ].filter(Boolean).join('\n') + '\n';
  }

  it('pushes with rsync on the controller and OpenSSH, then nothing to do; deletes; pulls; check mode', async () => {
    tree(p.path('src'), { a: 'A\n', 'd/b': 'B\n' });
    const src = `${p.path('src')}/`;
    const dest = p.path('remote');
    const run = await play(p, playbook([
      syncTask(p, 'push', { src, dest }),
      syncTask(p, 'again', { src, dest }),
    ]), [], inventory());
    expect(run.code).toBe(0);
    const push = result(p, 'push');
    expect(push.changed).toBe(true);
    expect(push.cmd).toContain(`--rsh='/usr/bin/ssh -S none -i ${sshd.clientKeyPath} -o Port=${sshd.port} -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null'`);
    expect(push.cmd).toMatch(new RegExp(` root@127\\.0\\.0\\.1:${dest}$`));
    expect(readFileSync(join(dest, 'd/b'), 'utf8')).toBe('B\n');
    expect(result(p, 'again')).toMatchObject({ changed: false, stdout_lines: [] });

    writeFileSync(join(dest, 'stale'), 's');
    writeFileSync(join(p.path('src'), 'new'), 'n');
    const checked = await play(p, playbook([syncTask(p, 'check', { src, dest, delete: true })]), ['--check'], inventory());
    expect(checked.code).toBe(0);
    expect(result(p, 'check')).toMatchObject({ changed: true });
    expect(result(p, 'check').stdout_lines).toEqual(expect.arrayContaining(['*deleting   stale', '<f+++++++++ new']));
    expect(existsSync(join(dest, 'stale'))).toBe(true);
    expect(existsSync(join(dest, 'new'))).toBe(false);

    await play(p, playbook([syncTask(p, 'delete', { src, dest, delete: true })]), [], inventory());
    expect(result(p, 'delete').changed).toBe(true);
    expect(existsSync(join(dest, 'stale'))).toBe(false);
    expect(readFileSync(join(dest, 'new'), 'utf8')).toBe('n');

    const pulled = p.path('pulled');
    await play(p, playbook([syncTask(p, 'pull', { mode: 'pull', src: `${dest}/d`, dest: pulled })]), [], inventory());
    expect(result(p, 'pull').cmd).toMatch(new RegExp(` root@127\\.0\\.0\\.1:${dest}/d ${pulled}$`));
    expect(readFileSync(join(pulled, 'd/b'), 'utf8')).toBe('B\n');
  });

  it('hostile names on both ends and a hostile key file path', async () => {
    const files = Object.fromEntries(HOSTILE.map((name, i) => [name, `${i}\n`]));
    tree(p.path('hsrc'), files);
    const key = p.path(`key dir/it's "k"`);
    mkdirSync(p.path('key dir'));
    writeFileSync(key, readFileSync(sshd.clientKeyPath), { mode: 0o600 });
    const dest = p.path(`remote h/${HOSTILE.join('_').replace(/\n/g, ' ')}/-dest`);
    mkdirSync(join(dest, '..'), { recursive: true });
    const run = await play(p, playbook([syncTask(p, 'hostile', { src: `${p.path('hsrc')}/`, dest, private_key: key })]), [], inventory());
    expect(run.code).toBe(0);
    expect(result(p, 'hostile').changed).toBe(true);
    expect(readdirSync(dest).sort()).toEqual([...HOSTILE].sort());
    expect(existsSync(p.path('PWNED'))).toBe(false);
    const pulled = p.path(`pulled h/$(touch PWNED) it's`);
    mkdirSync(p.path('pulled h'));
    await play(p, playbook([syncTask(p, 'pull', { mode: 'pull', src: `${dest}/`, dest: pulled })]), [], inventory());
    expect(readdirSync(pulled).sort()).toEqual([...HOSTILE].sort());
    expect(existsSync(p.path('PWNED'))).toBe(false);
  });

  it("verify_host checks the key against the known_hosts file of the host's connection", async () => {
    tree(p.path('vsrc'), { f: 'v' });
    const run = await play(p, playbook([syncTask(p, 'verify', { src: `${p.path('vsrc')}/`, dest: p.path('vdst'), verify_host: true })]), [], inventory());
    expect(run.code).toBe(0);
    expect(result(p, 'verify').cmd).toContain(`-o UserKnownHostsFile=${sshd.knownHostsPath} -o StrictHostKeyChecking=yes`);
    // Given on the command line rather than in the inventory: the connection's file still.
    const inv = inventory().replace(/^ {6}ansible_ssh_common_args:.*\n/m, '');
    const cli = await play(p, playbook([syncTask(p, 'verify-cli', { src: `${p.path('vsrc')}/`, dest: p.path('vdst2'), verify_host: true })]), ['--known-hosts', sshd.knownHostsPath], inv);
    expect(cli.code).toBe(0);
    expect(result(p, 'verify-cli').cmd).toContain(`-o UserKnownHostsFile=${sshd.knownHostsPath} -o StrictHostKeyChecking=yes`);
    expect(readFileSync(p.path('vdst2/f'), 'utf8')).toBe('v');
  });

  it('reaches the host through the ProxyCommand of its connection', async () => {
    tree(p.path('psrc'), { f: 'p' });
    // A name that never resolves: only the ProxyCommand, which ignores it, reaches the sshd.
    const knownHosts = p.path('proxied_known_hosts');
    writeFileSync(knownHosts, `[proxied.invalid]:${sshd.port} ${sshd.hostKeyPub}\n`);
    const inv = inventory()
      .replace('ansible_host: 127.0.0.1', 'ansible_host: proxied.invalid')
      .replace(/^ {6}ansible_ssh_common_args:.*$/m, `      ansible_ssh_common_args: -o UserKnownHostsFile=${knownHosts} -o ProxyCommand="socat - TCP:127.0.0.1:${sshd.port}"`);
    const run = await play(p, playbook([syncTask(p, 'proxy', { src: `${p.path('psrc')}/`, dest: p.path('pdst') })]), [], inv);
    expect(run.code).toBe(0);
    // rsync reads the --rsh words itself: the ProxyCommand is one of them.
    expect(result(p, 'proxy').cmd).toContain(`UserKnownHostsFile=/dev/null -o '\\''ProxyCommand=socat - TCP:127.0.0.1:${sshd.port}'\\''' `);
    expect(result(p, 'proxy').cmd).toContain(`root@proxied.invalid:${p.path('pdst')}`);
    expect(readFileSync(p.path('pdst/f'), 'utf8')).toBe('p');
    // With use_ssh_args the common args go to ssh as written instead; verify_host checks the key under the proxied name.
    const withArgs = await play(p, playbook([syncTask(p, 'ssh-args', { src: `${p.path('psrc')}/`, dest: p.path('pdst2'), use_ssh_args: true, verify_host: true })]), [], inv);
    expect(withArgs.code).toBe(0);
    expect(result(p, 'ssh-args').cmd).toContain(`-o ProxyCommand="socat - TCP:127.0.0.1:${sshd.port}"`);
    expect(result(p, 'ssh-args').cmd).not.toContain("'\\''ProxyCommand=");
    expect(readFileSync(p.path('pdst2/f'), 'utf8')).toBe('p');
  });

  it.skipIf(!HAS_SUDO)('become runs the far end as "sudo -u USER rsync"', async () => {
    const user = 'uxsvbecome';
    execFileSync('sh', ['-c', `id ${user} >/dev/null 2>&1 || useradd --no-create-home ${user}`]);
    const uid = Number(execFileSync('id', ['-u', user]).toString());
    tree(p.path('bsrc'), { f: 'b\n' });
    mkdirSync(p.path('bdst'));
    chownSync(p.path('bdst'), uid, 0);
    chmodSync(p.dir, 0o755);
    const run = await play(p, playbook([syncTask(p, 'become', { src: `${p.path('bsrc')}/`, dest: p.path('bdst') }, `      become: true\n      become_user: ${user}`)]), [], inventory());
    expect(run.code).toBe(0);
    expect(result(p, 'become').cmd).toContain(`--rsync-path='sudo -u ${user} rsync'`);
    expect(statSync(p.path('bdst/f')).uid).toBe(uid);
  });

  it('fails clearly when the host has no rsync', async () => {
    tree(p.path('nsrc'), { f: 'n' });
    const run = await play(p, playbook([
      `    - name: no rsync\n      ansible.posix.synchronize: { src: "${p.path('nsrc')}/", dest: "${p.path('ndst')}" }\n      environment: { PATH: /nonexistent }\n      ignore_errors: true\n      register: r`,
      `    - copy: { content: "{{ r | to_json }}", dest: "${p.path('norsync.json')}" }\n      delegate_to: localhost`,
    ]), [], inventory());
    expect(run.code).toBe(0);
    expect(result(p, 'norsync').msg).toMatch(/^rsync is not installed on s1 .*needs rsync on both ends/);
    expect(existsSync(p.path('ndst'))).toBe(false);
  });

  it.skipIf(findProgram('sshpass') !== undefined)('a host with a password needs sshpass, and says so', async () => {
    tree(p.path('wsrc'), { f: 'w' });
    const run = await play(p, playbook([
      `    - name: password\n      ansible.posix.synchronize: { src: "${p.path('wsrc')}/", dest: "${p.path('wdst')}" }\n      ignore_errors: true\n      register: r`,
      `    - copy: { content: "{{ r | to_json }}", dest: "${p.path('password.json')}" }\n      delegate_to: localhost`,
    ]), [], inventory('      ansible_password: secret'));
    expect(run.code).toBe(0);
    expect(result(p, 'password')).toMatchObject({ failed: true, msg: 'to use rsync connection with passwords, you must install the sshpass program' });
  });

  it('delegate_to localhost runs rsync there; delegate_to the host itself copies locally on it', async () => {
    tree(p.path('dsrc'), { f: 'd' });
    const run = await play(p, playbook([
      syncTask(p, 'to-localhost', { src: `${p.path('dsrc')}/`, dest: p.path('ddst') }, '      delegate_to: localhost'),
      syncTask(p, 'to-itself', { src: `${p.path('dsrc')}/`, dest: p.path('ddst2') }, '      delegate_to: "{{ ansible_host }}"'),
    ]), [], inventory());
    expect(run.code).toBe(0);
    expect(result(p, 'to-localhost').cmd).toContain(`root@127.0.0.1:${p.path('ddst')}`);
    expect(result(p, 'to-itself').cmd).not.toContain('--rsh');
    expect(readFileSync(p.path('ddst/f'), 'utf8')).toBe('d');
    expect(readFileSync(p.path('ddst2/f'), 'utf8')).toBe('d');
  });
});

describe('the rsync command line', () => {
  const base: RsyncOptions = {
    archive: true, checksum: false, compress: true, existingOnly: false, delete: false, dirs: false, copyLinks: false,
    partial: false, delayUpdates: true, rsyncTimeout: 0, rsyncOpts: [], linkDest: [], dryRun: false,
  };
  const cmd = (o: Partial<RsyncOptions>, src = '/s/', dest = '/d') => {
    const built = rsyncCommand('/usr/bin/rsync', { ...base, ...o }, src, dest);
    if ('error' in built) throw new Error(built.error);
    return built;
  };

  it("turns archive's parts off only when false, and on without archive only when true", () => {
    expect(cmd({ recursive: false, links: true, owner: false }).cmd).toContain('--archive --no-recursive --no-owner --out-format');
    expect(cmd({ archive: false, recursive: true, times: false, compress: false, delayUpdates: false }).cmd)
      .toBe("/usr/bin/rsync --recursive --out-format='<<CHANGED>>%i %n%L' /s/ /d");
  });

  it('splits rsync_opts as a shell would, as Ansible does', () => {
    expect(cmd({ rsyncOpts: ["--exclude='*.log'", '--no-motd'] }).argv).toEqual(expect.arrayContaining(['--exclude=*.log', '--no-motd']));
    expect(cmd({ rsyncOpts: [''] }).warnings[0]).toMatch(/empty string is present in rsync_opts/);
  });

  it('puts -- before a path that starts with a dash', () => {
    expect(cmd({}, '-src', '/d').argv.slice(-3)).toEqual(['--', '-src', '/d']);
    expect(cmd({}).argv).not.toContain('--');
  });

  it('refuses to hard-link into a subfolder of the link folder', () => {
    expect(rsyncCommand('rsync', { ...base, linkDest: ['/backup'] }, '/s/', '/backup/day/x')).toMatchObject({ error: /Hardlinking into a subdirectory/ });
    expect(cmd({ linkDest: ['/old'] }).argv).toEqual(expect.arrayContaining(['-H', '-vv', '--link-dest=/old']));
  });

  it('builds the ssh command: port, key, multiplexing, host key policy, ssh args as written', () => {
    expect(rshCommand({ ssh: '/usr/bin/ssh', multiplexing: false, port: 2222, verifyHost: false }))
      .toBe('/usr/bin/ssh -S none -o Port=2222 -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null');
    expect(rshCommand({ ssh: 'ssh', multiplexing: true, privateKey: '/k', verifyHost: { knownHostsFile: '/kh', strict: 'accept-new' }, sshArgs: '-o ForwardAgent=yes' }))
      .toBe('ssh -i /k -o UserKnownHostsFile=/kh -o StrictHostKeyChecking=accept-new -o ForwardAgent=yes');
  });

  it('quotes --rsh words as rsync splits them', () => {
    expect(rshWord("a b'c")).toBe("'a b''c'");
    expect(rshWord('/plain/path')).toBe('/plain/path');
  });

  it('tells changed from the itemized lines, and with link_dest from the unchanged ones', () => {
    expect(rsyncOutcome('<<CHANGED>>>f+++++++++ a\n', false)).toEqual({ changed: true, msg: '>f+++++++++ a\n', stdout_lines: ['>f+++++++++ a'] });
    expect(rsyncOutcome('sending incremental file list\n', false).changed).toBe(false);
    expect(rsyncOutcome('<<CHANGED>>.f          a\n', true).changed).toBe(false);
    expect(rsyncOutcome('<<CHANGED>>>f+++++++++ a\n', true).changed).toBe(true);
  });
});
