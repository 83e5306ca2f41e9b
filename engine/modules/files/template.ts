/**
 * template: render a Jinja2 template on the controller (looked up in the
 * role's templates/ folder) with the task's variables, Ansible's template_*
 * variables and the Jinja options given, then put the result at `dest`
 * exactly as copy puts a local file.
 */
import { statSync } from 'node:fs';
import { basename, dirname, join, relative } from 'node:path';
import type { Module, ModuleContext, TemplateOptions } from '../types.js';
import { readFacts, type FactRequest } from '../../facts/index.js';
import { fileFact, type RemoteFileState } from '../../facts/file.js';
import type { Identities } from '../../facts/identity.js';
import { decodeUtf8 } from '../../loader/yaml.js';
import { UserError } from '../../errors.js';
import { TemplateError, templateModuleMessage } from '../../template/index.js';
import { boolSchema, stringSchema, text, toBool } from '../lib/args.js';
import { ansibleMode } from './common.js';
import { copyArgs, copySchemaProperties, identityRequest, putOptions, putQueries, putState } from './copy.js';
import { planPut, readDiffContent, type PutOptions, type PutState, type SourceFile } from './copy-local.js';
import { LocalSourceError, readLocalSource } from './local-source.js';
import { templateVars } from './template-vars.js';

interface TemplateState {
  error?: string;
  item?: SourceFile;
  put?: PutState;
  ids?: Identities;
}

const NEWLINES: Record<string, string> = { '\\n': '\n', '\\r': '\r', '\\r\\n': '\r\n' };

/** The text in an output_encoding, as Python's str.encode would give it. */
export function encodeOutput(textValue: string, encoding: string): Buffer {
  const name = encoding.toLowerCase().replace(/_/g, '-');
  if (['utf-8', 'utf8', 'u8'].includes(name)) return Buffer.from(textValue, 'utf8');
  if (['latin-1', 'latin1', 'iso-8859-1', 'iso8859-1', 'l1'].includes(name)) return Buffer.from(textValue, 'latin1');
  if (['ascii', 'us-ascii'].includes(name)) {
    if (/[^\x00-\x7f]/.test(textValue)) throw new Error(`UnicodeEncodeError: 'ascii' codec can't encode characters`);
    return Buffer.from(textValue, 'ascii');
  }
  if (['utf-16-le', 'utf-16le'].includes(name)) return Buffer.from(textValue, 'utf16le');
  if (['utf-16', 'utf16'].includes(name)) return Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(textValue, 'utf16le')]);
  throw new Error(`LookupError: unknown encoding: ${encoding}`);
}

/**
 * The Jinja options for ctx.renderTemplate: the task's settings, the
 * template_* variables, and where includes and imports are looked for (as
 * Ansible: each folder of the search path, the playbook's and the template's,
 * with and without templates/).
 */
function templateOptions(args: Record<string, any>, extraVars: Record<string, unknown>, searchPaths: string[]): TemplateOptions {
  const options: TemplateOptions & { searchPaths: string[] } = {
    searchPaths,
    trim_blocks: toBool(args.trim_blocks, true),
    lstrip_blocks: toBool(args.lstrip_blocks, false),
    keep_trailing_newline: true,
    extraVars,
  };
  for (const key of ['variable_start_string', 'variable_end_string', 'block_start_string', 'block_end_string', 'comment_start_string', 'comment_end_string'] as const) {
    const value = text(args[key]);
    if (value !== undefined) options[key] = value;
  }
  const newline = text(args.newline_sequence);
  if (newline !== undefined) options.newline_sequence = NEWLINES[newline] ?? newline;
  return options;
}

/** A template is put as copy puts a local file. */
function templatePutOptions(args: Record<string, any>): PutOptions {
  const a = copyArgs(args);
  return putOptions(a, a.dest!, false, a.follow);
}

/** What the template's read asks the host: the destination as copy sees it, and the ids of owner and group. */
function templateRequests(args: Record<string, any>, dest: string, path: string): FactRequest[] {
  const ids = identityRequest(copyArgs(args).attributes);
  const queries = putQueries(dest, { rel: basename(path) });
  return ids ? [[fileFact, queries], ids] : [[fileFact, queries]];
}

async function readTemplate(ctx: ModuleContext, args: Record<string, any>): Promise<TemplateState> {
  if (args.state !== undefined) return { error: "'state' cannot be specified on a template" };
  const src = text(args.src);
  const dest = text(args.dest);
  if (src === undefined || dest === undefined) return { error: 'src and dest are required' };
  const newline = text(args.newline_sequence) ?? '\n';
  if (!['\n', '\r', '\r\n'].includes(NEWLINES[newline] ?? newline)) return { error: 'newline_sequence needs to be one of: \n, \r or \r\n' };
  let path: string;
  try {
    path = ctx.findFile('templates', src);
  } catch (err) {
    return { error: err instanceof Error ? err.message : String(err) };
  }
  const shown = relative(process.cwd(), path).startsWith('..') ? path : relative(process.cwd(), path);
  let source: string;
  try {
    source = decodeUtf8(readLocalSource(path), shown);
  } catch (error) {
    if (error instanceof LocalSourceError) return { error: error.message };
    // Ansible refuses it ("Template source files must be utf-8 encoded"); the message here also says where.
    if (error instanceof UserError) return { error: `Template source files must be utf-8 encoded: ${error.format()}` };
    throw error;
  }
  const folders = [...(ctx.searchPath ?? []), process.cwd(), dirname(path)];
  const searchPaths = [...new Set(folders.flatMap((folder) => [join(folder, 'templates'), folder]))];
  let extraVars: Record<string, unknown>;
  try {
    extraVars = templateVars(src, path, dest);
  } catch (error) {
    return { error: error instanceof Error ? error.message : String(error) };
  }
  const options = templateOptions(args, extraVars, searchPaths);
  let rendered: string;
  try {
    rendered = ctx.renderTemplate(source, `${ctx.location}: template ${shown}`, options);
  } catch (error) {
    // Ansible's words first ("TemplateSyntaxError: ...", "AnsibleUndefinedVariable: ..."), then where it happened.
    if (!(error instanceof TemplateError)) throw error;
    const ansible = templateModuleMessage(error);
    return { error: ansible === error.message ? error.format() : `${ansible} (${error.format()})` };
  }
  // The line endings asked for, whether or not the renderer applied them (converting twice changes nothing).
  if (options.newline_sequence !== undefined && options.newline_sequence !== '\n') rendered = rendered.replace(/\r\n|\r|\n/g, options.newline_sequence);
  const item: SourceFile = {
    rel: basename(path),
    bytes: encodeOutput(rendered, text(args.output_encoding) || 'utf-8'),
    localPath: path,
    localMode: ansibleMode((statSync(path).mode & 0o7777).toString(8)),
  };
  const [states, identities] = await readFacts(ctx, templateRequests(args, dest, path) as never) as unknown as [RemoteFileState[], Identities?];
  let put = putState(states);
  if (ctx.diff) [put] = await readDiffContent(ctx, [{ o: templatePutOptions(args), item, state: put }]);
  return { item, put, ...(identities ? { ids: identities } : {}) };
}

export const template: Module<Record<string, any>, TemplateState> = {
  name: 'template',
  schema: {
    type: 'object',
    properties: {
      ...copySchemaProperties,
      src: { type: 'string', description: 'The Jinja2 template (looked up in the role\'s templates/).' },
      newline_sequence: { enum: ['\n', '\r\n', '\r', '\\n', '\\r\\n', '\\r'], description: 'Line endings of the result.', default: '\n' },
      trim_blocks: { ...boolSchema, description: 'Remove the first newline after a block tag.', default: true },
      lstrip_blocks: { ...boolSchema, description: 'Strip spaces and tabs before a block tag.', default: false },
      block_start_string: stringSchema, block_end_string: stringSchema,
      variable_start_string: stringSchema, variable_end_string: stringSchema,
      comment_start_string: stringSchema, comment_end_string: stringSchema,
      output_encoding: { type: 'string', description: 'Encoding of the written file.', default: 'utf-8' },
      state: {},
    },
    additionalProperties: false,
  },
  doc: {
    description: 'Render a Jinja2 template (looked up in the role\'s templates/ folder) with the task\'s variables (plus template_host, template_path, template_fullpath, template_destpath, template_uid, template_mtime, template_run_date, ansible_managed) and put the result at `dest` like copy: atomic and checked write, validate, backup, owner/group/mode (preserve: the template\'s), follow for a dest that is a link.',
    returns: {
      dest: 'the file written', checksum: 'sha1 of the rendered content', md5sum: 'md5 (when written)', size: 'bytes',
      mode: 'mode', owner: 'owner', group: 'group', uid: 'owner id', gid: 'group id', state: 'file', backup_file: 'backup path, when backup is set',
    },
    example: [
      '- name: nginx site',
      '  template:',
      '    src: site.conf.j2',
      '    dest: /etc/nginx/sites-available/site.conf',
      "    mode: '0644'",
      '  notify: reload nginx',
    ].join('\n'),
  },
  read: readTemplate,
  readAhead(ctx, args) {
    const src = text(args.src);
    const dest = text(args.dest);
    if (args.state !== undefined || src === undefined || dest === undefined) return undefined;
    return templateRequests(args, dest, ctx.findFile('templates', src));
  },
  plan(ctx, args, state) {
    if (state.error) return { changed: false, failed: true, msg: state.error };
    return planPut(ctx, templatePutOptions(args), state.item!, state.put!, state.ids);
  },
};
