// The x87 80-bit long double that redis-server 7.0 (on x86-64) computes INCRBYFLOAT and
// HINCRBYFLOAT in: strtold's reading of a decimal or hexadecimal string, one rounded addition,
// and printf's "%.17Lf" with trailing zeros removed (ld2string, LD_STR_HUMAN). Values are exact
// binary fractions held in BigInts, rounded to a 64-bit significand, to nearest, ties to even.

/** sign * mant * 2^exp, mant < 2^64 (0 for zero) */
export interface LongDouble {
  neg: boolean;
  mant: bigint;
  exp: number;
}

const MANT_BITS = 64;
/** the largest finite long double is just under 2^16384; the smallest positive 2^-16445 */
const MAX_EXP = 16384;
const MIN_EXP = -16445;

const bitLength = (n: bigint): number => n.toString(2).length;

/** num / den (both > 0) rounded to a 64-bit significand: { mant, exp } */
function roundRational(num: bigint, den: bigint): { mant: bigint; exp: number } {
  // the scale that puts num/den * 2^-exp in [2^63, 2^64)
  let exp = bitLength(num) - bitLength(den) - MANT_BITS;
  for (;;) {
    const n = exp < 0 ? num << BigInt(-exp) : num;
    const d = exp > 0 ? den << BigInt(exp) : den;
    let q = n / d;
    if (q >= 1n << BigInt(MANT_BITS)) {
      exp++;
      continue;
    }
    if (q < 1n << BigInt(MANT_BITS - 1)) {
      exp--;
      continue;
    }
    // subnormals keep fewer bits: below the smallest exponent the quantum is fixed
    if (exp < MIN_EXP) {
      const shift = MIN_EXP - exp;
      const dd = d << BigInt(shift);
      q = n / dd;
      const r = n - q * dd;
      if (2n * r > dd || (2n * r === dd && q % 2n === 1n)) q++;
      return { mant: q, exp: MIN_EXP };
    }
    const r = n - q * d;
    if (2n * r > d || (2n * r === d && q % 2n === 1n)) q++;
    if (q === 1n << BigInt(MANT_BITS)) return { mant: q >> 1n, exp: exp + 1 };
    return { mant: q, exp };
  }
}

function make(neg: boolean, num: bigint, den: bigint): LongDouble | 'inf' | 'zero' {
  if (num === 0n) return { neg, mant: 0n, exp: 0 };
  const { mant, exp } = roundRational(num, den);
  if (mant === 0n) return 'zero';
  if (exp + MANT_BITS > MAX_EXP) return 'inf';
  return { neg, mant, exp };
}

/**
 * Redis's string2ld: strtold over the whole string, no leading space, not NaN, not out of range
 * (an overflow to infinity or an underflow to zero). Infinity written out is accepted.
 */
export function parseLongDouble(s: string): LongDouble | 'inf' | '-inf' | undefined {
  if (s.length === 0 || /^\s/.test(s)) return undefined;
  const inf = /^([+-]?)(inf|infinity)$/i.exec(s);
  if (inf) return inf[1] === '-' ? '-inf' : 'inf';
  let r: LongDouble | 'inf' | 'zero';
  const hex = /^([+-]?)0x([0-9a-f]*)(?:\.([0-9a-f]*))?(?:p([+-]?\d+))?$/i.exec(s);
  if (hex && (hex[2] || hex[3])) {
    const digits = (hex[2] ?? '') + (hex[3] ?? '');
    const m = BigInt('0x' + (digits || '0'));
    const e = Number(hex[4] ?? '0') - 4 * (hex[3] ?? '').length;
    r = e >= 0 ? make(hex[1] === '-', m << BigInt(e), 1n) : make(hex[1] === '-', m, 1n << BigInt(-e));
  } else {
    const dec = /^([+-]?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/.exec(s);
    if (!dec || !(dec[2] || dec[3])) return undefined;
    const frac = dec[3] ?? '';
    const m = BigInt((dec[2] || '0') + frac);
    const e = Number(dec[4] ?? '0') - frac.length;
    if (m !== 0n && e > 5000) return undefined; // far past the range: strtold's overflow
    if (m !== 0n && e < -5100) return undefined; // far below: its underflow to zero
    r = e >= 0 ? make(dec[1] === '-', m * 10n ** BigInt(e), 1n) : make(dec[1] === '-', m, 10n ** BigInt(-e));
  }
  if (r === 'inf' || r === 'zero') return undefined;
  return r;
}

/** a + b, rounded once */
export function addLongDouble(a: LongDouble, b: LongDouble): LongDouble | 'inf' {
  const e = Math.min(a.exp, b.exp);
  const va = (a.neg ? -a.mant : a.mant) << BigInt(a.exp - e);
  const vb = (b.neg ? -b.mant : b.mant) << BigInt(b.exp - e);
  const sum = va + vb;
  if (sum === 0n) return { neg: false, mant: 0n, exp: 0 };
  const neg = sum < 0n;
  const abs = neg ? -sum : sum;
  const r = e >= 0 ? make(neg, abs << BigInt(e), 1n) : make(neg, abs, 1n << BigInt(-e));
  if (r === 'zero') return { neg, mant: 0n, exp: 0 };
  return r;
}

/** printf("%.17Lf") (exact, ties to even), then trailing zeros and a bare point removed; "-0" is "0" */
export function formatLongDouble(v: LongDouble): string {
  const scale = 10n ** 17n;
  let q: bigint;
  if (v.exp >= 0) q = (v.mant << BigInt(v.exp)) * scale;
  else {
    const num = v.mant * scale;
    const den = 1n << BigInt(-v.exp);
    q = num / den;
    const r = num - q * den;
    if (2n * r > den || (2n * r === den && q % 2n === 1n)) q++;
  }
  const digits = q.toString().padStart(18, '0');
  let out = `${digits.slice(0, -17)}.${digits.slice(-17)}`.replace(/0+$/, '').replace(/\.$/, '');
  if (v.neg && out !== '0') out = '-' + out;
  return out;
}
