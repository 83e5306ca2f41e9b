/**
 * The command module's word handling: Python's shlex.split (expected values
 * below are Python 3.11's answers), and expandvars/expanduser done by the
 * host's shell exactly where Python would expand.
 */
import { describe, expect, it } from 'vitest';
import { localContext } from '../../../helpers/module-context.js';
import { expandedWord, globWord, pySplitlines, shlexSplit } from '../../../../engine/modules/core/shlex.js';

const PYTHON_SHLEX: Array<[string, string[]]> = [
  ['a b  c', ['a', 'b', 'c']],
  ["a 'b c' \"d e\"", ['a', 'b c', 'd e']],
  ['a\\ b', ['a b']],
  ['"a\\"b"', ['a"b']],
  ['"a\\$b"', ['a\\$b']],
  ["'a\\b'", ['a\\b']],
  ["a''b", ['ab']],
  ["''", ['']],
  ['x\\\ny', ['x\ny']],
  ['a\tb\rc\nd', ['a', 'b', 'c', 'd']],
  ['"a\\\\b"', ['a\\b']],
  ["echo $HOME '$HOME' \"$HOME\"", ['echo', '$HOME', '$HOME', '$HOME']],
  ['a#b c', ['a#b', 'c']],
  ['é ü', ['é', 'ü']],
];

describe('shlexSplit', () => {
  it('splits like Python\'s shlex.split', () => {
    for (const [text, words] of PYTHON_SHLEX) expect(shlexSplit(text), JSON.stringify(text)).toEqual(words);
  });

  it('fails like Python on unterminated quotes and escapes', () => {
    expect(() => shlexSplit('a "b')).toThrow('No closing quotation');
    expect(() => shlexSplit("a 'b")).toThrow('No closing quotation');
    expect(() => shlexSplit('a \\')).toThrow('No escaped character');
  });

  it('splits lines like Python\'s splitlines', () => {
    expect(pySplitlines('a\nb\r\nc\rd\x0be\n')).toEqual(['a', 'b', 'c', 'd', 'e']);
    expect(pySplitlines('')).toEqual([]);
    expect(pySplitlines('\n')).toEqual(['']);
  });
});

/** What the host's shell makes of a word (printed between brackets). */
async function hostWord(word: string, env: Record<string, string> = {}): Promise<string> {
  const res = await localContext().run(`printf '[%s]' ${word}`, { env });
  return res.stdout.toString();
}

describe('expandedWord', () => {
  const env = { UXSV_SET: 'v a l', UXSV_EMPTY: '' };
  // Python 3.11: os.path.expanduser(os.path.expandvars(word)) with UXSV_SET="v a l", UXSV_EMPTY="" and UXSV_UNSET unset, HOME=/root.
  const PYTHON: Array<[string, string]> = [
    ['$UXSV_SET', 'v a l'], ['${UXSV_SET}x', 'v a lx'], ['$UXSV_UNSET', '$UXSV_UNSET'], ['${UXSV_UNSET}', '${UXSV_UNSET}'],
    ['$UXSV_EMPTY.', '.'], ['a$', 'a$'], ['$1', '$1'], ['${not valid}', '${not valid}'], ['~root/y', '/root/y'],
    ['~nosuchuserzz/z', '~nosuchuserzz/z'], ['x~', 'x~'],
  ];

  it('expands $VAR and ~ as Python would, one word each', async () => {
    for (const [word, want] of PYTHON) expect(await hostWord(expandedWord(word), env), word).toBe(`[${want}]`);
    expect(await hostWord(expandedWord('~/x'), { HOME: '/home/h' })).toBe('[/home/h/x]');
  });

  it('leaves hostile text alone', async () => {
    for (const word of ['$(touch /tmp/uxsv-owned)', '`id`', "it's", '-n', 'a\nb', '*', '$((1+1))', '\\']) {
      expect(await hostWord(expandedWord(word))).toBe(`[${word}]`);
    }
  });

  it('does not expand anything without expand_argument_vars', async () => {
    expect(await hostWord(expandedWord('$UXSV_SET ~', false), env)).toBe('[$UXSV_SET ~]');
  });

  it('keeps glob characters active only in path patterns', () => {
    expect(globWord('/tmp/a b/*.txt')).toBe("'/tmp/a b/'*.txt");
    expect(globWord("/x/[ab]'")).toBe("/x/[ab]''\\'''");
    expect(globWord('/x/[a b]')).toBe("'/x/[a b]'");
  });
});
