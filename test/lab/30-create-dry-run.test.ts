// `xl create -n` against Debian's C xl on the same dom0: every config fixture (test/fixtures/config, outcome per
// lab.json), key=value overrides and the command-line forms of main_create. One bundled node program runs both xls
// for every case (test/lab/programs/side-by-side.ts); a few cases also go through the real installed xl.
// stderr is compared with the C xl's for every case: the rules of stderrLines say how ours may say more everywhere,
// and test/fixtures/config/stderr-allow.json lists, case by case, the reviewed places where ours words it otherwise.
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { OUR_XL, XEN, dom0, sideBySide, type SideBySide, type XlSide } from './lab.js';

type Side = XlSide;
type Result = SideBySide;
interface Outcome { expect: 'same' | 'same-4.17' | 'differs' | 'error'; exit?: number; message?: string; note?: string; paths?: string[] }
interface Entry extends Outcome { file: string; versions?: Record<string, Partial<Outcome>> }

const root = resolve(import.meta.dirname, '..', '..');
const FIXTURES = join(root, 'test/fixtures/config');
const IN_DOM0 = '/project/test/fixtures/config';
const lab = JSON.parse(readFileSync(join(FIXTURES, 'lab.json'), 'utf8')) as { fixtures: Entry[] };
const fx = (file: string) => `${IN_DOM0}/${file}`;

interface Allowed { case: string; why: string; c: string[]; ours: string[]; versions?: Record<string, { c?: string[]; ours?: string[] }> }
const ALLOW = (JSON.parse(readFileSync(join(FIXTURES, 'stderr-allow.json'), 'utf8')) as { cases: Allowed[] }).cases
  .map((a) => ({ ...a, ...a.versions?.[XEN] }));
/** A case as stderr-allow.json names it: the argv after `xl`, fixture paths relative to test/fixtures/config. */
const caseName = (argv: string[]) => argv.join(' ').replaceAll(`${IN_DOM0}/`, '');

// Overrides go after a PV fixture (no disks) and an xm-era one (two disks, a vif).
const PV = fx('keys/vcpus-cpus.cfg');
const XM = fx('xm-era/debian-pv.cfg');
const HVM = fx('keys/memory.cfg');
const OVERRIDES: string[][] = [
  [PV, 'memory=512'],
  [PV, 'vcpus=3'],
  [PV, 'name="ov-name"'],
  [PV, 'disk+=["phy:/dev/vg/b,xvdb,w"]'],
  [PV, 'disk=["file:/x.img,xvda,r"]', 'vif=["bridge=xenbr0,mac=00:16:3e:00:00:01"]'],
  [PV, 'memory=300', 'vcpus=1', 'name="ov-multi"', 'cpus="all"'],
  [PV, 'cmdline="root=/dev/xvda1 a=b"'],
  [PV, 'extra+=" quiet"'],
  [XM, 'disk+=["file:/srv/c.img,xvdc,r"]'],
  [XM, 'vif+=["bridge=xenbr0"]', 'on_crash="preserve"'],
  [HVM, 'memory=1024', 'maxmem=2048'],
  [HVM, 'type="pv"', 'kernel="/k"'],
  [PV, 'memory=256; vcpus=2'],
  [PV, 'disk="phy:/dev/x,xvdb,w"'],
  // refused
  [PV, 'memory=big'],
  [PV, 'vcpus="x"'],
  [PV, 'disk+="phy:/dev/x,xvdb,w"'],
  [PV, 'on_crash="explode"'],
  [PV, 'memory=256*2'],
].map((a) => ['create', '-n', ...a]);

// main_create's argument handling and create_domain's early exits. Configs made only of overrides fix the uuid
// (xl would pick a random one).
const UUID = 'a0d1e5c2-0000-4000-8000-0000000000f1';
const FORMS: string[][] = [
  ['-N', 'create', PV],
  ['-N', 'create', PV, 'memory=256'],
  ['create', PV, '-n', 'memory=256'],
  ['create', '-q', '-n', PV],
  ['create', '-nq', PV],
  ['create', '--dryrun', '--quiet', PV],
  ['create', '-n', '-f', PV],
  ['create', '-n', `--defconfig=${PV}`, 'vcpus=2'],
  ['create', '-n', '-d', PV],
  ['create', '-n', '-i', PV],
  ['-N', 'create', '-p', '-e', PV],
  ['create', '-n', '/dev/null', 'name="devnull"', 'kernel="/k"', `uuid="${UUID}"`],
  ['create', '-n', 'name="only-overrides"', 'kernel="/k"', `uuid="${UUID}"`, '/dev/null'],
  ['create', '-n'],
  ['create', '-n', fx('no-such.cfg')],
  ['create', '-n', IN_DOM0],
  ['create', '-n', PV, XM],
  ['-N', 'create', PV, 'memory=256', '-n'],
  ['create', '-n', '-x', PV],
];

const FIXTURE_CASES = lab.fixtures.map((e) => ['create', '-n', fx(e.file)]);
const ALL = [...FIXTURE_CASES, ...OVERRIDES, ...FORMS];

/** Leaf paths where two JSON values differ ("b_info.type.hvm.rdm", "pcidevs.0.rdm_policy"). */
function diffPaths(a: unknown, b: unknown, at = ''): string[] {
  if (a !== null && b !== null && typeof a === 'object' && typeof b === 'object' && Array.isArray(a) === Array.isArray(b)) {
    const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])];
    return keys.flatMap((k) => diffPaths((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k], at ? `${at}.${k}` : k));
  }
  return JSON.stringify(a) === JSON.stringify(b) ? [] : [at];
}

/** "Parsing config from X" is the first line whenever xl got as far as parsing. */
const parsingLine = (s: Side) => s.stderr.split('\n').find((l) => l.startsWith('Parsing config from ')) ?? null;

/**
 * stderr's lines after "Parsing config from", as compared. Where ours says more everywhere, four written rules:
 * 1. place: ours starts a message about the config with `file:line:column: ` (`<command line>:1:column: ` for a
 *    key=value argument), the C xl with `file: `, `file:line: ` or nothing: both are dropped;
 * 2. the C xl's `WARNING: ` and `Warning: ` are our `warning: `;
 * 3. on such a line of ours, hints in parentheses at its end or before its final period (` (near `x')`,
 *    ` (one of: ...)`) and a closing `; ignored` are dropped;
 * 4. libxl's own log lines of the C xl (`libxl: error: <file>.c:<line>:<function>: ...`) are dropped: ours has none.
 */
function stderrLines(text: string, ours: boolean): string[] {
  const place = ours ? /^(?:\/\S+?:\d+:\d+|\/\S+?\.cfg|<command line>:\d+:\d+): / : /^\/\S+?(?::\d+)?: /;
  const hints = (l: string) => {
    for (let before = ''; before !== l;) {
      before = l;
      l = l.replace(/ \((?:[^()`']|`[^']*'|'[^']*')*\)(?=\.?$|; ignored$)/, '');
    }
    return l.replace(/; ignored$/, '');
  };
  return text.trimEnd().split('\n').filter((l) => l && !l.startsWith('Parsing config from ') && !l.startsWith('libxl: '))
    .map((l) => {
      const atConfig = place.test(l);
      const text = l.replace(place, '').replace(/^(?:WARNING|Warning): /, 'warning: ');
      return ours && atConfig ? hints(text) : text;
    });
}

/**
 * stderr as the C xl's, by the rules of stderrLines or as stderr-allow.json has this case; a refusal before parsing
 * (no "Parsing config" line) is the C xl's byte for byte unless listed there.
 */
function expectSameStderr(r: Result): void {
  const name = caseName(r.argv);
  const allowed = ALLOW.find((a) => a.case === name);
  if (!allowed && parsingLine(r.c) === null) {
    expect(r.ours.stderr, `${name}: refused before parsing`).toBe(r.c.stderr);
    return;
  }
  const [c, o] = [stderrLines(r.c.stderr, false), stderrLines(r.ours.stderr, true)];
  if (!allowed) {
    expect(o, `${name}: our stderr against the C xl's (by the rules of stderrLines)\nC: ${r.c.stderr}\nours: ${r.ours.stderr}`).toEqual(c);
    return;
  }
  expect(c, `${name}: the C xl's stderr as stderr-allow.json records it`).toEqual(allowed.c);
  expect(o, `${name}: our stderr as stderr-allow.json allows it (${allowed.why})`).toEqual(allowed.ours);
}

/** Both sides agree: exit status, stdout byte for byte (and as JSON), the "Parsing config" line, stderr. */
function expectSame(r: Result): void {
  const label = r.argv.join(' ');
  expect(r.ours.code, `${label}\nC stderr: ${r.c.stderr}\nour stderr: ${r.ours.stderr}`).toBe(r.c.code);
  if (r.c.stdout.startsWith('{')) expect(JSON.parse(r.ours.stdout), label).toEqual(JSON.parse(r.c.stdout));
  expect(r.ours.stdout, label).toBe(r.c.stdout);
  expect(parsingLine(r.ours), label).toBe(parsingLine(r.c));
  expectSameStderr(r);
}

describe(`xl create -n: our xl against the C xl on Xen ${XEN}`, () => {
  const results = new Map<string, Result>();
  const get = (argv: string[]) => {
    const r = results.get(JSON.stringify(argv));
    if (!r) throw new Error(`no result for ${argv.join(' ')}`);
    return r;
  };

  beforeAll(async () => {
    for (const [k, r] of await sideBySide(ALL)) results.set(k, r);
  }, 900_000);

  it('ran every case', () => {
    expect(results.size).toBe(ALL.length);
  });

  it('stderr-allow.json names only cases that run, each once, each a real difference', () => {
    const names = ALL.map(caseName);
    expect(ALLOW.map((a) => a.case).filter((n) => !names.includes(n))).toEqual([]);
    expect(new Set(ALLOW.map((a) => a.case)).size).toBe(ALLOW.length);
    for (const a of ALLOW) expect(a.ours, `${a.case}: the rules of stderrLines already cover it`).not.toEqual(a.c);
  });

  // An outcome lab.json gives for this release replaces the general one.
  const plan = lab.fixtures.map((e): Entry => ({ ...e, ...e.versions?.[XEN] }));

  describe.each(plan)('$file ($expect)', (entry) => {
    const argv = ['create', '-n', fx(entry.file)];
    const same = entry.expect === 'same' || (entry.expect === 'same-4.17' && XEN === '4.17');

    if (same) {
      it('prints the same JSON as the C xl', () => {
        const r = get(argv);
        expect(r.c.code, r.c.stderr).toBe(0);
        expectSame(r);
      });
    } else if (entry.expect === 'error') {
      it(`is refused by both with exit status ${entry.exit}`, () => {
        const r = get(argv);
        expect(r.c.stdout).toBe('');
        expect(r.ours.stdout).toBe('');
        expect(r.c.code, `C stderr: ${r.c.stderr}`).toBe(entry.exit);
        expect(r.ours.code, `our stderr: ${r.ours.stderr}`).toBe(entry.exit);
        // The C xl's words (or stderr-allow.json's), with the config's file, line and column in front, no stack.
        expectSameStderr(r);
        const file = fx(entry.file).replace(/[.]/g, '\\.');
        expect(r.ours.stderr, 'our error names the file (and line:column)').toMatch(new RegExp(`^${file}(:\\d+:\\d+)?: `, 'm'));
      });
    } else if (entry.expect === 'differs') {
      it(`differs only where lab.json says (${entry.note})`, () => {
        const r = get(argv);
        expect([r.c.code, r.ours.code]).toEqual([0, 0]);
        const diff = diffPaths(JSON.parse(r.c.stdout), JSON.parse(r.ours.stdout));
        expect(diff.length).toBeGreaterThan(0);
        const allowed = entry.paths ?? [];
        expect(diff.filter((p) => !allowed.some((a) => p === a || p.startsWith(`${a}.`)))).toEqual([]);
        expectSameStderr(r);
      });
    } else {
      it('is accepted by both (same-4.17 on another Xen)', () => {
        const r = get(argv);
        expect([r.c.code, r.ours.code]).toEqual([0, 0]);
        expectSameStderr(r);
      });
    }
  });

  it.each(OVERRIDES.map((a) => [a.slice(3).join(' '), a] as const))('key=value overrides: %s', (_label, argv) => {
    expectSame(get(argv));
  });

  it.each(FORMS.map((a) => [a.join(' '), a] as const))('command line: xl %s', (_label, argv) => {
    expectSame(get(argv));
  });

  it('the real installed xl prints what main() printed in-process', async () => {
    const spot = [FIXTURE_CASES[0], OVERRIDES[0], ['-N', 'create', PV], ['create', '-q', '-n', PV], ['create', '-n', fx('errors/pci-bad.cfg')]];
    for (const argv of spot) {
      const c = get(argv).c;
      const mine = await dom0([OUR_XL, ...argv]);
      expect({ code: mine.code, stdout: mine.stdout }, `${argv.join(' ')}\nour stderr: ${mine.stderr}`).toEqual({ code: c.code, stdout: c.stdout });
    }
  });
});
