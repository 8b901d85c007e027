// A C printf subset, so output written from the C format strings lines up
// byte for byte: flags "-+ 0#", width and precision (numbers or *), length
// modifiers accepted and ignored, conversions d i u o x X c s f e g %.

const SPEC = /%([-+ 0#]*)(\*|\d+)?(?:\.(\*|\d*))?(?:hh|h|ll|l|L|q|j|z|t)?([diouxXcsfeEgG%])/g;

type Arg = string | number | bigint | boolean | null | undefined;

export function sprintf(fmt: string, ...args: Arg[]): string {
  let next = 0;
  const take = (): Arg => args[next++];
  return fmt.replace(SPEC, (_m, flags: string, width?: string, prec?: string, conv?: string) => {
    if (conv === '%') return '%';
    let w = width === '*' ? Number(take()) : width ? Number(width) : 0;
    let left = flags.includes('-');
    if (w < 0) {
      left = true;
      w = -w;
    }
    const p = prec === undefined ? undefined : prec === '*' ? Number(take()) : Number(prec || 0);
    const body = convert(conv!, take(), flags, p);
    if (body.length >= w) return body;
    if (left) return body.padEnd(w);
    const zeroPad = flags.includes('0') && 'diouxXfeEgG'.includes(conv!) && !(p !== undefined && 'diouxX'.includes(conv!));
    if (!zeroPad) return body.padStart(w);
    const sign = /^[-+ ]|^0[xX]/.exec(body)?.[0] ?? '';
    return sign + body.slice(sign.length).padStart(w - sign.length, '0');
  });
}

function convert(conv: string, v: Arg, flags: string, prec: number | undefined): string {
  switch (conv) {
    case 's': {
      const s = v === null || v === undefined ? '(null)' : String(v);
      return prec === undefined ? s : s.slice(0, prec);
    }
    case 'c':
      return typeof v === 'number' ? String.fromCharCode(v) : String(v ?? '').slice(0, 1);
    case 'd':
    case 'i':
    case 'u':
      return withSign(integerDigits(toBigInt(v), 10, prec), toBigInt(v) < 0n, flags);
    case 'o':
    case 'x':
    case 'X': {
      const n = toBigInt(v);
      let digits = integerDigits(n, conv === 'o' ? 8 : 16, prec);
      if (conv === 'X') digits = digits.toUpperCase();
      if (flags.includes('#') && n !== 0n) digits = (conv === 'o' ? '0' : conv === 'x' ? '0x' : '0X') + digits;
      return digits;
    }
    default: {
      const n = Number(v);
      const p = prec ?? 6;
      let s =
        conv === 'f'
          ? fixed(Math.abs(n), p)
          : conv === 'e' || conv === 'E'
            ? cExp(Math.abs(n).toExponential(p))
            : cGeneral(Math.abs(n), p === 0 ? 1 : p, flags.includes('#'));
      if (conv === 'E' || conv === 'G') s = s.toUpperCase();
      return withSign(s, n < 0 || Object.is(n, -0), flags);
    }
  }
}

function toBigInt(v: Arg): bigint {
  if (typeof v === 'bigint') return v;
  const n = Number(v ?? 0);
  return Number.isFinite(n) ? BigInt(Math.trunc(n)) : 0n;
}

function integerDigits(n: bigint, radix: number, prec: number | undefined): string {
  const abs = n < 0n ? -n : n;
  if (prec === 0 && abs === 0n) return '';
  return abs.toString(radix).padStart(prec ?? 1, '0');
}

function withSign(s: string, negative: boolean, flags: string): string {
  if (negative) return '-' + s;
  if (flags.includes('+')) return '+' + s;
  if (flags.includes(' ')) return ' ' + s;
  return s;
}

/**
 * toFixed for x >= 0 as glibc rounds: an exact tie goes to the even digit
 * (JS rounds it up, so 0.25 would print 0.3 where xl prints 0.2).
 */
function fixed(x: number, p: number): string {
  if (!Number.isFinite(x)) return x > 0 ? 'inf' : 'nan';
  if (x >= 1e21) return BigInt(x).toString() + (p > 0 ? '.' + '0'.repeat(p) : '');
  const exact = x.toFixed(100);
  const point = exact.indexOf('.');
  const frac = exact.slice(point + 1);
  const tie = frac[p] === '5' && /^0*$/.test(frac.slice(p + 1));
  if (tie) {
    const down = exact.slice(0, p > 0 ? point + 1 + p : point);
    if (Number(down[down.length - 1]) % 2 === 0) return down;
  }
  return x.toFixed(p);
}

/** JS writes 1e+5, C writes 1e+05. */
function cExp(s: string): string {
  return s.replace(/e([+-])(\d)$/, 'e$10$2');
}

function cGeneral(n: number, p: number, keepZeros: boolean): string {
  // C picks the style from the exponent after rounding to p digits.
  const exp = n === 0 ? 0 : Number(n.toExponential(p - 1).split('e')[1]);
  let s = exp < -4 || exp >= p ? cExp(n.toExponential(p - 1)) : fixed(n, p - 1 - exp);
  if (!keepZeros && s.includes('.')) s = s.replace(/0+(?=e|$)/, '').replace(/\.(?=e|$)/, '');
  return s;
}
