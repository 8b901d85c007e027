// The device logic without Xen: libxl's defaults and xenstore entries for
// disks and nics, the nodes with their perms on a fake xenstored, the wait
// for InitWait and the hotplug runs, and the saved-config editing.
import { afterEach, describe, expect, it } from 'vitest';
import type { HotplugOutcome, HotplugRun } from '../../../src/device-hotplug/index.js';
import { renderJson } from '../../../src/config-parser/index.js';
import {
  DeviceError, connectDevice, devicePaths, randomMac, settleDisk, settleNic, writeDeviceNodes,
} from '../../../src/libxl/devices/devices.js';
import { parseJNode, type JMap } from '../../../src/libxl/domain/domain-config.js';
import { setDeviceList } from '../../../src/libxl/domain/saved-config.js';
import { formatPerms } from '../../../src/xenstore-client/perms.js';
import { fakeHost, type FakeHost } from './fakes.js';

const file = { isBlockDevice: () => false, isFile: () => true, isCharacterDevice: () => false };
const statFile = async () => file;
const statMissing = async () => { throw Object.assign(new Error('ENOENT'), { code: 'ENOENT' }); };
const keys = (kv: readonly (readonly [string, string])[]) => kv.map(([k]) => k);

describe('settleDisk (libxl__device_disk_setdefault, device_disk_add)', () => {
  it('a raw file is a phy vbd with the block script, in libxl\'s entry order', async () => {
    const { spec, disk } = await settleDisk({ pdev_path: '/img/a.img', vdev: 'xvda', format: 'raw', readwrite: 1 }, 7, 'pv', { statPath: statFile });
    expect(spec).toMatchObject({ kind: 'vbd', backendKind: 'vbd', domid: 7, devid: 51712, backendDomid: 0 });
    expect(spec.back).toEqual([
      ['params', '/img/a.img'], ['script', '/etc/xen/scripts/block'], ['frontend-id', '7'], ['online', '1'],
      ['removable', '0'], ['bootable', '1'], ['state', '1'], ['dev', 'xvda'], ['type', 'phy'], ['mode', 'w'],
      ['device-type', 'disk'], ['discard-enable', '1'], ['specification', 'xen'],
    ]);
    expect(spec.front).toEqual([
      ['backend-id', '0'], ['state', '1'], ['virtual-device', '51712'], ['device-type', 'disk'], ['trusted', '1'],
    ]);
    expect(disk.backend).toBe('phy');
  });

  it('read-only turns discard off; a cdrom says so; a script name is taken from the scripts directory', async () => {
    const { spec } = await settleDisk({ pdev_path: '/x.iso', vdev: 'xvdc', format: 'raw', readwrite: 0, is_cdrom: 1, script: 'block-iscsi' }, 3, 'pv', { statPath: statFile });
    expect(spec.back).toContainEqual(['mode', 'r']);
    expect(spec.back).toContainEqual(['discard-enable', '0']);
    expect(spec.back).toContainEqual(['device-type', 'cdrom']);
    expect(spec.back).toContainEqual(['script', '/etc/xen/scripts/block-iscsi']);
    expect(spec.devid).toBe(51744);
  });

  it('qcow2 goes to qdisk with "<format>:<path>" params and no script', async () => {
    const { spec } = await settleDisk({ pdev_path: '/img/b.qcow2', vdev: 'xvdb', format: 'qcow2', readwrite: 1 }, 2, 'pv', { statPath: statFile });
    expect(spec.backendKind).toBe('qdisk');
    expect(spec.back[0]).toEqual(['params', 'qcow2:/img/b.qcow2']);
    expect(keys(spec.back)).not.toContain('script');
    expect(spec.back).toContainEqual(['type', 'qdisk']);
  });

  it('refuses a missing image, a bad vdev, phy for qcow2 and an empty non-cdrom, each in one line', async () => {
    await expect(settleDisk({ pdev_path: '/nope', vdev: 'xvda', format: 'raw' }, 1, 'pv', { statPath: statMissing }))
      .rejects.toThrow('disk xvda: failed to stat /nope: No such file or directory');
    await expect(settleDisk({ pdev_path: '/a', vdev: 'zzz', format: 'raw' }, 1, 'pv', { statPath: statFile }))
      .rejects.toThrow('invalid or unsupported virtual disk identifier zzz');
    await expect(settleDisk({ pdev_path: '/a', vdev: 'xvda', format: 'qcow2', backend: 'phy' }, 1, 'pv', { statPath: statFile }))
      .rejects.toBeInstanceOf(DeviceError);
    await expect(settleDisk({ vdev: 'xvda', format: 'empty' }, 1, 'pv')).rejects.toThrow('disk xvda is empty but not cdrom');
  });
});

describe('settleNic (libxl__device_nic_setdefault, libxl__set_xenstore_nic)', () => {
  it('defaults: Xen OUI MAC, xenbr0, vif-bridge, mtu 1500 read-only for the guest, in libxl\'s entry order', () => {
    const { spec, nic } = settleNic({ devid: 0 }, 5, 'pv', { mac: () => [0, 0x16, 0x3e, 1, 2, 3] });
    expect(spec.back).toEqual([
      ['frontend-id', '5'], ['online', '1'], ['state', '1'], ['script', '/etc/xen/scripts/vif-bridge'],
      ['mac', '00:16:3e:01:02:03'], ['bridge', 'xenbr0'], ['handle', '0'], ['type', 'vif'], ['hotplug-status', ''],
    ]);
    expect(spec.front).toEqual([['backend-id', '0'], ['state', '1'], ['handle', '0'], ['mac', '00:16:3e:01:02:03'], ['trusted', '1']]);
    expect(spec.roFront).toEqual([['mtu', '1500']]);
    expect(nic).toMatchObject({ nictype: 'vif', mac: [0, 0x16, 0x3e, 1, 2, 3], bridge: 'xenbr0' });
  });

  it('ip, gatewaydev, rate, vifname and a non-default mtu become backend entries', () => {
    const { spec } = settleNic({
      devid: 2, ip: '10.0.0.2', gatewaydev: 'eth1', rate_bytes_per_interval: 12500n, rate_interval_usecs: 50000,
      ifname: 'web0', mtu: 9000, mac: [0, 0x16, 0x3e, 0xa, 0xb, 0xc],
    }, 9, 'pv');
    expect(keys(spec.back)).toEqual([
      'frontend-id', 'online', 'state', 'script', 'vifname', 'mac', 'ip', 'gatewaydev', 'rate', 'mtu', 'bridge',
      'handle', 'type', 'hotplug-status',
    ]);
    expect(spec.back).toContainEqual(['rate', '12500,50000']);
    expect(spec.roFront).toEqual([['mtu', '9000']]);
  });

  it('HVM guests get vif_ioemu at create and vif when hot-plugged; PV refuses vif_ioemu', () => {
    expect(settleNic({ devid: 0 }, 1, 'hvm').spec.nictype).toBe('vif_ioemu');
    expect(settleNic({ devid: 0 }, 1, 'hvm', { hotplug: true }).spec.nictype).toBe('vif');
    expect(() => settleNic({ devid: 0, nictype: 'vif_ioemu' }, 1, 'pv')).toThrow('emulated interface');
  });

  it('random MACs keep the Xen OUI and a unicast, locally unique fourth byte', () => {
    for (let i = 0; i < 50; i++) {
      const m = randomMac();
      expect(m.slice(0, 3)).toEqual([0, 0x16, 0x3e]);
      expect(m[3]).toBeLessThan(0x80);
    }
  });
});

describe('device nodes and connection on a fake xenstored', () => {
  let host: FakeHost;
  afterEach(async () => host?.close());

  it('writes frontend, backend and libxl nodes with libxl\'s perms', async () => {
    host = await fakeHost([{ domid: 0 }, { domid: 4 }]);
    const xs = await host.ctx.xs();
    const { spec } = settleNic({ devid: 0 }, 4, 'pv', { mac: () => [0, 0x16, 0x3e, 1, 2, 3] });
    await xs.withTransaction((t) => writeDeviceNodes(t, spec));
    const p = devicePaths(spec);
    expect(formatPerms(await xs.getPerms(p.frontend))).toEqual(['n4', 'r0']);
    expect(formatPerms(await xs.getPerms(`${p.frontend}/mac`))).toEqual(['n4', 'r0']);
    expect(formatPerms(await xs.getPerms(`${p.frontend}/mtu`))).toEqual(['n0', 'r4']);
    expect(formatPerms(await xs.getPerms(p.backend))).toEqual(['n0', 'r4']);
    expect(await xs.read(`${p.backend}/frontend`)).toBe(p.frontend);
    expect(await xs.read(`${p.libxl}/backend`)).toBe(p.backend);
    expect(await xs.read(`${p.libxl}/bridge`)).toBe('xenbr0');
  });

  it('waits for InitWait, then runs the Linux vif script with libxl\'s argv and env; a failure carries its stderr', async () => {
    host = await fakeHost([{ domid: 0 }, { domid: 4 }]);
    const xs = await host.ctx.xs();
    const { spec } = settleNic({ devid: 1 }, 4, 'pv', { mac: () => [0, 0x16, 0x3e, 1, 2, 3] });
    await xs.withTransaction((t) => writeDeviceNodes(t, spec));
    const be = devicePaths(spec).backend;
    setTimeout(() => void xs.write(`${be}/state`, '2'), 50);
    const runs: HotplugRun[] = [];
    const ok = async (run: HotplugRun): Promise<HotplugOutcome> => {
      runs.push(run);
      return { status: 0, signal: null, timedOut: false, stderrTail: [] };
    };
    await connectDevice(xs, spec, { os: 'linux', runHotplug: ok });
    expect(runs).toEqual([{
      script: '/etc/xen/scripts/vif-bridge', args: ['online', 'type_if=vif'],
      env: {
        script: '/etc/xen/scripts/vif-bridge', XENBUS_TYPE: 'vif', XENBUS_PATH: 'backend/vif/4/1',
        XENBUS_BASE_PATH: 'backend', netdev: '', vif: 'vif4.1',
      },
    }]);

    const bad = async (): Promise<HotplugOutcome> => ({ status: 1, signal: null, timedOut: false, stderrTail: ['no bridge xenbr9'] });
    await expect(connectDevice(xs, spec, { os: 'linux', runHotplug: bad }))
      .rejects.toThrow('network interface 1: /etc/xen/scripts/vif-bridge online type_if=vif failed (exit status 1): no bridge xenbr9');
  });

  it('with run_hotplug_scripts=0 no script runs: udev/devd connects the device, or its hotplug-error is the message', async () => {
    host = await fakeHost([{ domid: 0 }, { domid: 4 }]);
    const xs = await host.ctx.xs();
    const { spec } = settleNic({ devid: 0 }, 4, 'pv', { mac: () => [0, 0x16, 0x3e, 1, 2, 3] });
    await xs.withTransaction((t) => writeDeviceNodes(t, spec));
    const be = devicePaths(spec).backend;
    const never = async (): Promise<HotplugOutcome> => { throw new Error('no script may run'); };
    setTimeout(() => void xs.write(`${be}/state`, '2').then(() => xs.write(`${be}/hotplug-status`, 'connected')), 30);
    await connectDevice(xs, spec, { os: 'linux', runScripts: false, runHotplug: never });
    await xs.write(`${be}/hotplug-status`, '');
    setTimeout(() => void xs.write(`${be}/hotplug-error`, 'bridge xenbr9 missing').then(() => xs.write(`${be}/hotplug-status`, 'error')), 30);
    await expect(connectDevice(xs, spec, { os: 'linux', runScripts: false, runHotplug: never }))
      .rejects.toThrow(/network interface 0: hotplug scripts \(run_hotplug_scripts=0\) did not connect .*: bridge xenbr9 missing$/);
  });

  it('a backend that never reaches InitWait fails at the (scaled) init timeout', async () => {
    host = await fakeHost([{ domid: 0 }, { domid: 4 }]);
    const xs = await host.ctx.xs();
    const { spec } = await settleDisk({ pdev_path: '/a.img', vdev: 'xvda', format: 'raw', readwrite: 1 }, 4, 'pv', { statPath: statFile });
    await xs.withTransaction((t) => writeDeviceNodes(t, spec));
    await expect(connectDevice(xs, spec, { os: 'linux', timeoutScale: 0.01 })).rejects.toThrow(/disk xvda: backend .* did not reach InitWait/);
  });
});

describe('saved config editing', () => {
  const TEXT = `{
    "c_info": {
        "name": "g",
        "domid": 4294967295
    },
    "b_info": {
        "max_memkb": 131072,
        "sched_params": {

        }
    },
    "on_reboot": "restart"
}
`;
  it('parses and renders the libxl JSON byte for byte (numbers kept as written)', () => {
    expect(renderJson(parseJNode(TEXT))).toBe(TEXT);
    expect(renderJson(parseJNode(`{\n    "x": 18446744073709551615\n}\n`))).toContain('18446744073709551615');
  });

  it('a device list goes in at its IDL position and an emptied one goes away', () => {
    const cfg = parseJNode(TEXT) as JMap;
    setDeviceList(cfg, 'nics', [{ t: 'map', entries: [['devid', { t: 'num', v: '0' }]] }]);
    setDeviceList(cfg, 'disks', [{ t: 'map', entries: [['vdev', { t: 'str', v: 'xvda' }]] }]);
    expect(cfg.entries.map(([k]) => k)).toEqual(['c_info', 'b_info', 'disks', 'nics', 'on_reboot']);
    setDeviceList(cfg, 'disks', []);
    expect(cfg.entries.map(([k]) => k)).toEqual(['c_info', 'b_info', 'nics', 'on_reboot']);
  });
});
