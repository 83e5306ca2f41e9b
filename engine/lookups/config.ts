/**
 * The config lookup: Ansible configuration settings by name
 * (`DEFAULT_BECOME_USER`), read from the run (LookupHost.config), or a
 * plugin's option (`plugin_type='connection', plugin_name='ssh'`) as the
 * plugin would see it for this task: from its variables, its environment
 * variables, the configuration, or its default.
 */
import { isString, pyStr, typeName, type Dict } from '../template/python.js';
import { toBool } from '../values.js';
import { LookupFailure, LookupOptionsError } from './errors.js';
import { pyInt, resolveOptions, type OptionSpecs } from './options.js';
import { termList } from './terms.js';
import type { LookupContext, LookupPlugin } from './types.js';

const OPTIONS: OptionSpecs = {
  on_missing: { type: 'str', default: 'error', choices: ['error', 'skip', 'warn'] },
  plugin_type: { type: 'str', choices: ['become', 'cache', 'callback', 'cliconf', 'connection', 'httpapi', 'inventory', 'lookup', 'netconf', 'shell', 'vars'] },
  plugin_name: { type: 'str' },
};

/** Names in Ansible's constants module that are functions, not settings. */
const CALLABLE_CONSTANTS = new Set(['ConfigManager', 'Sequence', '_DeprecatedSequenceConstant', '_deprecated', '_warning', 'add_internal_fqcns', 'set_constant', 'to_text']);

interface PluginOption {
  type?: 'int' | 'bool' | 'list';
  /** Variables setting it; the last one defined wins, as in Ansible. */
  vars?: string[];
  env?: string[];
  /** The configuration setting behind its ini entry. */
  setting?: string;
  default?: unknown;
}

const SSH_HOST_VARS = ['inventory_hostname', 'ansible_host', 'ansible_ssh_host'];

/** The options of the builtin plugins a playbook is likely to ask about. */
const PLUGIN_OPTIONS: Record<string, Record<string, Record<string, PluginOption>>> = {
  connection: {
    ssh: {
      host: { vars: SSH_HOST_VARS },
      remote_user: { vars: ['ansible_user', 'ansible_ssh_user'], env: ['ANSIBLE_REMOTE_USER'], setting: 'DEFAULT_REMOTE_USER' },
      port: { type: 'int', vars: ['ansible_port', 'ansible_ssh_port'], env: ['ANSIBLE_REMOTE_PORT'], setting: 'DEFAULT_REMOTE_PORT' },
      password: { vars: ['ansible_password', 'ansible_ssh_pass', 'ansible_ssh_password'] },
      private_key_file: { vars: ['ansible_private_key_file', 'ansible_ssh_private_key_file'], env: ['ANSIBLE_PRIVATE_KEY_FILE'], setting: 'DEFAULT_PRIVATE_KEY_FILE' },
      timeout: { type: 'int', vars: ['ansible_ssh_timeout'], env: ['ANSIBLE_TIMEOUT', 'ANSIBLE_SSH_TIMEOUT'], setting: 'DEFAULT_TIMEOUT', default: 10 },
      host_key_checking: { type: 'bool', vars: ['ansible_host_key_checking', 'ansible_ssh_host_key_checking'], env: ['ANSIBLE_HOST_KEY_CHECKING', 'ANSIBLE_SSH_HOST_KEY_CHECKING'], setting: 'HOST_KEY_CHECKING', default: true },
      pipelining: { type: 'bool', vars: ['ansible_pipelining', 'ansible_ssh_pipelining'], env: ['ANSIBLE_PIPELINING', 'ANSIBLE_SSH_PIPELINING'], setting: 'ANSIBLE_PIPELINING', default: false },
      ssh_executable: { vars: ['ansible_ssh_executable'], env: ['ANSIBLE_SSH_EXECUTABLE'], default: 'ssh' },
      ssh_args: { vars: ['ansible_ssh_args'], env: ['ANSIBLE_SSH_ARGS'], default: '-C -o ControlMaster=auto -o ControlPersist=60s' },
      ssh_common_args: { vars: ['ansible_ssh_common_args'], env: ['ANSIBLE_SSH_COMMON_ARGS'], default: '' },
      ssh_extra_args: { vars: ['ansible_ssh_extra_args'], env: ['ANSIBLE_SSH_EXTRA_ARGS'], default: '' },
    },
    paramiko_ssh: {
      remote_addr: { vars: [...SSH_HOST_VARS, 'ansible_paramiko_host'] },
      remote_user: { vars: ['ansible_user', 'ansible_ssh_user', 'ansible_paramiko_user'], env: ['ANSIBLE_REMOTE_USER', 'ANSIBLE_PARAMIKO_REMOTE_USER'], setting: 'DEFAULT_REMOTE_USER' },
      password: { vars: ['ansible_password', 'ansible_ssh_pass', 'ansible_ssh_password', 'ansible_paramiko_pass', 'ansible_paramiko_password'] },
    },
    local: {
      pipelining: { type: 'bool', vars: ['ansible_pipelining'], env: ['ANSIBLE_PIPELINING'], setting: 'ANSIBLE_PIPELINING', default: false },
    },
  },
  shell: {
    sh: {
      remote_tmp: { vars: ['ansible_remote_tmp'], env: ['ANSIBLE_REMOTE_TEMP', 'ANSIBLE_REMOTE_TMP'], setting: 'DEFAULT_REMOTE_TMP', default: '~/.ansible/tmp' },
      async_dir: { vars: ['ansible_async_dir'], env: ['ANSIBLE_ASYNC_DIR'], default: '~/.ansible_async' },
      admin_users: { type: 'list', vars: ['ansible_admin_users'], env: ['ANSIBLE_ADMIN_USERS'], default: ['root', 'toor'] },
      system_tmpdirs: { type: 'list', vars: ['ansible_system_tmpdirs'], env: ['ANSIBLE_SYSTEM_TMPDIRS'], default: ['/var/tmp', '/tmp'] },
      world_readable_temp: { type: 'bool', vars: ['ansible_shell_allow_world_readable_temp'], env: ['ANSIBLE_SHELL_ALLOW_WORLD_READABLE_TEMP'], default: false },
    },
  },
  become: {
    sudo: {
      become_user: { vars: ['ansible_become_user', 'ansible_sudo_user'], env: ['ANSIBLE_BECOME_USER', 'ANSIBLE_SUDO_USER'], setting: 'DEFAULT_BECOME_USER', default: 'root' },
      become_exe: { vars: ['ansible_become_exe', 'ansible_sudo_exe'], env: ['ANSIBLE_BECOME_EXE', 'ANSIBLE_SUDO_EXE'], default: 'sudo' },
      become_flags: { vars: ['ansible_become_flags', 'ansible_sudo_flags'], env: ['ANSIBLE_BECOME_FLAGS', 'ANSIBLE_SUDO_FLAGS'], default: '-H -S -n' },
      become_pass: { vars: ['ansible_become_password', 'ansible_become_pass', 'ansible_sudo_pass'], env: ['ANSIBLE_BECOME_PASS', 'ANSIBLE_SUDO_PASS'] },
    },
    su: {
      become_user: { vars: ['ansible_become_user', 'ansible_su_user'], env: ['ANSIBLE_BECOME_USER', 'ANSIBLE_SU_USER'], setting: 'DEFAULT_BECOME_USER', default: 'root' },
      become_exe: { vars: ['ansible_become_exe', 'ansible_su_exe'], env: ['ANSIBLE_BECOME_EXE', 'ANSIBLE_SU_EXE'], default: 'su' },
      become_flags: { vars: ['ansible_become_flags', 'ansible_su_flags'], env: ['ANSIBLE_BECOME_FLAGS', 'ANSIBLE_SU_FLAGS'], default: '' },
      become_pass: { vars: ['ansible_become_password', 'ansible_become_pass', 'ansible_su_pass'], env: ['ANSIBLE_BECOME_PASS', 'ANSIBLE_SU_PASS'] },
    },
  },
};

/** A setting that does not exist (Ansible's MissingSetting): handled by on_missing. */
class MissingSetting extends Error {}

function globalSetting(ctx: LookupContext, name: string): unknown {
  if (CALLABLE_CONSTANTS.has(name)) throw new LookupFailure(`Invalid setting "${name}" attempted`);
  const found = ctx.config?.(name);
  if (!found || !found.known) throw new MissingSetting(`module 'ansible.constants' has no attribute '${name}'`);
  return found.value;
}

function convert(value: unknown, option: PluginOption): unknown {
  if (value === null || value === undefined) return value;
  if (option.type === 'int') return pyInt(value);
  if (option.type === 'bool') return toBool(value, false);
  if (option.type === 'list' && isString(value)) return String(value).split(',').map((x) => x.trim());
  return value;
}

function pluginSetting(ctx: LookupContext, type: string, name: string, setting: string): unknown {
  const plugin = PLUGIN_OPTIONS[type]?.[name.replace(/^ansible\.(?:builtin|legacy)\./, '')];
  if (!plugin) throw new LookupFailure(`Unable to load ${type} plugin "${name}"`);
  const option = plugin[setting];
  if (!option) throw new MissingSetting(`Requested entry (plugin_type: ${type} plugin: ${name} setting: ${setting} ) was not defined in configuration.`);
  let value: unknown;
  for (const variable of option.vars ?? []) {
    const v = ctx.vars[variable];
    if (v !== undefined) value = v;
  }
  if (value === undefined) for (const key of option.env ?? []) if (value === undefined && process.env[key] !== undefined) value = process.env[key];
  if (value === undefined && option.setting) {
    const found = ctx.config?.(option.setting);
    if (found?.known && found.value !== null && found.value !== undefined) value = found.value;
  }
  if (value === undefined) value = option.default ?? null;
  return convert(value, option);
}

export const config: LookupPlugin = {
  name: 'config',
  run(terms, kwargs, ctx) {
    const options = resolveOptions('config', OPTIONS, kwargs);
    const { on_missing: missing, plugin_type: type, plugin_name: name } = options as Dict;
    if ((type || name) && !(type && name)) throw new LookupOptionsError('Both plugin_type and plugin_name are required, cannot use one without the other');
    const out: unknown[] = [];
    for (const term of termList(terms)) {
      if (!isString(term)) throw new LookupOptionsError(`Invalid setting identifier, "${pyStr(term)}" is not a string, its a <class '${typeName(term)}'>`);
      try {
        out.push(name ? pluginSetting(ctx, String(type), String(name), String(term)) : globalSetting(ctx, String(term)));
      } catch (err) {
        if (!(err instanceof MissingSetting)) throw err;
        if (missing === 'error') throw new LookupFailure(`Unable to find setting ${String(term)}. ${err.message}. ${err.message}`);
        if (missing === 'warn') ctx.warn(`Skipping, did not find setting ${String(term)}`);
      }
    }
    return out;
  },
};

