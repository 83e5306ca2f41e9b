/**
 * `key=value` text as Ansible's parse_kv reads it: Python's escapes are
 * decoded (a quoted "\n" is a newline), octal ones are not (a replacement's
 * back-reference stays), the key is what comes before the first unescaped `=`.
 */
import { describe, expect, it } from 'vitest';
import { decodeEscapes, parseKeyValue, splitArgs } from '../../../engine/loader/kv.js';

const where = { file: 'tasks.yml', line: 3 };

describe('key=value arguments', () => {
  it('decodes the escapes Ansible decodes', () => {
    expect(parseKeyValue('content="a\\nb" dest=/tmp/x', where)).toEqual({ content: 'a\nb', dest: '/tmp/x' });
    expect(decodeEscapes('\\t\\x41\\u00e9\\U0001F600\\\\\\"\\b')).toBe('\tA\u00e9\u{1F600}\\"\b');
  });

  it('keeps octal-looking escapes and unknown ones as written', () => {
    expect(parseKeyValue(`regexp='\\\\b(.+)\\\\b' replace='"\\1"'`, where)).toEqual({ regexp: '\\b(.+)\\b', replace: '"\\1"' });
    expect(decodeEscapes('\\0\\7\\d\\N{DASH}')).toBe('\\0\\7\\d\\N{DASH}');
  });

  it('splits on spaces outside quotes and templates', () => {
    expect(splitArgs(`a=1 b="x y" c={{ d | e('f g') }}`)).toEqual(['a=1', 'b="x y"', "c={{ d | e('f g') }}"]);
  });
});
