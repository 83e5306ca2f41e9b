/**
 * sysctl (ansible.posix.sysctl): a kernel parameter in sysctl_file and, with
 * reload or sysctl_set, in the running kernel. One read (the file and
 * `sysctl -e -n NAME`); the file is rewritten as ansible.posix does it
 * (each line stripped, settings as key=value, duplicates dropped).
 */
import { quote } from '../../connection/quote.js';
import { contentSections } from '../../facts/content.js';
import { readFact } from '../../facts/index.js';
import { sectionsFact } from '../../facts/sections.js';
import type { Fact } from '../../facts/types.js';
import { writeFileAtomic } from '../lib/fileops.js';
import { boolSchema, pick, toBool } from '../lib/args.js';
import type { Module, ModuleContext, Plan } from '../types.js';
import { runText } from './util.js';

export interface SysctlArgs {
  name: string;
  key?: string;
  value?: unknown;
  val?: unknown;
  state?: 'present' | 'absent';
  reload?: unknown;
  sysctl_file?: string;
  sysctl_set?: unknown;
  ignoreerrors?: unknown;
}

export interface SysctlState {
  fileExists: boolean;
  content: string;
  /** `sysctl -e -n name` (undefined when the command failed). */
  live?: string;
}

const sysctlFact: Fact<{ file: string; name: string }, SysctlState> = sectionsFact(
  'sysctl.value',
  ({ file, name }) => ({ ...contentSections({ path: file }), live: `LANG=C LC_ALL=C sysctl -e -n -- ${quote(name)}` }),
  (s) => {
    const out = s.file!.out;
    const state: SysctlState = out.startsWith('file\n')
      ? { fileExists: true, content: Buffer.from(out.slice(5).trim(), 'base64').toString('utf8') }
      : { fileExists: false, content: '' };
    if (s.live!.rc === 0) state.live = s.live!.out;
    return state;
  },
);

const TRUE_WORDS = ['y', 'yes', 'on', '1', 'true', 't'];
const FALSE_WORDS = ['n', 'no', 'off', '0', 'false', 'f'];

/** ansible.posix's _parse_value: booleans become 1/0, strings are stripped. */
export function parseValue(value: unknown): string {
  if (value === undefined || value === null) return '';
  if (typeof value === 'boolean') return value ? '1' : '0';
  const s = String(value);
  if (TRUE_WORDS.includes(s.toLowerCase())) return '1';
  if (FALSE_WORDS.includes(s.toLowerCase())) return '0';
  return s.trim();
}

/** The live value compares word by word (whitespace differences do not count). */
export function valuesEqual(a: string | undefined, b: string | undefined): boolean {
  if (a === undefined || b === undefined) return false;
  const x = a.split(/\s+/).filter(Boolean);
  const y = b.split(/\s+/).filter(Boolean);
  return x.length === y.length && x.every((w, i) => w === y[i]);
}

/** The file's lines, stripped (readlines + strip). */
function fileLines(content: string): string[] {
  return (content.match(/[^\n]*\n|[^\n]+$/g) ?? []).map((l) => l.trim());
}

function isSetting(line: string): boolean {
  return line !== '' && !line.startsWith('#') && !line.startsWith(';') && line.includes('=');
}

/** The values the file sets (the last one wins). */
export function fileValues(content: string): Map<string, string> {
  const values = new Map<string, string>();
  for (const line of fileLines(content)) {
    if (!isSetting(line)) continue;
    const eq = line.indexOf('=');
    values.set(line.slice(0, eq).trim(), line.slice(eq + 1).trim());
  }
  return values;
}

/** The file as ansible.posix writes it (fix_lines, then every line stripped). */
export function fixLines(content: string, name: string, value: string, present: boolean): string {
  const checked = new Set<string>();
  const out: string[] = [];
  for (const line of fileLines(content)) {
    if (!isSetting(line)) {
      out.push(line);
      continue;
    }
    const eq = line.indexOf('=');
    const k = line.slice(0, eq).trim();
    const v = line.slice(eq + 1).trim();
    if (checked.has(k)) continue;
    checked.add(k);
    if (k !== name) out.push(`${k}=${v}`);
    else if (present) out.push(`${k}=${value}`);
  }
  if (!checked.has(name) && present) out.push(`${name}=${value}`);
  return out.map((l) => `${l.trim()}\n`).join('');
}

function normalized(args: SysctlArgs) {
  const a = args as unknown as Record<string, unknown>;
  const given = pick(a, 'value', 'val');
  return {
    name: String(pick(a, 'name', 'key') ?? '').trim(),
    value: parseValue(given),
    given,
    present: (args.state ?? 'present') === 'present',
    reload: toBool(args.reload, true),
    file: args.sysctl_file ?? '/etc/sysctl.conf',
    sysctlSet: toBool(args.sysctl_set, false),
    ignoreErrors: toBool(args.ignoreerrors, false),
  };
}

export interface SysctlDecision {
  changed: boolean;
  writeFile: boolean;
  setLive: boolean;
}

/** ansible.posix's process(), without doing the work. */
export function decideSysctl(args: SysctlArgs, state: SysctlState): SysctlDecision {
  const a = normalized(args);
  const inFile = fileValues(state.content).get(a.name);
  const d: SysctlDecision = { changed: false, writeFile: false, setLive: false };
  if (inFile === undefined) {
    if (a.present) Object.assign(d, { changed: true, writeFile: true });
  } else if (!a.present) {
    if (inFile !== '') Object.assign(d, { changed: true, writeFile: true });
  } else if (inFile !== a.value) {
    Object.assign(d, { changed: true, writeFile: true });
  } else if (a.reload && !valuesEqual(state.live, a.value)) {
    // The file is right but the kernel is not: reloading fixes it.
    d.changed = true;
  }
  if (a.sysctlSet && a.present && !valuesEqual(state.live, a.value)) {
    d.changed = true;
    d.setLive = state.live !== undefined;
  }
  return d;
}

const STDERR_FAILED = /^sysctl: setting key "[^"]+": (Invalid argument|Read-only file system)$/m;

export function planSysctl(ctx: ModuleContext, args: SysctlArgs, state: SysctlState): Plan {
  const a = normalized(args);
  if (a.name === '') return { changed: false, failed: true, msg: 'name cannot be blank' };
  if (a.present && (a.given === undefined || a.given === null)) return { changed: false, failed: true, msg: 'state is present but all of the following are missing: value' };
  if (a.present && a.value === '') return { changed: false, failed: true, msg: 'value cannot be blank' };
  const d = decideSysctl(args, state);
  if (!d.changed) return { changed: false };
  const e = a.ignoreErrors ? '-e ' : '';
  return {
    changed: true,
    apply: async () => {
      if (d.setLive) {
        const value = a.value.split(/\s+/).filter(Boolean).length > 0 ? `"${a.value}"` : a.value;
        const res = await runText(ctx, `LANG=C LC_ALL=C sysctl ${e}-w ${quote(`${a.name}=${value}`)}`);
        if (res.rc !== 0 || STDERR_FAILED.test(res.stderr)) throw new Error(`setting ${a.name} failed: ${res.stdout}${res.stderr}`);
      }
      if (d.writeFile) {
        // As Ansible: a link at sysctl_file is replaced by the file, never written through.
        await writeFileAtomic(ctx, a.file, fixLines(state.content, a.name, a.value, a.present), { followLink: false, ...(state.fileExists ? {} : { mode: '0644' }) });
      }
      if (a.reload) {
        const res = await runText(ctx, `LANG=C LC_ALL=C sysctl ${e}-p ${quote(a.file)}`);
        if (res.rc !== 0 || STDERR_FAILED.test(res.stderr)) throw new Error(`Failed to reload sysctl: ${res.stdout}${res.stderr}`);
      }
    },
  };
}

export const sysctl: Module<SysctlArgs, SysctlState> = {
  name: 'sysctl',
  aliases: ['ansible.posix.sysctl'],
  schema: {
    type: 'object',
    additionalProperties: false,
    properties: {
      name: { type: 'string', description: 'The parameter, e.g. net.ipv4.ip_forward' },
      key: { type: 'string', description: 'Alias of name' },
      value: { type: ['string', 'number', 'boolean'], description: 'The value (yes/no become 1/0); needed with state=present' },
      val: { type: ['string', 'number', 'boolean'], description: 'Alias of value' },
      state: { enum: ['present', 'absent'] },
      reload: { ...boolSchema, description: 'Run sysctl -p FILE after a change (default true)' },
      sysctl_file: { type: 'string', description: 'default /etc/sysctl.conf' },
      sysctl_set: { ...boolSchema, description: 'Also set the live value with sysctl -w' },
      ignoreerrors: { ...boolSchema, description: 'sysctl -e: unknown keys are not errors' },
    },
    anyOf: [{ required: ['name'] }, { required: ['key'] }],
  },
  doc: {
    description:
      'Sets a kernel parameter like ansible.posix.sysctl: writes `name=value` to sysctl_file (rewritten like Ansible: ' +
      'lines stripped, other settings normalised to key=value, duplicates dropped, comments kept) and, with reload ' +
      '(default true), runs `sysctl -p FILE` when the file or the live value (`sysctl -e -n`) differs. sysctl_set ' +
      'also sets the live value with `sysctl -w`. The file value compares exactly, the live value word by word.',
    returns: {},
    example: '- name: Allow binding the service addresses before they arrive\n  sysctl:\n    name: net.ipv4.ip_nonlocal_bind\n    value: "1"\n    sysctl_file: /etc/sysctl.d/60-uxsv.conf\n',
  },
  read: (ctx, args) => readFact(ctx, sysctlFact, { file: normalized(args).file, name: normalized(args).name }),
  plan: planSysctl,
};
