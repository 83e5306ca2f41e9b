/**
 * Python's random.Random (the Mersenne Twister MT19937 and the way CPython
 * seeds it and draws from it), so that `59 | random(seed=inventory_hostname)`
 * and `list | shuffle(seed=...)` give the same values as under Ansible: a
 * cron minute picked that way must not move when a playbook changes engine.
 */
import { createHash, randomInt } from 'node:crypto';
import { isString } from '../python.js';

const N = 624;
const M = 397;
const MATRIX_A = 0x9908b0df;
const UPPER_MASK = 0x80000000;
const LOWER_MASK = 0x7fffffff;
const HASH_MODULUS = (1n << 61n) - 1n;

/** A source of random integers below a bound. */
export interface RandomSource {
  below(n: number): number;
}

export class PyRandom implements RandomSource {
  private readonly mt = new Uint32Array(N);
  private index = N + 1;

  constructor(seed: unknown) {
    this.seedWith(seedInteger(seed));
  }

  private initGenrand(s: number): void {
    const mt = this.mt;
    mt[0] = s >>> 0;
    for (let i = 1; i < N; i++) {
      const prev = mt[i - 1]! ^ (mt[i - 1]! >>> 30);
      mt[i] = (Math.imul(1812433253, prev) + i) >>> 0;
    }
    this.index = N;
  }

  /** CPython's init_by_array over the 32-bit words of the seed, least significant first. */
  private seedWith(seed: bigint): void {
    const key: number[] = [];
    for (let n = seed; n > 0n; n >>= 32n) key.push(Number(n & 0xffffffffn));
    if (key.length === 0) key.push(0);
    this.initGenrand(19650218);
    const mt = this.mt;
    let i = 1;
    let j = 0;
    for (let k = Math.max(N, key.length); k > 0; k--) {
      const prev = mt[i - 1]! ^ (mt[i - 1]! >>> 30);
      mt[i] = ((mt[i]! ^ Math.imul(prev, 1664525)) + key[j]! + j) >>> 0;
      i++;
      j++;
      if (i >= N) {
        mt[0] = mt[N - 1]!;
        i = 1;
      }
      if (j >= key.length) j = 0;
    }
    for (let k = N - 1; k > 0; k--) {
      const prev = mt[i - 1]! ^ (mt[i - 1]! >>> 30);
      mt[i] = ((mt[i]! ^ Math.imul(prev, 1566083941)) - i) >>> 0;
      i++;
      if (i >= N) {
        mt[0] = mt[N - 1]!;
        i = 1;
      }
    }
    mt[0] = 0x80000000;
  }

  private nextUint32(): number {
    const mt = this.mt;
    if (this.index >= N) {
      for (let k = 0; k < N; k++) {
        const y = (mt[k]! & UPPER_MASK) | (mt[(k + 1) % N]! & LOWER_MASK);
        mt[k] = mt[(k + M) % N]! ^ (y >>> 1) ^ (y & 1 ? MATRIX_A : 0);
      }
      this.index = 0;
    }
    let y = mt[this.index++]!;
    y ^= y >>> 11;
    y ^= (y << 7) & 0x9d2c5680;
    y ^= (y << 15) & 0xefc60000;
    y ^= y >>> 18;
    return y >>> 0;
  }

  /** random.getrandbits(k). */
  getrandbits(k: number): bigint {
    if (k <= 32) return BigInt(this.nextUint32() >>> (32 - k));
    let out = 0n;
    for (let shift = 0; k > 0; shift += 32, k -= 32) {
      let word = this.nextUint32();
      if (k < 32) word >>>= 32 - k;
      out |= BigInt(word) << BigInt(shift);
    }
    return out;
  }

  /** random._randbelow(n): rejection sampling over n's bit length. */
  below(n: number): number {
    const bound = BigInt(n);
    const k = bound.toString(2).length;
    let r = this.getrandbits(k);
    while (r >= bound) r = this.getrandbits(k);
    return Number(r);
  }
}

/** random.SystemRandom: what Ansible uses when no seed is given. */
export const systemRandom: RandomSource = {
  below(n: number): number {
    return n <= 2 ** 48 - 1 ? randomInt(n) : Math.floor(Math.random() * n);
  },
};

/** The integer CPython seeds with (random.seed, version 2). */
function seedInteger(seed: unknown): bigint {
  if (isString(seed)) {
    const bytes = Buffer.from(String(seed), 'utf8');
    const all = Buffer.concat([bytes, createHash('sha512').update(bytes).digest()]);
    return all.length === 0 ? 0n : BigInt(`0x${all.toString('hex')}`);
  }
  if (typeof seed === 'boolean') return seed ? 1n : 0n;
  if (typeof seed === 'number' && Number.isInteger(seed)) {
    const n = BigInt(seed);
    return n < 0n ? -n : n;
  }
  if (typeof seed === 'number') return BigInt.asUintN(64, floatHash(seed));
  throw new TypeError(`The only supported seed types are: None, int, float, str, bytes, and bytearray.`);
}

/** hash() of a non-integral float: its exact value modulo 2^61 - 1, as CPython computes it. */
function floatHash(x: number): bigint {
  if (Number.isNaN(x)) return 0n;
  if (!Number.isFinite(x)) return x > 0 ? 314159n : -314159n;
  const buf = new DataView(new ArrayBuffer(8));
  buf.setFloat64(0, Math.abs(x));
  const hi = buf.getUint32(0);
  const biased = (hi >>> 20) & 0x7ff;
  let mantissa = (BigInt(hi & 0xfffff) << 32n) | BigInt(buf.getUint32(4));
  let e2 = -1074;
  if (biased !== 0) {
    mantissa |= 1n << 52n;
    e2 = biased - 1075;
  }
  const shift = BigInt(((e2 % 61) + 61) % 61);
  let h = ((mantissa % HASH_MODULUS) * ((1n << shift) % HASH_MODULUS)) % HASH_MODULUS;
  if (x < 0) h = -h;
  return h === -1n ? -2n : h;
}

/** random.randrange(start, stop, step), with Python's errors. */
export function randrange(rng: RandomSource, start: number, stop: number, step: number): number {
  const width = stop - start;
  if (step === 1) {
    if (width > 0) return start + rng.below(width);
    throw new RangeError(`empty range for randrange() (${start}, ${stop}, ${width})`);
  }
  let n: number;
  if (step > 0) n = Math.floor((width + step - 1) / step);
  else if (step < 0) n = Math.floor((width + step + 1) / step);
  else throw new RangeError('zero step for randrange()');
  if (n <= 0) throw new RangeError('empty range for randrange()');
  return start + step * rng.below(n);
}

/** random.shuffle: in place, from the end. */
export function shuffleInPlace<T>(rng: RandomSource, items: T[]): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = rng.below(i + 1);
    [items[i], items[j]] = [items[j]!, items[i]!];
  }
  return items;
}
