/**
 * Modules of Ansible's builtin collection that uxsv does not have (they
 * manage other systems, or need Python on the host). A playbook naming one
 * still loads, as under Ansible — a role's task for another distribution is
 * usually skipped by its `when` — and the task fails only if it runs, saying
 * why.
 */
import type { Module } from './types.js';

const MISSING: Record<string, string> = {
  dnf: 'it manages Red Hat family packages; Debian hosts use apt',
  dnf5: 'it manages Red Hat family packages; Debian hosts use apt',
  yum: 'it manages Red Hat family packages; Debian hosts use apt',
  yum_repository: 'it manages Red Hat family repositories; Debian hosts use apt_repository',
  rpm_key: 'it manages Red Hat family package keys; Debian hosts use apt_key',
  pip: 'uxsv runs no Python on the hosts; install Debian\'s python3-<name> packages with apt, or run pip with command',
  subversion: 'Subversion checkouts are not supported; use command with svn',
  sysvinit: 'use service, which drives init scripts on hosts without systemd',
};

function unsupported(name: string, why: string): Module<Record<string, unknown>, void> {
  return {
    name,
    controllerOnly: true,
    schema: { type: 'object', additionalProperties: true },
    doc: { description: `Not supported by uxsv: ${why}. A task using it loads, and fails only if it runs.`, example: `- ${name}: {}  # loads; fails if it runs` },
    async read() {},
    plan() {
      return { changed: false, failed: true, msg: `The module ${name} is not supported by uxsv: ${why}.` };
    },
  };
}

export const unsupportedModules = Object.entries(MISSING).map(([name, why]) => unsupported(name, why));
