/**
 * The template lookup: a template file from the task's search path (its
 * `templates` folders first) rendered with the task's variables, Ansible's
 * template_* variables and `template_vars`, with the Jinja delimiters
 * given. As in Ansible, text that reads as a Python list, dict or boolean
 * becomes that value unless `convert_data=False`.
 */
import { readFileSync, statSync } from 'node:fs';
import { hostname } from 'node:os';
import path from 'node:path';
import type { TemplateOptions } from '../modules/types.js';
import { pyStr, type Dict } from '../template/python.js';
import { LookupError } from './errors.js';
import { resolveOptions, type OptionSpecs } from './options.js';
import { parsePythonLiteral } from './pyliteral.js';
import { findInSearchPath, readFileContents } from './search.js';
import { termList } from './terms.js';
import type { LookupContext, LookupPlugin } from './types.js';

const OPTIONS: OptionSpecs = {
  convert_data: { type: 'bool', default: true },
  template_vars: { type: 'dict', default: {} },
  jinja2_native: { type: 'bool', default: false },
  variable_start_string: { type: 'str', default: '{{' },
  variable_end_string: { type: 'str', default: '}}' },
  comment_start_string: { type: 'str' },
  comment_end_string: { type: 'str' },
};

/** The render options of a template lookup: the Jinja options, and where `{% include %}` looks. */
export type LookupTemplateOptions = TemplateOptions & { searchPath?: string[] };

/** Python's str(datetime): `2024-05-01 10:20:30.123456` (no fraction when it is zero). */
function pyDatetime(date: Date): string {
  const pad = (n: number, w = 2) => String(n).padStart(w, '0');
  const base = `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())} ${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}`;
  return date.getMilliseconds() ? `${base}.${pad(date.getMilliseconds() * 1000, 6)}` : base;
}

/** time.strftime for the codes ansible_managed strings use. */
function strftime(format: string, date: Date): string {
  const pad = (n: number) => String(n).padStart(2, '0');
  const days = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];
  const months = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];
  const codes: Record<string, () => string> = {
    Y: () => String(date.getFullYear()), y: () => pad(date.getFullYear() % 100), m: () => pad(date.getMonth() + 1), d: () => pad(date.getDate()),
    H: () => pad(date.getHours()), M: () => pad(date.getMinutes()), S: () => pad(date.getSeconds()), I: () => pad(date.getHours() % 12 || 12),
    p: () => (date.getHours() < 12 ? 'AM' : 'PM'), a: () => days[date.getDay()]!.slice(0, 3), A: () => days[date.getDay()]!,
    b: () => months[date.getMonth()]!.slice(0, 3), B: () => months[date.getMonth()]!, j: () => String(Math.floor((date.getTime() - new Date(date.getFullYear(), 0, 1).getTime()) / 86400000) + 1).padStart(3, '0'),
    '%': () => '%',
  };
  return format.replace(/%(.)/g, (whole, code: string) => codes[code]?.() ?? whole);
}

function ownerName(uid: number): string {
  try {
    const entry = readFileSync('/etc/passwd', 'utf8').split('\n').find((line) => line.split(':')[2] === String(uid));
    return entry?.split(':')[0] ?? String(uid);
  } catch {
    return String(uid);
  }
}

/** Ansible's generate_ansible_template_vars for a template lookup. */
function templateVariables(term: string, file: string, ctx: LookupContext): Dict {
  const stat = statSync(file);
  const host = hostname();
  const uid = ownerName(stat.uid);
  const configured = ctx.config?.('DEFAULT_MANAGED_STR');
  const managed = configured?.known && typeof configured.value === 'string' ? configured.value : 'Ansible managed';
  const managedText = managed.replace(/\{(host|uid|file)\}/g, (_m, key: string) => (key === 'host' ? host : key === 'uid' ? uid : term));
  return {
    template_host: host,
    template_path: term,
    template_mtime: pyDatetime(stat.mtime),
    template_uid: uid,
    template_run_date: pyDatetime(new Date()),
    template_destpath: null,
    template_fullpath: file,
    ansible_managed: strftime(managedText, stat.mtime),
  };
}

/** The task's variables with `layers` over them (later layers win). */
function layered(base: Dict, ...layers: Dict[]): Dict {
  const find = (key: string) => [...layers].reverse().find((layer) => Object.hasOwn(layer, key));
  return new Proxy(base, {
    get: (target, key) => {
      if (typeof key !== 'string') return Reflect.get(target, key);
      const layer = find(key);
      return layer ? layer[key] : Reflect.get(target, key);
    },
    has: (target, key) => (typeof key === 'string' && find(key) !== undefined) || Reflect.has(target, key),
    ownKeys: (target) => [...new Set([...Reflect.ownKeys(target), ...layers.flatMap((l) => Object.keys(l))])],
    getOwnPropertyDescriptor: (target, key) => {
      const layer = typeof key === 'string' ? find(key) : undefined;
      if (layer) return { value: layer[key as string], enumerable: true, configurable: true, writable: true };
      return Reflect.getOwnPropertyDescriptor(target, key);
    },
  });
}

export const template: LookupPlugin = {
  name: 'template',
  run(terms, kwargs, ctx) {
    const opts = resolveOptions('template', OPTIONS, kwargs);
    const native = opts.jinja2_native === true && ctx.config?.('DEFAULT_JINJA2_NATIVE')?.value === true;
    return termList(terms).map((term) => {
      const name = pyStr(term);
      const file = findInSearchPath(ctx, 'templates', name);
      if (file === undefined) throw new LookupError(`the template file ${name} could not be found for the lookup`);
      const text = readFileContents(ctx, file).toString('utf8');
      const vars = layered(ctx.vars, templateVariables(name, file, ctx), opts.template_vars as Dict);
      const options: LookupTemplateOptions = {
        variable_start_string: opts.variable_start_string as string,
        variable_end_string: opts.variable_end_string as string,
        keep_trailing_newline: true,
        native,
        // Includes look beside the template, then in each search folder's templates/ and the folder itself.
        searchPath: [path.dirname(file), ...ctx.searchPath.flatMap((dir) => [path.join(dir, 'templates'), dir])],
      };
      if (opts.comment_start_string !== null && opts.comment_start_string !== undefined) options.comment_start_string = String(opts.comment_start_string);
      if (opts.comment_end_string !== null && opts.comment_end_string !== undefined) options.comment_end_string = String(opts.comment_end_string);
      // Ansible returns text without template markup untouched: no rendering, no conversion.
      const markers = ['{%', options.variable_start_string!, options.comment_start_string ?? '{#'];
      if (!markers.some((marker) => text.includes(marker))) return text;
      const rendered = ctx.renderTemplate(text, file, vars, options);
      if (native || !opts.convert_data) return rendered;
      // Ansible's ansible_eval_concat: text that looks like a list, dict or bool is read as one
      // (Jinja having dropped one trailing newline).
      const trimmed = rendered.endsWith('\n') ? rendered.slice(0, -1) : rendered;
      if (trimmed.startsWith('{') || trimmed.startsWith('[') || trimmed === 'True' || trimmed === 'False') {
        const literal = parsePythonLiteral(trimmed);
        if (literal) return literal.value;
      }
      return rendered;
    });
  },
};
