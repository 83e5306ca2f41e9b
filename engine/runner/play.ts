/**
 * One play: its hosts (pattern, --limit, `order`), its batches (`serial`),
 * and for each batch the vars_files, whether to gather facts, the iterator
 * and the strategy that walks it.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { UserError } from '../errors.js';
import type { Inventory } from '../inventory/index.js';
import type { Play, Vars } from '../loader/model.js';
import { Templar, lazyVars } from '../template/index.js';
import { untag } from '../template/trust.js';
import { toBool } from '../values.js';
import { location } from './keywords.js';
import { reservedNames } from './reserved.js';
import { PlayRun, gatherTask } from './play-run.js';
import { runTask } from './strategy/base.js';
import type { RunState } from './run-state.js';
import { free } from './strategy/free.js';
import { linear, type StrategyResult } from './strategy/linear.js';

/** The play's outcome for the run: whether later plays still run. */
export interface PlayOutcome {
  /** Every host of a batch failed, or any_errors_fatal/max_fail_percentage stopped the play: the playbook stops. */
  stopPlaybook: boolean;
}

export async function runPlay(run: RunState, play: Play): Promise<PlayOutcome> {
  const pattern = playPattern(play, run.options.extraVars, run.inventory, run.templar);
  const name = playName(run, play);
  play = { ...play, name };
  const all = orderHosts(run.inventory.select(pattern, run.options.limit), playKeyword(run, play, 'order'));
  const playHostsAll = run.inventory.select(pattern);
  for (const term of run.inventory.unmatchedPatterns(pattern)) run.warn(`Could not match supplied host pattern, ignoring: ${term}`);
  const playLevel: Vars = { ...run.options.extraVars, ...play.vars };
  for (const role of play.roles) Object.assign(playLevel, role.defaults, role.vars);
  for (const name of reservedNames(playLevel)) run.warn(`Found variable using reserved name: ${name}`);
  run.emit({ type: 'play_start', name, hosts: all, check: run.options.check, strategy: String(play.keywords.strategy ?? 'linear') });
  if (!all.length) {
    run.emit({ type: 'no_hosts_matched', pattern });
    run.emit({ type: 'play_end', name });
    return { stopPlaybook: false };
  }
  let stopPlaybook = false;
  for (const batch of batches(run, play, all)) {
    const before = batch.filter((h) => run.host(h).failed || run.host(h).unreachable).length;
    const varsFiles = loadVarsFiles(run, play, batch);
    const gather = gatherFacts(run, play, batch[0]);
    const startAt = run.startAtPending !== undefined;
    const playRun = new PlayRun(run, play, playHostsAll.length ? playHostsAll : all, batch, varsFiles, gather && !startAt);
    // Hosts that failed earlier in the run sit this play out, as failed.
    for (const h of batch) if (run.host(h).failed) playRun.iterator.endHost(h);
    if (startAt && skipToStartAt(run, playRun) && gather) await runTask(playRun, gatherTask(play), batch.filter((h) => !run.host(h).failed), false);
    const strategy = strategyOf(run, play);
    const result: StrategyResult = strategy === 'free' ? await free(playRun) : await linear(playRun);
    for (const h of batch) if (playRun.iterator.isFailed(h)) run.host(h).failed = true;
    const failedNow = batch.filter((h) => run.host(h).failed || run.host(h).unreachable).length - before;
    if (result.breakPlay || (failedNow > 0 && failedNow === batch.length - before && before < batch.length)) {
      stopPlaybook = true;
      break;
    }
    if (playRun.iterator.endPlay || run.stopping()) break;
  }
  run.emit({ type: 'play_end', name });
  return { stopPlaybook };
}

/** `strategy:`, possibly a template of play vars and extra vars. */
function strategyOf(run: RunState, play: Play): string {
  const raw = play.keywords.strategy ?? run.options.defaultStrategy ?? 'linear';
  const vars = playLevelVars(run, play);
  const name = String(untag(run.templar.renderValue(raw, vars, `${location(play)} strategy`))).replace(/^ansible\.builtin\./, '');
  if (name === 'host_pinned') return 'free';
  if (name !== 'linear' && name !== 'free') throw new UserError(`Invalid play strategy specified: ${name}`, { file: play.origin.file, line: play.origin.line });
  return name;
}

/** `hosts:` may be a template of play vars and extra vars (Ansible renders it before any host is known). */
export function playPattern(play: Play, extraVars: Vars, inventory: Inventory, templar = new Templar()): string {
  if (!Templar.isTemplate(play.hosts)) return play.hosts;
  const vars = lazyVars({ ...play.vars, ...extraVars, groups: inventory.groupsVar() }, templar, location(play));
  const rendered = untag(templar.renderValue(play.hosts, vars, `${location(play)} hosts`));
  return Array.isArray(rendered) ? rendered.join(',') : String(rendered);
}

/** What a play's own keywords (name, order, serial, ...) are rendered with before any host is known: play vars and extra vars. */
function playLevelVars(run: RunState, play: Play): Vars {
  return lazyVars({ ...play.vars, ...run.options.extraVars }, run.templar, location(play));
}

/** A play keyword rendered with play vars and extra vars (`order: "{{ myorder }}"`), before any host is known. */
function playKeyword(run: RunState, play: Play, name: string): unknown {
  const value = play.keywords[name];
  if (typeof value !== 'string' || !Templar.isTemplate(value)) return value;
  return untag(run.templar.renderValue(value, playLevelVars(run, play), `${location(play)} ${name}`));
}

/** Play names may use play vars and extra vars, as in Ansible; a name that cannot be rendered stays as written. */
function playName(run: RunState, play: Play): string {
  if (!Templar.isTemplate(play.name)) return play.name;
  try {
    return String(untag(run.templar.render(play.name, playLevelVars(run, play), `${location(play)} name`)));
  } catch {
    return play.name;
  }
}

function orderHosts(hosts: string[], order: unknown): string[] {
  switch (String(order ?? 'inventory')) {
    case 'reverse_inventory':
      return [...hosts].reverse();
    case 'sorted':
      return [...hosts].sort();
    case 'reverse_sorted':
      return [...hosts].sort().reverse();
    case 'shuffle': {
      const out = [...hosts];
      for (let i = out.length - 1; i > 0; i--) {
        const j = Math.floor(Math.random() * (i + 1));
        [out[i], out[j]] = [out[j], out[i]];
      }
      return out;
    }
    default:
      return hosts;
  }
}

/** `serial`: numbers, percentages or a list of them (the last repeats), templated with play vars. */
function batches(run: RunState, play: Play, hosts: string[]): string[][] {
  if (play.serial === undefined || play.serial === null) return [hosts];
  const vars = playLevelVars(run, play);
  const rendered = untag(run.templar.renderValue(play.serial, vars, `${location(play)} serial`));
  const sizes = (Array.isArray(rendered) ? rendered : [rendered]).map((s) => {
    const str = String(s).trim();
    const n = str.endsWith('%') ? Math.floor((hosts.length * Number(str.slice(0, -1))) / 100) : Number(str);
    if (!Number.isFinite(n) || n < 0) throw new UserError(`serial must be a number or a percentage, got '${str}'`, { file: play.origin.file, line: play.origin.line });
    return n === 0 ? (str.endsWith('%') ? 1 : hosts.length) : n;
  });
  const out: string[][] = [];
  let i = 0;
  let k = 0;
  while (i < hosts.length) {
    const size = sizes[Math.min(k++, sizes.length - 1)];
    out.push(hosts.slice(i, i + size));
    i += size;
  }
  return out;
}

function loadVarsFiles(run: RunState, play: Play, hosts: string[]): Map<string, Vars> {
  const out = new Map<string, Vars>();
  if (!play.varsFiles.length) return out;
  for (const host of hosts) {
    const merged: Vars = {};
    for (const entry of play.varsFiles) {
      const candidates = Array.isArray(entry) ? entry : [entry];
      const base = lazyVars({ ...run.store.hostLevelVars(host), ...play.vars, ...merged }, run.templar, play.origin.file);
      let found: string | undefined;
      const rendered: string[] = [];
      for (const c of candidates) {
        let name: string;
        try {
          name = String(untag(run.templar.renderValue(c, base, `${location(play)} vars_files`)));
        } catch (err) {
          // A list of alternatives skips the ones that cannot be rendered, as Ansible does.
          if (candidates.length > 1) continue;
          throw err;
        }
        rendered.push(name);
        const file = path.resolve(play.baseDir, name);
        if (existsSync(file)) {
          found = file;
          break;
        }
      }
      if (!found) throw new UserError(`vars file not found: ${rendered.join(' or ')}`, { file: play.origin.file, line: play.origin.line });
      Object.assign(merged, run.loader.loadVarsFile(found));
    }
    out.set(host, merged);
  }
  return out;
}

function gatherFacts(run: RunState, play: Play, host: string | undefined): boolean {
  let value = play.gatherFacts;
  if (value === undefined || value === null) return run.options.defaults?.gatherFacts ?? true;
  if (typeof value === 'string' && Templar.isTemplate(value) && host) {
    const vars = lazyVars({ ...run.store.hostLevelVars(host), ...play.vars }, run.templar, play.origin.file);
    value = untag(run.templar.renderValue(value, vars, `${location(play)} gather_facts`));
  }
  return toBool(value, false);
}

/** --start-at-task: each host starts at the first task of that name (a glob pattern), in the first play that has it. */
function skipToStartAt(run: RunState, play: PlayRun): boolean {
  const wanted = run.startAtPending;
  if (wanted === undefined) return false;
  const matches = (name: string | undefined) => name !== undefined && (name === wanted || globMatch(name, wanted));
  let matched = false;
  for (const host of play.batchHosts) {
    for (;;) {
      const t = play.iterator.next(host, true);
      if (!t) break;
      if (t.kind !== 'meta' && (matches(t.name) || matches(t.scope.role ? `${t.scope.role.name} : ${t.name}` : undefined))) {
        matched = true;
        break;
      }
      play.iterator.take(host, t);
    }
  }
  if (matched) run.startAtPending = undefined;
  return matched;
}

function globMatch(text: string, pattern: string): boolean {
  const re = new RegExp(`^${pattern.replace(/[.+^${}()|\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`);
  return re.test(text);
}
