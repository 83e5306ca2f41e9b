/**
 * Ansible's configuration: one ansible.cfg (the first found of $ANSIBLE_CONFIG,
 * ./ansible.cfg unless the working folder is world-writable, ~/.ansible.cfg,
 * /etc/ansible/ansible.cfg) and ANSIBLE_* environment variables, which beat
 * the file. Values are typed as Ansible types them; a relative path in the
 * file is relative to the file's folder, one in the environment to the
 * working folder.
 */
import { accessSync, constants, existsSync, readFileSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import path from 'node:path';
import { UserError } from '../errors.js';
import { toBool } from '../values.js';
import { parseIni, type IniSections } from './ini.js';
import { CALLBACK_SETTINGS, SETTINGS, type SettingSpec, type SettingType } from './settings.js';

export { SETTINGS } from './settings.js';

export interface ConfigSource {
  /** Environment variables (default: process.env). */
  env?: NodeJS.ProcessEnv;
  /** Working folder (default: process.cwd()). */
  cwd?: string;
  /** Home folder for `~` (default: $HOME or the user's home). */
  home?: string;
  /** Where the system-wide file lives (tests point it elsewhere). */
  systemFile?: string;
}

export interface SettingValue {
  value: unknown;
  /** 'default', an environment variable's name, or `FILE:LINE`. */
  origin: string;
}

const SYSTEM_FILE = '/etc/ansible/ansible.cfg';

export class AnsibleConfig {
  /** Notes for the user (e.g. an ansible.cfg ignored in a world-writable folder). */
  readonly warnings: string[] = [];
  private readonly sections: IniSections;
  private readonly cache = new Map<string, SettingValue>();
  private readonly env_: NodeJS.ProcessEnv;
  private readonly cwd: string;
  private readonly home: string;

  private constructor(
    /** The ansible.cfg in use, if any (Ansible's CONFIG_FILE). */
    readonly file: string | undefined,
    source: ConfigSource,
  ) {
    this.env_ = source.env ?? process.env;
    this.cwd = source.cwd ?? process.cwd();
    this.home = source.home ?? this.env_.HOME ?? homedir();
    this.sections = file ? parseIni(readConfigText(file), file) : new Map();
  }

  static load(source: ConfigSource = {}): AnsibleConfig {
    const found = findConfigFile(source);
    const config = new AnsibleConfig(found.file, source);
    config.warnings.push(...found.warnings);
    return config;
  }

  /** Whether Ansible knows a setting of this name. */
  known(name: string): boolean {
    return Object.hasOwn(SETTINGS, name);
  }

  /** A setting's value and where it came from; throws for an unknown name. */
  setting(name: string): SettingValue {
    const cached = this.cache.get(name);
    if (cached) return cached;
    const spec = Object.hasOwn(SETTINGS, name) ? SETTINGS[name] : Object.hasOwn(CALLBACK_SETTINGS, name) ? CALLBACK_SETTINGS[name] : undefined;
    if (!spec) throw new UserError(`unknown configuration setting '${name}'`);
    const resolved = this.resolve(name, spec);
    this.cache.set(name, resolved);
    return resolved;
  }

  get<T = unknown>(name: string): T {
    return this.setting(name).value as T;
  }

  /** Was the setting given (in the file or the environment), not left at Ansible's default? */
  isSet(name: string): boolean {
    return this.setting(name).origin !== 'default';
  }

  /** For the `config` lookup: the value, or known: false for a name Ansible does not have. */
  lookup(name: string): { value: unknown; known: boolean } {
    if (!this.known(name)) return { value: undefined, known: false };
    return { value: this.get(name), known: true };
  }

  /** An environment variable as this configuration sees it. */
  env(name: string): string | undefined {
    return this.env_[name];
  }

  /** A raw entry of the file, for plugin settings outside the table ([ssh_connection] ssh_args, ...). */
  iniValue(section: string, key: string): { value: string; origin: string } | undefined {
    const entry = this.sections.get(section)?.get(key.toLowerCase());
    return entry ? { value: unquote(entry.value), origin: `${this.file}:${entry.line}` } : undefined;
  }

  private resolve(name: string, [type, fallback, iniEntries, envNames]: SettingSpec): SettingValue {
    for (const envName of [...envNames].reverse()) {
      const text = this.env_[envName];
      // As in Ansible, an empty variable counts as unset (ANSIBLE_TIMEOUT= keeps the default).
      if (text !== undefined && text !== '') return { value: this.convert(name, type, text, `env: ${envName}`, this.cwd), origin: envName };
    }
    for (const entry of [...iniEntries].reverse()) {
      const dot = entry.indexOf('.');
      const found = this.sections.get(entry.slice(0, dot))?.get(entry.slice(dot + 1));
      if (found) {
        const origin = `${this.file}:${found.line}`;
        return { value: this.convert(name, type, found.value, this.file!, path.dirname(this.file!)), origin };
      }
    }
    return { value: this.defaultValue(type, fallback), origin: 'default' };
  }

  private defaultValue(type: SettingType, fallback: unknown): unknown {
    // Ansible types its defaults as it types given values ('/etc/ansible/hosts' is a pathlist of one).
    if (typeof fallback === 'string') {
      const text = fallback.includes('{home}') ? fallback.replaceAll('{home}', this.get<string>('ANSIBLE_HOME')) : fallback;
      return this.convert('', type, text, 'default', this.cwd);
    }
    return Array.isArray(fallback) ? [...fallback] : fallback;
  }

  private convert(name: string, type: SettingType, text: string, origin: string, baseDir: string): unknown {
    const bad = (detail: string) => new UserError(`Invalid type for configuration option setting: ${name} (from ${origin}): ${detail}`);
    switch (type) {
      case 'bool':
        return toBool(text, false);
      case 'int': {
        const t = text.trim();
        if (!/^[-+]?\d+$/.test(t)) throw bad(`invalid literal for int() with base 10: '${text}'`);
        return Number(t);
      }
      case 'float': {
        const n = Number(text.trim());
        if (text.trim() === '' || Number.isNaN(n)) throw bad(`could not convert string to float: '${text}'`);
        return n;
      }
      case 'list':
        return text.split(',').map((item) => unquote(item.trim()));
      case 'path':
        return this.resolvePath(unquote(text), baseDir);
      case 'pathspec':
        return text.split(':').map((p) => this.resolvePath(p, baseDir));
      case 'pathlist':
        return text.split(',').map((p) => this.resolvePath(p.trim(), baseDir));
      case 'dict':
        throw bad(`a mapping cannot be given as text: '${text}'`);
      case 'raw':
        return text;
      default:
        return unquote(text);
    }
  }

  /** Ansible's unfrackpath: $VARS and ~ expanded, relative to `baseDir`, normalised (links kept). */
  resolvePath(text: string, baseDir: string): string {
    let p = text.replaceAll('{{CWD}}', this.cwd);
    p = p.replace(/\$(\w+)|\$\{(\w+)\}/g, (whole, a: string | undefined, b: string | undefined) => this.env_[(a ?? b)!] ?? whole);
    if (p === '~' || p.startsWith('~/')) p = this.home + p.slice(1);
    return path.resolve(baseDir, p);
  }
}

/** Ansible strips one pair of matching quotes around a string value. */
function unquote(text: string): string {
  const m = /^(['"])(.*)\1$/s.exec(text);
  return m ? m[2] : text;
}

function readConfigText(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    throw new UserError(`cannot read config file ${file}: ${(err as Error).message}`, { file });
  }
}

function readable(file: string): boolean {
  try {
    accessSync(file, constants.R_OK);
    return statSync(file).isFile() || statSync(file).isFIFO();
  } catch {
    return false;
  }
}

/** The first readable candidate, in Ansible's order; a world-writable working folder's ansible.cfg is skipped with a warning. */
export function findConfigFile(source: ConfigSource = {}): { file?: string; warnings: string[] } {
  const env = source.env ?? process.env;
  const cwd = source.cwd ?? process.cwd();
  const home = source.home ?? env.HOME ?? homedir();
  const warnings: string[] = [];
  const candidates: string[] = [];
  let fromEnv: string | undefined;
  if (env.ANSIBLE_CONFIG !== undefined) {
    fromEnv = path.resolve(cwd, env.ANSIBLE_CONFIG.replace(/^~(?=\/|$)/, home));
    try {
      if (statSync(fromEnv).isDirectory()) fromEnv = path.join(fromEnv, 'ansible.cfg');
    } catch {
      // a missing file is simply not a candidate
    }
    candidates.push(fromEnv);
  }
  const cwdFile = path.join(cwd, 'ansible.cfg');
  let skippedCwd = false;
  try {
    if (statSync(cwd).mode & 0o002) skippedCwd = existsSync(cwdFile);
    else candidates.push(cwdFile);
  } catch {
    // an unreadable working folder is not a source
  }
  candidates.push(path.join(home, '.ansible.cfg'), source.systemFile ?? SYSTEM_FILE);
  const file = candidates.find(readable);
  if (skippedCwd && (fromEnv === undefined || file !== fromEnv)) {
    warnings.push(`Ansible is being run in a world writable directory (${cwd}), ignoring it as an ansible.cfg source.`);
  }
  return { file, warnings };
}

/** The vault settings (vault_identity_list, vault_password_file, vault_identity, vault_encrypt_identity). */
export function vaultConfigDefaults(config: AnsibleConfig): { identityList: string[]; passwordFile?: string; defaultIdentity: string; encryptIdentity?: string } {
  return {
    identityList: config.get<string[]>('DEFAULT_VAULT_IDENTITY_LIST') ?? [],
    passwordFile: config.get<string | null>('DEFAULT_VAULT_PASSWORD_FILE') ?? undefined,
    defaultIdentity: config.get<string>('DEFAULT_VAULT_IDENTITY') ?? 'default',
    encryptIdentity: config.get<string | null>('DEFAULT_VAULT_ENCRYPT_IDENTITY') ?? undefined,
  };
}
