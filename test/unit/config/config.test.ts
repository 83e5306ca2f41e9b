import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { AnsibleConfig, findConfigFile, vaultConfigDefaults } from '../../../engine/config/index.js';
import { parseIni } from '../../../engine/config/ini.js';
import { UserError } from '../../../engine/errors.js';

const made: string[] = [];
afterEach(() => {
  for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** A private folder with a home, a working folder and a system folder. */
function place(): { root: string; home: string; cwd: string; system: string } {
  const root = mkdtempSync(join(tmpdir(), 'uxsv-cfg-'));
  made.push(root);
  const dirs = { root, home: join(root, 'home'), cwd: join(root, 'work'), system: join(root, 'etc', 'ansible.cfg') };
  mkdirSync(dirs.home);
  mkdirSync(dirs.cwd);
  mkdirSync(join(root, 'etc'));
  return dirs;
}

function load(p: ReturnType<typeof place>, env: Record<string, string> = {}): AnsibleConfig {
  return AnsibleConfig.load({ env: { HOME: p.home, ...env }, cwd: p.cwd, home: p.home, systemFile: p.system });
}

describe('ansible.cfg syntax (configparser, raw values)', () => {
  it('reads sections, folds keys to lower case, takes = or :, and strips ; comments after whitespace only', () => {
    const ini = parseIni('# comment\n; another\n[defaults]\nForks = 7\nremote_user: deploy ; who\nmotd = a;b\n', 'a.cfg');
    const d = ini.get('defaults')!;
    expect(d.get('forks')).toEqual({ value: '7', line: 4 });
    expect(d.get('remote_user')!.value).toBe('deploy');
    expect(d.get('motd')!.value).toBe('a;b');
  });

  it('joins continuation lines with newlines', () => {
    const ini = parseIni('[ssh_connection]\nssh_args = -o A=1\n    -o B=2\nnext = x\n', 'a.cfg');
    expect(ini.get('ssh_connection')!.get('ssh_args')!.value).toBe('-o A=1\n-o B=2');
    expect(ini.get('ssh_connection')!.get('next')!.value).toBe('x');
  });

  it('refuses duplicates, keys outside a section and lines without a separator, naming the line', () => {
    const error = (text: string) => {
      try {
        parseIni(text, 'bad.cfg');
      } catch (err) {
        return err as UserError;
      }
      throw new Error('no error');
    };
    expect(error('[a]\nx=1\nx=2\n').position?.line).toBe(3);
    expect(error('[a]\n[a]\n').message).toMatch(/section 'a' already exists/);
    expect(error('x=1\n').message).toMatch(/\[section\] header/);
    expect(error('[a]\njustaword\n').position?.line).toBe(2);
  });
});

describe('where the configuration comes from', () => {
  it('takes the first of ANSIBLE_CONFIG, ./ansible.cfg, ~/.ansible.cfg, /etc/ansible/ansible.cfg', () => {
    const p = place();
    writeFileSync(p.system, '[defaults]\nforks = 1\n');
    expect(load(p).get('DEFAULT_FORKS')).toBe(1);
    writeFileSync(join(p.home, '.ansible.cfg'), '[defaults]\nforks = 2\n');
    expect(load(p).get('DEFAULT_FORKS')).toBe(2);
    writeFileSync(join(p.cwd, 'ansible.cfg'), '[defaults]\nforks = 3\n');
    expect(load(p).get('DEFAULT_FORKS')).toBe(3);
    writeFileSync(join(p.root, 'custom.cfg'), '[defaults]\nforks = 4\n');
    expect(load(p, { ANSIBLE_CONFIG: join(p.root, 'custom.cfg') }).get('DEFAULT_FORKS')).toBe(4);
    // a folder in ANSIBLE_CONFIG means its ansible.cfg
    expect(load(p, { ANSIBLE_CONFIG: p.cwd }).file).toBe(join(p.cwd, 'ansible.cfg'));
    // a missing ANSIBLE_CONFIG file falls through to the next candidate
    expect(load(p, { ANSIBLE_CONFIG: join(p.root, 'none.cfg') }).get('DEFAULT_FORKS')).toBe(3);
  });

  it("ignores a world-writable working folder's ansible.cfg, with Ansible's warning", () => {
    const p = place();
    writeFileSync(join(p.cwd, 'ansible.cfg'), '[defaults]\nforks = 3\n');
    chmodSync(p.cwd, 0o777);
    const found = findConfigFile({ env: {}, cwd: p.cwd, home: p.home, systemFile: p.system });
    expect(found.file).toBeUndefined();
    expect(found.warnings[0]).toMatch(/world writable directory .*ignoring it as an ansible.cfg source/);
    // ANSIBLE_CONFIG may still name it
    expect(load(p, { ANSIBLE_CONFIG: join(p.cwd, 'ansible.cfg') }).get('DEFAULT_FORKS')).toBe(3);
  });

  it('lets an environment variable beat the file, the last of several names winning', () => {
    const p = place();
    writeFileSync(join(p.cwd, 'ansible.cfg'), '[defaults]\nforks = 3\nnocolor = yes\n');
    const config = load(p, { ANSIBLE_FORKS: '9' });
    expect(config.setting('DEFAULT_FORKS')).toEqual({ value: 9, origin: 'ANSIBLE_FORKS' });
    expect(config.setting('ANSIBLE_NOCOLOR').origin).toBe(`${join(p.cwd, 'ansible.cfg')}:3`);
    expect(load(p, { ANSIBLE_NOCOLOR: '0', NO_COLOR: '1' }).get('ANSIBLE_NOCOLOR')).toBe(true);
  });
});

describe('typed values', () => {
  it("types values as Ansible does and keeps Ansible's defaults", () => {
    const p = place();
    writeFileSync(
      join(p.cwd, 'ansible.cfg'),
      [
        '[defaults]',
        'host_key_checking = False',
        'timeout = 30',
        'inventory = hosts, ../shared/hosts.yml',
        'roles_path = roles:~/more-roles:/abs/roles',
        'vault_password_file = secret/pass',
        'vault_identity_list = dev@dev.txt, prod@prompt',
        'remote_user = "deploy"',
        '[privilege_escalation]',
        'become = true',
        'become_user = admin',
      ].join('\n'),
    );
    const c = load(p);
    expect(c.get('HOST_KEY_CHECKING')).toBe(false);
    expect(c.get('DEFAULT_TIMEOUT')).toBe(30);
    expect(c.get('DEFAULT_HOST_LIST')).toEqual([join(p.cwd, 'hosts'), join(p.root, 'shared/hosts.yml')]);
    expect(c.get('DEFAULT_ROLES_PATH')).toEqual([join(p.cwd, 'roles'), join(p.home, 'more-roles'), '/abs/roles']);
    expect(c.get('DEFAULT_VAULT_PASSWORD_FILE')).toBe(join(p.cwd, 'secret/pass'));
    expect(c.get('DEFAULT_REMOTE_USER')).toBe('deploy');
    expect(c.get('DEFAULT_BECOME')).toBe(true);
    expect(c.get('DEFAULT_BECOME_USER')).toBe('admin');
    expect(vaultConfigDefaults(c)).toMatchObject({ identityList: ['dev@dev.txt', 'prod@prompt'], passwordFile: join(p.cwd, 'secret/pass'), defaultIdentity: 'default' });
    // defaults
    expect(c.get('DEFAULT_FORKS')).toBe(5);
    expect(c.isSet('DEFAULT_FORKS')).toBe(false);
    expect(c.get('DEFAULT_BECOME_METHOD')).toBe('sudo');
    expect(c.get('DEFAULT_GATHERING')).toBe('implicit');
  });

  it('resolves relative paths of the environment against the working folder, and ANSIBLE_HOME in defaults', () => {
    const p = place();
    const c = load(p, { ANSIBLE_PRIVATE_KEY_FILE: 'keys/id', ANSIBLE_HOME: join(p.root, 'ah') });
    expect(c.get('DEFAULT_PRIVATE_KEY_FILE')).toBe(join(p.cwd, 'keys/id'));
    expect(c.get<string[]>('DEFAULT_ROLES_PATH')[0]).toBe(join(p.root, 'ah', 'roles'));
  });

  it('refuses a value of the wrong type, naming the setting and where it came from', () => {
    const p = place();
    writeFileSync(join(p.cwd, 'ansible.cfg'), '[defaults]\nforks = many\n');
    expect(() => load(p).get('DEFAULT_FORKS')).toThrow(/Invalid type for configuration option setting: DEFAULT_FORKS \(from .*ansible.cfg\): invalid literal for int\(\) with base 10: 'many'/);
    expect(() => load(p, { ANSIBLE_TIMEOUT: 'lola' }).get('DEFAULT_TIMEOUT')).toThrow('Invalid type for configuration option setting: DEFAULT_TIMEOUT (from env: ANSIBLE_TIMEOUT)');
    expect(load(p, { ANSIBLE_TIMEOUT: '' }).get('DEFAULT_TIMEOUT')).toBe(10);
  });

  it('answers the config lookup: known settings with their value, unknown names as unknown', () => {
    const p = place();
    const c = load(p, { ANSIBLE_TIMEOUT: '12' });
    expect(c.lookup('DEFAULT_TIMEOUT')).toEqual({ value: 12, known: true });
    expect(c.lookup('ANSIBLE_COW_ACCEPTLIST').value).toContain('meow');
    expect(c.lookup('THIS_DOES_NOT_EXIST')).toEqual({ value: undefined, known: false });
  });

  it('gives raw entries of plugin sections such as [ssh_connection]', () => {
    const p = place();
    writeFileSync(join(p.cwd, 'ansible.cfg'), '[ssh_connection]\nssh_common_args = -o ProxyJump=bastion\n');
    expect(load(p).iniValue('ssh_connection', 'SSH_COMMON_ARGS')?.value).toBe('-o ProxyJump=bastion');
    expect(load(p).iniValue('ssh_connection', 'pipelining')).toBeUndefined();
  });
});
