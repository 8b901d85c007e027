// C number parsing as glibc does it (strtol, strtoul, atoi, sscanf %x/%i),
// on 64-bit longs. xl's results depend on these exact rules: leading
// blanks, signs, 0x and leading-0 octal with base 0, stopping at the first
// bad character.

export interface CNum {
  value: bigint;
  /** Index just past the last character used; 0 when nothing was parsed. */
  end: number;
  erange: boolean;
}

const LONG_MAX = (1n << 63n) - 1n;
const LONG_MIN = -(1n << 63n);
const ULONG_MAX = (1n << 64n) - 1n;

function isSpace(c: string | undefined): boolean {
  return c === ' ' || c === '\t' || c === '\n' || c === '\v' || c === '\f' || c === '\r';
}

function digitVal(c: string | undefined): number {
  if (c === undefined) return 99;
  const code = c.charCodeAt(0);
  if (code >= 48 && code <= 57) return code - 48;
  if (code >= 97 && code <= 122) return code - 87;
  if (code >= 65 && code <= 90) return code - 55;
  return 99;
}

/** Digits and sign, unclamped; `magnitude` may exceed any C type. */
function scan(s: string, base: number, start = 0): { neg: boolean; magnitude: bigint; end: number } {
  let i = start;
  while (isSpace(s[i])) i++;
  let neg = false;
  if (s[i] === '+' || s[i] === '-') { neg = s[i] === '-'; i++; }
  if ((base === 0 || base === 16) && s[i] === '0' && (s[i + 1] === 'x' || s[i + 1] === 'X') && digitVal(s[i + 2]) < 16) {
    i += 2; base = 16;
  } else if (base === 0) {
    base = s[i] === '0' ? 8 : 10;
  }
  const digitsStart = i;
  let magnitude = 0n;
  const b = BigInt(base);
  while (digitVal(s[i]) < base) { magnitude = magnitude * b + BigInt(digitVal(s[i])); i++; }
  if (i === digitsStart) return { neg: false, magnitude: 0n, end: start };
  return { neg, magnitude, end: i };
}

export function strtol(s: string, base = 0, start = 0): CNum {
  const r = scan(s, base, start);
  let v = r.neg ? -r.magnitude : r.magnitude;
  let erange = false;
  if (v > LONG_MAX) { v = LONG_MAX; erange = true; }
  if (v < LONG_MIN) { v = LONG_MIN; erange = true; }
  return { value: v, end: r.end, erange };
}

export function strtoul(s: string, base = 0, start = 0): CNum {
  const r = scan(s, base, start);
  if (r.magnitude > ULONG_MAX) return { value: ULONG_MAX, end: r.end, erange: true };
  const v = r.neg ? (ULONG_MAX + 1n - r.magnitude) & ULONG_MAX : r.magnitude;
  return { value: v, end: r.end, erange: false };
}

/** atoi: strtol base 10 truncated to a C int. */
export function atoi(s: string): number {
  return Number(BigInt.asIntN(32, strtol(s, 10).value));
}

/** strtoul(s, NULL, 0) stored into a C unsigned int / uint32. */
export function strtoulU32(s: string): number {
  return Number(BigInt.asUintN(32, strtoul(s, 0).value));
}

/**
 * sscanf's %x / %i conversion at `start`: returns the value (as C unsigned
 * int / int) and the index after it, or undefined when it matches nothing.
 */
export function scanfInt(s: string, start: number, conv: 'x' | 'i' | 'u'): { value: number; end: number } | undefined {
  const base = conv === 'x' ? 16 : conv === 'i' ? 0 : 10;
  const r = scan(s, base, start);
  if (r.end === start) return undefined;
  const v = r.neg ? -r.magnitude : r.magnitude;
  return { value: Number(conv === 'i' ? BigInt.asIntN(32, v) : BigInt.asUintN(32, v)), end: r.end };
}

export const C_LIMITS = { LONG_MAX, LONG_MIN, ULONG_MAX, INT_MAX: 2147483647, UINT32_MAX: 4294967295 };
