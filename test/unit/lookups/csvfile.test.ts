import { afterAll, describe, expect, it } from 'vitest';
import { readCsv } from '../../../engine/lookups/csvfile.js';
import { errorOf, evaluator, fixture, removeFixtures } from './fixture.js';

afterAll(removeFixtures);

const PEOPLE = `# Last,First,Email,Extension
Smith,Jane,jsmith@example.com,1234
Ipsum,Lorem,lipsum@another.example.com,9001
"German von Lastname",Demo,hello@example.com,123123
Example,Person,"crazy email"@example.com,9876
"""The Rock"" Johnson",Dwayne,rock@example.com,1
"multi
line",yes,x,y

empty,,,
`;

// Expected values: Ansible 2.14 on the same files.
describe('csvfile', () => {
  const root = fixture({
    'files/people.csv': PEOPLE,
    'files/tabs.tsv': 'fruit\tbananas\t30\nfruit\tapples\t9\nelectronics\ttvs\t8\n',
    'files/crlf.csv': 'this file,has,crlf,line,endings\r\nansible,parses,them,just,fine\r\n',
    'files/x1a.csv': 'separated\x1aby\x1ax1a\x1achars\nagain\x1abecause\n',
    'files/latin.csv': Buffer.from('caf\xe9,cr\xe8me\n', 'latin1'),
    'files/cool list of things.csv': 'maybe,i,will,work\n',
  });
  const { evaluate } = evaluator(root);

  it('finds the row by its first field and returns a column (1 by default)', () => {
    expect(evaluate("lookup('csvfile', 'Smith file=people.csv delimiter=,')")).toBe('Jane');
    expect(evaluate("lookup('csvfile', 'Example', file='people.csv', delimiter=',', col=2)")).toBe('crazy email@example.com');
    expect(evaluate("lookup('csvfile', 'German von Lastname file=people.csv delimiter=, col=1')")).toBe('Demo');
    expect(evaluate("lookup('csvfile', 'Smith file=people.csv delimiter=, col=-1')")).toBe('1234');
    expect(evaluate("lookup('csvfile', 'maybe file=\"cool list of things.csv\" delimiter=, col=3')")).toBe('work');
  });

  it('keeps quotes in the key literally, and reads quoted fields across lines', () => {
    expect(evaluate(`lookup('csvfile', '"The Rock" Johnson file=people.csv delimiter=,')`)).toBe('Dwayne');
    expect(evaluate("lookup('csvfile', key, file='people.csv', delimiter=',')", { key: 'multi\nline' })).toBe('yes');
  });

  it('reads tabs by default (TAB or a tab character), CRLF lines and any one-character delimiter', () => {
    expect(evaluate("lookup('csvfile', 'fruit file=tabs.tsv')")).toBe('bananas');
    expect(evaluate("lookup('csvfile', 'electronics', 'fruit', file='tabs.tsv', col=2)")).toBe('8,30');
    expect(evaluate("lookup('csvfile', 'fruit', file='tabs.tsv', delimiter=tab)", { tab: '\t' })).toBe('bananas');
    expect(evaluate("lookup('csvfile', 'ansible file=crlf.csv delimiter=, col=4')")).toBe('fine');
    expect(evaluate("lookup('csvfile', 'again file=x1a.csv delimiter=' ~ sep)", { sep: '\\x1a' })).toBe('because');
    expect(evaluate("lookup('csvfile', 'café file=latin.csv delimiter=, encoding=latin-1')")).toBe('crème');
  });

  it('no match: the default, else nothing; an empty field is a value', () => {
    expect(evaluate("lookup('csvfile', 'nope file=people.csv delimiter=,')")).toEqual([]);
    expect(evaluate("lookup('csvfile', 'nope file=people.csv delimiter=, default=dflt')")).toBe('dflt');
    expect(evaluate("lookup('csvfile', 'empty file=people.csv delimiter=, col=1')")).toBe('');
  });

  it('k=v options stay set for the following terms', () => {
    expect(evaluate("lookup('csvfile', 'Smith', 'Ipsum col=2', file='people.csv', delimiter=',')")).toBe('Jane,lipsum@another.example.com');
  });

  it("fails with Ansible's messages", () => {
    const fails = (expr: string) => errorOf(() => evaluate(expr)).message;
    expect(fails("lookup('csvfile', 'file=people.csv delimiter=,')")).toContain('Search key is required but was not found');
    expect(fails("lookup('csvfile', 'Smith file=people.csv delimiter=, foo=1')")).toContain('original message: foo is not a valid option');
    expect(fails("lookup('csvfile', 'Smith file=people.csv delimiter=, col=9')")).toContain('csvfile: list index out of range');
    expect(fails("lookup('csvfile', 'Smith file=people.csv delimiter=,, col=1')")).toContain('csvfile: "delimiter" must be a 1-character string');
    expect(fails("lookup('csvfile', 'Smith file=people.csv delimiter=, col=x')")).toContain("csvfile: invalid literal for int() with base 10: 'x'");
    expect(fails("lookup('csvfile', 'foo', file='doesnotexist', delimiter=',')")).toContain("csvfile: [Errno 2] No such file or directory: b'None'");
  });
});

describe('the CSV reader', () => {
  it('reads as Python csv does', () => {
    expect(readCsv('a,"b ""c""",d\n\n"x\ny"z,\n', ',')).toEqual([['a', 'b "c"', 'd'], [], ['x\nyz', '']]);
    expect(readCsv('a\tb\r\nc', '\t')).toEqual([['a', 'b'], ['c']]);
    expect(readCsv('"open', ',')).toEqual([['open']]);
  });
});
