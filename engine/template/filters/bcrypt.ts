/**
 * bcrypt (`$2b$`, `$2a$`, `$2y$`): Provos and Mazières' expensive Blowfish
 * key setup. Blowfish's initial state is the fractional part of pi in hex;
 * rather than carry a 1042-word table we compute those digits once, the
 * first time a bcrypt hash is asked for (Machin's formula, a few ms).
 */

const BCRYPT_ALPHABET = './ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
const WORDS = 18 + 4 * 256;

let piWords: Uint32Array | undefined;

/** arctan(1/x) scaled by 2^bits, by its alternating series. */
function arctanInverse(x: bigint, bits: bigint): bigint {
  const square = x * x;
  let term = (1n << bits) / x;
  let sum = term;
  for (let k = 1n; term !== 0n; k++) {
    term /= square;
    const part = term / (2n * k + 1n);
    sum += k & 1n ? -part : part;
  }
  return sum;
}

/** The first 1042 32-bit words of pi's fractional part (P-array, then the four S-boxes). */
function blowfishInitialState(): Uint32Array {
  if (piWords) return piWords;
  const fractionBits = BigInt(WORDS * 32);
  const guard = 64n;
  const bits = fractionBits + guard;
  const pi = 16n * arctanInverse(5n, bits) - 4n * arctanInverse(239n, bits);
  let fraction = (pi & ((1n << bits) - 1n)) >> guard;
  const words = new Uint32Array(WORDS);
  for (let i = WORDS - 1; i >= 0; i--) {
    words[i] = Number(fraction & 0xffffffffn);
    fraction >>= 32n;
  }
  piWords = words;
  return words;
}

class Blowfish {
  readonly p: Uint32Array;
  readonly s: Uint32Array;

  constructor() {
    const init = blowfishInitialState();
    this.p = init.slice(0, 18);
    this.s = init.slice(18);
  }

  private f(x: number): number {
    const s = this.s;
    return (((s[x >>> 24]! + s[256 + ((x >>> 16) & 0xff)]!) ^ s[512 + ((x >>> 8) & 0xff)]!) + s[768 + (x & 0xff)]!) >>> 0;
  }

  /** Encrypt the pair in place (lr[off], lr[off + 1]). */
  encrypt(lr: Uint32Array, off: number): void {
    let l = lr[off]!;
    let r = lr[off + 1]!;
    const p = this.p;
    for (let i = 0; i < 16; i += 2) {
      l ^= p[i]!;
      r ^= this.f(l);
      r ^= p[i + 1]!;
      l ^= this.f(r);
    }
    lr[off] = (r ^ p[17]!) >>> 0;
    lr[off + 1] = (l ^ p[16]!) >>> 0;
  }

  /** Blowfish's key schedule with bcrypt's salt: the salt words are mixed into every block encrypted. */
  expand(key: Uint8Array, salt?: Uint32Array): void {
    let k = 0;
    const nextKeyWord = () => {
      let w = 0;
      for (let i = 0; i < 4; i++) {
        w = (w << 8) | key[k]!;
        k = (k + 1) % key.length;
      }
      return w >>> 0;
    };
    for (let i = 0; i < 18; i++) this.p[i] = (this.p[i]! ^ nextKeyWord()) >>> 0;
    const block = new Uint32Array(2);
    let saltIndex = 0;
    const mix = () => {
      if (salt) {
        block[0] = (block[0]! ^ salt[saltIndex]!) >>> 0;
        block[1] = (block[1]! ^ salt[saltIndex + 1]!) >>> 0;
        saltIndex = (saltIndex + 2) % 4;
      }
      this.encrypt(block, 0);
    };
    for (let i = 0; i < 18; i += 2) {
      mix();
      this.p[i] = block[0]!;
      this.p[i + 1] = block[1]!;
    }
    for (let i = 0; i < 1024; i += 2) {
      mix();
      this.s[i] = block[0]!;
      this.s[i + 1] = block[1]!;
    }
  }
}

/** bcrypt's base-64 (its own alphabet, most significant bits first, no padding). */
function encode(bytes: Uint8Array, length: number): string {
  let out = '';
  let i = 0;
  while (i < length) {
    let c1 = bytes[i++]!;
    out += BCRYPT_ALPHABET[c1 >> 2];
    c1 = (c1 & 0x03) << 4;
    if (i >= length) {
      out += BCRYPT_ALPHABET[c1];
      break;
    }
    let c2 = bytes[i++]!;
    c1 |= c2 >> 4;
    out += BCRYPT_ALPHABET[c1];
    c1 = (c2 & 0x0f) << 2;
    if (i >= length) {
      out += BCRYPT_ALPHABET[c1];
      break;
    }
    c2 = bytes[i++]!;
    c1 |= c2 >> 6;
    out += BCRYPT_ALPHABET[c1] + BCRYPT_ALPHABET[c2 & 0x3f];
  }
  return out;
}

function decode(text: string, length: number): Uint8Array {
  const values = [...text].map((c) => BCRYPT_ALPHABET.indexOf(c));
  if (values.some((v) => v < 0)) throw new RangeError('invalid characters in bcrypt salt');
  const out = new Uint8Array(length);
  let o = 0;
  for (let i = 0; o < length && i + 1 < values.length; i += 4) {
    out[o++] = (values[i]! << 2) | (values[i + 1]! >> 4);
    if (o >= length || i + 2 >= values.length) break;
    out[o++] = ((values[i + 1]! & 0x0f) << 4) | (values[i + 2]! >> 2);
    if (o >= length || i + 3 >= values.length) break;
    out[o++] = ((values[i + 2]! & 0x03) << 6) | values[i + 3]!;
  }
  return out;
}

/** A 22-character salt with its unused low bits cleared, as bcrypt writes it back. */
export function canonicalBcryptSalt(salt: string): string {
  return encode(decode(salt, 16), 16);
}

export function isBcryptSalt(salt: string): boolean {
  return /^[./A-Za-z0-9]{22}$/.test(salt);
}

/** `$<ident>$<cost>$<salt><hash>`; the password is cut at 72 bytes, as every bcrypt does. */
export function bcrypt(password: string, salt: string, cost: number, ident = '2b'): string {
  const saltBytes = decode(salt, 16);
  const pw = Buffer.from(password, 'utf8');
  const key = new Uint8Array(Math.min(pw.length + 1, 72));
  key.set(pw.subarray(0, key.length));
  const saltWords = new Uint32Array(4);
  for (let i = 0; i < 4; i++) {
    saltWords[i] = ((saltBytes[4 * i]! << 24) | (saltBytes[4 * i + 1]! << 16) | (saltBytes[4 * i + 2]! << 8) | saltBytes[4 * i + 3]!) >>> 0;
  }
  const state = new Blowfish();
  state.expand(key, saltWords);
  const saltKey = saltBytes;
  for (let round = 0; round < 2 ** cost; round++) {
    state.expand(key);
    state.expand(saltKey);
  }
  const magic = Buffer.from('OrpheanBeholderScryDoubt', 'ascii');
  const cdata = new Uint32Array(6);
  for (let i = 0; i < 6; i++) cdata[i] = magic.readUInt32BE(4 * i);
  for (let n = 0; n < 64; n++) for (let j = 0; j < 6; j += 2) state.encrypt(cdata, j);
  const out = Buffer.alloc(24);
  for (let i = 0; i < 6; i++) out.writeUInt32BE(cdata[i]!, 4 * i);
  return `$${ident}$${String(cost).padStart(2, '0')}$${encode(saltBytes, 16)}${encode(out, 23)}`;
}
