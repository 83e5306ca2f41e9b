/**
 * Vault values and no_log results never leave the process: not on stdout (plain
 * or TTY, at any verbosity, with --diff), not on stderr (the CLI's errors), not
 * in the --report JSON. The values still reach the hosts intact.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { main } from '../../../engine/cli/main.js';
import { encrypt, setActiveVaultSecrets } from '../../../engine/vault/index.js';
import { clearSecrets, MASK } from '../../../engine/vault/secrets.js';
import { play, project, uxsv, type Project, type Run } from '../../helpers/engine.js';

const PASSWORD = 'correct horse';
const INLINE = 'tok-Inline-9f2c';
const FILE_SECRET = 'pw-File-77ab';
const NESTED_SECRET = 'nested-Leaf-31d0';
const CERT_LINE = 'MIIBszCCAVmgAwIBAgIUQ';
const CERT = `-----BEGIN CERTIFICATE-----\n${CERT_LINE}\n-----END CERTIFICATE-----\n`;
const ALL_SECRETS = [INLINE, FILE_SECRET, NESTED_SECRET, CERT_LINE];

let p: Project;
afterEach(() => {
  p?.cleanup();
  setActiveVaultSecrets(undefined);
  clearSecrets();
});

function inlineVault(value: string, indent: string): string {
  return encrypt(value, PASSWORD).trimEnd().split('\n').map((line) => `${indent}${line}`).join('\n');
}

function secretProject(): Project {
  const proj = project();
  proj.write('pw', `${PASSWORD}\n`);
  proj.write('secrets.yml', encrypt(`db_password: ${FILE_SECRET}\nnested:\n  - users: [${NESTED_SECRET}]\ncert: |\n${CERT.trimEnd().split('\n').map((l) => `  ${l}`).join('\n')}\n`, PASSWORD));
  proj.write('templates/app.conf.j2', 'user = app\npassword = {{ db_password }}\ntoken = {{ token }}\n{{ cert }}');
  return proj;
}

function playbook(out: string): string {
  return `- hosts: h1
  gather_facts: false
  vars_files: [secrets.yml]
  vars:
    token: !vault |
${inlineVault(INLINE, '      ')}
  tasks:
    - name: print the inline secret
      debug: var=token
    - name: print the file's secrets
      debug:
        msg: "db {{ db_password }} users {{ nested[0].users }}"
    - name: loop over a secret
      debug: msg="{{ item }}"
      loop: ["{{ token }}"]
    - name: template the secrets
      template: src=app.conf.j2 dest=${out}/app.conf
    - name: echo and fail
      command: sh -c 'echo out {{ token }}; echo err {{ db_password }} >&2; exit 3'
`;
}

function expectNoSecrets(run: Run, reportText: string): void {
  for (const secret of ALL_SECRETS) {
    expect(run.output).not.toContain(secret);
    expect(run.stderr).not.toContain(secret);
    expect(reportText).not.toContain(secret);
  }
}

describe('vault values are masked in every output', () => {
  it.each([
    ['plain', [] as string[]],
    ['plain -vvv', ['-vvv']],
  ])('%s: debug, loop item, template --diff, a failing command and the report', async (_name, extra) => {
    p = secretProject();
    const run = await play(p, playbook(p.dir), ['--vault-password-file', p.path('pw'), '--diff', ...extra]);
    expect(run.code).toBe(2);
    const reportText = p.read('report.json');
    expectNoSecrets(run, reportText);
    expect(run.output).toContain(MASK);
    expect(reportText).toContain(MASK);
    // The host got the real values.
    expect(p.read('app.conf')).toContain(`password = ${FILE_SECRET}\ntoken = ${INLINE}\n${CERT}`);
    // What is masked is only the secret: the rest of each line is still there.
    expect(run.output).toContain(`password = ${MASK}`);
    expect(run.output).toContain(`+${MASK}`);
    expect(run.output).toContain('+user = app');
    expect(run.output).toContain(`err ${MASK}`);
    const entries = run.report.hosts.h1 as Array<{ task: string; msg?: string; stdout?: string; stderr?: string; item?: string }>;
    expect(entries.find((e) => e.task === "print the file's secrets")?.msg).toBe(`db ${MASK} users ['${MASK}']`);
    expect(entries.find((e) => e.task === 'loop over a secret')?.item).toBe(MASK);
    const failed = entries.find((e) => e.task === 'echo and fail');
    expect(failed?.stdout).toBe(`out ${MASK}`);
    expect(failed?.stderr).toBe(`err ${MASK}`);
  });

  it('on a TTY too', async () => {
    p = secretProject();
    p.write('inventory.yml', 'all:\n  vars:\n    ansible_connection: local\n  hosts:\n    h1:\n');
    p.write('site.yml', playbook(p.dir));
    let output = '';
    const cwd = process.cwd();
    process.chdir(p.dir);
    try {
      const code = await main(['play', 'site.yml', '-i', 'inventory.yml', '--vault-password-file', p.path('pw'), '--diff', '-v'], { write: (t) => void (output += t), isTty: true, env: { NO_COLOR: '1' } });
      expect(code).toBe(2);
    } finally {
      process.chdir(cwd);
    }
    for (const secret of ALL_SECRETS) expect(output).not.toContain(secret);
    expect(output).toContain(MASK);
  });

  it("in warnings and in the CLI's error messages", async () => {
    p = secretProject();
    p.write('extra.yml', encrypt('target: nomatch-Secret-Host\n', PASSWORD));
    const warned = await play(p, `- hosts: "{{ target }}"\n  gather_facts: false\n  tasks: [{debug: msg=hi}]\n`, ['--vault-password-file', p.path('pw'), '-e', '@extra.yml']);
    expect(warned.code).toBe(0);
    expect(warned.stderr).toContain(`Could not match supplied host pattern, ignoring: ${MASK}`);
    expect(warned.output + warned.stderr + p.read('report.json')).not.toContain('nomatch-Secret-Host');
    const listed = await uxsv(p, ['play', 'site.yml', '-i', 'inventory.yml', '--list-hosts', '--vault-password-file', p.path('pw'), '-e', '@extra.yml']);
    expect(listed.output).toContain(`pattern: ['${MASK}']`);
    expect(listed.output).not.toContain('nomatch-Secret-Host');

    // A vars file named after a secret: the error that quotes the name is masked.
    const failed = await play(p, `- hosts: h1\n  gather_facts: false\n  vars:\n    token: !vault |\n${inlineVault(INLINE, '      ')}\n  vars_files: ["{{ token }}.yml"]\n  tasks: [{debug: msg=hi}]\n`, ['--vault-password-file', p.path('pw')]);
    expect(failed.code).toBe(1);
    expect(failed.stderr).toContain(`vars file not found: ${MASK}.yml`);
    expect(failed.stderr).not.toContain(INLINE);
  });

  it('a syntax error in an encrypted vars file shows no line of it', async () => {
    p = project();
    p.write('pw', `${PASSWORD}\n`);
    p.write('broken.yml', encrypt(`db_password: ${FILE_SECRET}\n  bad: [unclosed\n`, PASSWORD));
    const run = await play(p, `- hosts: h1\n  gather_facts: false\n  vars_files: [broken.yml]\n  tasks: [{debug: msg=hi}]\n`, ['--vault-password-file', p.path('pw')]);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/YAML syntax error.*\(broken\.yml:\d+:\d+\)/);
    expect(run.stderr).not.toContain(FILE_SECRET);
    expect(run.stderr).not.toContain('unclosed');
  });

  it('uxsv vault view still prints the plaintext after a run registered it', async () => {
    p = secretProject();
    await play(p, playbook(p.dir), ['--vault-password-file', p.path('pw')]);
    const view = await uxsv(p, ['vault', 'view', 'secrets.yml', '--vault-password-file', p.path('pw')]);
    expect(view.code).toBe(0);
    expect(view.output).toContain(FILE_SECRET);
  });
});

describe('values computed from a vault secret are masked too', () => {
  const DERIVED = 'Derived-Secret-Value-8c31';
  const forms = {
    slice: DERIVED.slice(0, 8),
    lower: DERIVED.toLowerCase(),
    b64: Buffer.from(DERIVED).toString('base64'),
    upper_sliced: DERIVED.slice(8, 14).toUpperCase(),
  };

  it.each([
    ['plain', [] as string[]],
    ['plain -vvv', ['-vvv']],
  ])('%s: a slice, lower, b64encode of a secret in debug, set_fact, a command, --diff and the report', async (_name, extra) => {
    p = project();
    p.write('pw', `${PASSWORD}\n`);
    p.write('secrets.yml', encrypt(`sec: ${DERIVED}\n`, PASSWORD));
    const run = await play(p, `- hosts: h1
  gather_facts: false
  vars_files: [secrets.yml]
  tasks:
    - name: show
      debug:
        msg: "s={{ sec[0:8] }} l={{ sec | lower }} b={{ sec | b64encode }}"
    - set_fact:
        kept: "{{ (sec[8:14] | upper) }}"
    - name: kept
      debug: var=kept
    - name: write
      copy:
        content: "{{ sec | b64encode }}\\n{{ sec | lower }}\\n"
        dest: ${p.path('derived.txt')}
    - name: echo
      command: echo {{ sec[0:8] }} {{ kept }}
`, ['--vault-password-file', p.path('pw'), '--diff', ...extra]);
    expect(run.code, run.output + run.stderr).toBe(0);
    // The host got the real values.
    expect(p.read('derived.txt')).toBe(`${forms.b64}\n${forms.lower}\n`);
    const reportText = p.read('report.json');
    for (const text of [run.output, run.stderr, reportText]) {
      expect(text).not.toContain(DERIVED);
      for (const form of Object.values(forms)) expect(text).not.toContain(form);
    }
    const entries = run.report.hosts.h1 as Array<{ task: string; msg?: string; stdout?: string }>;
    expect(entries.find((e) => e.task === 'show')?.msg).toBe(`s=${MASK} l=${MASK} b=${MASK}`);
    expect(entries.find((e) => e.task === 'echo')?.stdout).toBe(`${MASK} ${MASK}`);
    // --diff shows the new file's lines, masked.
    expect(run.output).toContain(`+${MASK}`);
  });
});

describe('no_log results are censored in every output', () => {
  const PLAIN_SECRET = 'not-a-vault-Value-5e1';
  const pb = (out: string) => `- hosts: h1
  gather_facts: false
  vars:
    hidden: ${PLAIN_SECRET}
  tasks:
    - name: template quietly
      template: src=quiet.j2 dest=${out}/quiet.conf
      no_log: true
    - name: loop quietly
      debug: msg="{{ item }}"
      loop: ["{{ hidden }}"]
      no_log: true
    - name: fail quietly
      command: sh -c 'echo out {{ hidden }}; echo err {{ hidden }} >&2; exit 3'
      no_log: true
`;

  it.each([
    ['plain', [] as string[]],
    ['plain -vvv', ['-vvv']],
  ])('%s: a failing no_log command shows neither its command nor its output', async (_name, extra) => {
    p = project({ 'templates/quiet.j2': 'secret = {{ hidden }}\n' });
    const run = await play(p, pb(p.dir), ['--diff', ...extra]);
    expect(run.code).toBe(2);
    const reportText = p.read('report.json');
    for (const text of [run.output, run.stderr, reportText]) {
      expect(text).not.toContain(PLAIN_SECRET);
      expect(text).not.toContain('sh -c');
    }
    expect(run.output).toMatch(/fatal: \[h1\]: FAILED! => \{\s*"censored": ".*no_log: true/);
    expect(run.output).not.toContain('stderr:');
    expect(p.read('quiet.conf')).toBe(`secret = ${PLAIN_SECRET}\n`);
    const entries = run.report.hosts.h1 as Array<{ task: string; censored?: string; msg?: string; stderr?: string; item?: string }>;
    for (const entry of entries) {
      expect(entry.censored).toBeDefined();
      expect(entry.msg ?? entry.stderr ?? entry.item).toBeUndefined();
    }
  });
});
