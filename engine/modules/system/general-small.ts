/**
 * community.general modules for Debian hosts: locale_gen, modprobe,
 * alternatives and timezone, each read in one command and planned purely.
 */
import { posix } from 'node:path';
import { quote, shellJoin } from '../../connection/quote.js';
import { contentSections } from '../../facts/content.js';
import { readFact } from '../../facts/index.js';
import { lines, sectionsFact, type Sections } from '../../facts/sections.js';
import type { Fact } from '../../facts/types.js';
import { writeFileAtomic } from '../lib/fileops.js';
import { toBool } from '../lib/args.js';
import type { Module, ModuleContext, Plan } from '../types.js';
import { runText } from './util.js';
import { shlexSplit } from '../core/shlex.js';

function fileOf(s: Sections, key: string): { exists: boolean; content: string } {
  const out = s[key]?.out ?? '';
  return out.startsWith('file\n') ? { exists: true, content: Buffer.from(out.slice(5).trim(), 'base64').toString('utf8') } : { exists: false, content: '' };
}

function withPrefix(sections: Record<string, string>, prefix: string): Record<string, string> {
  return Object.fromEntries(Object.entries(sections).map(([k, v]) => [`${prefix}${k}`, v]));
}

// ------------------------------------------------------------- locale_gen

const LOCALE_NORMALIZATION: Record<string, string> = {
  '.utf8': '.UTF-8', '.eucjp': '.EUC-JP', '.iso885915': '.ISO-8859-15', '.cp1251': '.CP1251', '.koi8r': '.KOI8-R',
  '.armscii8': '.ARMSCII-8', '.euckr': '.EUC-KR', '.gbk': '.GBK', '.gb18030': '.GB18030', '.euctw': '.EUC-TW',
};

export function fixLocaleCase(name: string): string {
  let out = name;
  for (const [from, to] of Object.entries(LOCALE_NORMALIZATION)) out = out.split(from).join(to);
  return out;
}

interface LocaleState {
  ubuntu: boolean;
  localeGen: { exists: boolean; content: string };
  supported: string;
  installed: string[];
}

const localeFact: Fact<void, LocaleState> = sectionsFact(
  'locale.state',
  () => ({
    ubuntu: '[ -d /var/lib/locales/supported.d/ ] && echo yes; true',
    ...withPrefix(contentSections({ path: '/etc/locale.gen' }), 'gen_'),
    supported: 'cat /usr/share/i18n/SUPPORTED 2>/dev/null; true',
    installed: 'locale -a 2>/dev/null; true',
  }),
  (s) => ({ ubuntu: s.ubuntu!.out.trim() === 'yes', localeGen: fileOf(s, 'gen_file'), supported: s.supported!.out, installed: lines(s.installed!.out) }),
);

/** set_locale: the `# name charset` line (un)commented, as community.general rewrites /etc/locale.gen. */
export function setLocaleLine(content: string, name: string, enabled: boolean): string {
  const search = new RegExp(`#?\\s*${name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} (.+)`);
  return (content.match(/[^\n]*\n|[^\n]+$/g) ?? []).map((line) => line.replace(search, (_m, charset: string) => `${enabled ? '' : '# '}${name} ${charset}`)).join('');
}

export const localeGen: Module<{ name: string; state?: 'present' | 'absent' }, LocaleState> = {
  name: 'community.general.locale_gen',
  aliases: ['locale_gen'],
  schema: {
    type: 'object',
    additionalProperties: false,
    required: ['name'],
    properties: { name: { type: 'string', description: 'A locale, e.g. de_CH.UTF-8' }, state: { enum: ['present', 'absent'] } },
  },
  doc: {
    description:
      'Generates or removes a locale like community.general.locale_gen: on Debian the line of /etc/locale.gen is ' +
      '(un)commented and locale-gen runs; present means `locale -a` lists it.',
    returns: { name: 'the locale', msg: 'OK' },
    example: '- community.general.locale_gen:\n    name: ja_JP.UTF-8\n',
  },
  read: (ctx) => readFact(ctx, localeFact, undefined),
  plan: (ctx, args, state) => {
    if (!state.ubuntu && !state.localeGen.exists) {
      return { changed: false, failed: true, msg: '/etc/locale.gen and /var/lib/locales/supported.d/local are missing. Is the package "locales" installed?' };
    }
    const pattern = state.ubuntu ? /^(\S+_\S+) (\S+)\s*$/ : /^#?\s*(\S+_\S+) (\S+)\s*$/;
    const available = lines(state.ubuntu ? state.supported : state.localeGen.content).some((l) => pattern.exec(l)?.[1] === args.name);
    if (!available) return { changed: false, failed: true, msg: 'The locale you\'ve entered is not available on your system.' };
    const present = state.installed.some((l) => fixLocaleCase(l) === fixLocaleCase(args.name));
    const want = (args.state ?? 'present') === 'present';
    const changed = present !== want;
    return {
      changed,
      result: { name: args.name, msg: 'OK' },
      apply: changed ? async () => {
        if (state.ubuntu) {
          const res = await runText(ctx, want ? shellJoin(['locale-gen', args.name])
            : `f=/var/lib/locales/supported.d/local; grep -v -- ${quote(`^${args.name} `)} "$f" > "$f.uxsv" ; cat "$f.uxsv" > "$f"; rm -f "$f.uxsv"; locale-gen --purge`);
          if (res.rc !== 0) return { failed: true, msg: `locale.gen failed to execute, it returned ${res.rc}`, exitValue: res.rc };
          return {};
        }
        await writeFileAtomic(ctx, '/etc/locale.gen', setLocaleLine(state.localeGen.content, args.name, want));
        const res = await runText(ctx, 'locale-gen');
        if (res.rc !== 0) return { failed: true, msg: `locale.gen failed to execute, it returned ${res.rc}`, exitValue: res.rc };
        return {};
      } : undefined,
    };
  },
};

// ------------------------------------------------------------- modprobe

const MODULES_LOAD = '/etc/modules-load.d';
const PARAMETERS = '/etc/modprobe.d';

interface ModprobeArgs {
  name: string;
  state?: 'present' | 'absent';
  params?: string;
  persistent?: 'disabled' | 'present' | 'absent';
}

interface ModprobeState {
  found: boolean;
  loaded: boolean;
  /** path -> content of /etc/modules-load.d/* and /etc/modprobe.d/*. */
  loadFiles: Map<string, string>;
  paramFiles: Map<string, string>;
}

function dirFiles(dir: string): string {
  return `for f in ${quote(dir)}/*; do if [ -f "$f" ]; then printf '@F %s\\n' "$f"; base64 -w0 < "$f"; echo; fi; done; true`;
}

function parseDirFiles(out: string): Map<string, string> {
  const files = new Map<string, string>();
  let current: string | undefined;
  for (const line of out.split('\n')) {
    if (line.startsWith('@F ')) current = line.slice(3);
    else if (current !== undefined) {
      files.set(current, Buffer.from(line.trim(), 'base64').toString('utf8'));
      current = undefined;
    }
  }
  return files;
}

const modprobeFact: Fact<{ name: string }, ModprobeState> = sectionsFact(
  'modprobe.state',
  ({ name }) => ({
    found: 'command -v modprobe >/dev/null 2>&1 && echo yes; true',
    loaded: `n=${quote(`${name.replace(/-/g, '_')} `)}; if grep -q -- "^$n" /proc/modules 2>/dev/null; then echo yes; elif grep -q -- ${quote(`/${name}.ko`)}'$' "/lib/modules/$(uname -r)/modules.builtin" 2>/dev/null; then echo yes; fi; true`,
    load: dirFiles(MODULES_LOAD),
    params: dirFiles(PARAMETERS),
  }),
  (s) => ({ found: s.found!.out.trim() === 'yes', loaded: s.loaded!.out.trim() === 'yes', loadFiles: parseDirFiles(s.load!.out), paramFiles: parseDirFiles(s.params!.out) }),
);

function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

export function planModprobe(ctx: ModuleContext, args: ModprobeArgs, state: ModprobeState): Plan {
  const name = args.name;
  const params = args.params ?? '';
  const persistent = args.persistent ?? 'disabled';
  const result = { name, params, state: args.state ?? 'present' };
  if (!state.found) return { changed: false, failed: true, msg: 'Failed to find required executable "modprobe" in paths: /usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' };
  const findModule = new RegExp(`^ *${escapeRe(name)} *(?:[#;].*)?\\n?$`);
  const findParams = new RegExp(`^options ${escapeRe(name)} \\w+=\\S+ *(?:[#;].*)?\\n?$`);
  const getParams = new RegExp(`^options ${escapeRe(name)} (\\w+=\\S+) *(?:[#;].*)?\\n?$`);
  const fileLines = (t: string) => t.match(/[^\n]*\n|[^\n]+$/g) ?? [];
  const persistently = [...state.loadFiles.values()].some((t) => fileLines(t).some((l) => findModule.test(l)));
  const permanent = new Set([...state.paramFiles.values()].flatMap((t) => fileLines(t).map((l) => getParams.exec(l)?.[1]).filter((p): p is string => p !== undefined)));
  const desired = new Set(params.split(/\s+/).filter(Boolean));
  const paramsSet = desired.size === permanent.size && [...desired].every((p) => permanent.has(p));
  const steps: Array<() => Promise<Record<string, unknown> | void>> = [];
  let changed = false;
  const want = (args.state ?? 'present') === 'present';
  if (want && !state.loaded) {
    changed = true;
    steps.push(async () => {
      const res = await runText(ctx, shellJoin(['modprobe', '--', name, ...shlexSplit(params)]));
      if (res.rc !== 0) return { failed: true, msg: res.stderr, rc: res.rc, stdout: res.stdout, stderr: res.stderr };
    });
  } else if (!want && state.loaded) {
    changed = true;
    steps.push(async () => {
      const res = await runText(ctx, shellJoin(['modprobe', '-r', '--', name]));
      if (res.rc !== 0) return { failed: true, msg: res.stderr, rc: res.rc, stdout: res.stdout, stderr: res.stderr };
    });
  }
  // Comments out matching lines, as community.general (which joins readlines() with "\n").
  const disable = (files: Map<string, string>, re: RegExp) => async () => {
    for (const [file, text] of files) {
      const rows = fileLines(text);
      if (!rows.some((l) => re.test(l))) continue;
      await writeFileAtomic(ctx, file, rows.map((l) => (re.test(l) ? `#${l}` : l)).join('\n'));
    }
  };
  if (persistent === 'present' && !(persistently && paramsSet)) {
    if (!persistently) {
      changed = true;
      steps.push(async () => { await writeFileAtomic(ctx, posix.join(MODULES_LOAD, `${name}.conf`), `${name}\n`, { mode: '0644', createParents: true }); });
    }
    if (!paramsSet) {
      changed = true;
      steps.push(disable(state.paramFiles, findParams));
      const content = `${[...params.split(/\s+/).filter(Boolean)].map((p) => `options ${name} ${p}`).join('\n')}\n`;
      steps.push(async () => { await writeFileAtomic(ctx, posix.join(PARAMETERS, `${name}.conf`), content, { mode: '0644', createParents: true }); });
    }
  } else if (persistent === 'absent' && (persistently || permanent.size > 0)) {
    changed = true;
    if (persistently) steps.push(disable(state.loadFiles, findModule));
    if (permanent.size > 0) steps.push(disable(state.paramFiles, findParams));
  }
  return {
    changed,
    result,
    apply: steps.length === 0 ? undefined : async () => {
      for (const step of steps) {
        const r = await step();
        if (r) return r;
      }
    },
  };
}

export const modprobe: Module<ModprobeArgs, ModprobeState> = {
  name: 'community.general.modprobe',
  aliases: ['modprobe'],
  schema: {
    type: 'object',
    additionalProperties: false,
    required: ['name'],
    properties: {
      name: { type: 'string', description: 'The kernel module' },
      state: { enum: ['present', 'absent'], description: 'Loaded or not' },
      params: { type: 'string', description: 'Module parameters (key=value words)' },
      persistent: { enum: ['disabled', 'present', 'absent'], description: 'Also in /etc/modules-load.d and /etc/modprobe.d' },
    },
  },
  doc: {
    description: 'Loads or unloads a kernel module (and makes it persistent) like community.general.modprobe: /proc/modules and modules.builtin say whether it is loaded; persistent edits /etc/modules-load.d/NAME.conf and /etc/modprobe.d/NAME.conf.',
    returns: { name: 'the module', params: 'its parameters', state: 'the state asked for' },
    example: '- community.general.modprobe:\n    name: 8021q\n    persistent: present\n',
  },
  read: (ctx, args) => readFact(ctx, modprobeFact, { name: args.name }),
  plan: planModprobe,
};

// ------------------------------------------------------------- alternatives

interface AlternativesArgs {
  name: string;
  path: string;
  link?: string;
  priority?: number | string;
  state?: 'present' | 'selected' | 'auto' | 'absent';
  subcommands?: Array<{ name: string; path: string; link: string }>;
  slaves?: Array<{ name: string; path: string; link: string }>;
}

export interface AlternativesState {
  found: boolean;
  mode?: string;
  currentPath?: string;
  currentLink?: string;
  alternatives: Map<string, { priority: number; subcommands: Array<{ name: string; path: string; link?: string }> }>;
  pathExists: boolean;
}

/** `update-alternatives --display NAME`, read as community.general reads it. */
export function parseAlternatives(out: string): Omit<AlternativesState, 'found' | 'pathExists'> {
  const state: Omit<AlternativesState, 'found' | 'pathExists'> = { alternatives: new Map() };
  const mode = /\s-\s(?:status\sis\s)?(\w*)(?:\smode|.)$/m.exec(out);
  if (!mode) return state;
  state.mode = mode[1];
  state.currentPath = /^\s*link currently points to (.*)$/m.exec(out)?.[1];
  state.currentLink = /^\s*link \w+ is (.*)$/m.exec(out)?.[1];
  const subLinks = new Map<string, string>();
  for (const m of out.matchAll(/^\s*(?:slave|follower) (\S+) is (.*)$/gm)) subLinks.set(m[1]!, m[2]!);
  for (const m of out.matchAll(/^(\/.*)\s-\s(?:family\s\S+\s)?priority\s(\d+)((?:\s+(?:slave|follower).*)*)/gm)) {
    const subcommands = [...m[3]!.matchAll(/^\s+(?:slave|follower) (.*): (.*)$/gm)]
      .filter((x) => x[2] !== '(null)')
      .map((x) => ({ name: x[1]!, path: x[2]!, link: subLinks.get(x[1]!) }));
    state.alternatives.set(m[1]!, { priority: Number(m[2]), subcommands });
  }
  return state;
}

const alternativesFact: Fact<{ name: string; path: string }, AlternativesState> = sectionsFact(
  'alternatives.state',
  ({ name, path }) => ({
    found: 'command -v update-alternatives >/dev/null 2>&1 && echo yes; true',
    display: `LC_ALL=C update-alternatives --display ${quote(name)} 2>/dev/null`,
    exists: `[ -e ${quote(path)} ] && echo yes; true`,
  }),
  (s) => ({
    found: s.found!.out.trim() === 'yes',
    pathExists: s.exists!.out.trim() === 'yes',
    ...(s.display!.rc === 0 ? parseAlternatives(s.display!.out) : { alternatives: new Map() }),
  }),
);

export function planAlternatives(ctx: ModuleContext, args: AlternativesArgs, state: AlternativesState): Plan {
  if (!state.found) return { changed: false, failed: true, msg: 'Failed to find required executable "update-alternatives" in paths: /usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' };
  const stateArg = args.state ?? 'selected';
  const subParam = args.subcommands ?? args.slaves;
  const current = state.alternatives.get(args.path);
  const priority = args.priority !== undefined ? Number(args.priority) : current?.priority ?? 50;
  const link = args.link ?? state.currentLink;
  const subcommands = subParam ?? (current?.subcommands.length ? current.subcommands : undefined);
  const commands: string[] = [];
  const messages: string[] = [];
  const before: Record<string, unknown> = current
    ? { state: state.mode === 'manual' && state.currentPath !== args.path ? 'selected' : 'present', path: args.path, priority: current.priority, link: state.currentLink, ...(current.subcommands.length ? { subcommands: current.subcommands } : {}) }
    : { state: 'absent' };
  const after: Record<string, unknown> = {};
  if (stateArg !== 'absent') {
    const sameSubs = (x: Array<{ name: string; path: string; link?: string }>, y: Array<{ name: string; path: string; link?: string }>) =>
      x.every((s) => y.some((t) => t.name === s.name && t.path === s.path && t.link === s.link));
    const needsInstall = !current || (args.priority !== undefined && current.priority !== Number(args.priority))
      || (subParam !== undefined && !(sameSubs(current.subcommands, subParam) && sameSubs(subParam, current.subcommands)));
    if (needsInstall) {
      if (!state.pathExists) return { changed: false, failed: true, msg: `Specified path ${args.path} does not exist` };
      if (!link) return { changed: false, failed: true, msg: 'Needed to install the alternative, but unable to do so as we are missing the link' };
      const words = ['update-alternatives', '--install', link, args.name, args.path, String(priority)];
      for (const s of subParam !== undefined ? subcommands ?? [] : []) words.push('--slave', s.link ?? '', s.name, s.path);
      commands.push(shellJoin(words));
      messages.push(`Install alternative '${args.path}' for '${args.name}'.`);
      Object.assign(after, { state: 'present', path: args.path, priority, link, ...(subcommands ? { subcommands } : {}) });
    }
    if (stateArg === 'selected' && state.currentPath !== args.path) {
      commands.push(shellJoin(['update-alternatives', '--set', args.name, args.path]));
      messages.push(`Set alternative '${args.path}' for '${args.name}'.`);
      after.state = 'selected';
    }
    if (stateArg === 'auto' && state.mode === 'manual') {
      commands.push(shellJoin(['update-alternatives', '--auto', args.name]));
      messages.push(`Set alternative to auto for '${args.name}'.`);
      after.state = 'present';
    }
  } else if (current) {
    commands.push(shellJoin(['update-alternatives', '--remove', args.name, args.path]));
    messages.push(`Remove alternative '${args.path}' from '${args.name}'.`);
    after.state = 'absent';
  }
  const changed = commands.length > 0;
  return {
    changed,
    result: { msg: messages.join(' '), diff: { before, after } },
    apply: changed ? async () => {
      for (const command of commands) {
        const res = await runText(ctx, `LC_ALL=C ${command}`);
        if (res.rc !== 0) return { failed: true, msg: res.stderr.trim(), rc: res.rc, cmd: command };
      }
    } : undefined,
  };
}

export const alternatives: Module<AlternativesArgs, AlternativesState> = {
  name: 'community.general.alternatives',
  aliases: ['alternatives'],
  schema: {
    type: 'object',
    additionalProperties: false,
    required: ['name', 'path'],
    properties: {
      name: { type: 'string', description: 'The generic name (e.g. editor)' },
      path: { type: 'string', description: 'The alternative\'s real path' },
      link: { type: 'string', description: 'The generic link (needed to install a new one)' },
      priority: { type: ['integer', 'string'], description: 'Its priority (default 50)' },
      state: { enum: ['present', 'selected', 'auto', 'absent'], description: 'default selected' },
      subcommands: { type: 'array', items: { type: 'object', required: ['name', 'path', 'link'], properties: { name: { type: 'string' }, path: { type: 'string' }, link: { type: 'string' } } } },
      slaves: { type: 'array', items: { type: 'object', required: ['name', 'path', 'link'], properties: { name: { type: 'string' }, path: { type: 'string' }, link: { type: 'string' } } } },
    },
  },
  doc: {
    description: 'Manages one alternative with update-alternatives like community.general.alternatives: install (with priority and subcommands), select, auto, remove. The current state is read from `update-alternatives --display`.',
    returns: { msg: 'what was done', diff: 'before/after state of the alternative' },
    example: '- community.general.alternatives:\n    name: editor\n    path: /usr/bin/vim.basic\n',
  },
  read: (ctx, args) => readFact(ctx, alternativesFact, { name: args.name, path: args.path }),
  plan: planAlternatives,
};

// ------------------------------------------------------------- timezone

interface TimezoneArgs {
  name?: string;
  hwclock?: 'local' | 'UTC';
  rtc?: 'local' | 'UTC';
}

export interface TimezoneState {
  systemd: boolean;
  /** timedatectl status output (systemd). */
  status: string;
  timezoneFile: string;
  localtimeLink?: string;
  adjtime: string;
  /** The zone file for `name` exists. */
  zoneExists: boolean;
}

const timezoneFact: Fact<{ name?: string }, TimezoneState> = sectionsFact(
  'timezone.state',
  ({ name }) => ({
    status: 'if command -v timedatectl >/dev/null 2>&1 && LC_ALL=C timedatectl >/dev/null 2>&1; then echo systemd; LC_ALL=C timedatectl status; fi; true',
    tzfile: 'cat /etc/timezone 2>/dev/null; true',
    link: 'readlink /etc/localtime 2>/dev/null; true',
    adjtime: 'cat /etc/adjtime 2>/dev/null; true',
    zone: name !== undefined ? `[ -f ${quote(posix.join('/usr/share/zoneinfo', name))} ] && echo yes; true` : 'echo yes',
  }),
  (s) => {
    const status = s.status!.out;
    return {
      systemd: status.startsWith('systemd\n'),
      status: status.replace(/^systemd\n/, ''),
      timezoneFile: s.tzfile!.out,
      localtimeLink: s.link!.out.trim() || undefined,
      adjtime: s.adjtime!.out,
      zoneExists: s.zone!.out.trim() === 'yes',
    };
  },
);

export function currentTimezone(state: TimezoneState): { name: string; hwclock: string } {
  if (state.systemd) {
    const name = /^\s*Time ?zone\s*:\s*(\S+)/m.exec(state.status)?.[1] ?? 'n/a';
    const rtc = /^\s*RTC in local TZ\s*:\s*(\S+)/m.exec(state.status)?.[1] ?? 'no';
    return { name, hwclock: toBool(rtc, false) ? 'local' : 'UTC' };
  }
  const fileName = /^(\S+)/m.exec(state.timezoneFile)?.[1];
  const linked = state.localtimeLink ? /(?:\/(?:usr\/share|etc)\/zoneinfo\/)(.*)/.exec(state.localtimeLink)?.[1] : undefined;
  const name = fileName !== undefined && (linked === undefined || linked === fileName) ? fileName : linked ?? fileName ?? 'n/a';
  const adj = /^(UTC|LOCAL)$/m.exec(state.adjtime)?.[1] ?? 'UTC';
  return { name, hwclock: adj === 'UTC' ? 'UTC' : 'local' };
}

export function planTimezone(ctx: ModuleContext, args: TimezoneArgs, state: TimezoneState): Plan {
  const hwclock = args.hwclock ?? args.rtc;
  if (args.name === undefined && hwclock === undefined) return { changed: false, failed: true, msg: 'one of the following is required: hwclock, name' };
  if (args.name !== undefined && !state.zoneExists) return { changed: false, failed: true, msg: `given timezone "${args.name}" is not available` };
  const now = currentTimezone(state);
  const before: Record<string, string> = {};
  const after: Record<string, string> = {};
  const commands: Array<string | { file: string; content: string }> = [];
  const msg: string[] = [];
  if (args.name !== undefined) {
    before.name = now.name;
    after.name = args.name;
    if (now.name !== args.name) {
      if (state.systemd) commands.push(shellJoin(['timedatectl', 'set-timezone', args.name]));
      else {
        commands.push({ file: '/etc/timezone', content: `${args.name}\n` });
        commands.push(`ln -sf ${quote(posix.join('/usr/share/zoneinfo', args.name))} /etc/localtime && dpkg-reconfigure --frontend noninteractive tzdata`);
        msg.push('Added 1 line and deleted 1 line(s) on /etc/timezone');
      }
    }
  }
  if (hwclock !== undefined) {
    before.hwclock = now.hwclock;
    after.hwclock = hwclock;
    if (now.hwclock !== hwclock) {
      commands.push(state.systemd ? shellJoin(['timedatectl', 'set-local-rtc', hwclock === 'local' ? 'yes' : 'no']) : `hwclock --systohc ${hwclock === 'local' ? '--localtime' : '--utc'}`);
    }
  }
  const changed = JSON.stringify(before) !== JSON.stringify(after);
  return {
    changed,
    result: { diff: { before, after }, ...(msg.length ? { msg: msg.join('\n') } : {}) },
    apply: commands.length === 0 ? undefined : async () => {
      for (const c of commands) {
        if (typeof c !== 'string') {
          await writeFileAtomic(ctx, c.file, c.content, { mode: '0644' });
          continue;
        }
        const res = await runText(ctx, c);
        if (res.rc !== 0) return { failed: true, msg: `${c.split(' ')[0]} failed: ${res.stderr.trim() || res.stdout.trim()}` };
      }
    },
  };
}

export const timezone: Module<TimezoneArgs, TimezoneState> = {
  name: 'community.general.timezone',
  aliases: ['timezone'],
  schema: {
    type: 'object',
    additionalProperties: false,
    properties: {
      name: { type: 'string', description: 'The zone, e.g. Asia/Tokyo' },
      hwclock: { enum: ['local', 'UTC'], description: 'The hardware clock keeps local time or UTC' },
      rtc: { enum: ['local', 'UTC'], description: 'Alias of hwclock' },
    },
  },
  doc: {
    description:
      'Sets the time zone (and the hardware clock\'s) like community.general.timezone: timedatectl set-timezone/set-local-rtc ' +
      'when timedatectl works, else /etc/timezone, the /etc/localtime link and dpkg-reconfigure tzdata (Debian without systemd).',
    returns: { diff: 'before/after of name and hwclock', msg: 'what was edited' },
    example: '- community.general.timezone:\n    name: Asia/Tokyo\n',
  },
  read: (ctx, args) => readFact(ctx, timezoneFact, args.name !== undefined ? { name: args.name } : {}),
  plan: planTimezone,
};

