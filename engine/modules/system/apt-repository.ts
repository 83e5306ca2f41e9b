/**
 * apt_repository: a one-line apt source in sources.list or a
 * sources.list.d/*.list file, as Ansible's apt_repository: every list file
 * is read and parsed the way its SourcesList does (disabled `# deb ...` lines
 * and comments kept), the change is applied to that model, and when the
 * normalised files differ every file is written back as Ansible writes it
 * (a file left without sources is removed), then `apt-get update`.
 */
import { posix } from 'node:path';
import { quote } from '../../connection/quote.js';
import { readFact } from '../../facts/index.js';
import type { Fact } from '../../facts/types.js';
import { resolveMode, writeFileAtomic } from '../lib/fileops.js';
import { boolSchema, toBool } from '../lib/args.js';
import type { FileDiff, Module, ModuleContext, Plan } from '../types.js';
import { runText } from './util.js';

export interface AptRepositoryArgs {
  repo: string;
  state?: 'present' | 'absent';
  mode?: string | number;
  update_cache?: unknown;
  'update-cache'?: unknown;
  update_cache_retries?: number | string;
  update_cache_retry_max_delay?: number | string;
  filename?: string;
  install_python_apt?: unknown;
  validate_certs?: unknown;
  codename?: string;
}

const VALID_SOURCE_TYPES = ['deb', 'deb-src'];

interface SourceLine {
  n: number;
  valid: boolean;
  enabled: boolean;
  source: string;
  comment: string;
}

export interface SourcesState {
  /** Dir::Etc::sourcelist and Dir::Etc::sourceparts, as apt-config resolves them. */
  defaultFile: string;
  partsDir: string;
  /** Each list file's text, in apt's order (the main file first, then the parts sorted). */
  files: Map<string, string>;
}

const MARK = '@@uxsv-sources@@';

const sourcesFact: Fact<void, SourcesState> = {
  name: 'apt.sources',
  command: () => [
    'L=/etc/apt/sources.list; D=/etc/apt/sources.list.d',
    'eval "$(apt-config shell L Dir::Etc::sourcelist/f D Dir::Etc::sourceparts/d 2>/dev/null)"',
    `printf '%s %s\\n' ${quote(`${MARK}L`)} "$L"; printf '%s %s\\n' ${quote(`${MARK}D`)} "$D"`,
    `for f in "$L" "\${D%/}"/*.list; do if [ -f "$f" ]; then printf '%s %s\\n' ${quote(`${MARK}F`)} "$f"; base64 -w0 < "$f"; echo; fi; done`,
  ].join('\n'),
  parse: (output) => {
    const files = new Map<string, string>();
    let defaultFile = '/etc/apt/sources.list';
    let partsDir = '/etc/apt/sources.list.d';
    let current: string | undefined;
    for (const line of output.stdout.toString('utf8').split('\n')) {
      if (line.startsWith(`${MARK}L `)) defaultFile = line.slice(MARK.length + 2);
      else if (line.startsWith(`${MARK}D `)) partsDir = line.slice(MARK.length + 2).replace(/\/$/, '');
      else if (line.startsWith(`${MARK}F `)) current = line.slice(MARK.length + 2);
      else if (current !== undefined) {
        files.set(current, Buffer.from(line.trim(), 'base64').toString('utf8'));
        current = undefined;
      }
    }
    return { defaultFile, partsDir, files };
  },
};

/** SourcesList._parse. */
export function parseSourceLine(raw: string): Omit<SourceLine, 'n'> {
  let line = raw.trim();
  let enabled = true;
  let comment = '';
  let valid = false;
  if (line.startsWith('#')) {
    enabled = false;
    line = line.slice(1);
  }
  const i = line.indexOf('#');
  if (i > 0) {
    comment = line.slice(i + 1).trim();
    line = line.slice(0, i);
  }
  let source = line.trim();
  if (source) {
    const chunks = source.split(/\s+/);
    if (VALID_SOURCE_TYPES.includes(chunks[0]!)) {
      valid = true;
      source = chunks.join(' ');
    }
  }
  return { valid, enabled, source, comment };
}

function parseFile(text: string): SourceLine[] {
  const rows = text.match(/[^\n]*\n|[^\n]+$/g) ?? [];
  return rows.map((row, n) => ({ n, ...parseSourceLine(row) }));
}

function renderLines(lines: SourceLine[]): string {
  return lines.map((l) => `${l.enabled ? '' : '# '}${l.source}${l.comment ? ` # ${l.comment}` : ''}\n`).join('');
}

/** SourcesList.dump: each file with sources, as it would be written. */
function dump(model: Map<string, SourceLine[]>): Map<string, string> {
  const out = new Map<string, string>();
  for (const [file, lines] of model) if (lines.length > 0) out.set(file, renderLines(lines));
  return out;
}

/** SourcesList._suggest_filename. */
export function suggestFilename(line: string, filename: string | undefined): string {
  if (filename !== undefined) return `${filename}.list`;
  let stripped = line.replace(/\[[^\]]+\]/g, '').replace(/\w+:\/\//g, '');
  const parts = stripped.split(/\s+/).filter((p) => p && !VALID_SOURCE_TYPES.includes(p));
  let first = parts[0] ?? '';
  if (first.includes('@')) first = first.split('@').slice(1).join('@');
  stripped = first.replace(/[^a-zA-Z0-9]/g, ' ').split(/\s+/).filter(Boolean).join('_');
  return `${stripped}.list`;
}

export interface RepositoryChange {
  error?: string;
  before: Map<string, string>;
  after: Map<string, string>;
  /** Files created by this change (they get `mode`). */
  created: Set<string>;
}

/** add_source / remove_source on the parsed files (pure). */
export function changeSources(args: AptRepositoryArgs, state: SourcesState): RepositoryChange {
  const model = new Map<string, SourceLine[]>();
  for (const [file, text] of state.files) model.set(file, parseFile(text));
  const before = dump(model);
  const created = new Set<string>();
  if (args.repo.startsWith('ppa:')) return { error: 'PPA repositories are for Ubuntu: not supported on the Debian hosts uxsv manages', before, after: before, created };
  const parsed = parseSourceLine(args.repo);
  if (!parsed.valid || !parsed.enabled) return { error: `Invalid repository string: ${args.repo.trim().replace(/^#/, '')}`, before, after: before, created };
  const source = parsed.source;
  if ((args.state ?? 'present') === 'present') {
    let found = false;
    for (const lines of model.values()) {
      for (const l of lines) {
        if (l.valid && l.source === source) {
          l.enabled = true;
          found = true;
        }
      }
    }
    if (!found) {
      const name = suggestFilename(source, args.filename);
      const file = name.includes('/') ? name : posix.resolve(state.partsDir, name);
      if (!model.has(file)) {
        model.set(file, []);
        created.add(file);
      }
      const lines = model.get(file)!;
      lines.push({ n: lines.length, valid: true, enabled: true, source, comment: '' });
    }
  } else {
    for (const [file, lines] of model) model.set(file, lines.filter((l) => !(l.valid && l.enabled && l.source === source)));
  }
  return { before, after: dump(model), created };
}

function sameMaps(a: Map<string, string>, b: Map<string, string>): boolean {
  return a.size === b.size && [...a].every(([k, v]) => b.get(k) === v);
}

export function planAptRepository(ctx: ModuleContext, args: AptRepositoryArgs, state: SourcesState): Plan {
  if (!args.repo) return { changed: false, failed: true, msg: 'Please set argument \'repo\' to a non-empty value' };
  const change = changeSources(args, state);
  if (change.error) return { changed: false, failed: true, msg: change.error };
  const result = { repo: args.repo, state: args.state ?? 'present' };
  if (sameMaps(change.before, change.after)) return { changed: false, result };
  const files = new Set([...change.before.keys(), ...change.after.keys()]);
  const diff: FileDiff[] = [...files].map((f) => ({
    before: change.before.get(f) ?? '',
    after: change.after.get(f) ?? '',
    before_header: change.before.has(f) ? f : '/dev/null',
    after_header: change.after.has(f) ? f : '/dev/null',
  }));
  const updateCache = toBool(args.update_cache ?? args['update-cache'], true);
  const mode = resolveMode(args.mode ?? '0644', undefined, false);
  return {
    changed: true,
    result,
    diff,
    apply: async () => {
      await writeSources(ctx, state.files, change.after, change.created, mode);
      if (!updateCache) return;
      const retries = Number(args.update_cache_retries ?? 5);
      const maxDelay = Number(args.update_cache_retry_max_delay ?? 12);
      const jitter = Math.random();
      let err = '';
      for (let attempt = 0; attempt < Math.max(1, retries); attempt++) {
        const res = await runText(ctx, 'apt-get update -q', { env: { LANG: 'C', LC_ALL: 'C', DEBIAN_FRONTEND: 'noninteractive' } });
        if (res.rc === 0) return;
        err = (res.stderr || res.stdout).trim();
        if (attempt + 1 < retries) await new Promise((r) => setTimeout(r, Math.min(2 ** attempt + jitter, maxDelay + jitter) * 1000));
      }
      // As Ansible: the files go back as they were before failing.
      await writeSources(ctx, change.after, state.files, new Set(), mode);
      return { failed: true, msg: `Failed to update apt cache: ${err || 'unknown reason'}` };
    },
  };
}

/** Brings the list files from `current` (what is on disk) to `target`: changed files written, files not in target removed. */
async function writeSources(ctx: ModuleContext, current: Map<string, string>, target: Map<string, string>, created: Set<string>, mode: string | undefined): Promise<void> {
  for (const [file, text] of target) {
    if (current.get(file) === text) continue;
    await writeFileAtomic(ctx, file, text, created.has(file) || !current.has(file) ? { mode: mode ?? '0644', createParents: true } : {});
  }
  for (const file of current.keys()) {
    if (!target.has(file)) await runText(ctx, `rm -f -- ${quote(file)}`);
  }
}

export const aptRepository: Module<AptRepositoryArgs, SourcesState> = {
  name: 'apt_repository',
  schema: {
    type: 'object',
    additionalProperties: false,
    required: ['repo'],
    properties: {
      repo: { type: 'string', description: 'A sources.list line: "deb [options] URI suite components"' },
      state: { enum: ['present', 'absent'] },
      mode: { type: ['string', 'integer'], description: 'Mode of a new list file (default 0644)' },
      update_cache: { ...boolSchema, description: 'apt-get update after a change (default true)' },
      'update-cache': boolSchema,
      update_cache_retries: { type: ['integer', 'string'] },
      update_cache_retry_max_delay: { type: ['integer', 'string'] },
      filename: { type: 'string', description: 'The list file in sources.list.d (without .list); default from the URI' },
      install_python_apt: { ...boolSchema, description: 'Accepted; nothing is installed' },
      validate_certs: boolSchema,
      codename: { type: 'string', description: 'For PPAs (Ubuntu); accepted' },
    },
  },
  doc: {
    description:
      'Adds, enables or removes a one-line apt source like Ansible\'s apt_repository: an existing (even commented-out) ' +
      'matching line is enabled, a new one goes to sources.list.d/NAME.list (NAME from filename or the URI); absent removes ' +
      'the enabled matching lines and a file left empty. Files are normalised as Ansible writes them. PPAs are not supported.',
    returns: { repo: 'the line', state: 'present or absent', diff: 'per changed file, before/after' },
    example: '- name: Local mirror\n  apt_repository:\n    repo: deb [trusted=yes] http://198.51.100.1/debian bookworm main\n    filename: local-mirror\n',
  },
  read: (ctx) => readFact(ctx, sourcesFact, undefined),
  plan: planAptRepository,
};
