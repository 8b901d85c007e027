// Fuzzing the lexer, parser and builder: random and mutated inputs must
// give a parsed config or a ConfigError, never another exception or a hang.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { buildDomainConfig, ConfigError, parseConfigText } from '../../../src/config-parser/index.js';

// mulberry32: small seeded PRNG so failures reproduce
function rng(seed: number) {
  return () => {
    seed |= 0; seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const ROOT = join(__dirname, '../../fixtures/config');
const corpus = readdirSync(ROOT, { withFileTypes: true }).filter((d) => d.isDirectory())
  .flatMap((d) => readdirSync(join(ROOT, d.name)).filter((f) => f.endsWith('.cfg')).map((f) => readFileSync(join(ROOT, d.name, f), 'utf8')));
const ALPHABET = 'abcdefghijklmnopqrstuvwxyz0123456789 \t\n=+[],;#"\'\\x.-():@/*^!ABCZ\r\0é';

function check(text: string): void {
  try {
    const parsed = parseConfigText(text, 'fuzz.cfg');
    for (const xenVersion of ['4.17', '4.20'] as const) {
      try { buildDomainConfig(parsed, { xenVersion, generateUuid: () => '00000000-0000-0000-0000-000000000000' }); } catch (e) {
        if (!(e instanceof ConfigError)) throw new Error(`builder threw ${String(e)} for ${JSON.stringify(text)}`);
      }
    }
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    for (const d of e.diagnostics) {
      expect(d.line).toBeGreaterThanOrEqual(0);
      expect(typeof d.message).toBe('string');
    }
  }
}

it('random strings', () => {
  const r = rng(1);
  for (let n = 0; n < 3000; n++) {
    const len = Math.floor(r() * 80);
    let s = '';
    for (let i = 0; i < len; i++) s += ALPHABET[Math.floor(r() * ALPHABET.length)];
    check(s);
  }
});

it('random token sequences', () => {
  const r = rng(2);
  const toks = ['name', 'memory', 'disk', 'vif', 'pci', 'cpus', 'type', '=', '+=', '[', ']', ',', ';', '\n', '"x"', '"hvm"', "'phy:/d,xvda,w'", '0x10', '010', '7', '#c\n', '"01:00.0"', '"vnc=1"', '"-1"'];
  for (let n = 0; n < 3000; n++) {
    const len = Math.floor(r() * 30);
    let s = '';
    for (let i = 0; i < len; i++) s += toks[Math.floor(r() * toks.length)] + (r() < 0.5 ? ' ' : '');
    check(s);
  }
});

it('mutated fixtures', () => {
  const r = rng(3);
  for (let n = 0; n < 2000; n++) {
    let s = corpus[Math.floor(r() * corpus.length)];
    const edits = 1 + Math.floor(r() * 4);
    for (let k = 0; k < edits; k++) {
      const at = Math.floor(r() * (s.length + 1));
      const op = r();
      if (op < 0.4) s = s.slice(0, at) + s.slice(at + 1 + Math.floor(r() * 5));
      else if (op < 0.8) s = s.slice(0, at) + ALPHABET[Math.floor(r() * ALPHABET.length)] + s.slice(at);
      else s = s.slice(0, at) + s.slice(Math.floor(r() * s.length));
    }
    check(s);
  }
});

it('large inputs stay fast (no quadratic blow-up on long lines or lists)', () => {
  const start = Date.now();
  check('name = "x"\nkernel = "/k"\ndisk = [ ' + Array.from({ length: 2000 }, (_, i) => `"phy:/dev/d${i},xvd${String.fromCharCode(97 + (i % 26))},w"`).join(', ') + ' ]\n');
  check('extra = "' + 'a'.repeat(200000) + '"\n');
  check('x = ' + '['.repeat(2000) + ']'.repeat(2000) + '\n');
  expect(Date.now() - start).toBeLessThan(10000);
});

it('very deep nesting is a ConfigError, not a stack overflow', () => {
  expect(() => parseConfigText('x = ' + '['.repeat(100000) + '\n', 'deep.cfg')).toThrow(ConfigError);
});
