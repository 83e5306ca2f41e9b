/**
 * The lookup plugin contract (Ansible's `lookup('name', ...)`, `query(...)`
 * and `with_<name>` loops). A plugin runs on the controller, synchronously
 * (templates render synchronously), and returns a list: `lookup()` joins it
 * with commas unless `wantlist=True`, `query()` returns it as is, and
 * `with_<name>:` loops over it (engine/lookups/call.ts does the joining,
 * the `errors=` handling and the unsafe marking; plugins only compute).
 *
 * Terms arrive templated (a `with_<name>` string is rendered first, as
 * Ansible's listify_lookup_plugin_terms does). What a plugin returns is
 * marked unsafe by the caller (engine/template/trust.ts), as in Ansible:
 * a lookup's result is data, never a template.
 */
import type { TemplateOptions } from '../modules/types.js';

/** What the run offers lookups beyond the task's variables (given to the Templar by the runner). */
export interface LookupHost {
  /** Host names of the inventory matching a pattern (inventory_hostnames). */
  hostsMatching(pattern: string): string[];
  /** A warning in the run's output. */
  warn(message: string): void;
  /** Decrypts vault-encrypted text (unvault, file); throws when no password fits. */
  decryptVault?(text: string, source: string): string;
  /** A configuration setting by Ansible's name (DEFAULT_ROLES_PATH, ...), for the `config` lookup; undefined when unknown. */
  config?(name: string): { value: unknown; known: boolean };
}

/**
 * A lookup's terms: a list, or a dict when a `with_<name>:` value or a
 * single term rendered to one (Python iterates a dict's keys; `dict` and
 * `subelements` take it whole).
 */
export type Terms = unknown[] | Record<string, unknown>;

export interface LookupContext {
  /** The task's variables (lazy: values are rendered when read). */
  vars: Record<string, unknown>;
  /**
   * Template a value as Ansible's templar.template does: strings holding
   * markup are rendered (a lone `{{ expr }}` gives its native value), lists
   * and dicts are walked, unsafe text is left alone. Undefined variables throw.
   */
  template(value: unknown): unknown;
  /**
   * Render a template file's text (the `template` lookup) with `vars` and
   * the lookup's Jinja options; `source` names the file in errors.
   */
  renderTemplate(text: string, source: string, vars: Record<string, unknown>, options: TemplateOptions): string;
  /**
   * Folders searched for relative file names, most specific first: Ansible's
   * `ansible_search_path` (the role's folder, the folders of the files that
   * included the task, the playbook's folder). A plugin looking for a file
   * tries `<dir>/<subdir>/<name>` then `<dir>/<name>` for each
   * (engine/lookups/search.ts), then the same in `basedir`.
   */
  searchPath: string[];
  /**
   * The playbook's folder (Ansible's loader basedir, the `playbook_dir`
   * variable): the last place searched, the working folder of `pipe` and
   * `lines`, the base of relative `password` files.
   */
  basedir: string;
  /**
   * The folder name tried inside each search path by `first_found`:
   * 'files', or 'templates'/'vars' in a `with_first_found` loop of a
   * template/include_vars task (as Ansible's task executor sets it).
   */
  subdir?: string;
  /** Host names of the inventory matching a pattern; absent outside a run. */
  hostsMatching?(pattern: string): string[];
  /** A warning in the run's output. */
  warn(message: string): void;
  /** Decrypts vault-encrypted file content (`unvault`, `file`, `ini`, `template`); throws without a password. */
  decryptVault?(text: string, source: string): string;
  /** A configuration setting by Ansible's name (see LookupHost.config). */
  config?(name: string): { value: unknown; known: boolean };
}

export interface LookupPlugin {
  /** The short name: `file`; `ansible.builtin.file` is accepted too. */
  name: string;
  run(terms: Terms, options: Record<string, unknown>, ctx: LookupContext): unknown[];
}
