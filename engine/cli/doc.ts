/**
 * `uxsv doc [MODULE]`: each module's reference (arguments from its JSON
 * Schema, return values, an example), and `--markdown` for docs/modules.md;
 * `uxsv doc --schema` prints the playbook JSON Schema for editors.
 */
import type { Command } from 'commander';
import { UserError } from '../errors.js';
import { modules } from '../modules/registry.js';
import type { Module } from '../modules/types.js';
import { playbookSchemaForEditors } from '../loader/schemas.js';

function uniqueModules(): Module[] {
  return [...new Set(modules.values())].sort((a, b) => a.name.localeCompare(b.name));
}

function typeOf(schema: Record<string, any>): string {
  if (schema.enum) return schema.enum.map((v: unknown) => JSON.stringify(v)).join(' | ');
  if (schema.type) return ([] as string[]).concat(schema.type).join(' | ');
  if (schema.anyOf || schema.oneOf) return (schema.anyOf ?? schema.oneOf).map(typeOf).join(' | ');
  return 'any';
}

export function moduleMarkdown(mod: Module): string {
  const props = ((mod.schema as Record<string, any>).properties ?? {}) as Record<string, Record<string, any>>;
  const required = new Set<string>(((mod.schema as Record<string, any>).required as string[]) ?? []);
  const names = [mod.name, ...(mod.aliases ?? [])].map((n) => `\`${n}\``).join(', ');
  const lines = [`## ${mod.name}`, '', mod.doc.description, '', `Names: ${names}${mod.name.includes('.') ? '' : `, \`ansible.builtin.${mod.name}\``}.`, ''];
  if (Object.keys(props).length) {
    lines.push('| argument | type | required | description |', '|---|---|---|---|');
    for (const [name, p] of Object.entries(props)) lines.push(`| \`${name}\` | ${typeOf(p).replace(/\|/g, '\\|')} | ${required.has(name) ? 'yes' : ''} | ${(p.description ?? '').replace(/\|/g, '\\|').replace(/\n/g, ' ')}${p.default !== undefined ? ` (default ${JSON.stringify(p.default)})` : ''} |`);
    lines.push('');
  }
  if (mod.doc.returns && Object.keys(mod.doc.returns).length) {
    lines.push('Returns:', '');
    for (const [k, v] of Object.entries(mod.doc.returns)) lines.push(`- \`${k}\`: ${v}`);
    lines.push('');
  }
  lines.push('```yaml', mod.doc.example.trim(), '```', '');
  return lines.join('\n');
}

export function modulesMarkdown(): string {
  const mods = uniqueModules();
  return [
    '# Module reference',
    '',
    'Generated from each module\'s JSON Schema and doc (`npm run docs`); do not edit by hand.',
    'Every module behaves as the Ansible 2.14 module of the same name unless its text says otherwise; `uxsv.*` modules are ours.',
    '',
    ...mods.map((m) => `- [${m.name}](#${m.name.replace(/[^a-z0-9_-]/gi, '').toLowerCase()})`),
    '',
    ...mods.map(moduleMarkdown),
  ].join('\n');
}

export function playbookSchemaJson(): string {
  return JSON.stringify(playbookSchemaForEditors([...modules.keys()].sort()), null, 2) + '\n';
}

export function registerDocCommand(program: Command, io: { write(text: string): void }): void {
  program
    .command('doc')
    .description("a module's reference (arguments, return values, example); --markdown for all; --schema for the playbook JSON Schema")
    .argument('[module]', 'module name')
    .option('--markdown', 'every module, as Markdown (docs/modules.md)')
    .option('--schema', 'the playbook JSON Schema for editors (schemas/playbook.schema.json)')
    .action((name: string | undefined, options: { markdown?: boolean; schema?: boolean }) => {
      if (options.schema) return io.write(playbookSchemaJson());
      if (options.markdown || !name) return io.write(options.markdown ? modulesMarkdown() : uniqueModules().map((m) => `${m.name.padEnd(22)} ${m.doc.description.split('. ')[0]}`).join('\n') + '\n');
      const mod = modules.get(name);
      if (!mod) throw new UserError(`no module named '${name}' (uxsv doc lists them)`);
      io.write(moduleMarkdown(mod));
    });
}
