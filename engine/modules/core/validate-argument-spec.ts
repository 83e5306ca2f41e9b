/**
 * validate_argument_spec: checks values against an Ansible argument spec on
 * the controller (the task Ansible puts at the start of a role with
 * meta/argument_specs.yml uses it too). The values are `provided_arguments`
 * over the task's variables of the options' names.
 */
import { isDict, repr } from '../../template/python.js';
import { validateArguments, type ArgumentSpec } from '../lib/argspec/validate.js';
import { isMapping, pythonClass, shortClassName } from '../lib/argspec/types.js';
import type { Module } from '../types.js';

interface Args {
  argument_spec?: unknown;
  provided_arguments?: unknown;
  validate_args_context?: unknown;
}

/** A copy of lists and mappings, so validation (defaults, coercion) leaves the variables as they are; text keeps its tags. */
function copyData(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(copyData);
  if (isMapping(value)) return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, copyData(v)]));
  return value;
}

export const validateArgumentSpec: Module<Args, void> = {
  name: 'validate_argument_spec',
  controllerOnly: true,
  schema: {
    type: 'object',
    properties: {
      argument_spec: { description: 'Options (name -> spec: type, required, default, choices, elements, options, aliases, no_log, and for nested options mutually_exclusive, required_together, required_one_of, required_if, required_by)' },
      provided_arguments: { description: 'The values to check (name -> value); the task\'s variables of the same names are checked too, these win' },
      validate_args_context: { description: 'What is being validated, returned as is (a role sets type, name, argument_spec_name, path)' },
    },
    additionalProperties: true,
  },
  doc: {
    description: "Validates values against an Ansible argument spec on the controller, with Ansible's types (str, int, float, bool, list, dict, path, raw, jsonarg, json, bytes, bits), coercions and messages. A role with meta/argument_specs.yml gets such a task at its start.",
    returns: {
      argument_errors: 'the failures, one message each',
      argument_spec_data: 'the spec checked (on failure)',
      validate_args_context: 'the validate_args_context given',
    },
    example: '- validate_argument_spec:\n    argument_spec:\n      port: {type: int, required: true}\n      mode: {type: str, choices: [primary, secondary], default: primary}\n    provided_arguments:\n      port: "{{ dns_port }}"',
  },
  async read() {},
  plan(ctx, args) {
    const context = args.validate_args_context ?? {};
    const fail = (msg: string) => ({ changed: false, failed: true, msg });
    if (args.argument_spec === undefined) return fail(`"argument_spec" arg is required in args: ${repr(args)}`);
    const spec = args.argument_spec;
    const provided = args.provided_arguments ?? {};
    if (!isDict(spec)) return fail(`Incorrect type for argument_spec, expected dict and got ${pythonClass(spec)}`);
    if (!isDict(provided)) return fail(`Incorrect type for provided_arguments, expected dict and got ${pythonClass(provided)}`);
    const bad = Object.entries(spec).find(([, option]) => !isDict(option));
    if (bad) return fail(`Unexpected failure during module execution: '${shortClassName(bad[1])}' object has no attribute 'get'`);

    const params: Record<string, unknown> = {};
    for (const name of Object.keys(spec)) if (name in ctx.vars) params[name] = copyData(ctx.vars[name]);
    Object.assign(params, copyData(provided));
    const errors = validateArguments(spec as ArgumentSpec, params);
    if (errors.length) {
      return { changed: false, failed: true, msg: `Validation of arguments failed:\n${errors.join('\n')}`, result: { argument_errors: errors, argument_spec_data: spec, validate_args_context: context } };
    }
    return { changed: false, msg: 'The arg spec validation passed', result: { validate_args_context: context } };
  },
};
