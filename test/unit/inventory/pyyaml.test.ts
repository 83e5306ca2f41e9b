import { describe, expect, it } from 'vitest';
import { dumpPyYaml } from '../../../engine/inventory/pyyaml.js';

// Expected texts are PyYAML 6's yaml.dump(data, default_flow_style=False, allow_unicode=True) for the same data.
describe('YAML as PyYAML writes it', () => {
  it('sorts keys, leaves sequences unindented under a key, writes empty collections inline', () => {
    const data = { z: 1, a: [1, 2], m: { k: 'v' }, e: {}, l: [], seq: [{ b: 1, a: [1, 2] }, [3, 4]] };
    expect(dumpPyYaml(data)).toBe('a:\n- 1\n- 2\ne: {}\nl: []\nm:\n  k: v\nseq:\n- a:\n  - 1\n  - 2\n  b: 1\n- - 3\n  - 4\nz: 1\n');
  });

  it('quotes strings YAML 1.1 would read as something else, or that hold indicators', () => {
    const data = {
      s: 'yes', n: '123', f: '1.5', date: '2001-12-14', nul: 'Null', octal: '0777', hex: '0x1F', tilde: '~', e: '',
      c: 'a: b', h: '#x', dash: '- x', lead: ' x', trail: 'x ', colend: 'x:', amp: '&x', q2: '"',
      col: 'a:b', ver: '1.2.3.4', sci: '1e3', q: "it's", dq: 'say "hi"', excl: 'a !b', u: 'příbor', dot: '.', qm: '?x',
    };
    expect(dumpPyYaml(data)).toBe(
      [
        "amp: '&x'", "c: 'a: b'", 'col: a:b', "colend: 'x:'", "dash: '- x'", "date: '2001-12-14'", 'dot: .', 'dq: say "hi"', "e: ''",
        'excl: a !b', "f: '1.5'", "h: '#x'", "hex: '0x1F'", "lead: ' x'", "n: '123'", "nul: 'Null'", "octal: '0777'", "q: it's",
        'q2: \'"\'', 'qm: ?x', "s: 'yes'", 'sci: 1e3', "tilde: '~'", "trail: 'x '", 'u: příbor', 'ver: 1.2.3.4', '',
      ].join('\n'),
    );
  });

  it('double-quotes control characters, and writes line breaks doubled inside single quotes', () => {
    expect(dumpPyYaml({ t: 'tab\there', ctrl: 'a\x01b' })).toBe('ctrl: "a\\x01b"\nt: "tab\\there"\n');
    expect(dumpPyYaml({ k: 'a\nb', nl2: 'line1\nline2\n' })).toBe("k: 'a\n\n  b'\nnl2: 'line1\n\n  line2\n\n  '\n");
  });

  it('folds long scalars at a space past column 80, continuing two columns in', () => {
    const words = 'word '.repeat(20);
    expect(dumpPyYaml({ top: { k: [words, { m: words }], e: 'a '.repeat(45) } })).toBe(
      [
        'top:',
        "  e: 'a a a a a a a a a a a a a a a a a a a a a a a a a a a a a a a a a a a a a a",
        "    a a a a a a a '",
        '  k:',
        "  - 'word word word word word word word word word word word word word word word word",
        "    word word word word '",
        "  - m: 'word word word word word word word word word word word word word word word",
        "      word word word word word '",
        '',
      ].join('\n'),
    );
  });

  it('anchors a collection met twice, numbered in the order of its second meeting', () => {
    const x = { a: 1 };
    const l = [1];
    expect(dumpPyYaml({ top: { al: x, x2: [x, l, l] }, z: x })).toBe('top:\n  al: &id001\n    a: 1\n  x2:\n  - *id001\n  - &id002\n    - 1\n  - *id002\nz: *id001\n');
  });
});
