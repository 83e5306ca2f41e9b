/**
 * The csvfile lookup: the row whose first field is the term, its `col`th
 * field (0-based, default 1). Fields are read as Python's csv module reads
 * them (excel dialect, any one-character delimiter, TAB by default).
 */
import { isString, pyStr } from '../template/python.js';
import { LookupError } from './errors.js';
import { parseKv, pyInt, resolveOptions, type OptionSpecs } from './options.js';
import { decodeBytes, splitLinesKeepEnds } from './pytext.js';
import { findInSearchPath, readFileContents } from './search.js';
import { termList } from './terms.js';
import type { LookupContext, LookupPlugin } from './types.js';

const OPTIONS: OptionSpecs = {
  col: { default: '1' },
  default: {},
  delimiter: { default: 'TAB' },
  file: { default: 'ansible.csv' },
  encoding: { default: 'utf-8' },
};

type State = 'startRecord' | 'startField' | 'inField' | 'inQuoted' | 'quoteInQuoted' | 'eatCrnl';

/**
 * Python's csv.reader (excel dialect, not strict): quoted fields with
 * doubled quotes, text after a closing quote kept, a record per line
 * unless a quoted field spans lines, empty lines giving empty rows.
 */
export function readCsv(text: string, delimiter: string): string[][] {
  const rows: string[][] = [];
  let fields: string[] = [];
  let field = '';
  let state: State = 'startRecord';
  const save = () => {
    fields.push(field);
    field = '';
  };
  const endRecord = () => {
    rows.push(fields);
    fields = [];
  };
  const startField = (c: string) => {
    if (c === '\n' || c === '\r') {
      save();
      state = 'eatCrnl';
    } else if (c === '"') state = 'inQuoted';
    else if (c === delimiter) {
      save();
      state = 'startField';
    } else {
      field += c;
      state = 'inField';
    }
  };
  for (const line of splitLinesKeepEnds(text)) {
    for (const c of line) {
      const newline = c === '\n' || c === '\r';
      switch (state) {
        case 'startRecord':
          // An empty line is an empty row; anything else starts a field.
          if (newline) state = 'eatCrnl';
          else startField(c);
          break;
        case 'startField':
          startField(c);
          break;
        case 'inField':
          if (newline) {
            save();
            state = 'eatCrnl';
          } else if (c === delimiter) {
            save();
            state = 'startField';
          } else field += c;
          break;
        case 'inQuoted':
          if (c === '"') state = 'quoteInQuoted';
          else field += c;
          break;
        case 'quoteInQuoted':
          if (c === '"') {
            field += c;
            state = 'inQuoted';
          } else if (c === delimiter) {
            save();
            state = 'startField';
          } else if (newline) {
            save();
            state = 'eatCrnl';
          } else {
            field += c;
            state = 'inField';
          }
          break;
        case 'eatCrnl':
          if (!newline) throw new LookupError('new-line character seen in unquoted field - do you need to open the file with newline=\'\'?', '_csv.Error');
          break;
      }
    }
    // The end of a line ends the record, unless inside a quoted field.
    if (state === 'inQuoted') continue;
    if (state === 'startRecord') rows.push([]);
    else {
      if (state !== 'eatCrnl') save();
      endRecord();
    }
    state = 'startRecord';
  }
  if (state === 'inQuoted' || field !== '') {
    save();
    endRecord();
  }
  return rows;
}

export const csvfile: LookupPlugin = {
  name: 'csvfile',
  run(terms, options, ctx) {
    const params = resolveOptions('csvfile', OPTIONS, options);
    const out: unknown[] = [];
    for (const term of termList(terms)) {
      const kv = parseKv(isString(term) ? String(term) : pyStr(term));
      if (kv._raw_params === undefined) throw new LookupError('Search key is required but was not found');
      const key = String(kv._raw_params);
      // As in Ansible, k=v options in a term stay set for the terms after it.
      for (const [name, value] of Object.entries(kv)) {
        if (name === '_raw_params') continue;
        if (!Object.hasOwn(params, name)) throw new LookupError(`${name} is not a valid option`);
        params[name] = value;
      }
      if (params.delimiter === 'TAB') params.delimiter = '\t';
      const found = findInSearchPath(ctx, 'files', pyStr(params.file));
      const value = lookupRow(ctx, found, key, params);
      if (value !== null && value !== undefined) out.push(...(Array.isArray(value) ? value : [value]));
    }
    return out;
  },
};

function lookupRow(ctx: LookupContext, file: string | undefined, key: string, params: Record<string, unknown>): unknown {
  try {
    if (file === undefined) throw new LookupError("[Errno 2] No such file or directory: b'None'");
    const delimiter = pyStr(params.delimiter);
    if ([...delimiter].length !== 1) throw new LookupError('"delimiter" must be a 1-character string');
    const text = decodeBytes(readFileContents(ctx, file), pyStr(params.encoding), true);
    for (const row of readCsv(text, delimiter)) {
      if (row.length && row[0] === key) {
        const col = pyInt(params.col);
        const index = col < 0 ? row.length + col : col;
        if (index < 0 || index >= row.length) throw new LookupError('list index out of range');
        return row[index];
      }
    }
  } catch (err) {
    throw new LookupError(`csvfile: ${(err as Error).message}`);
  }
  return params.default;
}
