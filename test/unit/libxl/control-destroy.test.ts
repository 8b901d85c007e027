import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { HotplugOutcome } from '../../../src/device-hotplug/index.js';
import { destroyDomain, destroyRemains, parseBackendPath, type HotplugRun } from '../../../src/libxl/domain/destroy.js';
import { pauseDomain, renameDomain, unpauseDomain } from '../../../src/libxl/domain/domain-control.js';
import { LibxlError, xsPathCleanup } from '../../../src/libxl/xs-util.js';
import { XenStore } from '../../../src/xenstore-client/client.js';
import { fakeHost, uuidBytes, type FakeHost } from './fakes.js';

const UUID5 = '50515253-5455-5657-5859-5a5b5c5d5e5f';
const F = { blocked: 16, running: 32 };
const OK: HotplugOutcome = { status: 0, signal: null, timedOut: false, stderrTail: [] };

let host: FakeHost | undefined;
let tmp: string | undefined;
afterEach(async () => {
  await host?.close();
  host = undefined;
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
  tmp = undefined;
});

/** The xenstore nodes libxl leaves for a PV guest with one vif and one vbd. */
function pvGuestTree(h: FakeHost, domid = 5, name = 'g5'): void {
  const x = h.xsd;
  const dom = `/local/domain/${domid}`;
  x.put(`${dom}/name`, name);
  x.put(`${dom}/vm`, `/vm/${UUID5}`);
  x.put(`/vm/${UUID5}/name`, name);
  x.put(`/vm/${UUID5}/uuid`, UUID5);
  x.put(`${dom}/memory/target`, '131072');
  x.put(`${dom}/console/ring-ref`, '1');
  x.put(`/libxl/${domid}/type`, 'pv');
  x.put(`/libxl/${domid}/dm-version`, 'qemu_xen');
  for (const [kind, devid, extra] of [['vif', '0', { script: '/etc/xen/scripts/vif-bridge', type: 'vif', bridge: 'xenbr0' }], ['vbd', '51712', { script: '/etc/xen/scripts/block', params: '/lab/disk.img' }]] as const) {
    const be = `/local/domain/0/backend/${kind}/${domid}/${devid}`;
    const fe = `${dom}/device/${kind}/${devid}`;
    x.put(`${be}/frontend`, fe);
    x.put(`${be}/state`, '4');
    x.put(`${be}/online`, '1');
    for (const [k, v] of Object.entries(extra)) x.put(`${be}/${k}`, v);
    x.put(`${fe}/backend`, be);
    x.put(`${fe}/state`, '4');
    x.put(`/libxl/${domid}/device/${kind}/${devid}/backend`, be);
    x.put(`/libxl/${domid}/device/${kind}/${devid}/frontend`, fe);
  }
  // console: backend in dom0's console tree, destroyed by xenstore removal only
  x.put(`/local/domain/0/backend/console/${domid}/0/frontend`, `${dom}/console`);
  x.put(`/libxl/${domid}/device/console/0/backend`, `/local/domain/0/backend/console/${domid}/0`);
  // another guest's backend must survive
  x.put('/local/domain/0/backend/vif/9/0/state', '4');
}

/** A kernel backend: closes (state 6) once the toolstack writes state 5. */
async function fakeBackendDriver(socket: string): Promise<XenStore> {
  const xs = await XenStore.connect({ path: socket });
  const w = await xs.watch('/local/domain/0/backend');
  void (async () => {
    for await (const ev of w) {
      if (!ev.path.endsWith('/state')) continue;
      const v = await xs.read(ev.path).catch(() => null);
      if (v === '5') await xs.write(ev.path, '6');
    }
  })().catch(() => undefined);
  return xs;
}

describe('pause / unpause / rename', () => {
  it('pause and unpause issue the hypercalls; a missing domain is an error', async () => {
    host = await fakeHost([{ domid: 0, name: 'Domain-0' }, { domid: 5, name: 'g5', handle: uuidBytes(5) }]);
    pauseDomain(host.ctx, 5);
    expect(host.xen.paused.has(5)).toBe(true);
    await unpauseDomain(host.ctx, 5);
    expect(host.xen.paused.has(5)).toBe(false);
    expect(() => pauseDomain(host!.ctx, 6)).toThrow(/Domain 6: pausing domain failed: No such process/);
    await expect(unpauseDomain(host.ctx, 6)).rejects.toThrow('unable to get domain type for domid=6');
  });

  it('rename writes the name and /vm/<uuid>/name, refuses a clash, checks the old name', async () => {
    host = await fakeHost([{ domid: 0, name: 'Domain-0' }, { domid: 5, handle: uuidBytes(5) }, { domid: 6, name: 'other', handle: uuidBytes(6) }]);
    pvGuestTree(host);
    await renameDomain(host.ctx, 5, 'g5', 'web');
    expect(host.xsd.get('/local/domain/5/name')).toBe('web');
    expect(host.xsd.get(`/vm/${UUID5}/name`)).toBe('web');
    await expect(renameDomain(host.ctx, 5, 'web', 'other')).rejects.toThrow('Domain with name "other" already exists.');
    await expect(renameDomain(host.ctx, 5, 'stale', 'x')).rejects.toThrow(/allegedly named `stale' is actually named `web'/);
    expect(host.xsd.get('/local/domain/5/name')).toBe('web');
    // Renaming to its own name is fine.
    await renameDomain(host.ctx, 5, 'web', 'web');
    // A domid with no domain: the transaction is dropped.
    const e = await renameDomain(host.ctx, 42, null, 'ghost').catch((x: unknown) => x);
    expect(e).toBeInstanceOf(LibxlError);
    expect((e as LibxlError).rc).toBe(-21);
    expect(host.xsd.get('/local/domain/42/name')).toBeUndefined();
  });
});

describe('xsPathCleanup', () => {
  it('removes the node and the parents it leaves empty', async () => {
    host = await fakeHost([]);
    host.xsd.put('/a/b/c/d', 'x');
    host.xsd.put('/a/keep', '1');
    const xs = await host.ctx.xs();
    await xsPathCleanup(xs, '/a/b/c/d');
    expect(host.xsd.get('/a/b')).toBeUndefined();
    expect(host.xsd.get('/a/keep')).toBe('1');
  });
});

describe('destroy', () => {
  it('parses backend paths like libxl__parse_backend_path', () => {
    expect(parseBackendPath('/local/domain/0/backend/vbd/5/51712')).toEqual({ backendDomid: 0, backendKind: 'vbd', domid: 5, devid: 51712 });
    expect(parseBackendPath('/local/domain/0/backend/nosuch/5/0')).toBeNull();
    expect(parseBackendPath('/local/domain/0/frontend/vbd/5/0')).toBeNull();
  });

  it('takes a PV guest down like libxl: devices closed, scripts run, every trace removed', async () => {
    host = await fakeHost([{ domid: 0, name: 'Domain-0' }, { domid: 5, flags: F.blocked, handle: uuidBytes(5) }]);
    pvGuestTree(host);
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'xl-destroy-'));
    const lib = path.join(tmp, 'lib');
    const run = path.join(tmp, 'run');
    fs.mkdirSync(lib);
    fs.mkdirSync(run);
    for (const f of [`userdata-d.5.${UUID5}.libxl-json`, `userdata-d.5.${UUID5}.xl`, `userdata-d.15.${UUID5}.xl`, 'qemu-save.5']) fs.writeFileSync(path.join(lib, f), '{}');
    const driver = await fakeBackendDriver(host.xsd.socketPath);
    const runs: HotplugRun[] = [];
    const warnings: string[] = [];
    try {
      await destroyDomain(host.ctx, 5, {
        libDir: lib, runDir: run, warn: (m) => warnings.push(m), timeoutScale: 0.05,
        runHotplug: async (r) => {
          // The block script reads the backend: it must still be there.
          expect(host!.xsd.get(`/local/domain/0/${r.env.XENBUS_PATH}/state`)).toBe('6');
          runs.push(r);
          return OK;
        },
      });
    } finally {
      await driver.close();
    }
    expect(warnings).toEqual([]);
    expect(host.xen.destroyed).toEqual([5]);
    expect(host.xen.paused.has(5)).toBe(true);
    expect(runs.map((r) => [r.script, r.args]).sort()).toEqual([
      ['/etc/xen/scripts/block', ['remove']],
      ['/etc/xen/scripts/vif-bridge', ['offline', 'type_if=vif']],
    ]);
    const vif = runs.find((r) => r.script.endsWith('vif-bridge'))!;
    expect(vif.env).toEqual({
      script: '/etc/xen/scripts/vif-bridge', XENBUS_TYPE: 'vif', XENBUS_PATH: 'backend/vif/5/0', XENBUS_BASE_PATH: 'backend', netdev: '', vif: 'vif5.0',
    });
    const left = [...host.xsd.tree.keys()].filter((p) => /\/5(\/|$)|vm\/5051/.test(p));
    expect(left).toEqual([]);
    expect(host.xsd.get('/local/domain/0/backend/vif/9/0/state')).toBe('4');
    expect(host.xsd.get('/local/domain/0/backend/vbd')).toBeUndefined(); // emptied parent pruned
    expect(fs.readdirSync(lib).sort()).toEqual([`userdata-d.15.${UUID5}.xl`]);
    expect(fs.readFileSync(path.join(run, 'domid-history'), 'utf8')).toMatch(/^\d+ 5\n$/);
  });

  it('a backend that never closes: times out, skips the scripts, still cleans up', async () => {
    host = await fakeHost([{ domid: 0, name: 'Domain-0' }, { domid: 5, handle: uuidBytes(5) }]);
    pvGuestTree(host);
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'xl-destroy-'));
    const warnings: string[] = [];
    let scripts = 0;
    await destroyDomain(host.ctx, 5, {
      libDir: tmp, runDir: tmp, warn: (m) => warnings.push(m), timeoutScale: 0.01,
      runHotplug: async () => (++scripts, OK),
    });
    expect(scripts).toBe(0);
    expect(warnings.length).toBe(2);
    expect(warnings[0]).toMatch(/unable to remove device with path \/local\/domain\/0\/backend\/(vif|vbd)\/5\/\d+ \(timed out\)/);
    expect([...host.xsd.tree.keys()].filter((p) => p.includes('/5/'))).toEqual([]);
    expect(host.xen.destroyed).toEqual([5]);
  });

  it('a failing script: the warning has its exit status, hotplug-error and last output', async () => {
    host = await fakeHost([{ domid: 0, name: 'Domain-0' }, { domid: 5, handle: uuidBytes(5) }]);
    pvGuestTree(host);
    host.xsd.put('/local/domain/0/backend/vbd/5/51712/hotplug-error', 'losetup -d failed');
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'xl-destroy-'));
    const driver = await fakeBackendDriver(host.xsd.socketPath);
    const warnings: string[] = [];
    const timeouts: number[] = [];
    try {
      await destroyDomain(host.ctx, 5, {
        libDir: tmp, runDir: tmp, warn: (m) => warnings.push(m), timeoutScale: 0.05,
        runHotplug: async (r, timeoutMs) => {
          timeouts.push(timeoutMs);
          return r.script.endsWith('block') ? { status: 1, signal: null, timedOut: false, stderrTail: ['a', 'b'] }
            : { status: null, signal: 'SIGKILL', timedOut: true, stderrTail: [] };
        },
      });
    } finally {
      await driver.close();
    }
    expect(timeouts).toEqual([2000, 2000]);
    expect(warnings.sort()).toEqual([
      '/etc/xen/scripts/block remove exited with status 1: script: losetup -d failed (output: a / b)',
      '/etc/xen/scripts/vif-bridge offline was killed after 2 s',
    ]);
    expect(host.xen.destroyed).toEqual([5]);
  });

  it('a vif_ioemu nic runs the tap pass too, unless the domain has a stub domain; an unknown nictype runs nothing', async () => {
    for (const [type, stub, expected] of [
      ['vif_ioemu', false, [['offline', 'type_if=vif'], ['remove', 'type_if=tap']]],
      ['VIF_IOEMU', true, [['offline', 'type_if=vif']]],
      ['bogus', false, []],
    ] as const) {
      host = await fakeHost([{ domid: 0, name: 'Domain-0' }, { domid: 5, handle: uuidBytes(5) }]);
      pvGuestTree(host);
      host.xsd.put('/local/domain/0/backend/vif/5/0/type', type);
      host.xsd.put('/local/domain/0/backend/vif/5/0/gatewaydev', 'eth0');
      if (stub) host.xsd.put('/local/domain/5/image/device-model-domid', '6');
      tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'xl-destroy-'));
      const driver = await fakeBackendDriver(host.xsd.socketPath);
      const vifRuns: HotplugRun[] = [];
      const warnings: string[] = [];
      try {
        await destroyDomain(host.ctx, 5, {
          libDir: tmp, runDir: tmp, warn: (m) => warnings.push(m), timeoutScale: 0.05,
          runHotplug: async (r) => (r.script.endsWith('vif-bridge') && vifRuns.push(r), OK),
        }).catch(() => undefined); // the stub domain 6 does not exist
      } finally {
        await driver.close();
      }
      expect(vifRuns.map((r) => r.args)).toEqual(expected);
      if (expected.length) expect(vifRuns[0].env).toMatchObject({ netdev: 'eth0', vif: 'vif5.0', INTERFACE: 'vif5.0-emu' });
      else expect(warnings).toContain('Domain 5: unable to read nictype from /local/domain/0/backend/vif/5/0');
      await host.close();
      host = undefined;
      fs.rmSync(tmp, { recursive: true, force: true });
      tmp = undefined;
    }
  });

  it('kills the device model by its xenstore pid and removes its QMP sockets', async () => {
    host = await fakeHost([{ domid: 0, name: 'Domain-0' }, { domid: 5, handle: uuidBytes(5) }]);
    host.xsd.put('/local/domain/5/name', 'g5');
    host.xsd.put('/local/domain/5/image/device-model-pid', '4242');
    host.xsd.put('/local/domain/0/device-model/5/state', 'running');
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'xl-destroy-'));
    fs.writeFileSync(path.join(tmp, 'qmp-libxl-5'), '');
    const kills: [number, string][] = [];
    await destroyDomain(host.ctx, 5, { libDir: tmp, runDir: tmp, kill: (pid, sig) => (kills.push([pid, sig]), true) });
    expect(kills).toEqual([[4242, 'SIGHUP']]);
    expect(fs.existsSync(path.join(tmp, 'qmp-libxl-5'))).toBe(false);
    expect(host.xsd.get('/local/domain/0/device-model/5/state')).toBeUndefined();
  });

  it('the remains of a domain Xen lost (destroyed mid-create): backends closed, scripts run, nodes gone', async () => {
    host = await fakeHost([{ domid: 0, name: 'Domain-0' }]);
    pvGuestTree(host);
    host.xsd.put('/local/domain/0/backend/vkbd/5/0/state', '4');
    host.xsd.put('/libxl/5/device/vkbd/0/backend', '/local/domain/0/backend/vkbd/5/0');
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'xl-destroy-'));
    fs.writeFileSync(path.join(tmp, `userdata-d.5.${UUID5}.libxl-json`), '{}');
    // No backend driver answers (blkback drops a lost domain's device without closing it): the scripts run anyway.
    const runs: string[] = [];
    const warnings: string[] = [];
    await destroyRemains(host.ctx, 5, {
      libDir: tmp, runDir: tmp, warn: (m) => warnings.push(m), timeoutScale: 0.02,
      runHotplug: async (r) => (runs.push(`${r.script} ${r.args[0]}`), OK),
    });
    expect(warnings).toEqual([]);
    expect(runs.sort()).toEqual(['/etc/xen/scripts/block remove', '/etc/xen/scripts/vif-bridge offline']);
    expect([...host.xsd.tree.keys()].filter((p) => /\/5(\/|$)|vm\/5051/.test(p))).toEqual([]);
    expect(host.xsd.get('/local/domain/0/backend/vif/9/0/state')).toBe('4');
    expect(host.xen.destroyed).toEqual([]);
    expect(fs.readdirSync(tmp).filter((f) => f.startsWith('userdata-'))).toEqual([]);
  });

  it('a domain that does not exist: ERROR_DOMAIN_NOTFOUND and no hypercall', async () => {
    host = await fakeHost([{ domid: 0, name: 'Domain-0' }]);
    const e = await destroyDomain(host.ctx, 77).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(LibxlError);
    expect((e as LibxlError).rc).toBe(-21);
    expect(host.xen.destroyed).toEqual([]);
  });
});
