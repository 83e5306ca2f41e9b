/**
 * Ansible's INI inventory format:
 *
 *   host1 ansible_host=198.51.100.11      # before any section: ungrouped
 *   [web]
 *   www[01:03].example.jp http_port=8080
 *   [web:vars]
 *   ntp_server=ntp.example.jp
 *   [cluster:children]
 *   web
 *
 * Values go through Ansible's literal parsing: integers, floats, True/False/None
 * and quoted strings become typed values, anything else stays a string.
 */
import { UNGROUPED, errorAtOrigin, type InventoryGraph, type Origin } from './graph.js';
import { expandHostRange, HostRangeError, splitHostPort } from './host-range.js';

const SECTION = /^\[([^:\]\s]+)(?::(\w+))?\]\s*(?:[#;].*)?$/;

type State = 'hosts' | 'vars' | 'children';

/** Whether a file's text looks like INI rather than YAML: its first real line is a `[section]` header. */
export function looksLikeIni(text: string): boolean {
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith(';')) continue;
    if (line === '---') return false;
    return SECTION.test(line) && !line.includes(',');
  }
  return false;
}

export function addIniInventory(graph: InventoryGraph, file: string, text: string): void {
  let group = UNGROUPED;
  let state: State = 'hosts';
  // `[x:vars]` needs x to be declared somewhere in the file (Ansible checks this at the end).
  const pendingVarsSections = new Map<string, Origin>();
  const declared = new Set(graph.groups.keys());
  const lines = text.split(/\r?\n/);
  lines.forEach((raw, index) => {
    const origin: Origin = { kind: 'text', file, text, line: index + 1, col: raw.length - raw.trimStart().length + 1 };
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith(';')) return;
    if (line.startsWith('[')) {
      const m = SECTION.exec(line);
      if (!m) throw errorAtOrigin(origin, `invalid section header '${line}' (expected [group], [group:vars] or [group:children])`);
      group = m[1];
      const kind = m[2] ?? 'hosts';
      if (kind !== 'hosts' && kind !== 'vars' && kind !== 'children') {
        throw errorAtOrigin(origin, `section [${group}:${kind}] has unknown type '${kind}' (expected vars or children)`);
      }
      state = kind;
      if (state === 'vars') {
        if (!pendingVarsSections.has(group)) pendingVarsSections.set(group, origin);
      } else {
        graph.addGroup(group, origin);
        declared.add(group);
      }
      return;
    }
    if (state === 'hosts') addHostLine(graph, group, line, origin);
    else if (state === 'children') declared.add(addChildLine(graph, group, line, origin));
    else addVarLine(graph, group, line, origin);
  });
  for (const [name, origin] of pendingVarsSections) {
    if (!declared.has(name)) throw errorAtOrigin(origin, `section [${name}:vars] is for group '${name}', which is not defined in this inventory`);
  }
}

function addHostLine(graph: InventoryGraph, group: string, line: string, origin: Origin): void {
  const tokens = shellWords(line, origin);
  if (tokens.length === 0) return;
  const [key, ...assignments] = tokens;
  const { name, port } = splitHostPort(key);
  let names: string[];
  try {
    names = expandHostRange(name);
  } catch (err) {
    if (err instanceof HostRangeError) throw errorAtOrigin(origin, err.message);
    throw err;
  }
  const vars: Record<string, unknown> = {};
  for (const assignment of assignments) {
    const eq = assignment.indexOf('=');
    if (eq <= 0) throw errorAtOrigin(origin, `expected key=value after host '${key}', got '${assignment}'`);
    vars[assignment.slice(0, eq)] = literalValue(assignment.slice(eq + 1));
  }
  for (const host of names) {
    graph.addHost(host, group);
    if (port !== undefined) graph.setHostVar(host, 'ansible_port', port);
    for (const [k, v] of Object.entries(vars)) graph.setHostVar(host, k, v);
  }
}

/** Returns the child group's name: naming a group as a child declares it. */
function addChildLine(graph: InventoryGraph, group: string, line: string, origin: Origin): string {
  const child = line.replace(/\s+[#;].*$/, '').trim();
  if (/\s/.test(child)) throw errorAtOrigin(origin, `expected one group name per line in [${group}:children], got '${child}'`);
  graph.addGroup(child, origin);
  graph.addChild(group, child, origin);
  return child;
}

function addVarLine(graph: InventoryGraph, group: string, line: string, origin: Origin): void {
  const eq = line.indexOf('=');
  if (eq <= 0) throw errorAtOrigin(origin, `expected key=value in [${group}:vars], got '${line}'`);
  const key = line.slice(0, eq).trim();
  graph.addGroup(group);
  graph.setGroupVar(group, key, literalValue(line.slice(eq + 1).trim()), origin);
}

/** Python's ast.literal_eval for the scalars Ansible's INI parser meets; other text stays a string. */
export function literalValue(text: string): unknown {
  if (/^[-+]?(0|[1-9][0-9]*)$/.test(text)) return Number(text);
  if (/^[-+]?([0-9]+\.[0-9]*|\.[0-9]+)([eE][-+]?[0-9]+)?$/.test(text) || /^[-+]?[0-9]+[eE][-+]?[0-9]+$/.test(text)) return Number(text);
  if (text === 'True') return true;
  if (text === 'False') return false;
  if (text === 'None') return null;
  const quoted = /^(['"])(.*)\1$/s.exec(text);
  if (quoted && !quoted[2].includes(quoted[1])) return quoted[2];
  return text;
}

/** shlex.split(line, comments=True): whitespace-separated words, quotes grouped and removed, `#` starts a comment. */
function shellWords(line: string, origin: Origin): string[] {
  const words: string[] = [];
  let word = '';
  let inWord = false;
  let quote: string | undefined;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (quote) {
      if (c === quote) quote = undefined;
      else if (c === '\\' && quote === '"' && (line[i + 1] === '"' || line[i + 1] === '\\')) word += line[++i];
      else word += c;
    } else if (c === '"' || c === "'") {
      quote = c;
      inWord = true;
    } else if (c === '\\' && i + 1 < line.length) {
      word += line[++i];
      inWord = true;
    } else if (c === '#') {
      break;
    } else if (/\s/.test(c)) {
      if (inWord) words.push(word);
      word = '';
      inWord = false;
    } else {
      word += c;
      inWord = true;
    }
  }
  if (quote) throw errorAtOrigin(origin, `unclosed ${quote} quote`);
  if (inWord) words.push(word);
  return words;
}

