// Digests, encodings and password hashes. Expected values were checked against ansible-playbook 2.14
// (whose password_hash uses passlib) and crypt(3) on this machine.
import { describe, expect, it } from 'vitest';
import { Templar } from '../../../engine/template/index.js';

const t = new Templar();
const ev = (expr: string, vars: Record<string, unknown> = {}) => t.evaluate(expr, vars, 'test');

describe('digests', () => {
  it('hash with any hashlib algorithm; md5, sha1 and checksum', () => {
    expect(ev("'abc' | hash")).toBe('a9993e364706816aba3e25717850c26c9cd0d89d');
    expect(ev("'abc' | hash('md5')")).toBe('900150983cd24fb0d6963f7d28e17f72');
    expect(ev("'abc' | hash('sha256')")).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    expect(ev("'abc' | hash('sha3_256')")).toBe('3a985da74fe225b2045c172d6bd390bd855f086e3e9d525b46bfe24511431532');
    expect(ev("'abc' | hash('blake2b')")).toMatch(/^ba80a53f981c4d0d/);
    expect(ev('5 | md5')).toBe('e4da3b7fbbce2345d7772b0674a318d5');
    expect(ev("'é' | sha1")).toBe(ev("'é' | checksum"));
    expect(() => ev("'abc' | hash('nosuch')")).toThrow('unsupported hash type nosuch');
  });
});

describe('base64 and uuid', () => {
  it('b64encode and b64decode in a chosen encoding', () => {
    expect(ev("'héllo' | b64encode")).toBe('aMOpbGxv');
    expect(ev("'héllo' | b64encode('utf-16')")).toBe('//5oAOkAbABsAG8A');
    expect(ev("'héllo' | b64encode(encoding='utf-16-le')")).toBe('aADpAGwAbABvAA==');
    expect(ev("'aMOpbGxv' | b64decode")).toBe('héllo');
    expect(ev("'aGVs bG8=' | b64decode")).toBe('hello');
    expect(ev("'aABlAGwAbABvAA==' | b64decode(encoding='utf-16-le')")).toBe('hello');
    expect(ev("'/w==' | b64decode | length")).toBe(1);
    expect(() => ev("'aGVsbG8' | b64decode")).toThrow('Incorrect padding');
    expect(() => ev("'aGVsb' | b64decode")).toThrow('Invalid base64-encoded string: number of data characters (5) cannot be 1 more than a multiple of 4');
  });
  it("to_uuid is uuid5 in Ansible's namespace, or the one given", () => {
    expect(ev("'abc' | to_uuid")).toBe(REF.uuid);
    expect(ev("'abc' | to_uuid(namespace='6ba7b810-9dad-11d1-80b4-00c04fd430c8')")).toBe(REF.uuidDns);
    expect(() => ev("'abc' | to_uuid(namespace='nope')")).toThrow("Invalid value 'nope' for 'namespace': badly formed hexadecimal UUID string");
  });
});

describe('password_hash', () => {
  it('sha512 and sha256 crypt, with the rounds Ansible asks passlib for', () => {
    expect(ev("'secret' | password_hash('sha512', 'saltsalt')")).toBe(REF.sha512);
    expect(ev("'secret' | password_hash('sha512', 'saltsalt', rounds=5000)")).toBe(
      '$6$saltsalt$TVLlQcbpFVof5W3Yz4DTP6gRstiNuHwwTt6GLc1E5n0U0aDehy0S5knV8wiOQSpT0Y77vwPZN.Pq.H91p5hVO1',
    );
    expect(ev("'secret' | password_hash('sha512', 'saltsalt', rounds=1000)")).toBe(
      '$6$rounds=1000$saltsalt$LAV5VE5Y7w1d73x1mFNspYWUpazfmwv2SoepNXNKJ/otop/Zok96Hr8Q13LEv0DRY/x8v0/crpIjl8NJSAqXV/',
    );
    expect(ev("'secret' | password_hash('sha256', 'abcdefghijklmnop', rounds=1234)")).toBe(REF.sha256);
    expect(ev("s | password_hash('sha512', 'x', rounds=5000)", { s: 'é'.repeat(30) })).toBe(REF.sha512Long);
    // A random salt of 16 characters when none is given.
    expect(ev("'secret' | password_hash('sha512', rounds=5000)")).toMatch(/^\$6\$[./0-9A-Za-z]{16}\$[./0-9A-Za-z]{86}$/);
    expect(ev("'secret' | password_hash('md5')")).toMatch(/^\$1\$[./0-9A-Za-z]{8}\$[./0-9A-Za-z]{22}$/);
    expect(ev("'secret' | password_hash('bcrypt', rounds=4)")).toMatch(/^\$2b\$04\$[./0-9A-Za-z]{53}$/);
  });
  it('md5 crypt', () => {
    expect(ev("'secret' | password_hash('md5', 'saltsalt')")).toBe('$1$saltsalt$9xy1btjgzLYfb7hivXtC//');
    expect(ev("'secret' | password_hash('md5_crypt', 'abc')")).toBe('$1$abc$iCQ2D3nhptRYi27fDYv2s1');
    expect(ev("s | password_hash('md5', 'a')", { s: 'p'.repeat(40) })).toBe(REF.md5Long);
  });
  it('bcrypt, with its salt made canonical and the ident asked for', () => {
    expect(ev("'secret' | password_hash('blowfish', 'abcdefghijklmnopqrstuu', rounds=4)")).toBe(REF.bcrypt4);
    expect(ev("'secret' | password_hash('bcrypt', 'abcdefghijklmnopqrstuu', rounds=5)")).toBe(
      '$2b$05$abcdefghijklmnopqrstuuOQiyCxlgf/oeuTqixKmWdcYUh4Hjl0a',
    );
    expect(ev("'secret' | password_hash('bcrypt', 'aaaaaaaaaaaaaaaaaaaaaa', rounds=4, ident='2y')")).toBe(REF.bcryptCanonical);
    expect(ev("s | password_hash('bcrypt', 'abcdefghijklmnopqrstuu', rounds=4)", { s: 'x'.repeat(100) })).toBe(
      ev("s | password_hash('bcrypt', 'abcdefghijklmnopqrstuu', rounds=4)", { s: 'x'.repeat(72) }),
    );
  });
  it("reports what passlib refuses, twice as Ansible does", () => {
    const twice = (m: string) => `${m}. ${m}`;
    expect(() => ev("'secret' | password_hash('nosuch')")).toThrow(twice("passlib does not support 'nosuch' algorithm"));
    expect(() => ev("'secret' | password_hash('sha512', 'abc', rounds=999)")).toThrow(
      twice('Could not hash the secret.. sha512_crypt: min_desired_rounds (999) is too low, must be at least 1000'),
    );
    expect(() => ev("'secret' | password_hash('sha512', 'aaaaaaaaaaaaaaaaa')")).toThrow(
      twice('Could not hash the secret.. salt too large (sha512_crypt requires <= 16 chars)'),
    );
    expect(() => ev("'secret' | password_hash('sha512', 'a$b')")).toThrow(twice('Could not hash the secret.. invalid characters in sha512_crypt salt'));
    expect(() => ev("'secret' | password_hash('bcrypt', 'abc', rounds=4)")).toThrow(
      twice('Could not hash the secret.. salt too small (bcrypt requires exactly 22 chars)'),
    );
    expect(() => ev("'secret' | password_hash('bcrypt', 'abcdefghijklmnopqrstuu', rounds=4, ident='2x')")).toThrow(
      twice("Could not hash the secret.. invalid ident: '2x'"),
    );
    expect(() => ev("5 | password_hash('sha512', 'abc')")).toThrow('secret must be unicode or bytes, not int');
  });
});

// What Ansible 2.14 gives for the expressions above.
const REF = {
  uuid: '27dc713b-d72c-5825-88f3-9f240e739319',
  uuidDns: '6cb8e707-0fc5-5f55-88d4-d4fed43e64a8',
  sha512: '$6$rounds=656000$saltsalt$Vg7us3Hcq8rplCTNjwvGRwObM2xyfDZZ.XP2YLQ.ii85wAq/psu28uEfoMveNszsQWMgkWRxbZm2mBBlNn3.J0',
  sha256: '$5$rounds=1234$abcdefghijklmnop$aSHuxojqVfEEV0.qtwGbO.ip54aS75PmrbE1peoBXEC',
  sha512Long: '$6$x$Qsc4HgquAG8mADpO/xOh/pzH//axj0Bbi/vQpWMipPZ34a3z/c3R7ARluCnsD.q5b6v5PXo0ZjkrHDz8mw4NT.',
  md5Long: '$1$a$o1bUywL8fukrr5QSHm.4h0',
  bcrypt4: '$2b$04$abcdefghijklmnopqrstuu2r9OfJnfCsdneAXAGHnS4UpFFP8WIrW',
  bcryptCanonical: '$2y$04$aaaaaaaaaaaaaaaaaaaaaOGY9KrC7e/pHj3EXQPxs8hKEBbvQhsvG',
};

describe('password_hash against the system crypt', () => {
  it('gives what `openssl passwd` gives for random passwords and salts', async () => {
    const { execFileSync } = await import('node:child_process');
    const { randomBytes } = await import('node:crypto');
    const alphabet = './0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
    const pick = (n: number) => [...randomBytes(n)].map((b) => alphabet[b % 64]).join('');
    for (let i = 0; i < 4; i++) {
      const password = `${randomBytes(6).toString('base64')} é${i}`;
      const salt = pick(8);
      const openssl = (flag: string) => execFileSync('openssl', ['passwd', flag, '-salt', salt, password], { encoding: 'utf8' }).trim();
      expect(ev(`p | password_hash('sha512', s, rounds=5000)`, { p: password, s: salt })).toBe(openssl('-6'));
      expect(ev(`p | password_hash('sha256', s, rounds=5000)`, { p: password, s: salt })).toBe(openssl('-5'));
      expect(ev(`p | password_hash('md5', s)`, { p: password, s: salt })).toBe(openssl('-1'));
    }
  });
});
