// The shared monitor's pieces that need no Xen: the stored config survives
// the trip through its registration file exactly (bigints included), the
// registry, and the one-monitor-per-socket rule.
import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { genStruct, domain_config, renderJson } from '../../../src/config-parser/index.js';
import { dryRunCreate } from '../../../src/libxl/domain/create-dry-run.js';
import { DirRegistry, decodeConfig, encodeConfig, ensureMonitor, listenOnce } from '../../../src/libxl/domain/monitor.js';
import { parseEscape } from '../../../src/cli/commands/console.js';

const fixtures = join(import.meta.dirname, '..', '..', 'fixtures', 'config');
const dir = mkdtempSync(join(tmpdir(), 'xl-monitor-'));

describe('monitor registration', () => {
  for (const f of ['keys/memory.cfg', 'keys/actions.cfg', 'keys/hvm-full.cfg', 'keys/cpuid-xend.cfg', 'vif/default.cfg', 'disk/backendtype.cfg']) {
    it(`${f}: the decoded config equals the one xl built, and renders the same libxl JSON`, async () => {
      const r = await dryRunCreate(join(fixtures, f), [], { generateUuid: () => '00000000-0000-4000-8000-000000000001' }).catch(() => null);
      if (!r) return expect.fail(`${f} does not parse`);
      const back = decodeConfig(encodeConfig(r.config));
      expect(back).toEqual(r.config);
      const json = (c: unknown) => renderJson(genStruct(domain_config, c as Record<string, unknown>, '4.20'));
      expect(json(back)).toBe(json(r.config));
    });
  }

  it('DirRegistry keeps one file per domid and skips half-written ones', async () => {
    const reg = new DirRegistry(join(dir, 'regs'));
    const base = { uuid: 'u', name: 'n', xenVersion: '4.17' as const, config: '{}' };
    await reg.put({ ...base, domid: 3 });
    await reg.put({ ...base, domid: 4 });
    writeFileSync(join(dir, 'regs', '5.json'), '{"domid": 5,');
    expect((await reg.list()).map((r) => r.domid).sort()).toEqual([3, 4]);
    await reg.remove(3);
    expect((await reg.list()).map((r) => r.domid)).toEqual([4]);
    expect(readdirSync(join(dir, 'regs')).filter((f) => f.endsWith('.new'))).toEqual([]);
  });
});

describe('one monitor per socket', () => {
  it('a second listener gives way to a live one; a poke reaches the live one; a dead socket is taken over', async () => {
    const socket = join(dir, 'm.sock');
    let pokes = 0;
    const first = await listenOnce(socket, async () => { pokes++; });
    expect(first).not.toBeNull();
    expect(await listenOnce(socket, async () => undefined)).toBeNull();
    expect(await ensureMonitor('/nonexistent/monitor.js', { socket })).toBe('poked');
    expect(pokes).toBe(2); // the refused second listener poked too
    await new Promise<void>((r) => first!.close(() => r()));
    writeFileSync(join(dir, 'stale.sock'), ''); // a leftover file, nobody listening
    const taken = await listenOnce(join(dir, 'stale.sock'), async () => undefined);
    expect(taken).not.toBeNull();
    taken!.close();
  });

  it('with no monitor and no bundle to start, says what is missing', async () => {
    await expect(ensureMonitor('/nonexistent/monitor.js', { socket: join(dir, 'none.sock') }))
      .rejects.toThrow('cannot start the domain monitor: /nonexistent/monitor.js is missing');
  });
});

describe('xl console -e', () => {
  it('takes a character or ^X, as xenconsole does', () => {
    expect(parseEscape('^]')).toBe(0x1d);
    expect(parseEscape('^a')).toBe(1);
    expect(parseEscape('q')).toBe(0x71);
    expect(parseEscape('ab')).toBeNull();
    expect(parseEscape('')).toBeNull();
  });
});
