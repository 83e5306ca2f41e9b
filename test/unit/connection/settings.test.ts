import { homedir, userInfo } from 'node:os';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LocalConnection, SshConnection, createConnection, settingsFromVars } from '../../../engine/connection/index.js';
import { expandProxyCommand, parseSshCommonArgs, splitShellWords } from '../../../engine/connection/ssh-options.js';
import { UserError } from '../../../engine/errors.js';

describe('splitShellWords', () => {
  it('handles quotes and backslashes like a shell, without expansion', () => {
    expect(splitShellWords(`-o "ProxyCommand=ssh -W %h:%p jump" -o'A=b c' x\\ y "a\\"b" '$HOME'`)).toEqual([
      '-o', 'ProxyCommand=ssh -W %h:%p jump', '-oA=b c', 'x y', 'a"b', '$HOME',
    ]);
    expect(splitShellWords('  ')).toEqual([]);
    expect(splitShellWords(`''`)).toEqual(['']);
    expect(() => splitShellWords(`"open`)).toThrow(UserError);
  });
});

describe('parseSshCommonArgs', () => {
  it('reads every spelling of -o', () => {
    expect(parseSshCommonArgs(`-o ProxyCommand="nc %h %p"`).proxyCommand).toBe('nc %h %p');
    expect(parseSshCommonArgs(`-o 'ProxyCommand nc %h %p'`).proxyCommand).toBe('nc %h %p');
    expect(parseSshCommonArgs(`-oProxyCommand="nc %h %p"`).proxyCommand).toBe('nc %h %p');
    expect(parseSshCommonArgs(`-o proxycommand=none`).proxyCommand).toBeUndefined();
  });

  it('reads known_hosts, host key checking and timing options, ignoring the rest', () => {
    expect(parseSshCommonArgs(
      '-C -o UserKnownHostsFile=~/kh -o StrictHostKeyChecking=accept-new -o ServerAliveInterval=5 -o ConnectTimeout=3 -o Compression=yes',
    )).toEqual({
      userKnownHostsFile: `${homedir()}/kh`,
      acceptNewHostKeys: true,
      serverAliveIntervalSec: 5,
      connectTimeoutSec: 3,
    });
    expect(parseSshCommonArgs('-o StrictHostKeyChecking=no').acceptNewHostKeys).toBe(true);
    expect(parseSshCommonArgs('-o StrictHostKeyChecking=yes').acceptNewHostKeys).toBe(false);
    expect(() => parseSshCommonArgs('-o ConnectTimeout=soon')).toThrow(UserError);
  });

  it('expands ProxyCommand escapes', () => {
    expect(expandProxyCommand('ip netns exec lab nc %h %p # %r 100%%', '10.0.0.2', 22, 'root'))
      .toBe('ip netns exec lab nc 10.0.0.2 22 # root 100%');
  });
});

function withEnv(values: Record<string, string>, body: () => void): void {
  const saved = Object.fromEntries(Object.keys(values).map((name) => [name, process.env[name]]));
  Object.assign(process.env, values);
  try {
    body();
  } finally {
    for (const [name, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  }
}

describe('settingsFromVars', () => {
  const options = { acceptNewHostKeys: false };
  // The defaults under test are those of an environment that sets none of these (a shell may export them).
  const ENVIRONMENT = ['UXSV_SSH_PERSIST', 'UXSV_SSH_PERSIST_DIR', 'UXSV_OUTPUT_LIMIT'];
  let saved: Record<string, string | undefined> = {};
  beforeEach(() => {
    saved = Object.fromEntries(ENVIRONMENT.map((name) => [name, process.env[name]]));
    for (const name of ENVIRONMENT) delete process.env[name];
  });
  afterEach(() => {
    for (const [name, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  });

  it('applies Ansible defaults', () => {
    expect(settingsFromVars('web1', {}, options)).toEqual({
      host: 'web1', connection: 'ssh', address: 'web1', port: 22, user: userInfo().username,
      timeoutSec: 10, acceptNewHostKeys: false, outputLimit: 32 * 1024 * 1024, persistSec: 60,
    });
  });

  it('reads the connection variables and ignores become', () => {
    const settings = settingsFromVars('web1', {
      ansible_connection: 'smart',
      ansible_host: '10.0.0.2',
      ansible_port: '2222',
      ansible_user: 'admin',
      ansible_ssh_private_key_file: '~/.ssh/lab',
      ansible_ssh_common_args: '-o UserKnownHostsFile=/etc/uxsv/known_hosts -o StrictHostKeyChecking=accept-new',
      ansible_ssh_timeout: 30,
      ansible_ssh_pass: 'pw',
      ansible_become: true,
      ansible_become_password: 'not a connection setting',
    }, { acceptNewHostKeys: false, knownHostsFile: '/ignored/when/args/say/otherwise' });
    expect(settings).toEqual({
      host: 'web1', connection: 'ssh', address: '10.0.0.2', port: 2222, user: 'admin',
      privateKeyFile: `${homedir()}/.ssh/lab`,
      commonArgs: '-o UserKnownHostsFile=/etc/uxsv/known_hosts -o StrictHostKeyChecking=accept-new',
      timeoutSec: 30, knownHostsFile: '/etc/uxsv/known_hosts', acceptNewHostKeys: true, password: 'pw',
      outputLimit: 32 * 1024 * 1024, persistSec: 60,
    });
  });

  it('prefers ansible_password and takes --known-hosts when the args have none', () => {
    const settings = settingsFromVars('h', { ansible_password: 'a', ansible_ssh_pass: 'b' }, { acceptNewHostKeys: true, knownHostsFile: '/k' });
    expect(settings).toMatchObject({ password: 'a', knownHostsFile: '/k', acceptNewHostKeys: true });
  });

  it('rejects bad values with the host named', () => {
    expect(() => settingsFromVars('h', { ansible_connection: 'winrm' }, options)).toThrow(/host h: ansible_connection/);
    expect(() => settingsFromVars('h', { ansible_port: 'ssh' }, options)).toThrow(/ansible_port/);
    expect(() => settingsFromVars('h', { ansible_port: 70000 }, options)).toThrow(UserError);
    expect(() => settingsFromVars('h', { ansible_user: ['root'] }, options)).toThrow(/ansible_user/);
  });

  it('reads the output limit: uxsv_output_limit, else UXSV_OUTPUT_LIMIT', () => {
    expect(settingsFromVars('h', { uxsv_output_limit: '8M' }, options).outputLimit).toBe(8 * 1024 * 1024);
    expect(settingsFromVars('h', { uxsv_output_limit: 1048576 }, options).outputLimit).toBe(1024 * 1024);
    expect(() => settingsFromVars('h', { uxsv_output_limit: 'all' }, options)).toThrow(/host h: uxsv_output_limit/);
    expect(() => settingsFromVars('h', { uxsv_output_limit: ['1M'] }, options)).toThrow(UserError);
    withEnv({ UXSV_OUTPUT_LIMIT: '2M' }, () => {
      expect(settingsFromVars('h', {}, options).outputLimit).toBe(2 * 1024 * 1024);
      expect(settingsFromVars('h', { uxsv_output_limit: '4M' }, options).outputLimit).toBe(4 * 1024 * 1024);
    });
  });

  it('reads how long connections are kept: uxsv_ssh_persist, else UXSV_SSH_PERSIST, else 60 s; 0 or false is off', () => {
    expect(settingsFromVars('h', { uxsv_ssh_persist: 300 }, options).persistSec).toBe(300);
    expect(settingsFromVars('h', { uxsv_ssh_persist: '0' }, options).persistSec).toBe(0);
    expect(settingsFromVars('h', { uxsv_ssh_persist: false }, options).persistSec).toBe(0);
    expect(() => settingsFromVars('h', { uxsv_ssh_persist: '1m' }, options)).toThrow(/host h: uxsv_ssh_persist must be a whole number of seconds/);
    expect(() => settingsFromVars('h', { uxsv_ssh_persist: -1 }, options)).toThrow(UserError);
    withEnv({ UXSV_SSH_PERSIST: '0', UXSV_SSH_PERSIST_DIR: '/tmp/elsewhere' }, () => {
      expect(settingsFromVars('h', {}, options)).toMatchObject({ persistSec: 0, persistDir: '/tmp/elsewhere' });
      // The host's own variable wins, as ansible_* variables win over the environment.
      expect(settingsFromVars('h', { uxsv_ssh_persist: 10 }, options).persistSec).toBe(10);
    });
    withEnv({ UXSV_SSH_PERSIST: 'no' }, () => expect(settingsFromVars('h', {}, options).persistSec).toBe(0));
    withEnv({ UXSV_SSH_PERSIST: 'soon' }, () => expect(() => settingsFromVars('h', {}, options)).toThrow(/UXSV_SSH_PERSIST/));
  });

  it('creates the matching connection', () => {
    expect(createConnection(settingsFromVars('h', { ansible_connection: 'local' }, options))).toBeInstanceOf(LocalConnection);
    expect(createConnection(settingsFromVars('h', { ansible_connection: 'paramiko' }, options))).toBeInstanceOf(SshConnection);
  });
});
