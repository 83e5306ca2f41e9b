/**
 * The lookup plugin contract (Ansible's `lookup('name', ...)`, `query(...)`
 * and `with_<name>` loops). A plugin runs on the controller, synchronously
 * (templates render synchronously), and returns a list: `lookup()` joins it
 * with commas unless `wantlist=True`, `query()` returns it as is, and
 * `with_<name>:` loops over it.
 *
 * Terms arrive templated (a `with_<name>` string is rendered first, as
 * Ansible's listify_lookup_plugin_terms does). What a plugin returns is
 * marked unsafe by the caller (engine/template/trust.ts), as in Ansible:
 * a lookup's result is data, never a template.
 */

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

export interface LookupContext {
  /** The task's variables (lazy: values are rendered when read). */
  vars: Record<string, unknown>;
  /** Render template text with the task's variables (the `template` lookup); `source` names it in errors. */
  render(text: string, source: string, vars?: Record<string, unknown>): string;
  /**
   * Folders searched for relative file names, most specific first: Ansible's
   * `ansible_search_path` (the role's folder, the folders of the files that
   * included the task, the playbook's folder). A plugin looking for a file
   * tries `<dir>/<subdir>/<name>` then `<dir>/<name>` for each
   * (`subdir` is 'files' for file-like lookups, 'templates' for template,
   * 'vars' for vars files).
   */
  searchPath: string[];
  /** Host names of the inventory matching a pattern (inventory_hostnames). */
  hostsMatching(pattern: string): string[];
  /** A warning in the run's output (errors='warn'). */
  warn(message: string): void;
  /** Decrypts vault-encrypted file content (the `unvault` and `file` lookups); throws without a password. */
  decryptVault?(text: string, source: string): string;
}

export interface LookupPlugin {
  /** The short name: `file`; `ansible.builtin.file` is accepted too. */
  name: string;
  run(terms: unknown[], options: Record<string, unknown>, ctx: LookupContext): unknown[];
}
