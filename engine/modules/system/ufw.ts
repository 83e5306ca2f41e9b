/**
 * ufw (community.general.ufw): the firewall's state, default policies,
 * logging and rules through the ufw command, as that module drives it. The
 * read gets `ufw status verbose`, the user rules' tuples and, for a rule,
 * ufw's own dry run of it, which is what check mode compares; a real run
 * executes the commands and compares the status and tuples before and after.
 */
import { shellJoin } from '../../connection/quote.js';
import { readFact } from '../../facts/index.js';
import { sectionsFact } from '../../facts/sections.js';
import type { Fact } from '../../facts/types.js';
import { boolSchema, toBool } from '../lib/args.js';
import type { Module, ModuleContext, Plan } from '../types.js';
import { runText } from './util.js';

export interface UfwArgs {
  state?: 'enabled' | 'disabled' | 'reloaded' | 'reset';
  default?: 'allow' | 'deny' | 'reject';
  policy?: 'allow' | 'deny' | 'reject';
  logging?: 'full' | 'high' | 'low' | 'medium' | 'off' | 'on';
  direction?: 'in' | 'incoming' | 'out' | 'outgoing' | 'routed';
  delete?: unknown;
  route?: unknown;
  insert?: number | string;
  insert_relative_to?: 'zero' | 'first-ipv4' | 'last-ipv4' | 'first-ipv6' | 'last-ipv6';
  rule?: 'allow' | 'deny' | 'limit' | 'reject';
  interface?: string;
  if?: string;
  interface_in?: string;
  if_in?: string;
  interface_out?: string;
  if_out?: string;
  log?: unknown;
  from_ip?: string;
  from?: string;
  src?: string;
  from_port?: string | number;
  to_ip?: string;
  dest?: string;
  to?: string;
  to_port?: string | number;
  port?: string | number;
  proto?: string;
  protocol?: string;
  name?: string;
  app?: string;
  comment?: string;
}

const RULES_FILES = ['/lib/ufw/user.rules', '/lib/ufw/user6.rules', '/etc/ufw/user.rules', '/etc/ufw/user6.rules', '/var/lib/ufw/user.rules', '/var/lib/ufw/user6.rules'];

function normalized(args: UfwArgs) {
  const str = (v: unknown) => (v === undefined || v === null ? undefined : String(v));
  return {
    state: args.state,
    default: args.default ?? args.policy,
    logging: args.logging,
    rule: args.rule,
    direction: args.direction,
    delete: toBool(args.delete, false),
    route: toBool(args.route, false),
    insert: args.insert === undefined || args.insert === null ? undefined : Number(args.insert),
    insertRelativeTo: args.insert_relative_to ?? 'zero',
    interface: args.interface ?? args.if,
    interfaceIn: args.interface_in ?? args.if_in,
    interfaceOut: args.interface_out ?? args.if_out,
    log: toBool(args.log, false),
    fromIp: args.from_ip ?? args.from ?? args.src ?? 'any',
    fromPort: str(args.from_port),
    toIp: args.to_ip ?? args.to ?? args.dest ?? 'any',
    toPort: str(args.to_port ?? args.port),
    proto: args.proto ?? args.protocol,
    name: args.name ?? args.app,
    comment: args.comment,
  };
}

/** The rule's words after `ufw [--dry-run]`, and the string Ansible reports for it. */
export function ruleWords(args: UfwArgs, insertTo: number | undefined, withComment: boolean): { words: string[]; text: string } {
  const a = normalized(args);
  const words: string[] = [];
  const text: string[] = [];
  const add = (w: string[], t = w.join(' ')) => {
    words.push(...w);
    text.push(t);
  };
  if (a.route) add(['route']);
  if (a.delete) add(['delete']);
  if (insertTo !== undefined && !a.delete) add(['insert', String(insertTo)]);
  add([a.rule!]);
  if (a.direction) add([a.direction]);
  if (a.interface) add(['on', a.interface]);
  if (a.interfaceIn) add(['in', 'on', a.interfaceIn]);
  if (a.interfaceOut) add(['out', 'on', a.interfaceOut]);
  if (a.log) add(['log']);
  if (a.fromIp) add(['from', a.fromIp]);
  if (a.fromPort) add(['port', a.fromPort]);
  if (a.toIp) add(['to', a.toIp]);
  if (a.toPort) add(['port', a.toPort]);
  if (a.proto) add(['proto', a.proto]);
  if (a.name) add(['app', a.name], `app '${a.name}'`);
  if (withComment && a.comment) add(['comment', a.comment], `comment '${a.comment}'`);
  return { words, text: text.join(' ') };
}

export interface UfwState {
  found: boolean;
  status: string;
  rules: string;
  version?: [number, number];
  numbered: string;
  /** The rule's dry run (only with rule). */
  dryRun?: string;
  dryRunError?: string;
}

function insertPosition(args: UfwArgs, numbered: string): number | undefined {
  const a = normalized(args);
  if (a.insert === undefined) return undefined;
  if (a.insertRelativeTo === 'zero') return a.insert;
  const rows = numbered.split('\n').map((l) => ({ m: /^\[ *([0-9]+)\] /.exec(l), v6: l.includes('(v6)') })).filter((r) => r.m).map((r) => ({ n: Number(r.m![1]), v6: r.v6 }));
  const last = rows.length ? Math.max(...rows.map((r) => r.n)) : 0;
  const v4 = rows.filter((r) => !r.v6).map((r) => r.n);
  const hasV6 = rows.some((r) => r.v6);
  let relative = 1;
  if (a.insertRelativeTo === 'first-ipv4') relative = 1;
  else if (a.insertRelativeTo === 'last-ipv4') relative = v4.length ? Math.max(...v4) : 1;
  else if (a.insertRelativeTo === 'first-ipv6') relative = v4.length ? Math.max(...v4) + 1 : 1;
  else if (a.insertRelativeTo === 'last-ipv6') relative = hasV6 ? last : last + 1;
  const to = a.insert + relative;
  return to > last ? undefined : to;
}

const ufwFact: Fact<{ args: UfwArgs }, UfwState> = sectionsFact(
  'ufw.state',
  ({ args }) => ({
    found: 'command -v ufw >/dev/null 2>&1 && echo yes; true',
    status: 'LANG=C ufw status verbose 2>&1',
    rules: `grep -h '^### tuple' ${RULES_FILES.join(' ')} 2>/dev/null; true`,
    version: 'LANG=C ufw --version 2>/dev/null | head -n 1',
    numbered: args.insert !== undefined && (args.insert_relative_to ?? 'zero') !== 'zero' ? 'LANG=C ufw status numbered 2>&1' : 'true',
  }),
  (s) => {
    const v = /^ufw.+?(\d+)\.(\d+)/.exec(s.version!.out.trim());
    return {
      found: s.found!.out.trim() === 'yes',
      status: s.status!.out,
      rules: s.rules!.out,
      version: v ? [Number(v[1]), Number(v[2])] : undefined,
      numbered: s.numbered!.out,
    };
  },
);

async function readUfw(ctx: ModuleContext, args: UfwArgs): Promise<UfwState> {
  const state = await readFact(ctx, ufwFact, { args });
  if (args.rule !== undefined && state.found) {
    const v = state.version;
    const withComment = v !== undefined && ((v[0] === 0 && v[1] >= 35) || v[0] > 0);
    const { words } = ruleWords(args, insertPosition(args, state.numbered), withComment);
    const dry = await runText(ctx, `LANG=C ${shellJoin(['ufw', '--dry-run', ...words])}`);
    if (dry.rc !== 0) state.dryRunError = dry.stderr || dry.stdout;
    else state.dryRun = dry.stdout;
  }
  return state;
}

const IPV4 = /((25[0-5]|(2[0-4]|1?[0-9])?[0-9])\.){3}(25[0-5]|(2[0-4]|1?[0-9])?[0-9])/;
const IPV6 = /([0-9a-fA-F]{1,4}:){1,7}(:|[0-9a-fA-F]{1,4})|::([0-9a-fA-F]{1,4})?/;

function keepLines(text: string, keep: (line: string) => boolean): string {
  return (text.match(/[^\n]*\n|[^\n]+$/g) ?? []).filter(keep).join('');
}

export function planUfw(ctx: ModuleContext, args: UfwArgs, state: UfwState): Plan {
  const a = normalized(args);
  const given = [a.state && 'state', a.default && 'default', a.rule && 'rule', a.logging && 'logging'].filter(Boolean) as string[];
  if (given.length === 0) return { changed: false, failed: true, msg: 'one of the following is required: state, default, rule, logging' };
  if ([a.name, a.proto, a.logging].filter((x) => x !== undefined).length > 1) return { changed: false, failed: true, msg: 'parameters are mutually exclusive: name|proto|logging' };
  if (a.direction && (a.interfaceIn || a.interfaceOut)) return { changed: false, failed: true, msg: 'parameters are mutually exclusive: direction|interface_in' };
  if (a.interface && !a.direction) return { changed: false, failed: true, msg: "missing parameter(s) required by 'interface': direction" };
  if (!state.found) return { changed: false, failed: true, msg: 'Failed to find required executable "ufw" in paths: /usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' };
  const commands: string[][] = [];
  const shown: string[] = [];
  let changed = false;
  for (const command of ['state', 'default', 'rule', 'logging'].filter((c) => given.includes(c))) {
    if (command === 'state') {
      const verbs: Record<string, string> = { enabled: 'enable', disabled: 'disable', reloaded: 'reload', reset: 'reset' };
      if (a.state === 'reloaded' || a.state === 'reset') changed = true;
      const enabled = state.status.includes(' active');
      if ((a.state === 'disabled' && enabled) || (a.state === 'enabled' && !enabled)) changed = true;
      commands.push(['ufw', '-f', verbs[a.state!]!]);
      shown.push(`ufw -f ${verbs[a.state!]}`);
    } else if (command === 'logging') {
      const m = /Logging: (on|off)(?: \(([a-z]+)\))?/.exec(state.status);
      if (!m) changed = true;
      else if (a.logging !== 'off') {
        if (m[1] === 'off' || (a.logging !== 'on' && a.logging !== m[2])) changed = true;
      } else if (m[1] !== 'off') changed = true;
      commands.push(['ufw', 'logging', a.logging!]);
      shown.push(`ufw logging ${a.logging}`);
    } else if (command === 'default') {
      if (a.direction !== undefined && !['outgoing', 'incoming', 'routed'].includes(a.direction)) {
        return { changed: false, failed: true, msg: 'For default, direction must be one of "outgoing", "incoming" and "routed", or direction must not be specified.' };
      }
      const m = /Default: (deny|allow|reject) \(incoming\), (deny|allow|reject) \(outgoing\), (deny|allow|reject|disabled) \(routed\)/.exec(state.status);
      if (!m) changed = true;
      else {
        const current = { incoming: m[1], outgoing: m[2], routed: m[3] }[(a.direction ?? 'incoming') as 'incoming' | 'outgoing' | 'routed'];
        if (current !== a.default && current !== 'disabled') changed = true;
      }
      commands.push(['ufw', 'default', a.default!, ...(a.direction ? [a.direction] : [])]);
      shown.push(['ufw default', a.default, a.direction].filter(Boolean).join(' '));
    } else if (command === 'rule') {
      if (a.direction !== undefined && !['in', 'out'].includes(a.direction)) {
        return { changed: false, failed: true, msg: 'For rules, direction must be one of "in" and "out", or direction must not be specified.' };
      }
      if (!a.route && a.interfaceIn && a.interfaceOut) return { changed: false, failed: true, msg: 'Only route rules can combine interface_in and interface_out' };
      if (state.dryRunError !== undefined) return { changed: false, failed: true, msg: state.dryRunError.trim() };
      const v = state.version;
      const rule = ruleWords(args, insertPosition(args, state.numbered), v !== undefined && ((v[0] === 0 && v[1] >= 35) || v[0] > 0));
      commands.push(['ufw', ...rule.words]);
      shown.push(`ufw ${rule.text}`);
      const dry = state.dryRun ?? '';
      const rows = dry.match(/[^\n]*\n|[^\n]+$/g) ?? [];
      const skipping = rows.filter((l) => l.includes('Skipping')).length;
      if (!(skipping > 0 && skipping === rows.length)) {
        const tuples = keepLines(dry, (l) => l.startsWith('### tuple'));
        const v4 = (t: string) => keepLines(t, (l) => IPV4.test(l));
        const v6 = (t: string) => keepLines(t, (l) => IPV6.test(l));
        const startsV4 = (ip: string) => new RegExp(`^(?:${IPV4.source})`).test(ip);
        const startsV6 = (ip: string) => new RegExp(`^(?:${IPV6.source})`).test(ip);
        if (startsV4(a.fromIp) || startsV4(a.toIp)) changed ||= v4(state.rules) !== v4(tuples);
        else if (startsV6(a.fromIp) || startsV6(a.toIp)) changed ||= v6(state.rules) !== v6(tuples);
        else changed ||= state.rules !== tuples;
      }
    }
  }
  return {
    changed,
    result: { commands: shown },
    apply: async () => {
      for (const words of commands) {
        const res = await runText(ctx, `LANG=C ${shellJoin(words)}`);
        if (res.rc !== 0) return { failed: true, msg: res.stderr || res.stdout, commands: shown };
      }
      const after = await readFact(ctx, ufwFact, { args: {} });
      return { changed: changed || after.status !== state.status || after.rules !== state.rules, msg: after.status.trimEnd() };
    },
  };
}

const str = { type: ['string', 'number'] };

export const ufw: Module<UfwArgs, UfwState> = {
  name: 'community.general.ufw',
  aliases: ['ufw'],
  schema: {
    type: 'object',
    additionalProperties: false,
    properties: {
      state: { enum: ['enabled', 'disabled', 'reloaded', 'reset'] },
      default: { enum: ['allow', 'deny', 'reject'], description: 'Default policy (with direction)' },
      policy: { enum: ['allow', 'deny', 'reject'], description: 'Alias of default' },
      logging: { enum: ['full', 'high', 'low', 'medium', 'off', 'on'] },
      direction: { enum: ['in', 'incoming', 'out', 'outgoing', 'routed'] },
      delete: { ...boolSchema, description: 'Delete the rule' },
      route: { ...boolSchema, description: 'A route rule' },
      insert: { ...str, description: 'Insert the rule at this position' },
      insert_relative_to: { enum: ['zero', 'first-ipv4', 'last-ipv4', 'first-ipv6', 'last-ipv6'] },
      rule: { enum: ['allow', 'deny', 'limit', 'reject'] },
      interface: { type: 'string' },
      if: { type: 'string' },
      interface_in: { type: 'string' },
      if_in: { type: 'string' },
      interface_out: { type: 'string' },
      if_out: { type: 'string' },
      log: boolSchema,
      from_ip: { type: 'string' },
      from: { type: 'string' },
      src: { type: 'string' },
      from_port: str,
      to_ip: { type: 'string' },
      dest: { type: 'string' },
      to: { type: 'string' },
      to_port: str,
      port: str,
      proto: { enum: ['ah', 'any', 'esp', 'ipv6', 'tcp', 'udp', 'gre', 'igmp'] },
      protocol: { enum: ['ah', 'any', 'esp', 'ipv6', 'tcp', 'udp', 'gre', 'igmp'] },
      name: { type: 'string', description: 'An application profile' },
      app: { type: 'string' },
      comment: { type: 'string' },
    },
  },
  doc: {
    description:
      'Manages ufw like community.general.ufw: state (enabled, disabled, reloaded, reset), default policies, logging and ' +
      'rules (allow/deny/limit/reject, insert, delete, route, interfaces, addresses, ports, protocol, app, comment). Check ' +
      'mode compares ufw\'s own --dry-run of the rule with the current tuples; a run compares the status before and after.',
    returns: { commands: 'the ufw commands', msg: 'ufw status verbose after the run' },
    example: '- community.general.ufw:\n    rule: allow\n    port: "22"\n    proto: tcp\n',
  },
  read: readUfw,
  plan: planUfw,
};
