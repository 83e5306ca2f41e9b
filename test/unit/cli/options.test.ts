import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { AnsibleConfig } from '../../../engine/config/index.js';
import { normalizeAliases } from '../../../engine/cli/run-options.js';
import { adHocOneLine, configWarnings, forksFrom, outputSettingsFrom, playDefaults, rolesPathFrom, runContext, taskTimeoutFrom, type ConnectionCliOptions } from '../../../engine/cli/settings.js';
import { Inventory } from '../../../engine/inventory/index.js';
import { project, uxsv, type Project } from '../../helpers/engine.js';

let p: Project;
afterEach(() => p?.cleanup());

function configWith(cfg: string | undefined, env: Record<string, string> = {}): AnsibleConfig {
  p = project(cfg === undefined ? {} : { 'ansible.cfg': cfg });
  return AnsibleConfig.load({ env: { HOME: p.dir, ...env }, cwd: p.dir, home: p.dir, systemFile: join(p.dir, 'no-system.cfg') });
}

const noWarnings = (m: string) => {
  throw new Error(`unexpected warning: ${m}`);
};

describe("ansible-playbook's option spellings", () => {
  it('rewrites the other names of an option, also in --name=value form, but never an argument value', () => {
    expect(normalizeAliases(['play', 'x.yml', '--key-file', 'k', '--vault-pass-file=v', '--ask-vault-password', '--inventory-file', 'i'])).toEqual([
      'play', 'x.yml', '--private-key', 'k', '--vault-password-file=v', '--ask-vault-pass', '--inventory', 'i',
    ]);
    expect(normalizeAliases(['ad-hoc', 'all', '-a', '--key-file', '-e', '--vault-pass-file'])).toEqual(['ad-hoc', 'all', '-a', '--key-file', '-e', '--vault-pass-file']);
    expect(normalizeAliases(['play', '--', '--key-file'])).toEqual(['play', '--', '--key-file']);
  });
});

describe('connection and become defaults of a run', () => {
  it('sets nothing when neither the command line nor the configuration says anything', async () => {
    expect(await playDefaults({}, configWith(undefined), noWarnings)).toEqual({});
  });

  it('takes the command line', async () => {
    const config = configWith(undefined);
    writeFileSync(join(p.dir, 'become-pass'), 's3cret\n');
    writeFileSync(join(p.dir, 'conn-pass'), 'c0nn\n');
    const options: ConnectionCliOptions = {
      connection: 'local',
      user: 'deploy',
      privateKey: 'keys/id_ed25519',
      timeout: '7',
      become: true,
      becomeUser: 'postgres',
      becomeMethod: 'sudo',
      becomePasswordFile: join(p.dir, 'become-pass'),
      connectionPasswordFile: join(p.dir, 'conn-pass'),
      sshCommonArgs: '-o ProxyJump=bastion',
      sshExtraArgs: '-v',
    };
    expect(await playDefaults(options, config, noWarnings)).toEqual({
      connection: 'local',
      remoteUser: 'deploy',
      privateKeyFile: join(process.cwd(), 'keys/id_ed25519'),
      timeoutSec: 7,
      become: true,
      becomeUser: 'postgres',
      becomeMethod: 'sudo',
      becomePassword: 's3cret',
      password: 'c0nn',
      sshCommonArgs: '-o ProxyJump=bastion',
      sshExtraArgs: '-v',
    });
  });

  it('falls back on ansible.cfg and ANSIBLE_* (the command line still winning)', async () => {
    const cfg = [
      '[defaults]',
      'remote_user = cfguser',
      'transport = smart',
      'gathering = explicit',
      'host_key_checking = False',
      'private_key_file = keys/id',
      'timeout = 20',
      'remote_port = 2222',
      '[privilege_escalation]',
      'become = True',
      'become_user = admin',
      '[ssh_connection]',
      'ssh_common_args = -o ForwardAgent=no',
    ].join('\n');
    const config = configWith(cfg, { ANSIBLE_BECOME_METHOD: 'su' });
    expect(await playDefaults({ user: 'cli' }, config, noWarnings)).toEqual({
      connection: 'ssh',
      remoteUser: 'cli',
      port: 2222,
      privateKeyFile: join(p.dir, 'keys/id'),
      timeoutSec: 20,
      sshCommonArgs: '-o ForwardAgent=no',
      become: true,
      becomeUser: 'admin',
      becomeMethod: 'su',
      gatherFacts: false,
      hostKeyChecking: false,
    });
  });

  it('refuses an unknown connection type and a bad timeout', async () => {
    const config = configWith(undefined);
    await expect(playDefaults({ connection: 'winrm' }, config, noWarnings)).rejects.toThrow(/connection 'winrm' is not supported/);
    await expect(playDefaults({ timeout: 'soon' }, config, noWarnings)).rejects.toThrow(/--timeout must be a whole number/);
  });

  it('takes forks, task timeout and roles_path from the configuration when the command line is silent', () => {
    const config = configWith('[defaults]\nforks = 3\ntask_timeout = 60\nroles_path = myroles:/x/roles\n');
    expect(forksFrom(undefined, config)).toBe(3);
    expect(forksFrom('7', config)).toBe(7);
    expect(taskTimeoutFrom(undefined, config)).toBe(60);
    expect(rolesPathFrom(config)).toEqual([join(p.dir, 'myroles'), '/x/roles']);
    expect(forksFrom(undefined, configWith(undefined))).toBe(10);
    expect(taskTimeoutFrom(undefined, configWith(undefined))).toBe(1800);
  });
});

describe('output settings of ansible.cfg', () => {
  it("uses stdout_callback for ad-hoc output only with bin_ansible_callbacks, as ansible does", () => {
    expect(adHocOneLine(undefined, configWith(undefined, { ANSIBLE_STDOUT_CALLBACK: 'oneline' }))).toBe(false);
    expect(adHocOneLine(undefined, configWith(undefined, { ANSIBLE_STDOUT_CALLBACK: 'oneline', ANSIBLE_LOAD_CALLBACK_PLUGINS: 'True' }))).toBe(true);
    expect(adHocOneLine(true, configWith(undefined))).toBe(true);
    expect(configWarnings(configWith(undefined, { ANSIBLE_STDOUT_CALLBACK: 'yaml' }), 'play')).toEqual([
      "stdout_callback 'yaml' is not available: uxsv prints as Ansible's default callback",
    ]);
    expect(configWarnings(configWith(undefined, { ANSIBLE_STDOUT_CALLBACK: 'oneline', ANSIBLE_LOAD_CALLBACK_PLUGINS: '1' }), 'ad-hoc')).toEqual([]);
  });
});

const PLAYBOOK = `- hosts: all
  gather_facts: false
  tags: [p]
  tasks:
    - debug: msg=a
      tags: [b, a]
    - debug: msg=c
      tags: always
- hosts: localhost
  name: second
  gather_facts: false
  tasks:
    - ping:
`;

describe('uxsv play with ansible-playbook options', () => {
  it('lists tags as ansible-playbook --list-tags does', async () => {
    p = project({ 'site.yml': PLAYBOOK, 'hosts.ini': 'h1 ansible_connection=local\n' });
    const run = await uxsv(p, ['play', 'site.yml', '-i', 'hosts.ini', '--list-tags']);
    expect(run.code).toBe(0);
    expect(run.output).toBe(
      `\nplaybook: ${join(p.dir, 'site.yml')}\n\n  play #1 (all): all\tTAGS: [p]\n      TASK TAGS: [a, always, b, p]\n\n  play #2 (localhost): second\tTAGS: []\n      TASK TAGS: []\n\n`,
    );
  });

  it('refuses --step, takes -M (site modules there) and --flush-cache, and runs with -c local', async () => {
    p = project({ 'site.yml': '- hosts: h1\n  gather_facts: false\n  tasks:\n    - command: "true"\n', 'hosts.ini': 'h1\n' });
    const step = await uxsv(p, ['play', 'site.yml', '-i', 'hosts.ini', '--step']);
    expect(step.code).toBe(1);
    expect(step.stderr).toContain('--step is not supported');
    const run = await uxsv(p, ['play', 'site.yml', '-i', 'hosts.ini', '-c', 'local', '-M', './library', '--flush-cache', '-vvvv']);
    expect(run.stderr).not.toContain('--module-path');
    expect(run.code).toBe(0);
    expect(run.output).toMatch(/h1 +: ok=1 +changed=1/);
  });

  it('stops before running when --limit leaves no host, as ansible-playbook does', async () => {
    p = project({ 'site.yml': '- hosts: all\n  gather_facts: false\n  tasks:\n    - ping:\n', 'hosts.ini': 'h1 ansible_connection=local\n' });
    const run = await uxsv(p, ['play', 'site.yml', '-i', 'hosts.ini', '--limit', 'nosuch']);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('Specified inventory, host pattern and/or --limit leaves us with no hosts to target.');
  });

  it('finds roles in roles_path of ansible.cfg and the inventory of ansible.cfg', async () => {
    p = project({
      'ansible.cfg': '[defaults]\nroles_path = shared-roles\ninventory = hosts.ini\n',
      'hosts.ini': 'h1 ansible_connection=local\n',
      'shared-roles/greet/tasks/main.yml': '- debug: msg="hello from the role"\n',
      'site.yml': '- hosts: h1\n  gather_facts: false\n  roles: [greet]\n',
    });
    const run = await uxsv(p, ['play', 'site.yml', '-v']);
    expect(run.code).toBe(0);
    expect(run.output).toContain('hello from the role');
  });

  it("hands the run the configuration: the config lookup, ansible_config_file, inventory sources, jinja2_native", () => {
    const config = configWith('[defaults]\ntimeout = 42\njinja2_native = True\n');
    writeFileSync(join(p.dir, 'hosts.ini'), 'h1\n');
    const inventory = Inventory.load([join(p.dir, 'hosts.ini'), 'a,b']);
    const context = runContext(config, inventory, undefined);
    expect(context.config!('DEFAULT_TIMEOUT')).toEqual({ value: 42, known: true });
    expect(context.config!('NO_SUCH_SETTING')).toEqual({ value: undefined, known: false });
    expect(context.configFile).toBe(join(p.dir, 'ansible.cfg'));
    expect(context.inventorySources).toEqual([join(p.dir, 'hosts.ini'), 'a,b']);
    expect(context.jinja2Native).toBe(true);
    expect(context.decryptVault).toBeUndefined();
  });
});

describe('output settings of ansible.cfg', () => {
  it('hands display_skipped_hosts, display_ok_hosts, show_custom_stats... to the output, the environment winning', () => {
    const config = configWith('[defaults]\ndisplay_skipped_hosts = False\ndisplay_ok_hosts = no\nshow_custom_stats = yes\ncallback_format_pretty = true\n[diff]\ncontext = 5\n', { ANSIBLE_DISPLAY_OK_HOSTS: 'yes' });
    expect(outputSettingsFrom(config)).toMatchObject({ displaySkippedHosts: false, displayOkHosts: true, showCustomStats: true, prettyResults: true, diffContext: 5, actionWarnings: true });
    expect(outputSettingsFrom(configWith(undefined)).prettyResults).toBeUndefined();
    expect(config.lookup('DISPLAY_OK_HOSTS').known).toBe(false);
  });

  it('names error_on_undefined_vars = False, which is read but not applied', () => {
    expect(configWarnings(configWith('[defaults]\nerror_on_undefined_vars = False\n'), 'play')).toEqual([
      "error_on_undefined_vars = false is not applied yet: uxsv runs and prints as with Ansible's default (true)",
    ]);
  });
});

describe('extra vars and the playbook folder', () => {
  it("asks for @ before a file name and refuses data that is not a mapping, in Ansible's words", async () => {
    const { parseExtraVars } = await import('../../../engine/cli/extra-vars.js');
    expect(() => parseExtraVars(['./vars.yml'])).toThrow("Please prepend extra_vars filename './vars.yml' with '@'");
    expect(() => parseExtraVars(['[1, 2]'])).toThrow("Invalid extra vars data supplied. '[1, 2]' could not be made into a dictionary");
    expect(parseExtraVars(['{"a": 1}', 'b=2'])).toEqual({ a: 1, b: '2' });
  });

  it('gives ad-hoc runs --playbook-dir, else ansible.cfg playbook_dir, as playbook_dir', async () => {
    p = project({ 'ansible.cfg': '[defaults]\nplaybook_dir = /nowhere/from-cfg\n' });
    const fromCfg = await uxsv(p, ['ad-hoc', 'localhost', '-m', 'debug', '-a', 'var=playbook_dir']);
    expect(fromCfg.output).toContain('"playbook_dir": "/nowhere/from-cfg"');
    const given = await uxsv(p, ['ad-hoc', 'localhost', '-m', 'debug', '-a', 'var=playbook_dir', '--playbook-dir=/nowhere/given']);
    expect(given.output).toContain('"playbook_dir": "/nowhere/given"');
  });
});
