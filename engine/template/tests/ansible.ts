/**
 * Ansible's general tests: match, search and regex (Python's re), truthy
 * and falsy (optionally with Ansible's boolean words), any, all, and
 * vault_encrypted.
 */
import { isString, pyStr, truthy } from '../python.js';
import { pyRegex } from '../regex.js';
import { toBool } from '../../values.js';
import { isVaultEncrypted } from '../filters/vault.js';
import { asList, bindArgs, strict, type TestFn } from '../filters/support.js';

function regex(value: unknown, pattern: unknown, ignorecase: unknown, multiline: unknown, matchType: unknown): boolean {
  strict(value);
  const text = isString(value) ? String(value) : pyStr(value);
  const flags = (truthy(ignorecase ?? false) ? 'i' : '') + (truthy(multiline ?? false) ? 'm' : '');
  const kind = pyStr(matchType);
  if (!['search', 'match', 'fullmatch'].includes(kind)) throw new TypeError("'str' object is not callable");
  const source = pyStr(pattern ?? '');
  const re = kind === 'search' ? pyRegex(source, flags) : pyRegex(kind === 'fullmatch' ? `(?:${source})$` : source, `${flags}y`);
  if (kind === 'fullmatch') {
    // `$` in multiline mode would also stop at a newline; a full match must reach the end.
    const m = pyRegex(source, `${flags}y`);
    const found = m.exec(text);
    if (found && found[0].length === text.length) return true;
    return re.exec(text)?.[0].length === text.length;
  }
  return re.exec(text) !== null;
}

function truthyTest(value: unknown, args: unknown[]): boolean {
  const [convertBool = false] = bindArgs('truthy', args, ['convert_bool']);
  let v = strict(value);
  if (truthy(convertBool)) {
    try {
      v = toBool(v);
    } catch (err) {
      if (!(err instanceof TypeError)) throw err;
    }
  }
  return truthy(v);
}

export const ansibleTests: Record<string, TestFn> = {
  match: (v, ...args) => {
    const [pattern = '', ignorecase = false, multiline = false] = bindArgs('match', args, ['pattern', 'ignorecase', 'multiline']);
    return regex(v, pattern, ignorecase, multiline, 'match');
  },
  search: (v, ...args) => {
    const [pattern = '', ignorecase = false, multiline = false] = bindArgs('search', args, ['pattern', 'ignorecase', 'multiline']);
    return regex(v, pattern, ignorecase, multiline, 'search');
  },
  regex: (v, ...args) => {
    const [pattern = '', ignorecase = false, multiline = false, matchType = 'search'] =
      bindArgs('regex', args, ['pattern', 'ignorecase', 'multiline', 'match_type']);
    return regex(v, pattern, ignorecase, multiline, matchType);
  },
  truthy: (v, ...args) => truthyTest(v, args),
  falsy: (v, ...args) => !truthyTest(v, args),
  any: (v) => asList(v).some((x) => truthy(x)),
  all: (v) => asList(v).every((x) => truthy(x)),
  vault_encrypted: (v) => isVaultEncrypted(v),
};
