/**
 * Python's random.Random(seed).choice, bit for bit: the Mersenne Twister
 * (MT19937) seeded from a string as Python 3 seeds it (the text's UTF-8
 * bytes followed by their SHA-512, read as one big integer). The password
 * lookup's `seed` must give the passwords Ansible gives.
 */
import { createHash } from 'node:crypto';

const N = 624;
const M = 397;

export class PyRandom {
  private readonly mt = new Uint32Array(N);
  private index = N + 1;

  constructor(seed: string) {
    const bytes = Buffer.from(seed, 'utf8');
    const full = Buffer.concat([bytes, createHash('sha512').update(bytes).digest()]);
    this.seedWords(wordsOf(BigInt(`0x${full.toString('hex') || '0'}`)));
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

  /** init_by_array. */
  private seedWords(key: number[]): void {
    const mt = this.mt;
    this.initGenrand(19650218);
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

  private generate(): void {
    const mt = this.mt;
    for (let k = 0; k < N; k++) {
      const y = (mt[k]! & 0x80000000) | (mt[(k + 1) % N]! & 0x7fffffff);
      mt[k] = mt[(k + M) % N]! ^ (y >>> 1) ^ (y & 1 ? 0x9908b0df : 0);
    }
    this.index = 0;
  }

  uint32(): number {
    if (this.index >= N) this.generate();
    let y = this.mt[this.index++]!;
    y ^= y >>> 11;
    y ^= (y << 7) & 0x9d2c5680;
    y ^= (y << 15) & 0xefc60000;
    y ^= y >>> 18;
    return y >>> 0;
  }

  /** getrandbits(k) for k <= 32. */
  private bits(k: number): number {
    return this.uint32() >>> (32 - k);
  }

  /** random.choice: _randbelow by rejection with getrandbits. */
  choice<T>(items: readonly T[]): T {
    const n = items.length;
    const k = n.toString(2).length;
    let r = this.bits(k);
    while (r >= n) r = this.bits(k);
    return items[r]!;
  }
}

/** The 32-bit words of a non-negative integer, least significant first (at least one). */
function wordsOf(n: bigint): number[] {
  const words: number[] = [];
  for (let v = n; v > 0n; v >>= 32n) words.push(Number(v & 0xffffffffn));
  return words.length ? words : [0];
}
