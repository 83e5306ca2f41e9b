/**
 * The variables the template module adds over the task's own for one
 * render, as Ansible's generate_ansible_template_vars makes them:
 * template_host, template_path, template_fullpath, template_destpath,
 * template_uid, template_mtime, template_run_date (datetimes, as in Python)
 * and ansible_managed.
 */
import { readFileSync, statSync } from 'node:fs';
import { hostname } from 'node:os';
import { PyDateTime, strftime } from '../../template/datetime.js';

/** Ansible's default `ansible_managed` format (DEFAULT_MANAGED_STR). */
export const DEFAULT_MANAGED_FORMAT = 'Ansible managed';

/** The controller's name for a user id (pwd.getpwuid), else the id itself. */
export function ownerName(uid: number, passwd = '/etc/passwd'): string {
  try {
    const entry = readFileSync(passwd, 'utf8').split('\n').find((line) => line.split(':')[2] === String(uid));
    const name = entry?.split(':')[0];
    return name || String(uid);
  } catch {
    return String(uid);
  }
}

/**
 * Python's str.format for the fields ansible_managed may name ({host},
 * {uid}, {file}; `{{` and `}}` for braces). Another field is an error, as
 * it is in Ansible.
 */
export function formatManaged(format: string, fields: Record<string, string>): string {
  return format.replace(/\{\{|\}\}|\{([^{}]*)\}/g, (whole, name: string | undefined) => {
    if (whole === '{{') return '{';
    if (whole === '}}') return '}';
    if (name !== undefined && Object.hasOwn(fields, name)) return fields[name]!;
    throw new Error(`ansible_managed: unknown field {${name ?? ''}} in '${format}' (known: ${Object.keys(fields).map((k) => `{${k}}`).join(', ')})`);
  });
}

/**
 * The template_* variables and ansible_managed for the template `src` (as
 * the task gives it), found at `fullpath` and rendered for `dest`.
 * ansible_managed is `managedFormat` with its fields filled in, then passed
 * through strftime with the template's modification time.
 */
export function templateVars(src: string, fullpath: string, dest: string | undefined, managedFormat = DEFAULT_MANAGED_FORMAT): Record<string, unknown> {
  const stat = statSync(fullpath);
  const host = hostname();
  const uid = ownerName(stat.uid);
  const managed = strftime(stat.mtime, formatManaged(managedFormat, { host, uid, file: src }));
  return {
    template_host: host,
    template_path: src,
    template_mtime: new PyDateTime(stat.mtime, false),
    template_uid: uid,
    template_run_date: new PyDateTime(new Date(), false),
    template_destpath: dest ? dest : null,
    template_fullpath: fullpath,
    ansible_managed: managed,
  };
}
