import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { bcrypt, md5Crypt, shaCrypt } from '../../../engine/lookups/crypt.js';
import { PyRandom } from '../../../engine/lookups/pyrandom.js';
import { errorOf, evaluator, fixture, removeFixtures } from './fixture.js';

afterAll(removeFixtures);

const mode = (file: string) => (statSync(file).mode & 0o777).toString(8);

// Expected values: Ansible 2.14 with passlib 1.7.4 (and Python's random for seeds).
describe('password', () => {
  it('creates the file (folders 0700, file 0600) and reads it back', () => {
    const root = fixture({});
    const { evaluate } = evaluator(root);
    const first = evaluate("lookup('password', 'lookup/password length=8')") as string;
    expect(first).toMatch(/^[A-Za-z0-9.,:\-_]{8}$/);
    const file = path.join(root, 'lookup/password');
    expect(readFileSync(file, 'utf8')).toBe(`${first}\n`);
    expect([mode(path.dirname(file)), mode(file)]).toEqual(['700', '600']);
    // The lock taken while writing is gone.
    expect(readdirSync(path.dirname(file))).toEqual(['password']);
    expect(evaluate("lookup('password', 'lookup/password length=30')")).toBe(first);
    expect(evaluate(`lookup('password', '${file}')`)).toBe(first);
  });

  it('/dev/null gives a new password each time and writes nothing', () => {
    const { evaluate } = evaluator(fixture({}));
    const a = evaluate("lookup('password', '/dev/null')") as string;
    expect(a).toHaveLength(20);
    expect(evaluate("lookup('password', '/dev/null')")).not.toBe(a);
  });

  it('a seed gives the password Ansible gives', () => {
    const { evaluate } = evaluator(fixture({}));
    expect(evaluate("lookup('password', '/dev/null seed=foo')")).toBe('6JUEsF6-,RiuGZDEWF4r');
    expect(evaluate("lookup('password', '/dev/null', seed='foo')")).toBe('6JUEsF6-,RiuGZDEWF4r');
    expect(evaluate("lookup('password', '/dev/null seed=123 length=40 chars=digits,ascii_lowercase,,')")).toBe('3ju2fv0argdreawr44zhfpauarli3nonpf96zo6h');
    expect(evaluate("lookup('password', '/dev/null', seed=123, length=40, chars=['digits', 'ascii_lowercase', ','])")).toBe('4kv3gw1bshesfbxs55,igqbvbsmj4opoqga7,p7i');
  });

  it('chars: named sets and literal characters, without quotes', () => {
    const { evaluate } = evaluator(fixture({}));
    expect(evaluate("lookup('password', '/dev/null length=30 chars=digits')")).toMatch(/^\d{30}$/);
    expect(evaluate(`lookup('password', '/dev/null length=30', chars=['"x\\'', 'y'])`)).toMatch(/^[xy]{30}$/);
  });

  it('encrypt: keeps the salt in the file and hashes with it', () => {
    const root = fixture({
      'md5': 'FX3bXcagp:fCuq4qK7Jv salt=iOO0.HL4\n',
      'bcrypt': '5JbXwJJ3ZVbApTjcB,de salt=2aE7tci3kDHhoJ0CXnbaBb ident=2b\n',
    });
    const { evaluate } = evaluator(root);
    expect(evaluate("lookup('password', 'md5 encrypt=md5_crypt')")).toBe('$1$iOO0.HL4$OlWJjQvZzJZUefLAPXRtp0');
    expect(evaluate("lookup('password', 'bcrypt encrypt=bcrypt')")).toBe('$2b$12$2aE7tci3kDHhoJ0CXnbaBOKdszgSKHMJYAHcBqMhYnJjpgVOmg1wK');
    // Without encrypt (or with an empty one), the plain password.
    expect(evaluate("lookup('password', 'md5')")).toBe('FX3bXcagp:fCuq4qK7Jv');
    expect(evaluate("lookup('password', 'md5 encrypt=')")).toBe('FX3bXcagp:fCuq4qK7Jv');
  });

  it('encrypt on a new password stores a new salt of the scheme\'s size', () => {
    const root = fixture({});
    const { evaluate } = evaluator(root);
    const hashed = evaluate("lookup('password', 'new encrypt=md5_crypt length=12')") as string;
    const [plain, salt] = readFileSync(path.join(root, 'new'), 'utf8').trimEnd().split(' salt=');
    expect(plain).toHaveLength(12);
    expect(salt).toMatch(/^[A-Za-z0-9./]{8}$/);
    expect(hashed).toBe(md5Crypt(plain!, salt!));
    expect(evaluate("lookup('password', 'new encrypt=md5_crypt')")).toBe(hashed);
  });

  it('reads spaces in the path, an empty file as an empty password', () => {
    const root = fixture({ 'my dir/pw': 'spaced\n', empty: '' });
    const { evaluate } = evaluator(root);
    expect(evaluate("lookup('password', 'my dir/pw length=5')")).toBe('spaced');
    expect(evaluate("lookup('password', 'empty')")).toBe('');
  });

  it("fails with Ansible's messages", () => {
    const root = fixture({ pw: 'x\n' });
    const { evaluate } = evaluator(root);
    const fails = (expr: string) => errorOf(() => evaluate(expr)).message;
    expect(fails("lookup('password', 'pw foo=bar')")).toContain('Unrecognized parameter(s) given to password lookup: foo');
    expect(fails("lookup('password', 'pw length=3 junk')")).toContain('Unrecognized value after key=value parameters given to password lookup');
    expect(fails("lookup('password', '/dev/null length=abc')")).toContain("Error was a <class 'ValueError'>, original message: invalid literal for int() with base 10: 'abc'");
    expect(fails("lookup('password', 'new encrypt=foo')")).toContain("passlib does not support 'foo' algorithm");
    // As in Ansible, the salt was stored before hashing failed.
    expect(readFileSync(path.join(root, 'new'), 'utf8')).toMatch(/^\S{20} salt=[A-Za-z0-9./]{8}\n$/);
  });
});

describe('password hashes', () => {
  // Reference hashes from passlib 1.7.4 and glibc crypt(3). (The password lookup uses passlib's
  // default rounds, 535000 and 656000, too slow for a unit test; the algorithm is the same.)
  it('md5_crypt, sha256_crypt, sha512_crypt and bcrypt', () => {
    expect(shaCrypt(256, 'OA451f-Bomsyg:tbTK_f', 'r9ygzHIxzBNAkXYS', 1000)).toBe('$5$rounds=1000$r9ygzHIxzBNAkXYS$OtTMjfhhWOoawzvA7J/9owCGjDbXPDqtHhluxHAEoWA');
    expect(shaCrypt(512, 'a longer password that is over sixty-four bytes long, to cover the loop', 'saltsaltsaltsalt')).toBe(
      '$6$saltsaltsaltsalt$11Qqns42p5wVU52xPacFltDF1srLzBJvmS84aGAVJTqReb89fvRdx0MCRkNZbthzC6oMDzcxOvKQs7iPYQRVy1',
    );
    expect(shaCrypt(512, 'x', 'abc')).toBe('$6$abc$K4v3HcZ8yAmpRfxML6S46NCcqy9r4/KdbQpFvqSWsBf4dgySOEOo1DHJTrmn2BsJK2aNmPN8Tfb826D2o9.z51');
    expect(bcrypt('pässwörd', '2aE7tci3kDHhoJ0CXnbaBO', 4, '2a')).toBe('$2a$04$2aE7tci3kDHhoJ0CXnbaBOhUwGC/XtKmRD1liqL7KllhAD2D1fJby');
    expect(bcrypt('', '2aE7tci3kDHhoJ0CXnbaBO', 4)).toBe('$2b$04$2aE7tci3kDHhoJ0CXnbaBO9C5gNf60bC8cWa40Qa/7rvmOdJ7Up/e');
  });

  it("Python's seeded random", () => {
    const rng = new PyRandom('');
    expect([rng.uint32(), rng.uint32(), rng.uint32()]).toEqual([4124137760, 1951988028, 2557274880]);
  });
});
