/**
 * sysctl: kernel parameters like Ansible's sysctl module: the value in
 * sysctl_file and (with reload / sysctl_set) the live value. The file is
 * rewritten the way sysctl.py's fix_lines does it (key=value, duplicates
 * dropped, comments kept).
 */
import { quote } from '../../connection/quote.js';
import { writeFileAtomic } from '../lib/fileops.js';
import { boolSchema, pick, toBool } from '../lib/args.js';
import type { Module, ModuleContext, Plan } from '../types.js';
import { readSections, runChecked } from './util.js';

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

const TRUE_WORDS = ['y', 'yes', 'on', '1', 'true', 't'];
const FALSE_WORDS = ['n', 'no', 'off', '0', 'false', 'f'];

/** sysctl.py's _parse_value: booleans become 1/0, strings are stripped. */
export function parseValue(value: unknown): string {
  if (value === undefined || value === null) return '';
  if (typeof value === 'boolean') return value ? '1' : '0';
  const s = String(value);
  if (TRUE_WORDS.includes(s.toLowerCase())) return '1';
  if (FALSE_WORDS.includes(s.toLowerCase())) return '0';
  return s.trim();
}

/** Values compare word by word (whitespace differences do not count). */
export function valuesEqual(a: string | undefined, b: string | undefined): boolean {
  if (a === undefined || b === undefined) return a === b;
  const x = a.split(/\s+/).filter(Boolean);
  const y = b.split(/\s+/).filter(Boolean);
  return x.length === y.length && x.every((w, i) => w === y[i]);
}

/** Python's readlines(): lines keep their "\n". */
function readLines(content: string): string[] {
  return content.match(/[^\n]*\n|[^\n]+$/g) ?? [];
}

function isSetting(line: string): boolean {
  const t = line.trim();
  return t !== '' && !t.startsWith('#') && !t.startsWith(';') && t.includes('=');
}

export function fileValues(content: string): Map<string, string> {
  const values = new Map<string, string>();
  for (const line of readLines(content)) {
    if (!isSetting(line)) continue;
    const t = line.trim();
    const eq = t.indexOf('=');
    values.set(t.slice(0, eq).trim(), t.slice(eq + 1).trim());
  }
  return values;
}

/** sysctl.py's fix_lines. */
export function fixLines(content: string, name: string, value: string, present: boolean): string {
  const checked = new Set<string>();
  const out: string[] = [];
  for (const line of readLines(content)) {
    if (!isSetting(line)) {
      out.push(line);
      continue;
    }
    const t = line.trim();
    const eq = t.indexOf('=');
    const k = t.slice(0, eq).trim();
    const v = t.slice(eq + 1).trim();
    if (checked.has(k)) continue;
    checked.add(k);
    if (k === name) {
      if (present) out.push(`${k}=${value}\n`);
    } else {
      out.push(`${k}=${v}\n`);
    }
  }
  if (!checked.has(name) && present) out.push(`${name}=${value}\n`);
  return out.join('');
}

function normalized(args: SysctlArgs) {
  const a = args as unknown as Record<string, unknown>;
  return {
    name: String(pick(a, 'name', 'key')).trim(),
    value: parseValue(pick(a, 'value', 'val')),
    hasValue: pick(a, 'value', 'val') !== undefined,
    present: (args.state ?? 'present') === 'present',
    reload: toBool(args.reload, true),
    file: args.sysctl_file ?? '/etc/sysctl.conf',
    sysctlSet: toBool(args.sysctl_set, false),
    ignoreErrors: toBool(args.ignoreerrors, false),
  };
}

async function readSysctl(ctx: ModuleContext, args: SysctlArgs): Promise<SysctlState> {
  const a = normalized(args);
  const f = quote(a.file);
  const out = await readSections(ctx, {
    file: `if [ -f ${f} ]; then echo yes; cat -- ${f}; fi`,
    live: `sysctl -e -n -- ${quote(a.name)}`,
  });
  const body = out.file!.out;
  const state: SysctlState = body.startsWith('yes\n') ? { fileExists: true, content: body.slice(4) } : { fileExists: false, content: '' };
  if (out.live!.rc === 0) state.live = out.live!.out.replace(/\n$/, '');
  return state;
}

export interface SysctlDecision {
  changed: boolean;
  writeFile: boolean;
  setLive: boolean;
}

/** sysctl.py's process(), without doing the work. */
export function decideSysctl(args: SysctlArgs, state: SysctlState): SysctlDecision {
  const a = normalized(args);
  const inFile = fileValues(state.content).get(a.name);
  const d: SysctlDecision = { changed: false, writeFile: false, setLive: false };
  if (!a.present) {
    if (inFile !== undefined) Object.assign(d, { changed: true, writeFile: true });
  } else if (inFile === undefined || !valuesEqual(inFile, a.value)) {
    Object.assign(d, { changed: true, writeFile: true });
  } else if (a.reload && (state.live === undefined || !valuesEqual(state.live, a.value))) {
    // The file is right but the kernel is not: reloading fixes it.
    d.changed = true;
  }
  if (a.sysctlSet && a.present && (state.live === undefined || !valuesEqual(state.live, a.value))) {
    d.changed = true;
    d.setLive = state.live !== undefined;
  }
  return d;
}

function planSysctl(ctx: ModuleContext, args: SysctlArgs, state: SysctlState): Plan {
  const a = normalized(args);
  if (a.present && !a.hasValue) return { changed: false, failed: true, msg: 'state is present but all of the following are missing: value' };
  const d = decideSysctl(args, state);
  const result = { name: a.name, value: a.value, sysctl_file: a.file, state: a.present ? 'present' : 'absent' };
  if (!d.changed || ctx.check) return { changed: d.changed, result };
  return {
    changed: true,
    result,
    apply: async () => {
      const e = a.ignoreErrors ? '-e ' : '';
      if (d.setLive) await runChecked(ctx, `sysctl ${e}-w ${quote(`${a.name}=${a.value}`)}`, 'setting the sysctl value');
      if (d.writeFile) {
        await writeFileAtomic(ctx, a.file, fixLines(state.content, a.name, a.value, a.present), state.fileExists ? {} : { mode: '0644' });
      }
      if (a.reload) {
        const res = await runChecked(ctx, `sysctl ${e}-p ${quote(a.file)}`, 'Failed to reload sysctl');
        if (!a.ignoreErrors && res.stderr.trim() !== '') throw new Error(`Failed to reload sysctl: ${res.stderr.trim()}`);
      }
    },
  };
}

export const sysctl: Module<SysctlArgs, SysctlState> = {
  name: 'sysctl',
  schema: {
    type: 'object',
    additionalProperties: false,
    properties: {
      name: { type: 'string' },
      key: { type: 'string' },
      value: { type: ['string', 'number', 'boolean'] },
      val: { type: ['string', 'number', 'boolean'] },
      state: { enum: ['present', 'absent'] },
      reload: boolSchema,
      sysctl_file: { type: 'string' },
      sysctl_set: boolSchema,
      ignoreerrors: boolSchema,
    },
    anyOf: [{ required: ['name'] }, { required: ['key'] }],
  },
  doc: {
    description:
      'Sets a kernel parameter like Ansible\'s sysctl module: writes `name=value` to sysctl_file (default ' +
      '/etc/sysctl.conf, rewritten like Ansible: other settings normalised to key=value, duplicates dropped, comments kept) ' +
      'and, with reload (default true), runs `sysctl -p FILE` when the file or the live value (`sysctl -n`) differs. ' +
      'sysctl_set also sets the live value with `sysctl -w`. Values compare word by word; yes/no become 1/0.',
    returns: { name: 'the key', value: 'the value as written', sysctl_file: 'the file' },
    example: '- name: Allow binding the service addresses before they arrive\n  sysctl:\n    name: net.ipv4.ip_nonlocal_bind\n    value: "1"\n    sysctl_file: /etc/sysctl.d/60-uxsv.conf\n',
  },
  read: readSysctl,
  plan: planSysctl,
};
