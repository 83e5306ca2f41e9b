/** Modules that run on the controller: ping checks the host answers; the rest work on variables. */
import { quote } from '../../connection/quote.js';
import type { Module } from '../types.js';
import { UserError } from '../../errors.js';
import { readFact } from '../../facts/index.js';
import { filterFacts, setupFact } from '../../facts/setup.js';

export const ping: Module<{ data?: string }, string> = {
  name: 'ping',
  schema: { type: 'object', properties: { data: { type: 'string', default: 'pong' } }, additionalProperties: false },
  doc: { description: 'Checks that the host answers over its connection and has a working shell. Never changes anything.', returns: { ping: 'the data given (pong)' }, example: '- ping:' },
  async read(ctx, args) {
    const r = await ctx.run(`printf '%s' ${quote(args.data ?? 'pong')}`);
    return r.stdout.toString('utf8');
  },
  plan(_ctx, args, answer) {
    // Ansible's ping fails on purpose with data=crash, to test error handling.
    if (args.data === 'crash') return { changed: false, failed: true, msg: 'boom' };
    return { changed: false, result: { ping: answer } };
  },
};

export const debug: Module<{ msg?: unknown; var?: string; verbosity?: number }, void> = {
  name: 'debug',
  controllerOnly: true,
  schema: {
    type: 'object',
    properties: { msg: { description: 'Message to print (any value)' }, var: { type: 'string', description: 'A variable name or expression to print' }, verbosity: { type: 'integer', minimum: 0, default: 0 } },
    additionalProperties: false,
    not: { required: ['msg', 'var'] },
  },
  doc: { description: 'Prints a message or a variable.', returns: { msg: 'the message' }, example: '- debug:\n    var: ansible_default_ipv4.address' },
  async read() {},
  plan(ctx, args) {
    if ((args.verbosity ?? 0) > ctx.verbosity) return { changed: false, result: { skipped: true, skipped_reason: `verbosity threshold not met` } };
    if (args.var !== undefined) {
      let value: unknown;
      try {
        value = ctx.evaluate ? ctx.evaluate(args.var, `${ctx.location} debug var`) : ctx.vars[args.var];
      } catch (err) {
        value = `VARIABLE IS NOT DEFINED! (${(err as Error).message.split('\n')[0]})`;
      }
      return { changed: false, result: { [args.var]: value, _ansible_verbose_always: true } };
    }
    return { changed: false, result: { msg: args.msg ?? 'Hello world!', _ansible_verbose_always: true } };
  },
};

/** A string, plain or carrying trust tags (a String object). */
const isText = (v: unknown): boolean => typeof v === 'string' || v instanceof String;

export const setFact: Module<Record<string, unknown>, void> = {
  name: 'set_fact',
  controllerOnly: true,
  rawParams: true,
  schema: { type: 'object', properties: { cacheable: { type: 'boolean', default: false, description: 'Also store the values as facts (a fact cache keeps them between runs)' } }, additionalProperties: true },
  doc: { description: 'Sets host variables for the rest of the run (precedence of set_fact).', returns: { ansible_facts: 'the variables set' }, example: '- set_fact:\n    primary: "{{ placement[mode].dns_primary }}"' },
  async read() {},
  plan(ctx, args) {
    const { cacheable, ...facts } = args;
    if (!Object.keys(facts).length) return { changed: false, failed: true, msg: 'No key/value pairs provided, at least one is required for this action to succeed' };
    const bad = Object.keys(facts).find((k) => !/^[A-Za-z_][A-Za-z0-9_]*$/.test(k));
    if (bad !== undefined) return { changed: false, failed: true, msg: `The variable name '${bad}' is not valid. Variables must start with a letter or underscore character, and contain only letters, numbers and underscores.` };
    // Without native types, Ansible turns the strings true/false/yes/no into booleans.
    if (!ctx.native) {
      for (const [k, v] of Object.entries(facts)) if (isText(v) && /^(true|false|yes|no)$/i.test(String(v))) facts[k] = /^(true|yes)$/i.test(String(v));
    }
    return { changed: false, result: { ansible_facts: facts, _ansible_facts_cacheable: cacheable === true } };
  },
};

export const assertModule: Module<{ that: string | boolean | null | Array<string | boolean | null>; fail_msg?: unknown; msg?: unknown; success_msg?: unknown; quiet?: boolean }, void> = {
  name: 'assert',
  controllerOnly: true,
  rawListArgs: ['that'],
  schema: {
    type: 'object',
    properties: { that: { anyOf: [{ type: 'string' }, { type: 'boolean' }, { type: 'array', items: { type: ['string', 'boolean', 'null'] } }] }, fail_msg: {}, msg: {}, success_msg: {}, quiet: { type: 'boolean' } },
    required: ['that'],
    additionalProperties: false,
  },
  doc: { description: 'Fails when any of the expressions in `that` is false.', returns: { assertion: 'the first failed expression', evaluated_to: 'its value' }, example: "- assert:\n    that:\n      - placement.normal.dhcp | length == 1\n    fail_msg: one DHCP server only" },
  async read() {},
  plan(ctx, args) {
    if (!ctx.isTrue) throw new UserError('assert needs the templating context');
    for (const that of Array.isArray(args.that) ? args.that : [args.that]) {
      // An empty entry (a bare `-`, or '') holds, as Ansible's conditionals take it.
      if (that === null || that === '') continue;
      if (!ctx.isTrue(that, `${ctx.location} assert`)) {
        return { changed: false, failed: true, msg: String(args.fail_msg ?? args.msg ?? 'Assertion failed'), result: { assertion: that, evaluated_to: false } };
      }
    }
    return { changed: false, msg: String(args.success_msg ?? 'All assertions passed'), result: args.quiet ? {} : { _ansible_verbose_always: true } };
  },
};

export const failModule: Module<{ msg?: unknown }, void> = {
  name: 'fail',
  controllerOnly: true,
  schema: { type: 'object', properties: { msg: {} }, additionalProperties: false },
  doc: { description: 'Fails the task with a message (use with when).', returns: { msg: 'the message' }, example: "- fail:\n    msg: already degraded\n  when: current_mode != 'normal'" },
  async read() {},
  plan(_ctx, args) {
    return { changed: false, failed: true, msg: typeof args.msg === 'string' ? args.msg : args.msg === undefined ? 'Failed as requested from task' : JSON.stringify(args.msg) };
  },
};

export const setup: Module<{ gather_subset?: unknown; filter?: string | string[]; gather_timeout?: number; fact_path?: string }, Record<string, unknown>> = {
  name: 'setup',
  aliases: ['gather_facts'],
  schema: {
    type: 'object',
    properties: {
      gather_subset: { description: 'Accepted for compatibility: every common fact is gathered in one round trip' },
      filter: { anyOf: [{ type: 'string' }, { type: 'array', items: { type: 'string' } }], description: 'Only facts whose names match these shell-style patterns' },
      gather_timeout: { type: 'integer' },
      fact_path: { type: 'string', default: '/etc/ansible/facts.d', description: 'Folder of local facts (*.fact: JSON, INI, or executables printing JSON)' },
      parallel: { type: 'boolean' },
    },
    additionalProperties: false,
  },
  doc: {
    description: 'Gathers the Ansible facts of the host (ansible_hostname, ansible_distribution, ansible_default_ipv4, ansible_env, ...) in one remote command.',
    returns: { ansible_facts: 'the facts' },
    example: '- setup:\n    filter: ansible_distribution*',
  },
  read(ctx, args) {
    return readFact(ctx, setupFact, { factPath: args.fact_path });
  },
  plan(_ctx, args, facts) {
    const patterns = args.filter === undefined ? [] : Array.isArray(args.filter) ? args.filter : [args.filter];
    return { changed: false, result: { ansible_facts: filterFacts(facts, patterns) } };
  },
};
