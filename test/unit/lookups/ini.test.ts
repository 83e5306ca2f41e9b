import { afterAll, describe, expect, it } from 'vitest';
import { errorOf, evaluator, fixture, removeFixtures } from './fixture.js';

afterAll(removeFixtures);

const LOOKUP_INI = `[DEFAULT]
base = /srv
shared = from-default

[global]
# A comment
; another comment
value1=Text associated with value1 and global section
Value2 : Same for value2
dir = %(base)s/app
pct = 100%%
multi = first line
  second line

  after blank
unicode=été indien

[section1]
value1=section1/value1
value2=section1/value2
other1=o1
shared = own
`;

// Expected values: Ansible 2.14 (Python's configparser) on the same files.
describe('ini', () => {
  const root = fixture({
    'files/lookup.ini': LOOKUP_INI,
    'files/props.properties': 'value1=Text one\nvalue.dot=Dotted\nfield.with.space = another space\n',
    'files/case.properties': 'name = captain\nNAME = fantastic\n',
    'files/dup.ini': '[reggae]\nname = bob\nname = marley\n',
    'files/dupcase.ini': '[reggae]\nname = bob\nNAME = marley\n',
    'files/mysql.ini': '[mysqld]\nuser = mysql\nskip-external-locking\nold_passwords = 1\n',
    'files/l1.ini': Buffer.from('[global]\nfield=\xe9t\xe9\n', 'latin1'),
    'files/nohead.ini': 'noheader=1\n',
    'files/interp.ini': '[s]\nbad = %(missing)s\nsyn = 50% off\n',
  });
  const { evaluate } = evaluator(root);
  const fails = (expr: string) => errorOf(() => evaluate(expr)).message;

  it('reads a key of a section, with keywords or inline options', () => {
    expect(evaluate("lookup('ini', 'value1', section='global', file='lookup.ini')")).toBe('Text associated with value1 and global section');
    expect(evaluate("lookup('ini', 'value2', section='global', file='lookup.ini')")).toBe('Same for value2');
    expect(evaluate("lookup('ini', 'VALUE1', section='global', file='lookup.ini')")).toBe('Text associated with value1 and global section');
    expect(evaluate("lookup('ini', 'unicode section=global file=lookup.ini')")).toBe('été indien');
    expect(evaluate("lookup('ini', 'value1 section=section1 file=lookup.ini', 'value2')")).toBe('section1/value1,section1/value2');
  });

  it('interpolates, joins continuation lines and sees the DEFAULT section', () => {
    expect(evaluate("lookup('ini', 'dir', section='global', file='lookup.ini')")).toBe('/srv/app');
    expect(evaluate("query('ini', 'multi', 'pct', 'shared', 'base', section='global', file='lookup.ini')")).toEqual([
      'first line\nsecond line\n\nafter blank', '100%', 'from-default', '/srv',
    ]);
    expect(evaluate("lookup('ini', 'shared', section='section1', file='lookup.ini')")).toBe('own');
  });

  it('matches keys with a regular expression from their start (re=True)', () => {
    expect(evaluate("query('ini', '.*1', section='section1', file='lookup.ini', re=True)")).toEqual(['section1/value1', 'o1']);
    expect(evaluate("query('ini', 'v', section='section1', file='lookup.ini', re=True)")).toEqual(['section1/value1', 'section1/value2']);
    expect(evaluate("lookup('ini', 'value[1-2] section=section1 file=lookup.ini re=true')")).toBe('section1/value1,section1/value2');
  });

  it('gives the default for a missing key (a key with spaces included)', () => {
    expect(evaluate("lookup('ini', 'nope', section='section1', file='lookup.ini')")).toBe('');
    expect(evaluate("lookup('ini', 'nope section=section1 file=lookup.ini default=dd')")).toBe('dd');
    expect(evaluate("lookup('ini', 'pct multi', section='global', file='lookup.ini')")).toBe('');
  });

  it('reads Java properties files', () => {
    expect(evaluate("lookup('ini', 'value.dot', type='properties', file='props.properties')")).toBe('Dotted');
    expect(evaluate("lookup('ini', 'field.with.space  type=properties file=props.properties')")).toBe('another space');
    expect(evaluate("lookup('ini', 'NAME', type='properties', file='case.properties', case_sensitive=True)")).toBe('fantastic');
    expect(evaluate("lookup('ini', 'name', type='properties', file='case.properties', case_sensitive=True)")).toBe('captain');
  });

  it('reads other encodings and keys without values', () => {
    expect(evaluate("lookup('ini', 'field section=global file=l1.ini encoding=latin-1')")).toBe('été');
    expect(evaluate("lookup('ini', 'user', section='mysqld', file='mysql.ini', allow_no_value=True)")).toBe('mysql');
    expect(evaluate("lookup('ini', 'skip-external-locking', section='mysqld', file='mysql.ini', allow_none=True)")).toEqual([]);
  });

  it('reports duplicates, missing sections and bad files as Ansible does', () => {
    expect(fails("lookup('ini', 'name', section='reggae', file='dup.ini')")).toContain(
      "Duplicate option in 'dup.ini': While reading from '<???>' [line  3]: option 'name' in section 'reggae' already exists",
    );
    expect(fails("lookup('ini', 'name', section='reggae', file='dupcase.ini')")).toContain("Duplicate option in 'dupcase.ini'");
    expect(evaluate("lookup('ini', 'NAME', section='reggae', file='dupcase.ini', case_sensitive=True)")).toBe('marley');
    expect(fails("lookup('ini', 'value1', section='missing', file='lookup.ini')")).toContain("No section 'missing' in lookup.ini");
    expect(fails("lookup('ini', 'user', section='mysqld', file='mysql.ini')")).toContain(
      "Error was a <class 'configparser.ParsingError'>, original message: Source contains parsing errors: '<???>'\n\t[line  3]: 'skip-external-locking\\n'",
    );
    expect(fails("lookup('ini', 'x', file='nohead.ini')")).toContain("File contains no section headers.\nfile: '<???>', line: 1\n'noheader=1\\n'");
    expect(fails("lookup('ini', 'bad', section='s', file='interp.ini')")).toContain(
      "Bad value substitution: option 'bad' in section 's' contains an interpolation key 'missing' which is not a valid option name. Raw value: '%(missing)s'",
    );
    expect(fails("lookup('ini', 'syn', section='s', file='interp.ini')")).toContain("'%' must be followed by '%' or '(', found: '% off'");
    expect(fails("lookup('ini', 'value1', section='global', file='nope.ini')")).toContain("Invalid filename: 'None'");
  });

  it('rejects bad inline options', () => {
    expect(fails("lookup('ini', 'file=lookup.ini', 'value1', section='global')")).toContain('No key to lookup was provided as first term with in string inline options: file=lookup.ini');
    expect(fails("lookup('ini', 'invalid=option')")).toContain('test: invalid is not a valid option.');
    expect(fails("lookup('ini', 'value1 file=a=b')")).toContain("Could not use 'file=a=b' from '['value1', 'file=a=b']': too many values to unpack (expected 2)");
    expect(fails("lookup('ini', 'value1', type='xml')")).toContain('Invalid value "xml" for configuration option "plugin_type: lookup plugin: ini setting: type ", valid values are: ini, properties');
  });
});
