/**
 * Password hashes in crypt(3) format, as passlib makes them for Ansible's
 * `encrypt=`: md5_crypt ($1$), sha256_crypt ($5$), sha512_crypt ($6$) and
 * bcrypt ($2b$). Written from the published algorithms (Poul-Henning
 * Kamp's MD5-crypt, Ulrich Drepper's SHA-crypt, Provos and Mazières'
 * bcrypt); Blowfish's initial state, the hexadecimal digits of pi, is
 * computed rather than tabulated.
 */
import crypto, { createHash } from 'node:crypto';

const ITOA64 = './0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

/** crypto.hash (one call, no Hash object) where Node has it. */
const oneShot: (algorithm: string, data: Buffer) => Buffer = typeof (crypto as { hash?: unknown }).hash === 'function'
  ? (algorithm, data) => (crypto as unknown as { hash(a: string, d: Buffer, e: 'buffer'): Buffer }).hash(algorithm, data, 'buffer')
  : (algorithm, data) => createHash(algorithm).update(data).digest();

function digest(algorithm: string, ...parts: Buffer[]): Buffer {
  const h = createHash(algorithm);
  for (const part of parts) h.update(part);
  return h.digest();
}

/** crypt's base-64: `count` characters of `value`, low bits first. */
function to64(value: number, count: number): string {
  let out = '';
  for (let v = value; count > 0; count--, v >>>= 6) out += ITOA64[v & 0x3f];
  return out;
}

function encodeGroups(bytes: Buffer, groups: number[][]): string {
  return groups
    .map((g) => {
      const value = g.reduce((acc, index) => (acc << 8) | bytes[index]!, 0);
      return to64(value, g.length + 1);
    })
    .join('');
}

export function md5Crypt(password: string, salt: string): string {
  const pw = Buffer.from(password, 'utf8');
  const s = Buffer.from(salt.slice(0, 8), 'utf8');
  const magic = Buffer.from('$1$');
  const alt = digest('md5', pw, s, pw);
  const ctx = createHash('md5').update(pw).update(magic).update(s);
  for (let i = pw.length; i > 0; i -= 16) ctx.update(alt.subarray(0, Math.min(16, i)));
  for (let i = pw.length; i > 0; i >>= 1) ctx.update(i & 1 ? Buffer.alloc(1) : pw.subarray(0, 1));
  let final = ctx.digest();
  for (let i = 0; i < 1000; i++) {
    const c = createHash('md5');
    c.update(i & 1 ? pw : final);
    if (i % 3) c.update(s);
    if (i % 7) c.update(pw);
    c.update(i & 1 ? final : pw);
    final = c.digest();
  }
  const groups = [[0, 6, 12], [1, 7, 13], [2, 8, 14], [3, 9, 15], [4, 10, 5]];
  return `$1$${s.toString('utf8')}$${encodeGroups(final, groups)}${to64(final[11]!, 2)}`;
}

const SHA512_ORDER = [[0, 21, 42], [22, 43, 1], [44, 2, 23], [3, 24, 45], [25, 46, 4], [47, 5, 26], [6, 27, 48], [28, 49, 7], [50, 8, 29], [9, 30, 51], [31, 52, 10], [53, 11, 32], [12, 33, 54], [34, 55, 13], [56, 14, 35], [15, 36, 57], [37, 58, 16], [59, 17, 38], [18, 39, 60], [40, 61, 19], [62, 20, 41]];
const SHA256_ORDER = [[0, 10, 20], [21, 1, 11], [12, 22, 2], [3, 13, 23], [24, 4, 14], [15, 25, 5], [6, 16, 26], [27, 7, 17], [18, 28, 8], [9, 19, 29]];

/** Bytes of `source` repeated to `length`. */
function stretch(source: Buffer, length: number): Buffer {
  const out = Buffer.alloc(length);
  for (let i = 0; i < length; i += source.length) source.copy(out, i, 0, Math.min(source.length, length - i));
  return out;
}

/** SHA-crypt ($5$ with sha256, $6$ with sha512); `rounds` written into the hash when given. */
export function shaCrypt(bits: 256 | 512, password: string, salt: string, rounds?: number): string {
  const algorithm = bits === 512 ? 'sha512' : 'sha256';
  const size = bits / 8;
  const pw = Buffer.from(password, 'utf8');
  const s = Buffer.from(salt.slice(0, 16), 'utf8');
  const n = rounds === undefined ? 5000 : Math.min(999_999_999, Math.max(1000, rounds));
  const b = digest(algorithm, pw, s, pw);
  const a = createHash(algorithm).update(pw).update(s);
  let cnt = pw.length;
  for (; cnt > size; cnt -= size) a.update(b);
  a.update(b.subarray(0, cnt));
  for (cnt = pw.length; cnt > 0; cnt >>= 1) a.update(cnt & 1 ? b : pw);
  let result: Buffer = a.digest();
  const dp = createHash(algorithm);
  for (let i = 0; i < pw.length; i++) dp.update(pw);
  const p = stretch(dp.digest(), pw.length);
  const ds = createHash(algorithm);
  for (let i = 0; i < 16 + result[0]!; i++) ds.update(s);
  const sBytes = stretch(ds.digest(), s.length);
  // The rounds dominate the cost: one preallocated input buffer, one-shot hashing.
  const input = Buffer.alloc(2 * size + s.length + 2 * p.length);
  for (let i = 0; i < n; i++) {
    let len = (i & 1 ? p : result).copy(input, 0);
    if (i % 3) len += sBytes.copy(input, len);
    if (i % 7) len += p.copy(input, len);
    len += (i & 1 ? result : p).copy(input, len);
    result = oneShot(algorithm, input.subarray(0, len));
  }
  const encoded = bits === 512
    ? encodeGroups(result, SHA512_ORDER) + to64(result[63]!, 2)
    : encodeGroups(result, SHA256_ORDER) + to64((result[31]! << 8) | result[30]!, 3);
  return `$${bits === 512 ? 6 : 5}$${rounds === undefined ? '' : `rounds=${n}$`}${s.toString('utf8')}$${encoded}`;
}

// ---- bcrypt ----

const BCRYPT64 = './ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

function bcryptEncode(bytes: Uint8Array): string {
  let out = '';
  for (let i = 0; i < bytes.length; i += 3) {
    const b0 = bytes[i]!;
    const b1 = bytes[i + 1];
    const b2 = bytes[i + 2];
    out += BCRYPT64[b0 >> 2];
    out += BCRYPT64[((b0 & 3) << 4) | ((b1 ?? 0) >> 4)];
    if (b1 === undefined) break;
    out += BCRYPT64[((b1 & 0xf) << 2) | ((b2 ?? 0) >> 6)];
    if (b2 === undefined) break;
    out += BCRYPT64[b2 & 0x3f];
  }
  return out;
}

function bcryptDecode(text: string, length: number): Uint8Array {
  const values = [...text].map((c) => BCRYPT64.indexOf(c));
  const out = new Uint8Array(length);
  let bitBuffer = 0;
  let bits = 0;
  let o = 0;
  for (const v of values) {
    bitBuffer = (bitBuffer << 6) | v;
    bits += 6;
    if (bits >= 8 && o < length) {
      bits -= 8;
      out[o++] = (bitBuffer >> bits) & 0xff;
    }
  }
  return out;
}

/** passlib's bcrypt64.repair_unused: the salt's last character keeps only the bits the hash uses. */
export function repairBcryptSalt(salt: string): string {
  if (salt.length !== 22) return salt;
  const last = BCRYPT64.indexOf(salt[21]!);
  return salt.slice(0, 21) + BCRYPT64[last & 0x30];
}

let piWords: Uint32Array | undefined;

/** The first 1042 32-bit words of pi's fractional part in hexadecimal (Blowfish's P-array and S-boxes). */
function blowfishInit(): Uint32Array {
  if (piWords) return piWords;
  const words = 18 + 4 * 256;
  const bits = BigInt(words * 32 + 64);
  const one = 1n << bits;
  // Machin: pi = 16 atan(1/5) - 4 atan(1/239), in fixed point.
  const atanInv = (x: bigint): bigint => {
    let sum = 0n;
    let term = one / x;
    const x2 = x * x;
    for (let k = 1n; term !== 0n; k += 2n) {
      sum += ((k >> 1n) & 1n ? -term : term) / k;
      term /= x2;
    }
    return sum;
  };
  const pi = 16n * atanInv(5n) - 4n * atanInv(239n);
  const fraction = (pi & (one - 1n)) >> 64n;
  piWords = new Uint32Array(words);
  for (let i = 0; i < words; i++) piWords[i] = Number((fraction >> BigInt((words - 1 - i) * 32)) & 0xffffffffn);
  return piWords;
}

class Blowfish {
  readonly p: Uint32Array;
  readonly s: Uint32Array;

  constructor() {
    const init = blowfishInit();
    this.p = init.slice(0, 18);
    this.s = init.slice(18);
  }

  private f(x: number): number {
    const s = this.s;
    return ((((s[x >>> 24]! + s[256 + ((x >>> 16) & 0xff)]!) >>> 0) ^ s[512 + ((x >>> 8) & 0xff)]!) + s[768 + (x & 0xff)]!) >>> 0;
  }

  encipher(block: Uint32Array, at: number): void {
    const p = this.p;
    let l = block[at]! ^ p[0]!;
    let r = block[at + 1]!;
    for (let i = 1; i <= 16; i += 2) {
      r ^= this.f(l) ^ p[i]!;
      l ^= this.f(r) ^ p[i + 1]!;
    }
    block[at] = (r ^ p[17]!) >>> 0;
    block[at + 1] = l >>> 0;
  }

  /** Blowfish_expandstate (with a salt) or Blowfish_expand0state (without). */
  expand(key: Uint8Array, salt?: Uint8Array): void {
    let k = 0;
    const word = (data: Uint8Array, pos: { i: number }) => {
      let w = 0;
      for (let n = 0; n < 4; n++) {
        w = ((w << 8) | data[pos.i]!) >>> 0;
        pos.i = (pos.i + 1) % data.length;
      }
      return w;
    };
    const keyPos = { i: k };
    for (let i = 0; i < 18; i++) this.p[i] = (this.p[i]! ^ word(key, keyPos)) >>> 0;
    k = 0;
    const saltPos = { i: k };
    const block = new Uint32Array(2);
    const fill = (target: Uint32Array) => {
      for (let i = 0; i < target.length; i += 2) {
        if (salt) {
          block[0] = block[0]! ^ word(salt, saltPos);
          block[1] = block[1]! ^ word(salt, saltPos);
        }
        this.encipher(block, 0);
        target[i] = block[0]!;
        target[i + 1] = block[1]!;
      }
    };
    fill(this.p);
    fill(this.s);
  }
}

/** bcrypt ($2b$): `salt` is 22 characters of bcrypt's base-64, `cost` the log2 of the rounds. */
export function bcrypt(password: string, salt: string, cost = 12, ident = '2b'): string {
  const saltBytes = bcryptDecode(salt, 16);
  const pw = Buffer.from(password, 'utf8').subarray(0, 72);
  const key = new Uint8Array(pw.length + 1);
  key.set(pw);
  const bf = new Blowfish();
  bf.expand(key, saltBytes);
  for (let i = 0; i < 2 ** cost; i++) {
    bf.expand(key);
    bf.expand(saltBytes);
  }
  const text = Buffer.from('OrpheanBeholderScryDoubt');
  const ctext = new Uint32Array(6);
  for (let i = 0; i < 6; i++) ctext[i] = text.readUInt32BE(i * 4);
  for (let i = 0; i < 64; i++) for (let j = 0; j < 6; j += 2) bf.encipher(ctext, j);
  const out = Buffer.alloc(24);
  for (let i = 0; i < 6; i++) out.writeUInt32BE(ctext[i]!, i * 4);
  return `$${ident}$${String(cost).padStart(2, '0')}$${bcryptEncode(saltBytes).slice(0, 22)}${bcryptEncode(out.subarray(0, 23))}`;
}
