/**
 * Conversions with Ansible's rules, shared by the runner (keywords such as
 * `become: yes`), the module argument checks and the `bool` filter.
 */

const TRUE_WORDS = new Set(['y', 'yes', 'on', '1', 'true', 't', '1.0']);
const FALSE_WORDS = new Set(['n', 'no', 'off', '0', 'false', 'f', '0.0', '']);

/**
 * Ansible's boolean(): true for True, 1 and 'y', 'yes', 'on', '1', 'true',
 * 't' (any case, surrounding spaces ignored); false for False, 0, None and
 * 'n', 'no', 'off', '0', 'false', 'f', ''. Anything else is an error when
 * `strict` (the default), else false.
 */
export function toBool(value: unknown, strict = true): boolean {
  if (typeof value === 'boolean') return value;
  if (value === null || value === undefined) return false;
  if (typeof value === 'number') {
    if (value === 1) return true;
    if (value === 0) return false;
  } else if (typeof value === 'string' || value instanceof String) {
    const word = String(value).trim().toLowerCase();
    if (TRUE_WORDS.has(word)) return true;
    if (FALSE_WORDS.has(word)) return false;
  }
  if (!strict) return false;
  throw new TypeError(`The value '${String(value)}' is not a valid boolean. Valid booleans include: 'y', 'yes', 'on', '1', 'true', 't', 1, 1.0, True, 'n', 'no', 'off', '0', 'false', 'f', 0, 0.0, False`);
}
