/**
 * The password lookup: the password stored in a controller file, or a new
 * random one written there (folders made 0700, the file 0600). `/dev/null`
 * gives a new password each time and stores nothing. `seed=` makes the
 * password reproducible (the same as Ansible's for the same seed);
 * `encrypt=` returns a crypt(3) hash and keeps the salt (and the bcrypt
 * ident) in the file, after the password.
 */
import { chmodSync, closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { createHash, randomInt } from 'node:crypto';
import { isString, pyStr } from '../template/python.js';
import { bcrypt, md5Crypt, repairBcryptSalt, shaCrypt } from './crypt.js';
import { LookupError } from './errors.js';
import { parseKv, pyInt, resolveOptions, unquote, type OptionSpecs } from './options.js';
import { PyRandom } from './pyrandom.js';
import { unfrackPath } from './search.js';
import { termList } from './terms.js';
import type { LookupPlugin } from './types.js';

const OPTIONS: OptionSpecs = {
  encrypt: {},
  ident: { type: 'str' },
  chars: { type: 'list', default: ['ascii_letters', 'digits', '.,:-_'] },
  length: { type: 'int', default: 20 },
  seed: { type: 'str' },
};

const VALID_PARAMS = new Set(['length', 'encrypt', 'chars', 'ident', 'seed']);

const LOWER = 'abcdefghijklmnopqrstuvwxyz';
const UPPER = LOWER.toUpperCase();
const DIGITS = '0123456789';
const PUNCTUATION = '!"#$%&\'()*+,-./:;<=>?@[\\]^_`{|}~';
const WHITESPACE = ' \t\n\r\x0b\x0c';
/** Python's string module constants, by name. */
const CHAR_SETS: Record<string, string> = {
  ascii_letters: LOWER + UPPER,
  ascii_lowercase: LOWER,
  ascii_uppercase: UPPER,
  digits: DIGITS,
  hexdigits: `${DIGITS}abcdefABCDEF`,
  octdigits: '01234567',
  punctuation: PUNCTUATION,
  whitespace: WHITESPACE,
  printable: DIGITS + LOWER + UPPER + PUNCTUATION + WHITESPACE,
};

interface Algorithm {
  saltSize: number;
  implicitRounds?: number;
  implicitIdent?: string;
}

/** What Ansible knows of each hash scheme (salt size, default rounds, bcrypt's ident). */
const ALGORITHMS: Record<string, Algorithm> = {
  md5_crypt: { saltSize: 8 },
  bcrypt: { saltSize: 22, implicitRounds: 12, implicitIdent: '2b' },
  sha256_crypt: { saltSize: 16, implicitRounds: 535000 },
  sha512_crypt: { saltSize: 16, implicitRounds: 656000 },
};

interface Params {
  length: number;
  encrypt: unknown;
  ident: unknown;
  seed: unknown;
  chars: unknown;
}

/** A term's path and its `key=value` parameters, over the keyword options. */
function parseTerm(term: string, options: Record<string, unknown>): { relpath: string; params: Params } {
  const space = term.indexOf(' ');
  let relpath = term;
  let given: Record<string, unknown> = {};
  if (space >= 0) {
    relpath = term.slice(0, space);
    given = parseKv(term.slice(space + 1));
    if (given._raw_params !== undefined) {
      // Spaces in the path.
      relpath = `${relpath} ${String(given._raw_params)}`;
      delete given._raw_params;
      if (!term.startsWith(relpath)) throw new LookupError('Unrecognized value after key=value parameters given to password lookup');
    }
  }
  const invalid = Object.keys(given).filter((k) => !VALID_PARAMS.has(k));
  if (invalid.length) throw new LookupError(`Unrecognized parameter(s) given to password lookup: ${invalid.join(', ')}`);
  let chars = given.chars ?? options.chars;
  if (chars && isString(chars)) {
    const text = String(chars);
    chars = [...(text.includes(',,') ? [','] : []), ...text.replace(/,,/g, ',').split(',').filter(Boolean)];
  }
  return {
    relpath,
    params: {
      length: pyInt(given.length ?? options.length),
      encrypt: given.encrypt ?? options.encrypt,
      ident: given.ident ?? options.ident,
      seed: given.seed ?? options.seed,
      chars,
    },
  };
}

/** The candidate characters: named sets from Python's string module, other entries literally; no quotes. */
function candidateChars(specs: unknown): string {
  const list = Array.isArray(specs) ? specs : [];
  return list.map((spec) => CHAR_SETS[pyStr(spec)] ?? pyStr(spec)).join('').replace(/["']/g, '');
}

function randomPassword(length: number, chars: string, seed?: string): string {
  const pool = [...chars];
  if (pool.length === 0 && length > 0) throw new LookupError('Cannot choose from an empty sequence', 'IndexError');
  const rng = seed === undefined ? undefined : new PyRandom(seed);
  let out = '';
  for (let i = 0; i < length; i++) out += rng ? rng.choice(pool) : pool[randomInt(pool.length)];
  return out;
}

function randomSalt(length = 8): string {
  return randomPassword(length, LOWER + UPPER + DIGITS + './');
}

/** The stored form: `password[ salt=SALT[ ident=IDENT]]`. */
function parseContent(content: string): { password: string; salt?: string; ident?: string } {
  const saltAt = content.lastIndexOf(' salt=');
  if (saltAt < 0) return { password: content };
  const rest = content.slice(saltAt + ' salt='.length);
  const identAt = rest.lastIndexOf(' ident=');
  return {
    password: content.slice(0, saltAt),
    salt: identAt < 0 ? rest : rest.slice(0, identAt),
    ident: identAt < 0 ? undefined : rest.slice(identAt + ' ident='.length),
  };
}

function formatContent(password: string, salt: string | undefined, encrypt: unknown, ident: string | undefined): string {
  if (!encrypt && !salt) return password;
  if (!salt) throw new LookupError('_format_content was called with encryption requested but no salt value', 'ansible.errors.AnsibleAssertionError');
  return ident ? `${password} salt=${salt} ident=${ident}` : `${password} salt=${salt}`;
}

/** passlib's hash for Ansible: the scheme's default rounds, the stored salt, bcrypt's ident. */
export function hashPassword(password: string, scheme: string, salt: string, ident?: string): string {
  if (/[^./0-9A-Za-z]/.test(salt)) throw new LookupError('Could not hash the secret.');
  switch (scheme) {
    case 'md5_crypt':
      return md5Crypt(password, salt);
    case 'sha256_crypt':
      return shaCrypt(256, password, salt, ALGORITHMS.sha256_crypt!.implicitRounds);
    case 'sha512_crypt':
      return shaCrypt(512, password, salt, ALGORITHMS.sha512_crypt!.implicitRounds);
    case 'bcrypt':
      if (salt.length !== 22) throw new LookupError('Could not hash the secret.');
      return bcrypt(password, repairBcryptSalt(salt), ALGORITHMS.bcrypt!.implicitRounds, ident || ALGORITHMS.bcrypt!.implicitIdent);
    default:
      throw new LookupError(`passlib does not support '${scheme}' algorithm`);
  }
}

const DEV_NULL = '/dev/null';

/** Ansible's lock beside the password file, so that parallel runs agree on one password. */
function takeLock(file: string): string | undefined {
  if (file === DEV_NULL) return undefined;
  const lock = path.join(path.dirname(file), `${createHash('sha1').update(file).digest('hex')}.ansible_lockfile`);
  mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  const deadline = Date.now() + 7000;
  for (;;) {
    try {
      closeSync(openSync(lock, 'wx'));
      return lock;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    if (Date.now() > deadline) {
      throw new LookupError(`Password lookup cannot get the lock in 7 seconds, abort...This may caused by un-removed lockfileyou can manually remove it from controller machine at ${lock} and try again`);
    }
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 100);
  }
}

function readPasswordFile(file: string): string | undefined {
  if (!existsSync(file)) return undefined;
  // bytes.rstrip(): ASCII whitespace only.
  return readFileSync(file).toString('utf8').replace(/[ \t\n\r\x0b\x0c]+$/, '');
}

function writePasswordFile(file: string, content: string): void {
  mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  writeFileSync(file, '', { mode: 0o600 });
  chmodSync(file, 0o600);
  writeFileSync(file, `${content}\n`);
}

export const password: LookupPlugin = {
  name: 'password',
  run(terms, kwargs, ctx) {
    const options = resolveOptions('password', OPTIONS, kwargs);
    return termList(terms).map((term) => {
      const { relpath, params } = parseTerm(pyStr(term), options);
      const given = unquote(relpath);
      const file = given.startsWith('/') || given.startsWith('~') ? unfrackPath(given) : unfrackPath(path.join(ctx.basedir, given));
      const chars = candidateChars(params.chars);
      const encrypt = params.encrypt ? pyStr(params.encrypt) : undefined;
      const algorithm = encrypt ? ALGORITHMS[encrypt] : undefined;
      let plaintext: string;
      let salt: string | undefined;
      let ident: string | undefined;
      let changed = false;
      const lock = takeLock(file);
      try {
        const content = readPasswordFile(file);
        if (content === undefined || file === DEV_NULL) {
          plaintext = randomPassword(params.length, chars, params.seed === null || params.seed === undefined ? undefined : pyStr(params.seed));
          changed = true;
        } else ({ password: plaintext, salt, ident } = parseContent(content));
        if (encrypt && !salt) {
          changed = true;
          salt = randomSalt(algorithm?.saltSize);
        }
        // As in Ansible, the ident given (or the scheme's own) wins over a stored one.
        ident = params.ident ? pyStr(params.ident) : undefined;
        if (encrypt && !ident) {
          changed = true;
          ident = algorithm?.implicitIdent;
        }
        if (changed && file !== DEV_NULL) writePasswordFile(file, formatContent(plaintext, salt, encrypt, ident));
      } finally {
        if (lock) rmSync(lock, { force: true });
      }
      return encrypt ? hashPassword(plaintext, encrypt, salt!, ident) : plaintext;
    });
  },
};
