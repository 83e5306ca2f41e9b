"""Writes reference.json: what Python's difflib, textwrap, json.dumps and repr()
make of a set of inputs, for the tests of uxsv's versions of them (the output
layer reproduces ansible-playbook, which prints through these).
    python3 reference.py"""
import difflib
import json
import random
import textwrap

rng = random.Random(2014)


def lines(n, alphabet):
    return [rng.choice(alphabet) + '\n' for _ in range(n)]


diff_cases = []
for size, alphabet in [(5, 'ab'), (12, 'abc'), (30, 'abcd'), (80, 'abcdefgh'), (250, 'abc'), (400, 'abcdefghijklmnop')]:
    for _ in range(3):
        a = lines(size, alphabet)
        b = list(a)
        for _ in range(max(1, size // 10)):
            op = rng.choice(['del', 'ins', 'rep'])
            at = rng.randrange(len(b) + 1) if b else 0
            if op == 'del' and b and at < len(b):
                del b[at]
            elif op == 'ins':
                b.insert(at, rng.choice(alphabet) + '\n')
            elif b and at < len(b):
                b[at] = rng.choice(alphabet + 'z') + '\n'
        context = rng.choice([0, 1, 3, 5])
        diff_cases.append({'a': a, 'b': b, 'context': context,
                           'diff': list(difflib.unified_diff(a, b, 'before: x', 'after: y', '', '', n=context))})
# Lines that repeat far more than 1% of a long text (difflib leaves them out of its index).
a = ['x\n'] * 150 + ['a\n', 'b\n'] + ['x\n'] * 150
b = ['x\n'] * 149 + ['a\n', 'c\n'] + ['x\n'] * 152
diff_cases.append({'a': a, 'b': b, 'context': 3, 'diff': list(difflib.unified_diff(a, b, 'before', 'after', '', '', n=3))})

texts = [
    'A short one.',
    'This warning is long enough that it has to be wrapped onto several lines, word by word, with a-very-long-hyphenated-compound-word-that-may-break near the end.',
    'averyveryveryveryveryveryveryveryveryveryveryveryveryveryveryveryveryveryveryveryveryverylongword and more',
    'tabs\there   and  spaces,\nnewlines\r\ntoo   ',
    'em--dash between words -- and spaced, --option and -x flags, well-known co-op self--made',
    'ünïcödé wörds ✓ and 中文字符 mixed in a line that is long enough to be wrapped at the width given here',
    '   leading spaces and trailing spaces   ',
    'x' * 200,
    'hyphen-at-the-' + 'y' * 90,
    '--- starts with dashes and 123-456-789 numbers-with-hyphens a1-b2 ab-cd-ef',
    '',
    '   ',
    '😀 emoji 😀😀😀 wrapped words 🎉-🎉 in a line long-enough to be wrapped here and there',
    '😀' * 45 + '-' + '🎉' * 40,
    'private \ue000 use and 😀 together \ue001😀',
]
wrap_cases = []
for text in texts:
    for width in (10, 30, 79):
        for drop in (True, False):
            wrap_cases.append({'text': text, 'width': width, 'drop': drop,
                               'lines': textwrap.wrap(text, width, drop_whitespace=drop)})

values = [
    'plain', "it's", 'say "hi"', "both ' and \"", 'back\\slash', 'new\nline\ttab\r', '\x00\x1f\x7f\x85\xa0', 'ünï ✓ 中 😀', '\u200b\u2028',
    0, 42, -7, 2 ** 53, 1.5, -0.25, 1e-5, 0.0001, 123456789.125, 5e-324, 1.5e15 + 0.5, 1796020151.6424112, 0.1 + 0.2,
    True, False, None, [], {}, [1, 'a', None, [True]], {'b': 1, 'a': {'z': [1, {'y': None}], 'é': 'x'}, '😀': 1, '\uffff': 2},
]
value_cases = [{'value': v, 'repr': repr(v), 'str': str(v), 'json': json.dumps(v, ensure_ascii=False, sort_keys=True),
                'json4': json.dumps(v, ensure_ascii=False, sort_keys=True, indent=4),
                'ascii4': json.dumps(v, sort_keys=True, indent=4, separators=(',', ': '))} for v in values]

with open('reference.json', 'w') as out:
    json.dump({'diff': diff_cases, 'wrap': wrap_cases, 'values': value_cases}, out, ensure_ascii=False, indent=1)
    out.write('\n')
