// xl block-list/-attach/-detach and network-list/-attach/-detach (C
// xl_block.c, xl_nic.c): list output byte for byte against xenstore as libxl
// writes it, the device objects attach hands to libxl, and the C xl's
// messages and exit statuses. libxl/devices/devices.ts (attach/detach) is mocked.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Target } from '../../../src/cli/types.js';
import { dryRunCreate } from '../../../src/libxl/domain/create-dry-run.js';
import { XlError } from '../../../src/libxl/errors.js';
import { putDisk, putNic } from '../libxl/device-nodes.js';
import { fakeHost, type FakeHost } from '../libxl/fakes.js';
import { runMain } from './capture.js';
import { releaseHost, useHost } from './fake-context.js';

vi.mock('../../../src/libxl/context.js', async (importOriginal) => (await import('./fake-context.js')).contextModule(importOriginal));

const devices = vi.hoisted(() => ({
  attachDisk: vi.fn(async (_ctx: unknown, _domid: number, _disk: Record<string, unknown>) => ({ devid: 51728 })),
  attachNic: vi.fn(async (_ctx: unknown, _domid: number, _nic: Record<string, unknown>) => ({ devid: 1 })),
  detachDevice: vi.fn(async (_ctx: unknown, _domid: number, _dev: { kind: 'vbd' | 'vif'; devid: number }, _opts?: { force?: boolean }) => undefined),
}));
vi.mock('../../../src/libxl/devices/devices.js', () => devices);

const T17: Target = { xen: '4.17', arch: 'x86', source: 'env' };
const T20: Target = { xen: '4.20', arch: 'x86', source: 'env' };
const xl = (args: string[], target = T17) => runMain(args, { target });

let host: FakeHost | undefined;
let confDir: string;

beforeAll(() => {
  confDir = mkdtempSync(join(tmpdir(), 'xl-devices-'));
});
afterAll(() => rmSync(confDir, { recursive: true, force: true }));

beforeEach(async () => {
  host = useHost(await fakeHost([{ domid: 0, name: 'Domain-0' }, { domid: 5, name: 'g' }, { domid: 6, name: 'h' }]));
  putDisk(host.xsd, { domid: 5 });
  putNic(host.xsd, { domid: 5 });
  // an empty xl.conf unless a test writes one
  writeFileSync(join(confDir, 'xl.conf'), '');
  vi.stubEnv('XL_GLOBAL_CONFIG', join(confDir, 'xl.conf'));
  for (const f of Object.values(devices)) f.mockClear();
});
afterEach(async () => {
  await releaseHost();
  host = undefined;
});

// -- block-list -----------------------------------------------------------------

const BLOCK_HEADER = 'Vdev  BE  handle state evt-ch ring-ref BE-path                       \n';
const BLOCK_ROW_5 = '51712 0   5      4     9      8        /local/domain/0/backend/vbd/5/51712\n';

describe('block-list', () => {
  it('prints the C header and one row per disk', async () => {
    expect(await xl(['block-list', 'g'])).toEqual({ stdout: BLOCK_HEADER + BLOCK_ROW_5, stderr: '', status: 0 });
  });

  it('goes through several domains in turn, by name or domid, the header once', async () => {
    putDisk(host!.xsd, { domid: 6, devid: 51728, vdev: 'xvdb', backendDomid: 3, frontend: { state: 1, evtch: 12, rref: 2047 } });
    const r = await xl(['block-list', '5', 'h', '42']);
    expect(r).toEqual({
      stdout: BLOCK_HEADER + BLOCK_ROW_5 + '51728 3   6      1     12     2047     /local/domain/3/backend/vbd/6/51728\n',
      stderr: '',
      status: 0,
    });
  });

  it('says so for an unknown name and carries on, exit 0 (no rc, no find_domain)', async () => {
    const r = await xl(['block-list', 'nosuch', 'g']);
    expect(r).toEqual({ stdout: BLOCK_HEADER + BLOCK_ROW_5, stderr: 'nosuch is an invalid domain identifier\n', status: 0 });
  });

  it('shows -1 for what the frontend has not written', async () => {
    putDisk(host!.xsd, { domid: 6, frontend: null });
    const r = await xl(['block-list', 'h']);
    expect(r.stdout).toBe(BLOCK_HEADER + '51712 0   6      -1    -1     -1       /local/domain/0/backend/vbd/6/51712\n');
  });

  it('needs a domain', async () => {
    const r = await xl(['block-list']);
    expect(r.status).toBe(2);
    expect(r.stderr).toBe("'xl block-list' requires at least 1 argument.\n\n");
  });
});

// -- network-list ---------------------------------------------------------------

const NET_HEADER = 'Idx BE Mac Addr.         handle state evt-ch   tx-/rx-ring-ref BE-path                       \n';
const NET_ROW_5 = '0   0  00:16:3e:01:02:03     0     4     10  1280/1281        /local/domain/0/backend/vif/5/0\n';

describe('network-list', () => {
  it('prints the C header and one row per nic', async () => {
    expect(await xl(['network-list', 'g'])).toEqual({ stdout: NET_HEADER + NET_ROW_5, stderr: '', status: 0 });
  });

  it('goes through several domains in turn', async () => {
    putNic(host!.xsd, { domid: 6, devid: 12, mac: '00:16:3e:ab:cd:ef', backendDomid: 2, frontend: { state: 3, evtch: 7, tx: 767, rx: 768 } });
    const r = await xl(['network-list', 'g', '6', '0']);
    expect(r).toEqual({
      stdout: NET_HEADER + NET_ROW_5 + '12  2  00:16:3e:ab:cd:ef    12     3      7   767/768         /local/domain/2/backend/vif/6/12\n',
      stderr: '',
      status: 0,
    });
  });

  it('stops at an unknown domain with find_domain\'s message, exit 1', async () => {
    const r = await xl(['network-list', 'g', 'nosuch', 'h']);
    expect(r).toEqual({ stdout: NET_HEADER + NET_ROW_5, stderr: 'nosuch is an invalid domain identifier (rc=-6)\n', status: 1 });
  });
});

// -- block-attach ---------------------------------------------------------------

/** The disk a disk= line of a config file gives. */
async function configDisk(spec: string) {
  const r = await dryRunCreate('/tmp/x.cfg', [], { text: `name="x"\nkernel="/k"\nmemory=64\ndisk=['${spec}']\n`, host: { maxCpus: 1 } });
  return r.config.disks[0];
}

describe('block-attach', () => {
  it('hands libxl the disk a config line gives', async () => {
    const r = await xl(['block-attach', 'g', 'file:/x.img,xvdb,w']);
    expect(r).toEqual({ stdout: '', stderr: '', status: 0 });
    expect(devices.attachDisk).toHaveBeenCalledTimes(1);
    const [, domid, disk] = devices.attachDisk.mock.calls[0];
    expect(domid).toBe(5);
    expect(disk).toEqual(await configDisk('file:/x.img,xvdb,w'));
    expect(disk).toMatchObject({ pdev_path: '/x.img', vdev: 'xvdb', readwrite: 1, format: 'raw', backend: 'unknown' });
  });

  it('takes the components as separate arguments (target, format, vdev, access)', async () => {
    const r = await xl(['block-attach', '5', '/x.img', 'raw', 'xvdb', 'r']);
    expect(r.status).toBe(0);
    expect(devices.attachDisk.mock.calls[0][2]).toEqual(await configDisk('/x.img,raw,xvdb,r'));
    expect(devices.attachDisk.mock.calls[0][2]).toMatchObject({ pdev_path: '/x.img', vdev: 'xvdb', readwrite: 0 });
  });

  it('takes key=value components', async () => {
    const r = await xl(['block-attach', 'g', 'vdev=xvdc', 'backendtype=qdisk', 'format=qcow2', 'target=/images/c.qcow2']);
    expect(r.status).toBe(0);
    expect(devices.attachDisk.mock.calls[0][2]).toMatchObject({ pdev_path: '/images/c.qcow2', vdev: 'xvdc', backend: 'qdisk', format: 'qcow2' });
  });

  it('reads the second positional as the format, as xlu_disk_parse does', async () => {
    const r = await xl(['block-attach', 'g', '/x.img', 'xvdb', 'w']);
    expect(r).toEqual({
      stdout: '',
      stderr: "command line: config parsing error in disk specification: unknown value for format: near `xvdb' in `xvdb'\n",
      status: 1,
    });
    expect(devices.attachDisk).not.toHaveBeenCalled();
  });

  it('reports a spec without vdev', async () => {
    const r = await xl(['block-attach', 'g', 'target=/x.img']);
    expect(r).toEqual({
      stdout: '',
      stderr: "command line: config parsing error in disk specification: no vdev specified in `target=/x.img'\n",
      status: 1,
    });
  });

  it('says an unknown domain is invalid, without rc', async () => {
    const r = await xl(['block-attach', 'nosuch', '/x.img,raw,xvdb']);
    expect(r).toEqual({ stdout: '', stderr: 'nosuch is an invalid domain identifier\n', status: 1 });
  });

  it('prints the disk as JSON and attaches nothing under -N', async () => {
    const r = await xl(['-N', 'block-attach', '5', 'phy:/dev/vg/x,xvdc,w']);
    expect(r).toEqual({
      stdout: 'disk: {\n    "pdev_path": "/dev/vg/x",\n    "vdev": "xvdc",\n    "format": "raw",\n    "readwrite": 1\n}\n\n',
      stderr: '',
      status: 0,
    });
    expect(devices.attachDisk).not.toHaveBeenCalled();
  });

  it('writes 4.20-only fields only for 4.20', async () => {
    const r20 = await xl(['-N', 'block-attach', '5', '/x.img,raw,xvdb', 'grant_usage=1'], T20);
    expect(r20.stdout).toContain('"grant_usage": "True"');
    const r17 = await xl(['-N', 'block-attach', '5', '/x.img,raw,xvdb', 'grant_usage=1'], T17);
    expect(r17.status).toBe(1); // 4.17's scanner has no such keyword
  });

  it('reports a libxl failure as the C xl does', async () => {
    devices.attachDisk.mockRejectedValueOnce(new XlError('vdev xvdb is in use'));
    const r = await xl(['block-attach', 'g', '/x.img,raw,xvdb']);
    expect(r).toEqual({ stdout: '', stderr: 'libxl: error: vdev xvdb is in use\nlibxl_device_disk_add failed.\n', status: 1 });
  });

  it('needs a domain and a spec', async () => {
    const r = await xl(['block-attach', 'g']);
    expect(r.status).toBe(2);
    expect(r.stderr).toBe("'xl block-attach' requires at least 2 arguments.\n\n");
  });
});

// -- block-detach ---------------------------------------------------------------

describe('block-detach', () => {
  it.each([['xvda'], ['51712'], ['0xca00']])('resolves %s to devid 51712', async (arg) => {
    const r = await xl(['block-detach', 'g', arg]);
    expect(r).toEqual({ stdout: '', stderr: '', status: 0 });
    expect(devices.detachDevice).toHaveBeenCalledWith(expect.anything(), 5, { kind: 'vbd', devid: 51712 }, { force: false });
  });

  it('passes -f / --force on', async () => {
    expect((await xl(['block-detach', '-f', 'g', 'xvda'])).status).toBe(0);
    expect((await xl(['block-detach', '--force', '5', 'xvda'])).status).toBe(0);
    expect(devices.detachDevice.mock.calls.map((c) => c[3])).toEqual([{ force: true }, { force: true }]);
  });

  it('says a device that is not there is not connected, after libxl\'s own error', async () => {
    const noBackend = "libxl: error: disk /libxl/5/device/vbd/51728 does not exist (no backend path\n";
    for (const [arg, libxl] of [['xvdb', noBackend], ['51728', noBackend], ['bogus', '']]) {
      const r = await xl(['block-detach', 'g', arg]);
      expect(r).toEqual({ stdout: '', stderr: `${libxl}Error: Device ${arg} not connected.\n`, status: 1 });
    }
    expect(devices.detachDevice).not.toHaveBeenCalled();
  });

  it('refuses virtio disks', async () => {
    host!.xsd.put('/libxl/6/device/virtio_disk/51712/backend', '/local/domain/0/backend/virtio_disk/6/51712');
    for (const [k, v] of Object.entries({ type: 'standalone', specification: 'virtio', transport: 'mmio', base: '1', irq: '2', dev: 'xvda', removable: '0', mode: 'w', 'device-type': 'disk' })) {
      host!.xsd.put(`/libxl/6/device/virtio_disk/51712/${k}`, v);
    }
    const r = await xl(['block-detach', 'h', 'xvda']);
    expect(r).toEqual({ stdout: '', stderr: "Hotunplug isn't supported for specification virtio\n", status: 1 });
  });

  it('uses find_domain for the domain', async () => {
    const r = await xl(['block-detach', 'nosuch', 'xvda']);
    expect(r).toEqual({ stdout: '', stderr: 'nosuch is an invalid domain identifier (rc=-6)\n', status: 1 });
  });

  it('names the libxl call that failed', async () => {
    devices.detachDevice.mockRejectedValueOnce(new XlError('timed out'));
    expect(await xl(['block-detach', 'g', 'xvda'])).toEqual({
      stdout: '', stderr: 'libxl: error: timed out\nlibxl_device_disk_safe_remove failed.\n', status: 1,
    });
    devices.detachDevice.mockRejectedValueOnce(new XlError('gone wrong'));
    expect(await xl(['block-detach', '-f', 'g', 'xvda'])).toEqual({
      stdout: '', stderr: 'libxl: error: gone wrong\nlibxl_device_disk_destroy failed.\n', status: 1,
    });
  });
});

// -- network-attach -------------------------------------------------------------

/** The nic a vif= line of a config file gives (its devid is its index there). */
async function configNic(spec: string) {
  const r = await dryRunCreate('/tmp/x.cfg', [], {
    text: `name="x"\nkernel="/k"\nmemory=64\nvif=['${spec}']\n`, host: { maxCpus: 1 }, globals: { vifScript: 'vif-custom' },
  });
  return { ...r.config.nics[0], devid: -1 };
}

describe('network-attach', () => {
  it('hands libxl the nic a vif line gives, xl.conf defaults included', async () => {
    writeFileSync(join(confDir, 'xl.conf'), 'vif.default.script="vif-custom"\n');
    const r = await xl(['network-attach', 'g', 'bridge=xenbr0', 'mac=00:16:3e:01:02:03']);
    expect(r).toEqual({ stdout: '', stderr: '', status: 0 });
    const [, domid, nic] = devices.attachNic.mock.calls[0];
    expect(domid).toBe(5);
    expect(nic).toEqual(await configNic('bridge=xenbr0,mac=00:16:3e:01:02:03'));
    expect(nic).toMatchObject({ bridge: 'xenbr0', mac: [0, 0x16, 0x3e, 1, 2, 3], script: 'vif-custom', devid: -1 });
  });

  it('does not split an argument at commas', async () => {
    expect((await xl(['network-attach', 'g', 'bridge=xenbr0,mac=00:16:3e:01:02:03'])).status).toBe(0);
    expect(devices.attachNic.mock.calls[0][2]).toMatchObject({ bridge: 'xenbr0,mac=00:16:3e:01:02:03', mac: [0, 0, 0, 0, 0, 0] });
  });

  it('takes devid, mtu, rate, type and trusted', async () => {
    expect((await xl(['network-attach', 'g', 'devid=3', 'mtu=9000', 'rate=10Mb/s', 'type=ioemu', 'untrusted'])).status).toBe(0);
    expect(devices.attachNic.mock.calls[0][2]).toMatchObject({
      devid: 3, mtu: 9000, rate_bytes_per_interval: 62500n, rate_interval_usecs: 50000, nictype: 'vif_ioemu', trusted: false,
    });
  });

  it.each([
    [['foo=bar'], "unrecognized argument `foo=bar'\n"],
    [['mac=zz:16:3e:01:02:03'], "Invalid parameter `mac'.\n"],
    [['type=tap'], "Invalid parameter `type'.\n"],
    [['rate=fast'], "command line: config parsing error in vif: invalid rate in `fast'\n"],
    [['mtu=big'], 'xl: failed to convert "big" to number\n'],
    [['bridge=xenbr0', 'vlan=10'], "unrecognized argument `vlan=10'\n"], // vlan= is 4.20's
  ])('%j: the C message, exit 1, nothing attached', async (args, stderr) => {
    const r = await xl(['network-attach', 'g', ...args]);
    expect(r).toEqual({ stdout: '', stderr, status: 1 });
    expect(devices.attachNic).not.toHaveBeenCalled();
  });

  it('warns about accel and netdev and goes on', async () => {
    const r = await xl(['network-attach', 'g', 'accel=x', 'netdev=eth1']);
    expect(r).toEqual({
      stdout: '',
      stderr: 'the accel parameter for vifs is currently not supported\nthe netdev parameter is deprecated, please use gatewaydev instead\n',
      status: 0,
    });
    expect(devices.attachNic.mock.calls[0][2]).toMatchObject({ gatewaydev: 'eth1' });
  });

  it('knows vlan= for 4.20', async () => {
    expect((await xl(['network-attach', 'g', 'vlan=10'], T20)).status).toBe(0);
    expect(devices.attachNic.mock.calls[0][2]).toMatchObject({ vlan: '10' });
  });

  it('prints the nic as JSON and attaches nothing under -N', async () => {
    const r = await xl(['-N', 'network-attach', 'g', 'bridge=xenbr1', 'mac=00:16:3e:0a:0b:0c']);
    expect(r).toEqual({
      stdout: 'vif: {\n    "mac": "00:16:3e:0a:0b:0c",\n    "bridge": "xenbr1"\n}\n\n',
      stderr: '',
      status: 0,
    });
    expect(devices.attachNic).not.toHaveBeenCalled();
  });

  it('uses find_domain, before looking at the arguments', async () => {
    const r = await xl(['network-attach', 'nosuch', 'foo=bar']);
    expect(r).toEqual({ stdout: '', stderr: 'nosuch is an invalid domain identifier (rc=-6)\n', status: 1 });
  });

  it('complains about a missing xl.conf and goes on, as every C xl command does', async () => {
    vi.stubEnv('XL_GLOBAL_CONFIG', join(confDir, 'missing.conf'));
    const r = await xl(['network-attach', 'g']);
    expect(r).toEqual({ stdout: '', stderr: `Failed to read config file: ${join(confDir, 'missing.conf')}: No such file or directory\n`, status: 0 });
    expect(devices.attachNic).toHaveBeenCalledTimes(1);
  });

  it('reports a libxl failure as the C xl does', async () => {
    devices.attachNic.mockRejectedValueOnce(new XlError('no bridge xenbr9'));
    const r = await xl(['network-attach', 'g', 'bridge=xenbr9']);
    expect(r).toEqual({ stdout: '', stderr: 'libxl: error: no bridge xenbr9\nlibxl_device_nic_add failed.\n', status: 1 });
  });
});

// -- network-detach -------------------------------------------------------------

describe('network-detach', () => {
  it.each([['0'], ['00:16:3e:01:02:03'], ['00:16:3E:01:02:03']])('resolves %s to devid 0', async (arg) => {
    const r = await xl(['network-detach', 'g', arg]);
    expect(r).toEqual({ stdout: '', stderr: '', status: 0 });
    expect(devices.detachDevice).toHaveBeenCalledWith(expect.anything(), 5, { kind: 'vif', devid: 0 }, { force: false });
  });

  it('resolves by devid and by mac among several nics', async () => {
    putNic(host!.xsd, { domid: 5, devid: 1, mac: '00:16:3e:aa:bb:cc' });
    expect((await xl(['network-detach', 'g', '00:16:3e:aa:bb:cc'])).status).toBe(0);
    expect((await xl(['network-detach', 'g', '1'])).status).toBe(0);
    expect(devices.detachDevice.mock.calls.map((c) => c[2])).toEqual([{ kind: 'vif', devid: 1 }, { kind: 'vif', devid: 1 }]);
  });

  it.each([
    ['3', "libxl: error: xenstore read failed: `/libxl/5/device/vif/3': No such file or directory\n"],
    ['00:16:3e:ff:ff:ff', ''],
    ['00:16', ''],
  ])('says %s is an unknown device', async (arg, libxl) => {
    const r = await xl(['network-detach', 'g', arg]);
    expect(r).toEqual({ stdout: '', stderr: `${libxl}Unknown device ${arg}.\n`, status: 1 });
    expect(devices.detachDevice).not.toHaveBeenCalled();
  });

  it('names libxl_device_nic_del when libxl fails', async () => {
    devices.detachDevice.mockRejectedValueOnce(new XlError('backend did not answer'));
    const r = await xl(['network-detach', 'g', '0']);
    expect(r).toEqual({ stdout: '', stderr: 'libxl: error: backend did not answer\nlibxl_device_nic_del failed.\n', status: 1 });
  });

  it('uses find_domain for the domain', async () => {
    const r = await xl(['network-detach', 'nosuch', '0']);
    expect(r).toEqual({ stdout: '', stderr: 'nosuch is an invalid domain identifier (rc=-6)\n', status: 1 });
  });
});
