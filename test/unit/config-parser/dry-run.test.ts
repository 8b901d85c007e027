// dryRunCreate: `xl create -n cfg [key=value ...]`.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, ConfigReadError, formatDiagnostic } from '../../../src/config-parser/index.js';
import { dryRunCreate, dryRunHost } from '../../../src/libxl/domain/create-dry-run.js';

const dir = mkdtempSync(join(tmpdir(), 'xl-dry-'));
const cfg = (name: string, text: string) => { const p = join(dir, name); writeFileSync(p, text); return p; };
const opts = { generateUuid: () => '00000000-0000-4000-8000-000000000009' };

describe('dryRunCreate', () => {
  it('prints the JSON and formatted warnings', async () => {
    const p = cfg('a.cfg', 'name = "a"\nkernel = "/k"\nmemroy = 1\n');
    const r = await dryRunCreate(p, [], opts);
    expect(JSON.parse(r.json).c_info).toEqual({ type: 'pv', name: 'a', uuid: '00000000-0000-4000-8000-000000000009', run_hotplug_scripts: 'True' });
    expect(r.warnings).toEqual([`${p}:3:1: warning: unknown key \`memroy' ignored (did you mean \`memory'?)`]);
  });
  it('numbers channels on 4.17 only: 4.20.1+ xl leaves their devid unset', async () => {
    const p = cfg('ch.cfg', 'name = "ch"\nkernel = "/k"\nchannel = [ "name=a,connection=pty", "name=b,connection=pty" ]\n');
    const devids = async (xenVersion: '4.17' | '4.20') =>
      JSON.parse((await dryRunCreate(p, [], { ...opts, xenVersion })).json).channels.map((c: { devid?: number }) => c.devid);
    expect(await devids('4.17')).toEqual([0, 1]);
    expect(await devids('4.20')).toEqual([undefined, undefined]);
  });
  it('says "got a tsc mode string" as 4.17\'s xl does (4.20\'s does not), and the C xl\'s two-line warnings in two', async () => {
    const p = cfg('tsc.cfg', 'name = "t"\nkernel = "/k"\ntsc_mode = "native"\nmsr_relaxed = 1\n');
    const warnings = async (xenVersion: '4.17' | '4.20') => (await dryRunCreate(p, [], { ...opts, xenVersion })).warnings;
    const msr = [`${p}:4:15: warning: msr_relaxed will be removed in future versions.`,
      `${p}:4:15: If it fixes an issue you are having please report to xen-devel@lists.xenproject.org.`];
    expect(await warnings('4.17')).toEqual([`${p}:3:12: got a tsc mode string: "native"`, ...msr]);
    expect(await warnings('4.20')).toEqual(msr);
  });
  it('key=value overrides come last, so they win', async () => {
    const p = cfg('b.cfg', 'name = "b"\nkernel = "/k"\nmemory = 256\n');
    const r = await dryRunCreate(p, ['memory=1024', 'name="b2"', 'vif=["bridge=br1"]'], opts);
    const o = JSON.parse(r.json);
    expect([o.b_info.target_memkb, o.c_info.name, o.nics[0].bridge]).toEqual([1048576, 'b2', 'br1']);
  });
  it('overrides may append with +=', async () => {
    const p = cfg('c.cfg', 'name = "c"\nkernel = "/k"\ndisk = [ "phy:/dev/a,xvda,w" ]\nextra = "x"\n');
    const o = JSON.parse((await dryRunCreate(p, ['disk+=["phy:/dev/b,xvdb,w"]', 'extra+=" y"'], opts)).json);
    expect(o.disks.map((d: { vdev: string }) => d.vdev)).toEqual(['xvda', 'xvdb']);
    expect(o.b_info.cmdline).toBe('x y');
  });
  it('errors in overrides point at the command line', async () => {
    const p = cfg('d.cfg', 'name = "d"\nkernel = "/k"\n');
    const err = await dryRunCreate(p, ['vcpus=2', 'memory=big'], opts).catch((e) => e);
    expect(err).toBeInstanceOf(ConfigError);
    expect(err.diagnostics[0]).toMatchObject({ source: '<command line>', line: 2 });
  });
  it('/dev/null means no file, only overrides', async () => {
    const o = JSON.parse((await dryRunCreate('/dev/null', ['name="n"', 'kernel="/k"'], opts)).json);
    expect(o.c_info.name).toBe('n');
  });
  it('an unreadable file is exit status 3, like xl', async () => {
    const err = await dryRunCreate(join(dir, 'missing.cfg'), [], opts).catch((e) => e);
    expect(err).toBeInstanceOf(ConfigReadError);
    expect(err.exitCode).toBe(3);
    expect(err.message).toMatch(/No such file or directory/);
  });
  it('a directory or device is not read, as libxl reads only plain files (exit 3)', async () => {
    for (const p of [dir, '/dev/zero']) {
      const err = await dryRunCreate(p, [], opts).catch((e) => e);
      expect(err).toBeInstanceOf(ConfigReadError);
      expect([err.exitCode, err.message]).toEqual([3, `Failed to read config file: ${p}: not a plain file`]);
    }
  });
  it('a trailing comment without newline works once overrides add newlines', async () => {
    const p = cfg('e.cfg', 'name = "e"\nkernel = "/k"\n# end');
    expect((await dryRunCreate(p, ['vcpus=1'], opts)).config.b_info.max_vcpus).toBe(1);
  });
  it('a failure carries the warnings before it, and unknown keys even when checked later', async () => {
    const p = cfg('f.cfg', 'name = "f"\nkernal = "/k"\n');
    const err = await dryRunCreate(p, [], opts).catch((e) => e);
    expect(err).toBeInstanceOf(ConfigError);
    expect(err.diagnostics[0].message).toMatch(/^Neither kernel nor bootloader/);
    expect(err.warnings.map((w: { line: number; message: string }) => [w.line, w.message])).toEqual([
      [2, "unknown key `kernal' ignored (did you mean `kernel'?)"],
    ]);
  });
  it('a message in libxlu wording that names the offending text does not repeat it', async () => {
    const p = cfg('h.cfg', 'name = "h"\nkernel = "/k"\ndisk = [ "vdev=xvda,vdev=xvdb,target=/a" ]\n');
    const err = await dryRunCreate(p, [], opts).catch((e) => e);
    const line = formatDiagnostic(err.diagnostics[0]);
    expect(line).toMatch(/vdev respecified: near `xvdb' in `vdev=xvda,vdev=xvdb,target=\/a'$/);
    expect(formatDiagnostic({ ...err.diagnostics[0], message: 'other' })).toMatch(/other \(near `xvdb'\)$/);
  });
  it('a build error in an override points at the command line too', async () => {
    const p = cfg('g.cfg', 'name = "g"\nkernel = "/k"\n');
    const err = await dryRunCreate(p, ['vcpus=1', 'on_crash="explode"'], opts).catch((e) => e);
    expect(err).toBeInstanceOf(ConfigError);
    expect(err.diagnostics[0]).toMatchObject({ source: '<command line>', line: 2 });
  });
});

describe('dryRunHost', () => {
  it('sizes maps by max_cpu_id + 1 and groups CPUs by node from the topology', () => {
    const xc = {
      physinfo: () => ({ maxCpuId: 3, nrCpus: 3, nrNodes: 2, maxNodeId: 63 }),
      cpuTopology: () => [
        { cpu: 0, core: 0, socket: 0, node: 0 }, { cpu: 1, core: 1, socket: 0, node: 1 },
        { cpu: 2, core: 0, socket: 1, node: 0 }, { cpu: 3, core: null, socket: null, node: null },
      ],
    };
    expect(dryRunHost(xc as never)).toEqual({ maxCpus: 4, onlineCpus: 3, nrNodes: 2, nodeCpus: [[0, 2], [1]] });
  });
});
