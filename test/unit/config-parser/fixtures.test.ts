// Every fixture config under test/fixtures/config: error fixtures fail
// where their .expect says, the others give JSON for 4.17 and 4.20, and
// lab.json (the plan for the differential lab run) lists them all.
import { readdirSync, readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../../src/config-parser/index.js';
import { dryRunCreate } from '../../../src/libxl/domain/create-dry-run.js';

const ROOT = join(__dirname, '../../fixtures/config');
const files = readdirSync(ROOT, { withFileTypes: true })
  .filter((d) => d.isDirectory())
  .flatMap((d) => readdirSync(join(ROOT, d.name)).filter((f) => f.endsWith('.cfg')).map((f) => `${d.name}/${f}`))
  .sort();
interface Outcome { expect: string; exit?: number; message?: string }
const lab = JSON.parse(readFileSync(join(ROOT, 'lab.json'), 'utf8')) as { fixtures: Array<Outcome & { file: string; versions?: Record<string, Outcome> }> };
const opts = { generateUuid: () => '00000000-0000-4000-8000-000000000000' };

it('there are fixtures for every group', () => {
  const groups = new Set(files.map((f) => f.split('/')[0]));
  expect([...groups].sort()).toEqual(['disk', 'errors', 'grammar', 'keys', 'pci', 'vif', 'xm-era']);
  expect(files.length).toBeGreaterThan(100);
});

it('lab.json lists exactly the fixtures, errors where .expect files are', () => {
  expect(lab.fixtures.map((f) => f.file)).toEqual(files);
  for (const f of lab.fixtures) {
    expect(f.expect === 'error', f.file).toBe(existsSync(join(ROOT, f.file.replace(/\.cfg$/, '.expect'))));
  }
});

describe.each(files)('%s', (file) => {
  const path = join(ROOT, file);
  const expectPath = path.replace(/\.cfg$/, '.expect');
  const text = readFileSync(path, 'utf8');

  it('starts with a comment saying what it shows', () => {
    expect(text.startsWith('#') || file === 'errors/crlf.cfg').toBe(true);
  });

  const entry = lab.fixtures.find((f) => f.file === file)!;
  const [where, needle] = !existsSync(expectPath) ? ['', '']
    : readFileSync(expectPath, 'utf8').trim().includes('|')
      ? readFileSync(expectPath, 'utf8').trim().split('|')
      : ['', readFileSync(expectPath, 'utf8').trim()];

  for (const xenVersion of ['4.17', '4.20'] as const) {
    // lab.json may give another outcome for one release (its `versions`).
    const want: Outcome = { ...entry, ...entry.versions?.[xenVersion] };
    if (want.expect === 'error') {
      it(`is refused by ${xenVersion} with the expected place and message`, async () => {
        const err = await dryRunCreate(path, [], { ...opts, xenVersion }).then(() => undefined, (e) => e);
        expect(err).toBeInstanceOf(ConfigError);
        const d = (err as ConfigError).diagnostics[0];
        expect(d.message).toContain(want.message ?? needle);
        if (where && !want.message) expect(`${d.line}:${d.column}`.startsWith(where)).toBe(true);
        expect((err as ConfigError).exitCode).toBe(want.exit);
      });
    } else {
      it(`gives xl-shaped JSON for ${xenVersion}`, async () => {
        const r = await dryRunCreate(path, [], { ...opts, xenVersion });
        const obj = JSON.parse(r.json);
        expect(Object.keys(obj).slice(0, 2)).toEqual(['c_info', 'b_info']);
        expect(obj.c_info.name).toBe(r.config.c_info.name);
        expect(r.json.endsWith('}\n')).toBe(true);
        expect(r.json).not.toMatch(/\{\}|\[\]/); // yajl never prints empty containers inline
      });
    }
  }
});
