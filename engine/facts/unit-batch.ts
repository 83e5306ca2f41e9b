/**
 * The program behind the `systemd.unit` fact: the state of any number of
 * units (from any number of tasks) in one command that starts few processes.
 * On a systemd host: one `systemctl show` and one `systemctl is-enabled`
 * per scope for all its units, and nothing else; the init script, its rc?.d
 * links, the chroot test are shell builtins. A shared is-enabled is trusted
 * only when it wrote nothing on standard error: with several names it stops
 * at the first unknown one, and answers an init script without a unit of its
 * own first, through systemd-sysv-install, saying so on standard error. Then
 * every unit of the scope gets an is-enabled of its own. Without systemd, `service
 * NAME status` per unit that has an init script; `ps auxww` once when a query
 * has a pattern.
 *
 * `systemctl show A B C` prints one block per name, in order, separated by an
 * empty line — for names it takes as they are. A glob expands to any number
 * of blocks (after the others), and a name it refuses ends the command
 * there: such names (see plainUnitName) get a `systemctl show` of their own,
 * and when the shared one fails anyway its names are shown one by one. The
 * parser checks that the shared show gave exactly one block per name and
 * refuses the output otherwise: no unit gets another's properties.
 *
 * Wire format: records `\0<nonce> <kind> <args>\0`, each followed by the
 * output of what it announces. The nonce (`x` and 16 hex digits) is random
 * per command and comes first (`\0uxsv-units <nonce>\0`): an init script's
 * status output is the host's, and can hold anything but the nonce. Unit
 * names travel as hex.
 *
 *   init systemd|sysv, offline, end
 *   show <scope> <hex>[,<hex>...]   systemctl show's stdout; on stderr the same record precedes its stderr, `-` ends it
 *   enabled <scope> <hex>           systemctl is-enabled -l
 *   enabled-all <scope> <hex>,...   systemctl is-enabled -l of them all (a state line, then its links indented)
 *   script|S|K <hex>                the init script, an S link, a K link (hex of the init script's name)
 *   status <hex>                    service NAME status (no systemd)
 *   ps                              ps auxww
 *   rc <code>                       the exit code of what the record before announced
 */
import { randomBytes } from 'node:crypto';
import { quote } from '../connection/quote.js';
import { lines as outputLines } from './sections.js';
import type { FactOutput } from './types.js';
import type { Scope, UnitParams, UnitState } from './systemd.js';
import { fromHex, hexOf } from './wire.js';

/** systemctl show's Key=Value lines; Exec* values spanning lines (`{ ... }`) are joined, as Ansible does. */
export function parseSystemctlShow(out: string): Record<string, string> {
  const parsed: Record<string, string> = {};
  let key: string | undefined;
  let multi: string[] = [];
  for (const line of out.split('\n')) {
    if (key === undefined) {
      const eq = line.indexOf('=');
      if (eq < 0) continue;
      const k = line.slice(0, eq);
      const v = line.slice(eq + 1);
      if (opensMultiLine(k, v)) {
        key = k;
        multi = [v];
        continue;
      }
      parsed[k] = v.trim();
    } else {
      multi.push(line);
      if (line.trimEnd().endsWith('}')) {
        parsed[key] = multi.join('\n').trim();
        key = undefined;
      }
    }
  }
  return parsed;
}

const opensMultiLine = (key: string, value: string): boolean => key.startsWith('Exec') && value.trimStart().startsWith('{') && !value.trimEnd().endsWith('}');

/**
 * The blocks of a `systemctl show` of several units: an empty line ends one,
 * unless it is inside a value spanning lines (read as parseSystemctlShow does).
 */
export function splitShowBlocks(out: string): string[] {
  const blocks: string[] = [];
  let block: string[] = [];
  let inValue = false;
  for (const line of out.split('\n')) {
    if (inValue) {
      block.push(line);
      if (line.trimEnd().endsWith('}')) inValue = false;
    } else if (line === '') {
      if (block.length > 0) blocks.push(block.join('\n'));
      block = [];
    } else {
      block.push(line);
      const eq = line.indexOf('=');
      inValue = eq >= 0 && opensMultiLine(line.slice(0, eq), line.slice(eq + 1));
    }
  }
  if (block.length > 0) blocks.push(block.join('\n'));
  return blocks;
}

/** The init script name of a unit: `cron.service` → `cron`. */
export function sysvName(unit: string): string {
  return unit.replace(/\.service$/, '');
}

export function systemctlPrefix(scope: Scope | undefined): string {
  return scope === 'user' ? 'systemctl --user' : scope === 'global' ? 'systemctl --global' : 'systemctl';
}

const HEADER = 'uxsv-units';
const NONCE = /^x[0-9a-f]{16}$/;
const scopeWord = (scope: Scope | undefined): Scope => (scope === 'user' || scope === 'global' ? scope : 'system');

/** Unit types a template instance (`name@instance.type`) may have; systemctl refuses the others (`x@y.mount`). */
const INSTANCE_TYPES = /\.(service|socket|timer|path|target)$/;
const UNIT_CHARS = /^[A-Za-z0-9:_.\\-]+$/;

/**
 * A name systemctl shows as one block, whatever the other names: systemd's
 * own characters (no glob, space, slash or byte it would escape or expand),
 * short enough with `.service` added, and an instance only where systemctl
 * takes one. Anything else is shown alone.
 */
export function plainUnitName(name: string): boolean {
  if (name.length === 0 || name.length > 200) return false;
  const [prefix, instance, ...more] = name.split('@');
  if (more.length > 0 || !UNIT_CHARS.test(prefix!)) return false;
  if (instance === undefined) return true;
  return prefix !== '' && UNIT_CHARS.test(instance) && !instance.startsWith('.') && (INSTANCE_TYPES.test(name) || !instance.includes('.'));
}

/** The queries a params object stands for (a merged one stands for many). */
export function unitQueries(params: UnitParams): UnitParams[] {
  return params.batch ?? [params];
}

/** The words a program writes: its records, and the exit code of what a record announced. */
interface Writer {
  record(text: string): string;
  rc: string;
}

interface Unit {
  scope: Scope;
  unit: string;
}

/**
 * The shell program answering every query. Everything but the records' own
 * words is quoted; it sets no variable (only the positional parameters), so
 * it may run in the shell itself (Fact.inline).
 */
export function unitProgram(queries: readonly UnitParams[], nonce: string = `x${randomBytes(8).toString('hex')}`): string {
  // A letter first: after printf's `\000` a digit could read as part of the escape.
  if (!NONCE.test(nonce)) throw new Error(`not a nonce: ${nonce}`);
  const w: Writer = { record: (text) => `printf '\\000${nonce} ${text}\\000'`, rc: `printf '\\000${nonce} rc %s\\000' "$?"` };
  const units = new Map<string, Unit>();
  for (const q of queries) {
    if (q.unit !== undefined) units.set(`${scopeWord(q.scope)} ${q.unit}`, { scope: scopeWord(q.scope), unit: q.unit });
  }
  const lines = [`printf '\\000${HEADER} ${nonce}\\000'`];
  if (units.size === 0) {
    lines.push(`if [ -d /run/systemd/system ]; then ${w.record('init systemd')}; else ${w.record('init sysv')}; fi`, w.record('end'));
    return lines.join('\n');
  }
  const scripts = [...new Set([...units.values()].map((u) => sysvName(u.unit)))];
  lines.push('if [ -d /run/systemd/system ]; then', `  ${w.record('init systemd')}`, ...systemdReads([...units.values()], w).map((l) => `  ${l}`),
    'else', `  ${w.record('init sysv')}`, ...scripts.map((name) => `  ${statusRead(name, w)}`), 'fi');
  for (const name of scripts) lines.push(...initScriptReads(name, w));
  // A chroot (/ is not PID 1's root), or SYSTEMD_OFFLINE=1: systemctl cannot tell the running state.
  lines.push(`if [ "\${SYSTEMD_OFFLINE:-}" = 1 ] || [ -n "\${debian_chroot:-}" ] || { [ -e /proc/1/root/. ] && ! [ / -ef /proc/1/root/. ]; }; then ${w.record('offline')}; fi`);
  if (queries.some((q) => q.unit !== undefined && q.pattern !== undefined)) lines.push(`${w.record('ps')}; LC_ALL=C ps auxww; ${w.rc}`);
  lines.push(w.record('end'));
  return lines.join('\n');
}

/** Per scope: one show for the plain names (each alone if it fails), one for each other name; one is-enabled for all (each alone if it wrote on standard error). */
function systemdReads(units: Unit[], w: Writer): string[] {
  const lines: string[] = [];
  for (const scope of new Set(units.map((u) => u.scope))) {
    const names = units.filter((u) => u.scope === scope).map((u) => u.unit);
    const systemctl = `LC_ALL=C ${systemctlPrefix(scope)}`;
    const show = (list: string[]) => {
      const tag = w.record(`show ${scope} ${list.map(hexOf).join(',')}`);
      return { open: `${tag}; ${tag} >&2`, command: `${systemctl} show -- ${list.map(quote).join(' ')}`, close: `${w.rc}; ${w.record('-')} >&2` };
    };
    const alone = (unit: string) => {
      const s = show([unit]);
      return `${s.open}; ${s.command}; ${s.close}`;
    };
    const plain = names.filter(plainUnitName);
    if (plain.length > 1) {
      // A shared show that fails (a name refused after all, no bus) leaves its answers to one show per name.
      const s = show(plain);
      lines.push(`${s.open}; if ${s.command}; then ${s.close}; else ${s.close}`, ...plain.map((u) => `  ${alone(u)}`), 'fi');
    }
    for (const unit of names.filter((u) => plain.length <= 1 || !plainUnitName(u))) lines.push(alone(unit));
    const enabledAlone = names.map((unit) => `${w.record(`enabled ${scope} ${hexOf(unit)}`)}; ${systemctl} is-enabled -l -- ${quote(unit)} 2>/dev/null; ${w.rc}`);
    if (names.length === 1) lines.push(...enabledAlone);
    else {
      // Its standard error in $1 (its output goes on through fd 3); any word there and each unit is asked alone.
      lines.push(`${w.record(`enabled-all ${scope} ${names.map(hexOf).join(',')}`)}; { set -- "$(${systemctl} is-enabled -l -- ${names.map(quote).join(' ')} 2>&1 >&3 3>&-)"; } 3>&1`,
        'if [ -n "$1" ]; then', ...enabledAlone.map((l) => `  ${l}`), 'fi');
    }
  }
  return lines;
}

/** Without systemd the state is what `service NAME status` says (its rc and words, as Ansible reads them). */
function statusRead(name: string, w: Writer): string {
  const script = quote(`/etc/init.d/${name}`);
  return `if [ -f ${script} ]; then ${w.record(`status ${hexOf(name)}`)}; ` +
    `if command -v service >/dev/null 2>&1; then LC_ALL=C service ${quote(name)} status 2>/dev/null; else LC_ALL=C ${script} status 2>/dev/null; fi; ${w.rc}; fi`;
}

/** The init script and its links, with builtins only. */
function initScriptReads(name: string, w: Writer): string[] {
  const hex = hexOf(name);
  const lines = [`if [ -f ${quote(`/etc/init.d/${name}`)} ]; then ${w.record(`script ${hex}`)}; fi`];
  // Any S (or K) link in any runlevel folder, as Ansible's sysv_is_enabled: a glob that matches nothing stays as written.
  for (const kind of ['S', 'K']) {
    lines.push(`set -- /etc/rc?.d/${kind}??${quote(name)}; if [ -e "$1" ] || [ -L "$1" ]; then ${w.record(`${kind} ${hex}`)}; fi`);
  }
  return lines;
}

interface Answer {
  out: string;
  rc?: number;
}

interface ShowRecord extends Answer {
  scope: string;
  /** The units shown, as hex, in the order given to systemctl. */
  units: string[];
  err: string;
  blocks?: string[];
}

/** The output of unitProgram, indexed. */
export interface UnitOutputIndex {
  init?: 'systemd' | 'sysv';
  offline: boolean;
  shows: ShowRecord[];
  /** By `<scope> <hex>`. */
  enabled: Map<string, Answer>;
  /** Why a unit's is-enabled cannot be read from a shared one, by `<scope> <hex>`. */
  enabledProblems: Map<string, string>;
  /** `script <hex>`, `S <hex>`, `K <hex>`. */
  flags: Set<string>;
  status: Map<string, Answer>;
  ps?: Answer;
  complete: boolean;
}

/** The records of a stream, each with the output that follows it. */
function records(stream: string, nonce: string): Array<{ words: string[]; data: string }> {
  const marker = `\0${nonce} `;
  const found: Array<{ words: string[]; data: string }> = [];
  let at = stream.indexOf(marker);
  while (at !== -1) {
    const end = stream.indexOf('\0', at + marker.length);
    if (end === -1) break;
    const next = stream.indexOf(marker, end + 1);
    found.push({ words: stream.slice(at + marker.length, end).split(' '), data: stream.slice(end + 1, next === -1 ? undefined : next) });
    at = next;
  }
  return found;
}

const indexes = new WeakMap<Buffer, UnitOutputIndex>();

/** Reads the output once; every query answered from the same output (a shared batch) reuses it. Undefined without the header. */
export function indexUnitOutput(output: FactOutput): UnitOutputIndex | undefined {
  const known = indexes.get(output.stdout);
  if (known) return known;
  const stdout = output.stdout.toString('utf8');
  const header = new RegExp(`\\0${HEADER} (x[0-9a-f]{16})\\0`).exec(stdout);
  if (!header) return undefined;
  const nonce = header[1]!;
  const index: UnitOutputIndex = { offline: false, shows: [], enabled: new Map(), enabledProblems: new Map(), flags: new Set(), status: new Map(), complete: false };
  const shared: Array<{ scope: string; units: string[]; out: string }> = [];
  // The record whose exit code comes next.
  let awaiting: Answer | undefined;
  for (const { words, data } of records(stdout, nonce)) {
    const [kind, a = '', b = ''] = words;
    if (kind === 'rc') {
      if (awaiting && /^\d{1,3}$/.test(a)) awaiting.rc = Number(a);
      awaiting = undefined;
      continue;
    }
    awaiting = undefined;
    if (kind === 'init' && (a === 'systemd' || a === 'sysv')) index.init = a;
    else if (kind === 'offline') index.offline = true;
    else if (kind === 'end') index.complete = true;
    else if (kind === 'show') {
      const show: ShowRecord = { scope: a, units: b.split(','), out: data, err: '' };
      index.shows.push(show);
      awaiting = show;
    } else if (kind === 'enabled') index.enabled.set(`${a} ${b}`, (awaiting = { out: data }));
    else if (kind === 'enabled-all') shared.push({ scope: a, units: b.split(','), out: data });
    else if (kind === 'status') index.status.set(a, (awaiting = { out: data }));
    else if (kind === 'ps') index.ps = awaiting = { out: data };
    else if (kind === 'script' || kind === 'S' || kind === 'K') index.flags.add(`${kind} ${a}`);
  }
  // Each show's error output, found by the same record on stderr.
  for (const { words, data } of records(output.stderr, nonce)) {
    if (words[0] !== 'show') continue;
    const show = index.shows.find((s) => s.scope === words[1] && s.units.join(',') === words[2] && s.err === '');
    if (show) show.err = data;
  }
  for (const batch of shared) sharedIsEnabled(index, batch);
  indexes.set(output.stdout, index);
  return index;
}

/** The states for which is-enabled exits 0 (systemd's verb_is_enabled); a unit's own exit code is read from its state. */
const ENABLED_STATES = new Set(['enabled', 'enabled-runtime', 'static', 'alias', 'indirect', 'generated']);

/**
 * Each unit's answer from a shared is-enabled, unless the units were asked
 * alone (it wrote on standard error). Its output is one block per unit: a
 * state line, then the unit's links, indented.
 */
function sharedIsEnabled(index: UnitOutputIndex, batch: { scope: string; units: string[]; out: string }): void {
  const keys = batch.units.map((hex) => `${batch.scope} ${hex}`);
  if (keys.some((key) => index.enabled.has(key))) return;
  const blocks: string[][] = [];
  for (const line of batch.out.split('\n')) {
    if (line === '') continue;
    if (/^\s/.test(line) && blocks.length > 0) blocks.at(-1)!.push(line);
    else blocks.push([line]);
  }
  const states = blocks.map((b) => b[0]!);
  if (blocks.length !== keys.length || states.some((state) => !/^[a-z][a-z-]*$/.test(state))) {
    const problem = notOnePerUnit(batch.units, 'is-enabled', blocks.length);
    for (const key of keys) index.enabledProblems.set(key, problem);
    return;
  }
  keys.forEach((key, i) => index.enabled.set(key, { out: `${blocks[i]!.join('\n')}\n`, rc: ENABLED_STATES.has(states[i]!) ? 0 : 1 }));
}

/** systemctl ignored the request (offline, in a chroot): what it printed says nothing of the unit. */
const ignored = (text: string): boolean => !text.includes('=') && (text.includes('ignoring request') || text.includes('ignoring command'));

const unitList = (hexes: string[]): string => hexes.map((h) => JSON.stringify(fromHex(h))).join(', ');

/** A shared systemctl whose answers are not one per unit: none can be given to any unit. */
const notOnePerUnit = (hexes: string[], verb: string, answers: number): string =>
  `cannot read units ${unitList(hexes)}: systemctl ${verb} gave ${answers} answers for ${hexes.length} units, so none can be told apart`;

/** One unit's `systemctl show`: its own, or its block of a shared one (whose blocks must be one per unit). */
function shown(index: UnitOutputIndex, scope: Scope, unit: string): { status: Record<string, string>; ignored: boolean; rc?: number } {
  const hex = hexOf(unit);
  const own = index.shows.find((s) => s.scope === scope && s.units.length === 1 && s.units[0] === hex);
  const show = own ?? index.shows.find((s) => s.scope === scope && s.units.includes(hex));
  if (!show) throw new Error(`cannot read unit ${JSON.stringify(unit)}: the output holds no systemctl show for it`);
  const wasIgnored = ignored(show.out) || ignored(show.err);
  if (wasIgnored) return { status: {}, ignored: true, rc: show.rc };
  if (own) return { status: parseSystemctlShow(own.out), ignored: false, rc: own.rc };
  show.blocks ??= splitShowBlocks(show.out);
  if (show.blocks.length !== show.units.length) {
    throw new Error(notOnePerUnit(show.units, 'show', show.blocks.length));
  }
  return { status: parseSystemctlShow(show.blocks[show.units.indexOf(hex)]!), ignored: false, rc: show.rc };
}

/** One query's state from the indexed output. */
export function unitStateFrom(index: UnitOutputIndex, query: UnitParams): UnitState {
  const init = index.init === 'systemd' ? 'systemd' : 'sysv';
  const { unit, pattern } = query;
  if (unit === undefined) return { init, status: {}, initScript: false, sysvEnabled: false, sysvKilled: false };
  const script = hexOf(sysvName(unit));
  const state: UnitState = {
    init, status: {}, initScript: index.flags.has(`script ${script}`), sysvEnabled: index.flags.has(`S ${script}`), sysvKilled: index.flags.has(`K ${script}`),
  };
  state.offline = index.offline;
  if (pattern !== undefined && index.ps) {
    state.patternRunning = outputLines(index.ps.out).some((line) => line.includes(pattern) && !line.includes('pattern='));
  }
  if (init === 'systemd') {
    const scope = scopeWord(query.scope);
    const show = shown(index, scope, unit);
    state.showIgnored = show.ignored;
    state.status = show.status;
    state.showRc = show.rc;
    const enabled = index.enabled.get(`${scope} ${hexOf(unit)}`);
    const problem = index.enabledProblems.get(`${scope} ${hexOf(unit)}`);
    if (!enabled && problem) throw new Error(problem);
    if (!enabled) throw new Error(`cannot read unit ${JSON.stringify(unit)}: the output holds no systemctl is-enabled for it`);
    state.isEnabledOut = enabled.out.trim();
    state.isEnabledRc = enabled.rc;
  } else if (state.initScript) {
    const status = index.status.get(script);
    if (!status) throw new Error(`cannot read unit ${JSON.stringify(unit)}: the output holds no status of its init script`);
    state.sysvStatus = { rc: status.rc ?? 1, out: status.out };
  }
  return state;
}
