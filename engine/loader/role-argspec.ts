/**
 * Role argument validation, as Ansible does it: a role whose
 * meta/argument_specs.yml (or .yaml, .json, or `argument_specs` in
 * meta/main.yml) has a spec for the entry point being run (`main`, or the
 * `tasks_from` file) starts with a validate_argument_spec task, tagged
 * `always`, that checks the role's parameters and the variables of the
 * spec's option names before any of its own tasks run.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import type { Vars } from './model.js';
import { errorAt } from './validate.js';
import { readYamlFile, type DataPath, type LoadedYaml } from './yaml.js';

/** Where a role's argument specs were read: the data under `argument_specs`, and the file for messages. */
export interface RoleArgumentSpecs {
  specs: Vars;
  loaded: LoadedYaml;
}

/** The validation task of a role, as a task entry to load, with where it is written. */
export interface RoleValidationTask {
  entry: Vars;
  loaded: LoadedYaml;
  path: DataPath;
}

const isVars = (v: unknown): v is Vars => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * The role's argument specs: meta/argument_specs.* when there is one (even
 * an empty one), else `argument_specs` of meta/main.yml.
 */
export function roleArgumentSpecs(roleDir: string, meta: { loaded?: LoadedYaml }, displayName: (file: string) => string): RoleArgumentSpecs | undefined {
  const file = ['.yml', '.yaml', '.json'].map((ext) => path.join(roleDir, 'meta', `argument_specs${ext}`)).find((f) => existsSync(f));
  const loaded = file ? readYamlFile(file, displayName(file)) : meta.loaded;
  if (!loaded) return undefined;
  const specs = isVars(loaded.data) ? loaded.data.argument_specs : undefined;
  if (specs === undefined || specs === null) return undefined;
  if (!isVars(specs)) throw errorAt(loaded, ['argument_specs'], 'argument_specs must be a mapping of entry point names to their specs');
  return { specs, loaded };
}

/**
 * The task that validates the arguments of `entryPoint`, or undefined when
 * the role has no spec for it. `params` are the role's own parameters (the
 * keys written beside `role:`), which win over variables of the same name.
 */
export function roleValidationTask(role: { name: string; path: string }, entryPoint: string, params: Vars, found: RoleArgumentSpecs | undefined): RoleValidationTask | undefined {
  const spec = found?.specs[entryPoint];
  if (!found || spec === undefined || spec === null || spec === false || (isVars(spec) && Object.keys(spec).length === 0)) return undefined;
  const where: DataPath = ['argument_specs', entryPoint];
  if (!isVars(spec)) throw errorAt(found.loaded, where, `the argument spec of entry point '${entryPoint}' must be a mapping`);
  let name = `Validating arguments against arg spec '${entryPoint}'`;
  if ('short_description' in spec) name += ` - ${String(spec.short_description)}`;
  const entry: Vars = {
    name,
    action: {
      module: 'ansible.builtin.validate_argument_spec',
      argument_spec: 'options' in spec ? spec.options : {},
      provided_arguments: params,
      validate_args_context: { type: 'role', name: role.name, argument_spec_name: entryPoint, path: role.path },
    },
    tags: ['always'],
  };
  return { entry, loaded: found.loaded, path: where };
}
