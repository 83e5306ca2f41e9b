/**
 * The crypt(3) password hashes Ansible's password_hash produces:
 * SHA-512-crypt (`$6$`) and SHA-256-crypt (`$5$`) as specified by Ulrich
 * Drepper, and Poul-Henning Kamp's MD5-crypt (`$1$`). bcrypt is in
 * bcrypt.ts. Each takes the password's UTF-8 bytes and the salt as text.
 */
import * as crypto from 'node:crypto';

export const CRYPT_ALPHABET = './0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

/** crypt's base-64: 24 bits at a time, least significant six bits first. */
function b64From24(b2: number, b1: number, b0: number, n: number): string {
  let w = (b2 << 16) | (b1 << 8) | b0;
  let out = '';
  for (let i = 0; i < n; i++) {
    out += CRYPT_ALPHABET[w & 0x3f];
    w >>>= 6;
  }
  return out;
}

/**
 * One digest of one buffer. crypto.hash (Node 20.12+) skips the Hash object:
 * SHA-crypt makes hundreds of thousands of them, and this halves the time.
 */
const oneShot = (crypto as { hash?: (algorithm: string, data: Buffer, encoding: 'buffer') => Buffer }).hash;

function hashOf(algorithm: string, data: Buffer): Buffer {
  return oneShot ? oneShot(algorithm, data, 'buffer') : crypto.createHash(algorithm).update(data).digest();
}

function digest(algorithm: string, ...parts: Buffer[]): Buffer {
  return hashOf(algorithm, Buffer.concat(parts));
}

/** `length` bytes of `block` repeated. */
function repeatTo(block: Buffer, length: number): Buffer {
  const out = Buffer.alloc(length);
  for (let i = 0; i < length; i += block.length) block.copy(out, i, 0, Math.min(block.length, length - i));
  return out;
}

export const SHA_CRYPT_ROUNDS = { min: 1000, max: 999_999_999, default: 5000 };

/** Drepper's SHA-crypt; the hash part only (after the last `$`). */
function shaCryptHash(bits: 256 | 512, password: Buffer, salt: Buffer, rounds: number): string {
  const algorithm = bits === 512 ? 'sha512' : 'sha256';
  const b = digest(algorithm, password, salt, password);
  const a: Buffer[] = [password, salt, repeatTo(b, password.length)];
  for (let n = password.length; n > 0; n >>= 1) a.push(n & 1 ? b : password);
  let c = digest(algorithm, ...a);
  const dp = digest(algorithm, ...Array.from({ length: password.length }, () => password));
  const p = repeatTo(dp, password.length);
  const ds = digest(algorithm, ...Array.from({ length: 16 + c[0]! }, () => salt));
  const s = repeatTo(ds, salt.length);
  // One buffer for every round's input: the rounds dominate the cost.
  const size = bits / 8;
  const input = Buffer.alloc(2 * p.length + s.length + size);
  for (let i = 0; i < rounds; i++) {
    let n = 0;
    n += (i & 1 ? p : c).copy(input, n);
    if (i % 3) n += s.copy(input, n);
    if (i % 7) n += p.copy(input, n);
    n += (i & 1 ? c : p).copy(input, n);
    c = hashOf(algorithm, input.subarray(0, n));
  }
  let out = '';
  if (bits === 512) {
    for (let i = 0; i < 21; i++) {
      const [x, y, z] = [c[i]!, c[i + 21]!, c[i + 42]!];
      const order = i % 3 === 0 ? [x, y, z] : i % 3 === 1 ? [y, z, x] : [z, x, y];
      out += b64From24(order[0]!, order[1]!, order[2]!, 4);
    }
    out += b64From24(0, 0, c[63]!, 2);
  } else {
    for (let i = 0; i < 10; i++) {
      const [x, y, z] = [c[i]!, c[i + 10]!, c[i + 20]!];
      const order = i % 3 === 0 ? [x, y, z] : i % 3 === 1 ? [z, x, y] : [y, z, x];
      out += b64From24(order[0]!, order[1]!, order[2]!, 4);
    }
    out += b64From24(0, c[31]!, c[30]!, 3);
  }
  return out;
}

/** `$6$[rounds=N$]salt$hash` (or `$5$`); the rounds part is written only when not the default 5000. */
export function shaCrypt(bits: 256 | 512, password: string, salt: string, rounds: number): string {
  const hash = shaCryptHash(bits, Buffer.from(password, 'utf8'), Buffer.from(salt, 'ascii'), rounds);
  const id = bits === 512 ? '6' : '5';
  const roundsPart = rounds === SHA_CRYPT_ROUNDS.default ? '' : `rounds=${rounds}$`;
  return `$${id}$${roundsPart}${salt}$${hash}`;
}

/** Poul-Henning Kamp's MD5-crypt: `$1$salt$hash`. */
export function md5Crypt(password: string, salt: string): string {
  const pw = Buffer.from(password, 'utf8');
  const s = Buffer.from(salt, 'ascii');
  const alternate = digest('md5', pw, s, pw);
  const ctx = crypto.createHash('md5').update(pw).update('$1$').update(s);
  for (let left = pw.length; left > 0; left -= 16) ctx.update(alternate.subarray(0, Math.min(left, 16)));
  for (let n = pw.length; n > 0; n >>= 1) ctx.update(n & 1 ? Buffer.from([0]) : pw.subarray(0, 1));
  let f = ctx.digest();
  for (let i = 0; i < 1000; i++) {
    const h = crypto.createHash('md5');
    h.update(i & 1 ? pw : f);
    if (i % 3) h.update(s);
    if (i % 7) h.update(pw);
    h.update(i & 1 ? f : pw);
    f = h.digest();
  }
  const groups: Array<[number, number, number]> = [[0, 6, 12], [1, 7, 13], [2, 8, 14], [3, 9, 15], [4, 10, 5]];
  const hash = groups.map(([x, y, z]) => b64From24(f[x]!, f[y]!, f[z]!, 4)).join('') + b64From24(0, 0, f[11]!, 2);
  return `$1$${salt}$${hash}`;
}
