/**
 * Digests and encodings: hash (any hashlib algorithm), md5, sha1, checksum,
 * b64encode / b64decode (with an encoding), to_uuid, and password_hash with
 * passlib's rules (as Ansible uses it): md5_crypt, sha256_crypt,
 * sha512_crypt and bcrypt, salt, salt_size, rounds and ident.
 */
import { createHash, randomInt } from 'node:crypto';
import { isString, pyStr, truthy } from '../python.js';
import { bcrypt, canonicalBcryptSalt, isBcryptSalt } from './bcrypt.js';
import { CRYPT_ALPHABET, md5Crypt, shaCrypt, SHA_CRYPT_ROUNDS } from './crypt.js';
import { decodeText, encodeText } from './encoding.js';
import { FilterError, bindArgs, pyTypeName, strict, text, type FilterFn } from './support.js';

/** Python's name for a hashlib algorithm → OpenSSL's. */
const HASHLIB_NAMES: Record<string, string> = {
  blake2b: 'blake2b512',
  blake2s: 'blake2s256',
  sha3_224: 'sha3-224',
  sha3_256: 'sha3-256',
  sha3_384: 'sha3-384',
  sha3_512: 'sha3-512',
  sha512_224: 'sha512-224',
  sha512_256: 'sha512-256',
};

/** The bytes Ansible hashes: text as UTF-8, anything else as its str(). */
function bytesOf(value: unknown): Buffer {
  return encodeText(text(value), 'utf-8');
}

export function hexDigest(algorithm: string, data: Buffer): string {
  const name = HASHLIB_NAMES[algorithm] ?? algorithm;
  if (/^shake_?(128|256)$/i.test(algorithm)) throw new TypeError("hexdigest() missing required argument 'length'");
  try {
    return createHash(name).update(data).digest('hex');
  } catch {
    throw new FilterError(`unsupported hash type ${algorithm}`);
  }
}

function hash(value: unknown, ...args: unknown[]): string {
  const [algorithm = 'sha1'] = bindArgs('hash', args, ['hashtype']);
  return hexDigest(pyStr(algorithm), bytesOf(value));
}

function b64encode(value: unknown, ...args: unknown[]): string {
  const [encoding = 'utf-8'] = bindArgs('b64encode', args, ['encoding']);
  return encodeText(text(value), pyStr(encoding)).toString('base64');
}

const B64_VALUES = new Map([...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/'].map((c, i) => [c, i]));

/** binascii.a2b_base64, not strict: characters outside the alphabet are skipped; padding is checked. */
export function pyB64decode(data: string): Buffer {
  const out: number[] = [];
  let quad = 0;
  let left = 0;
  let pads = 0;
  for (const c of data) {
    if (c === '=') {
      if (quad >= 2 && quad + ++pads >= 4) return Buffer.from(out);
      continue;
    }
    const v = B64_VALUES.get(c);
    if (v === undefined) continue;
    pads = 0;
    switch (quad) {
      case 0: left = v; quad = 1; break;
      case 1: out.push(((left << 2) | (v >> 4)) & 0xff); left = v & 0x0f; quad = 2; break;
      case 2: out.push(((left << 4) | (v >> 2)) & 0xff); left = v & 0x03; quad = 3; break;
      default: out.push(((left << 6) | v) & 0xff); quad = 0;
    }
  }
  if (quad === 1) {
    throw new RangeError(`Invalid base64-encoded string: number of data characters (${Math.floor(out.length / 3) * 4 + 1}) cannot be 1 more than a multiple of 4`);
  }
  if (quad !== 0) throw new RangeError('Incorrect padding');
  return Buffer.from(out);
}

function b64decode(value: unknown, ...args: unknown[]): string {
  const [encoding = 'utf-8'] = bindArgs('b64decode', args, ['encoding']);
  return decodeText(pyB64decode(text(value)), pyStr(encoding));
}

const ANSIBLE_UUID_NAMESPACE = '361e6d51-faec-444a-9079-341386da8e2e';

/** uuid.UUID(text): braces, 'urn:uuid:' and hyphens allowed around 32 hex digits. */
function uuidBytes(value: string): Buffer {
  const hex = value.replace('urn:', '').replace('uuid:', '').replace(/^[{}]+|[{}]+$/g, '').replace(/-/g, '');
  if (hex.length !== 32) throw new RangeError('badly formed hexadecimal UUID string');
  if (!/^[0-9a-fA-F]+$/.test(hex)) throw new RangeError(`invalid literal for int() with base 16: '${hex}'`);
  return Buffer.from(hex, 'hex');
}

function toUuid(value: unknown, ...args: unknown[]): string {
  const [namespace = ANSIBLE_UUID_NAMESPACE] = bindArgs('to_uuid', args, ['namespace']);
  let ns: Buffer;
  try {
    ns = uuidBytes(text(namespace));
  } catch (err) {
    throw new FilterError(`Invalid value '${pyStr(namespace)}' for 'namespace': ${(err as Error).message}`);
  }
  const digest = createHash('sha1').update(ns).update(bytesOf(value)).digest();
  const b = digest.subarray(0, 16);
  b[6] = (b[6]! & 0x0f) | 0x50;
  b[8] = (b[8]! & 0x3f) | 0x80;
  const hex = b.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

interface CryptScheme {
  maxSalt: number;
  exactSalt?: boolean;
  /** Rounds used when none are given (Ansible passes its own defaults to passlib). */
  implicitRounds?: number;
  minRounds?: number;
  maxRounds?: number;
  defaultSaltSize: number;
  run(password: string, salt: string, rounds: number | undefined, ident: string | undefined): string;
}

const SCHEMES: Record<string, CryptScheme> = {
  md5_crypt: { maxSalt: 8, defaultSaltSize: 8, run: (pw, salt) => md5Crypt(pw, salt) },
  sha256_crypt: {
    maxSalt: 16, defaultSaltSize: 16, implicitRounds: 535000, minRounds: SHA_CRYPT_ROUNDS.min, maxRounds: SHA_CRYPT_ROUNDS.max,
    run: (pw, salt, rounds) => shaCrypt(256, pw, salt, rounds!),
  },
  sha512_crypt: {
    maxSalt: 16, defaultSaltSize: 16, implicitRounds: 656000, minRounds: SHA_CRYPT_ROUNDS.min, maxRounds: SHA_CRYPT_ROUNDS.max,
    run: (pw, salt, rounds) => shaCrypt(512, pw, salt, rounds!),
  },
  bcrypt: {
    maxSalt: 22, exactSalt: true, defaultSaltSize: 22, implicitRounds: 12, minRounds: 4, maxRounds: 31,
    run: (pw, salt, rounds, ident) => {
      if (pw.includes('\0')) throw new RangeError('bcrypt does not allow NULL bytes in password');
      return bcrypt(pw, salt, rounds!, ident ?? '2b');
    },
  },
};

const HASHTYPE_ALIASES: Record<string, string> = { md5: 'md5_crypt', blowfish: 'bcrypt', sha256: 'sha256_crypt', sha512: 'sha512_crypt' };

function randomSalt(size: number, bcryptSalt: boolean): string {
  const salt = Array.from({ length: size }, () => CRYPT_ALPHABET[randomInt(CRYPT_ALPHABET.length)]).join('');
  return bcryptSalt ? canonicalBcryptSalt(salt) : salt;
}

/** The checks passlib makes, with its messages. */
function checkedSettings(name: string, scheme: CryptScheme, salt: string | undefined, saltSize: unknown, rounds: unknown, ident: unknown) {
  if (rounds !== undefined && scheme.implicitRounds === undefined) {
    throw new TypeError("MinimalHandler.using() got an unexpected keyword argument 'rounds'");
  }
  if (salt !== undefined) {
    if (/[^./0-9A-Za-z]/.test(salt)) throw new RangeError(`invalid characters in ${name} salt`);
    if (scheme.exactSalt && salt.length < scheme.maxSalt) throw new RangeError(`salt too small (${name} requires exactly ${scheme.maxSalt} chars)`);
    if (salt.length > scheme.maxSalt) {
      throw new RangeError(`salt too large (${name} requires ${scheme.exactSalt ? 'exactly' : '<='} ${scheme.maxSalt} chars)`);
    }
  }
  let size = scheme.defaultSaltSize;
  if (saltSize !== undefined && saltSize !== null) {
    size = Number(saltSize);
    if (size > scheme.maxSalt) throw new RangeError(`${name}: salt_size (${size}) above max_salt_size (${scheme.maxSalt})`);
  }
  const r = rounds === undefined ? scheme.implicitRounds : Number(rounds);
  if (r !== undefined) {
    if (r < scheme.minRounds!) throw new RangeError(`${name}: min_desired_rounds (${r}) is too low, must be at least ${scheme.minRounds}`);
    if (r > scheme.maxRounds!) throw new RangeError(`${name}: min_desired_rounds (${r}) is too large, cannot be more than ${scheme.maxRounds}`);
  }
  let id: string | undefined;
  if (name === 'bcrypt') {
    id = ident === undefined || !truthy(ident) ? '2b' : pyStr(ident);
    if (!['2a', '2b', '2y'].includes(id)) throw new RangeError(`invalid ident: '${id}'`);
  }
  return { salt: salt ?? randomSalt(size, name === 'bcrypt'), rounds: r, ident: id };
}

function passwordHash(value: unknown, ...args: unknown[]): string {
  const [hashtype = 'sha512', salt = null, saltSize = null, rounds = null, ident = null] =
    bindArgs('password_hash', args, ['hashtype', 'salt', 'salt_size', 'rounds', 'ident']);
  const requested = pyStr(strict(hashtype));
  const name = HASHTYPE_ALIASES[requested] ?? requested;
  const scheme = SCHEMES[name];
  // Ansible repeats its message when it re-raises it as a filter error.
  const twice = (message: string) => new FilterError(`${message}. ${message}`);
  if (!scheme) throw twice(`passlib does not support '${name}' algorithm`);
  strict(value);
  if (!isString(value)) throw new TypeError(`secret must be unicode or bytes, not ${pyTypeName(value)}`);
  let cleanSalt = !truthy(salt) ? undefined : pyStr(salt);
  if (cleanSalt !== undefined && name === 'bcrypt' && isBcryptSalt(cleanSalt)) cleanSalt = canonicalBcryptSalt(cleanSalt);
  try {
    const settings = checkedSettings(name, scheme, cleanSalt, saltSize, !truthy(rounds) ? undefined : rounds, ident);
    return scheme.run(String(value), settings.salt, settings.rounds, settings.ident);
  } catch (err) {
    if (err instanceof RangeError) throw twice(`Could not hash the secret.. ${err.message}`);
    throw err;
  }
}

export const hashingFilters: Record<string, FilterFn> = {
  hash,
  md5: (v) => hexDigest('md5', bytesOf(v)),
  sha1: (v) => hexDigest('sha1', bytesOf(v)),
  checksum: (v) => hexDigest('sha1', bytesOf(v)),
  b64encode,
  b64decode,
  to_uuid: toUuid,
  password_hash: passwordHash,
};
