/**
 * iptables: one rule, a chain's policy, a flush or a chain, as Ansible's
 * iptables module: the rule's words are built the same way, `-C` tells
 * whether it is there, `-L` gives the policy and whether the chain exists,
 * all read in one command before anything changes.
 */
import { shellJoin } from '../../connection/quote.js';
import { readFact } from '../../facts/index.js';
import { sectionsFact } from '../../facts/sections.js';
import type { Fact } from '../../facts/types.js';
import { boolSchema, toBool } from '../lib/args.js';
import type { Module, ModuleContext, Plan } from '../types.js';
import { runText } from './util.js';

export interface IptablesArgs {
  table?: string;
  state?: 'present' | 'absent';
  action?: 'append' | 'insert';
  ip_version?: 'ipv4' | 'ipv6';
  chain?: string;
  rule_num?: string | number;
  protocol?: string;
  wait?: string | number;
  source?: string;
  to_source?: string;
  destination?: string;
  to_destination?: string;
  match?: string | string[];
  tcp_flags?: { flags?: string[]; flags_set?: string[] };
  jump?: string;
  gateway?: string;
  log_prefix?: string;
  log_level?: string | number;
  goto?: string;
  in_interface?: string;
  out_interface?: string;
  fragment?: string;
  set_counters?: string;
  source_port?: string | number;
  destination_port?: string | number;
  destination_ports?: Array<string | number>;
  to_ports?: string | number;
  set_dscp_mark?: string | number;
  set_dscp_mark_class?: string;
  comment?: string;
  ctstate?: string | string[];
  src_range?: string;
  dst_range?: string;
  match_set?: string;
  match_set_flags?: string;
  limit?: string;
  limit_burst?: string | number;
  uid_owner?: string | number;
  gid_owner?: string | number;
  reject_with?: string;
  icmp_type?: string;
  syn?: 'ignore' | 'match' | 'negate';
  flush?: unknown;
  policy?: 'ACCEPT' | 'DROP' | 'QUEUE' | 'RETURN';
  chain_management?: unknown;
}

const s = (v: unknown): string | undefined => (v === undefined || v === null ? undefined : String(v));
const list = (v: unknown): string[] => (v === undefined || v === null ? [] : Array.isArray(v) ? v.map(String) : [String(v)]);

function param(rule: string[], value: string | undefined, flag: string): void {
  if (value === undefined || value === '') {
    if (value === '') rule.push(flag, value);
    return;
  }
  if (value.startsWith('!')) rule.push('!', flag, value.slice(1));
  else rule.push(flag, value);
}

function matchFlag(rule: string[], value: string | undefined, flag: string, negatable: boolean): void {
  if (value === 'match') rule.push(flag);
  else if (negatable && value === 'negate') rule.push('!', flag);
}

/** Ansible's construct_rule, word for word. */
export function constructRule(args: IptablesArgs, jump = s(args.jump)): string[] {
  const rule: string[] = [];
  const match = list(args.match);
  if (s(args.wait)) rule.push('-w', s(args.wait)!);
  param(rule, s(args.protocol), '-p');
  param(rule, s(args.source), '-s');
  param(rule, s(args.destination), '-d');
  for (const m of match) param(rule, m, '-m');
  if (args.tcp_flags?.flags && args.tcp_flags.flags_set) rule.push('--tcp-flags', args.tcp_flags.flags.join(','), args.tcp_flags.flags_set.join(','));
  param(rule, jump, '-j');
  if (jump?.toLowerCase() === 'tee') param(rule, s(args.gateway), '--gateway');
  param(rule, s(args.log_prefix), '--log-prefix');
  param(rule, s(args.log_level), '--log-level');
  param(rule, s(args.to_destination), '--to-destination');
  const dports = list(args.destination_ports);
  if (dports.length) rule.push('-m', 'multiport', '--dports', dports.join(','));
  param(rule, s(args.to_source), '--to-source');
  param(rule, s(args.goto), '-g');
  param(rule, s(args.in_interface), '-i');
  param(rule, s(args.out_interface), '-o');
  param(rule, s(args.fragment), '-f');
  param(rule, s(args.set_counters), '-c');
  param(rule, s(args.source_port), '--source-port');
  param(rule, s(args.destination_port), '--destination-port');
  param(rule, s(args.to_ports), '--to-ports');
  param(rule, s(args.set_dscp_mark), '--set-dscp');
  param(rule, s(args.set_dscp_mark_class), '--set-dscp-class');
  matchFlag(rule, args.syn ?? 'ignore', '--syn', true);
  const ctstate = list(args.ctstate);
  if (match.includes('conntrack')) { if (ctstate.length) rule.push('--ctstate', ctstate.join(',')); }
  else if (match.includes('state')) { if (ctstate.length) rule.push('--state', ctstate.join(',')); }
  else if (ctstate.length) rule.push('-m', 'conntrack', '--ctstate', ctstate.join(','));
  if (match.includes('iprange')) {
    param(rule, s(args.src_range), '--src-range');
    param(rule, s(args.dst_range), '--dst-range');
  } else if (args.src_range || args.dst_range) {
    rule.push('-m', 'iprange');
    param(rule, s(args.src_range), '--src-range');
    param(rule, s(args.dst_range), '--dst-range');
  }
  if (match.includes('set')) {
    param(rule, s(args.match_set), '--match-set');
    if (args.match_set_flags !== undefined) rule.push(args.match_set_flags);
  } else if (args.match_set) {
    rule.push('-m', 'set');
    param(rule, s(args.match_set), '--match-set');
    if (args.match_set_flags !== undefined) rule.push(args.match_set_flags);
  }
  if (args.limit || args.limit_burst) rule.push('-m', 'limit');
  param(rule, s(args.limit), '--limit');
  param(rule, s(args.limit_burst), '--limit-burst');
  if (s(args.uid_owner)) rule.push('-m', 'owner');
  matchFlag(rule, s(args.uid_owner), '--uid-owner', true);
  param(rule, s(args.uid_owner), '--uid-owner');
  if (s(args.gid_owner)) rule.push('-m', 'owner');
  matchFlag(rule, s(args.gid_owner), '--gid-owner', true);
  param(rule, s(args.gid_owner), '--gid-owner');
  if (jump === undefined && args.reject_with) rule.push('-j', 'REJECT');
  param(rule, s(args.reject_with), '--reject-with');
  param(rule, s(args.icmp_type), (args.ip_version ?? 'ipv4') === 'ipv6' ? '--icmpv6-type' : '--icmp-type');
  if (args.comment) rule.push('-m', 'comment');
  param(rule, s(args.comment), '--comment');
  return rule;
}

function table(args: IptablesArgs): string {
  return args.table ?? 'filter';
}

function binary(args: IptablesArgs): string {
  return (args.ip_version ?? 'ipv4') === 'ipv6' ? 'ip6tables' : 'iptables';
}

/** The logging options imply `-j LOG`. */
function effectiveJump(args: IptablesArgs): string | undefined {
  if ((args.log_prefix || args.log_level !== undefined) && args.jump === undefined) return 'LOG';
  return args.jump;
}

export function command(args: IptablesArgs, action: string, withRule: boolean, extra: string[] = []): string {
  const words = [binary(args), '-t', table(args), action, args.chain ?? ''];
  if (action === '-I' && args.rule_num !== undefined && args.rule_num !== null && args.rule_num !== '') words.push(String(args.rule_num));
  if (withRule) words.push(...constructRule(args, effectiveJump(args)));
  return shellJoin([...words, ...extra]);
}

export interface IptablesState {
  found: boolean;
  /** `-C` rc 0. */
  rulePresent: boolean;
  /** `-L chain` rc 0. */
  chainPresent: boolean;
  /** The chain's policy from the header of `-L`. */
  policy?: string;
}

const iptablesFact: Fact<{ args: IptablesArgs }, IptablesState> = sectionsFact(
  'iptables.rule',
  ({ args }) => ({
    found: `command -v ${binary(args)} >/dev/null 2>&1 && echo yes; true`,
    check: args.chain ? `${command(args, '-C', true)} >/dev/null 2>&1` : 'exit 1',
    // The chain's rc decides whether it exists: not the rc of a pipe.
    list: args.chain ? `o=$(${command(args, '-L', false)} 2>/dev/null) || exit 1; printf '%s\\n' "$o" | head -n 1` : 'exit 1',
  }),
  (sec) => ({
    found: sec.found!.out.trim() === 'yes',
    rulePresent: sec.check!.rc === 0,
    chainPresent: sec.list!.rc === 0,
    policy: /\(policy ([A-Z]+)\)/.exec(sec.list!.out)?.[1],
  }),
);

export function planIptables(ctx: ModuleContext, args: IptablesArgs, state: IptablesState): Plan {
  const flush = toBool(args.flush, false);
  const chainManagement = toBool(args.chain_management, false);
  const rule = constructRule(args).join(' ');
  const result: Record<string, unknown> = {
    ip_version: args.ip_version ?? 'ipv4', table: table(args), chain: args.chain ?? null, flush, rule,
    state: args.state ?? 'present', chain_management: chainManagement,
  };
  if (!state.found) return { changed: false, failed: true, msg: `Failed to find required executable "${binary(args)}" in paths: /usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin` };
  if (!flush && !args.chain) return { changed: false, failed: true, msg: 'Either chain or flush parameter must be specified.' };
  if (flush && args.policy) return { changed: false, failed: true, msg: 'parameters are mutually exclusive: flush|policy' };
  if (args.set_dscp_mark !== undefined && args.set_dscp_mark_class !== undefined) return { changed: false, failed: true, msg: 'parameters are mutually exclusive: set_dscp_mark|set_dscp_mark_class' };
  if (args.jump?.toLowerCase() === 'tee' && !args.gateway) return { changed: false, failed: true, msg: `jump is ${args.jump} but all of the following are missing: gateway` };
  if ((args.log_prefix || args.log_level !== undefined) && args.jump !== undefined && args.jump !== 'LOG') {
    return { changed: false, failed: true, msg: 'Logging options can only be used with the LOG jump target.' };
  }
  const steps: string[] = [];
  let changed = false;
  if (flush) {
    changed = true;
    steps.push(command(args, '-F', false));
  } else if (args.policy) {
    if (!state.policy) return { changed: false, failed: true, msg: 'Can\'t detect current policy' };
    changed = state.policy !== args.policy;
    if (changed) steps.push(command(args, '-P', false, [args.policy]));
  } else if ((args.state ?? 'present') === 'absent' && rule === '') {
    changed = state.chainPresent;
    if (changed && chainManagement) steps.push(command(args, '-X', false));
  } else {
    const present = (args.state ?? 'present') === 'present';
    changed = state.rulePresent !== present;
    if (changed) {
      if (present) {
        if (!(state.rulePresent || state.chainPresent) && chainManagement) steps.push(command(args, '-N', false));
        steps.push(command(args, (args.action ?? 'append') === 'insert' ? '-I' : '-A', true));
      } else {
        steps.push(command(args, '-D', true));
      }
    }
  }
  return {
    changed,
    result,
    apply: steps.length === 0 ? undefined : async () => {
      for (const step of steps) {
        const res = await runText(ctx, step);
        if (res.rc !== 0) return { failed: true, msg: res.stderr.trim() || res.stdout.trim(), rc: res.rc, cmd: step };
      }
      return {};
    },
  };
}

const str = { type: ['string', 'number'] };

export const iptables: Module<IptablesArgs, IptablesState> = {
  name: 'iptables',
  schema: {
    type: 'object',
    additionalProperties: false,
    properties: {
      table: { enum: ['filter', 'nat', 'mangle', 'raw', 'security'], description: 'default filter' },
      state: { enum: ['present', 'absent'] },
      action: { enum: ['append', 'insert'], description: 'Where a new rule goes (default append)' },
      ip_version: { enum: ['ipv4', 'ipv6'], description: 'iptables or ip6tables' },
      chain: { type: 'string' },
      rule_num: str,
      protocol: str,
      wait: str,
      source: { type: 'string' },
      to_source: { type: 'string' },
      destination: { type: 'string' },
      to_destination: { type: 'string' },
      match: { anyOf: [{ type: 'string' }, { type: 'array', items: { type: 'string' } }] },
      tcp_flags: { type: 'object', properties: { flags: { type: 'array', items: { type: 'string' } }, flags_set: { type: 'array', items: { type: 'string' } } }, additionalProperties: false },
      jump: { type: 'string' },
      gateway: { type: 'string' },
      log_prefix: { type: 'string' },
      log_level: { anyOf: [{ enum: ['0', '1', '2', '3', '4', '5', '6', '7', 'emerg', 'alert', 'crit', 'error', 'warning', 'notice', 'info', 'debug'] }, { type: 'integer', minimum: 0, maximum: 7 }] },
      goto: { type: 'string' },
      in_interface: { type: 'string' },
      out_interface: { type: 'string' },
      fragment: { type: 'string' },
      set_counters: { type: 'string' },
      source_port: str,
      destination_port: str,
      destination_ports: { type: 'array', items: str },
      to_ports: str,
      set_dscp_mark: str,
      set_dscp_mark_class: { type: 'string' },
      comment: { type: 'string' },
      ctstate: { anyOf: [{ type: 'string' }, { type: 'array', items: { type: 'string' } }] },
      src_range: { type: 'string' },
      dst_range: { type: 'string' },
      match_set: { type: 'string' },
      match_set_flags: { enum: ['src', 'dst', 'src,dst', 'dst,src'] },
      limit: { type: 'string' },
      limit_burst: str,
      uid_owner: str,
      gid_owner: str,
      reject_with: { type: 'string' },
      icmp_type: { type: 'string' },
      syn: { enum: ['ignore', 'match', 'negate'] },
      flush: { ...boolSchema, description: 'Flush the chain (or the table)' },
      policy: { enum: ['ACCEPT', 'DROP', 'QUEUE', 'RETURN'], description: 'Set the chain\'s policy' },
      chain_management: { ...boolSchema, description: 'Create the chain for a rule / delete it with state=absent and no rule' },
    },
  },
  doc: {
    description:
      'Manages one iptables/ip6tables rule (present/absent, appended or inserted at rule_num), a chain\'s policy, a flush, ' +
      'or a user chain (chain_management), like Ansible\'s iptables: the rule\'s words are built as Ansible builds them and ' +
      'checked with `-C`. Rules are not saved across reboots (as in Ansible).',
    returns: { rule: 'the rule\'s words', table: 'the table', chain: 'the chain', state: 'present or absent', ip_version: 'ipv4 or ipv6', flush: 'flush asked', chain_management: 'as given' },
    example: '- name: Allow DNS\n  iptables:\n    chain: INPUT\n    protocol: udp\n    destination_port: "53"\n    jump: ACCEPT\n',
  },
  read: (ctx, args) => readFact(ctx, iptablesFact, { args }),
  plan: planIptables,
};
