/**
 * Python's number formatting and rounding, which differ from JavaScript's in
 * the details a user sees: ties round to even (`round(0.125, 2)` is 0.12,
 * `'%.2f' % 0.125` is '0.12'), and `repr(1e-05)` is '1e-05', not '0.00001'.
 * Both work on the exact binary value of the double, as CPython does.
 */

/** The exact decimal digits of a finite double: value = digits × 10^-scale (digits without sign). */
function exactDecimal(x: number): { digits: bigint; scale: number } {
  const buf = new DataView(new ArrayBuffer(8));
  buf.setFloat64(0, Math.abs(x));
  const hi = buf.getUint32(0);
  const lo = buf.getUint32(4);
  const exponent = (hi >>> 20) & 0x7ff;
  let mantissa = (BigInt(hi & 0xfffff) << 32n) | BigInt(lo);
  let e2: number;
  if (exponent === 0) e2 = -1074;
  else {
    mantissa |= 1n << 52n;
    e2 = exponent - 1075;
  }
  if (e2 >= 0) return { digits: mantissa << BigInt(e2), scale: 0 };
  // m × 2^e2 = m × 5^-e2 / 10^-e2
  return { digits: mantissa * 5n ** BigInt(-e2), scale: -e2 };
}

/** Round the exact value of x to `places` decimals, ties to even; the result as scaled integer. */
function roundScaled(x: number, places: number): bigint {
  const { digits, scale } = exactDecimal(x);
  if (places >= scale) return digits * 10n ** BigInt(places - scale);
  const divisor = 10n ** BigInt(scale - places);
  let q = digits / divisor;
  const r = digits % divisor;
  const twice = 2n * r;
  if (twice > divisor || (twice === divisor && q % 2n === 1n)) q += 1n;
  return q;
}

/** Python's `'%.Nf' % x` (and format(x, '.Nf')). */
export function formatFixed(x: number, places: number): string {
  if (Number.isNaN(x)) return 'nan';
  if (!Number.isFinite(x)) return x > 0 ? 'inf' : '-inf';
  const q = roundScaled(x, places);
  let s = q.toString().padStart(places + 1, '0');
  if (places > 0) s = `${s.slice(0, -places)}.${s.slice(-places)}`;
  const negative = x < 0 || Object.is(x, -0);
  return negative ? `-${s}` : s;
}

/** Python's round(x, ndigits) for floats: ties to even on the exact value. */
export function pyRound(x: number, places = 0): number {
  if (!Number.isFinite(x)) return x;
  if (places > 308) return x;
  if (places < 0) {
    const factor = 10 ** -places;
    const q = roundScaled(x / factor, 0);
    return Number(x < 0 ? -q : q) * factor;
  }
  const text = formatFixed(x, places);
  return Number(text);
}

/**
 * Python's repr() of a float that is not integral (integral values print as
 * integers, since templates do not tell 3.0 from 3): the shortest digits,
 * in fixed notation for exponents -4..15, else `1e-05` / `1.5e+16`.
 */
export function floatRepr(x: number): string {
  if (Number.isNaN(x)) return 'nan';
  if (!Number.isFinite(x)) return x > 0 ? 'inf' : '-inf';
  if (Number.isInteger(x) && Math.abs(x) < 1e16) return String(x);
  const [mantissa, exp] = x.toExponential().split('e');
  const e = Number(exp);
  const digits = mantissa!.replace('-', '').replace('.', '');
  const sign = x < 0 ? '-' : '';
  if (e >= -4 && e < 16) {
    if (e < 0) return `${sign}0.${'0'.repeat(-e - 1)}${digits}`;
    const whole = digits.padEnd(e + 1, '0');
    const rest = digits.slice(e + 1);
    return `${sign}${whole.slice(0, e + 1)}${rest ? `.${rest}` : '.0'}`;
  }
  const frac = digits.slice(1);
  return `${sign}${digits[0]}${frac ? `.${frac}` : ''}e${e < 0 ? '-' : '+'}${String(Math.abs(e)).padStart(2, '0')}`;
}

/** str() of a number as Python prints it (integral values as integers). */
export function numberStr(x: number): string {
  if (Number.isInteger(x) && Math.abs(x) < 1e16) return String(x);
  if (Number.isInteger(x)) return BigInt(x).toString();
  return floatRepr(x);
}

/** Digits of |x| rounded (ties to even) to `significant` digits, and the decimal exponent of the first. */
function roundSignificant(x: number, significant: number): { digits: string; exponent: number } {
  if (x === 0) return { digits: '0'.repeat(significant), exponent: 0 };
  const { digits, scale } = exactDecimal(x);
  const all = digits.toString();
  let exponent = all.length - 1 - scale;
  let places = significant - 1 - exponent;
  let q = places >= 0 ? roundScaled(Math.abs(x), places) : roundToPower(digits, scale, -places);
  if (q.toString().length > significant) {
    exponent += 1;
    places -= 1;
    q = places >= 0 ? roundScaled(Math.abs(x), places) : roundToPower(digits, scale, -places);
  }
  return { digits: q.toString().padStart(significant, '0'), exponent };
}

/** Round digits×10^-scale to a multiple of 10^power (power > 0), ties to even; the quotient. */
function roundToPower(digits: bigint, scale: number, power: number): bigint {
  const divisor = 10n ** BigInt(scale + power);
  let q = digits / divisor;
  const twice = 2n * (digits % divisor);
  if (twice > divisor || (twice === divisor && q % 2n === 1n)) q += 1n;
  return q;
}

function exponentText(e: number): string {
  return `e${e < 0 ? '-' : '+'}${String(Math.abs(e)).padStart(2, '0')}`;
}

/** Python's `'%.Ne' % x`. */
export function formatExponent(x: number, precision: number, alternate = false): string {
  if (!Number.isFinite(x)) return formatFixed(x, 0);
  const { digits, exponent } = roundSignificant(x, precision + 1);
  const sign = x < 0 || Object.is(x, -0) ? '-' : '';
  const frac = digits.slice(1);
  return `${sign}${digits[0]}${frac || alternate ? '.' : ''}${frac}${exponentText(x === 0 ? 0 : exponent)}`;
}

/** Python's `'%.Ng' % x`. */
export function formatGeneral(x: number, precision: number, alternate = false): string {
  if (!Number.isFinite(x)) return formatFixed(x, 0);
  const p = precision === 0 ? 1 : precision;
  const exponent = x === 0 ? 0 : roundSignificant(x, p).exponent;
  let out = exponent >= -4 && exponent < p ? formatFixed(x, p - 1 - exponent) : formatExponent(x, p - 1, alternate);
  if (!alternate) {
    out = out.replace(/(\.\d*?)0+(e|$)/, '$1$2').replace(/\.(e|$)/, '$1');
  } else if (!out.includes('.')) {
    out = out.replace(/(e|$)/, '.$1');
  }
  return out;
}
