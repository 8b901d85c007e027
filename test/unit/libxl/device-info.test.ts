// The disk and nic read side against xenstore as libxl writes it
// (libxl_device_disk_list/getinfo, libxl_device_nic_list/getinfo,
// libxl_vdev_to_device_disk, libxl_devid_to_device_nic, libxl_mac_to_device_nic).
import { afterEach, describe, expect, it } from 'vitest';
import {
  backendDomid, diskList, findDisk, findNic, formatMac, listDisks, listNics, nicList, parseMac,
} from '../../../src/libxl/devices/device-info.js';
import { putDisk, putNic } from './device-nodes.js';
import { fakeHost, type FakeHost } from './fakes.js';

let host: FakeHost | undefined;
afterEach(async () => {
  await host?.close();
  host = undefined;
});

async function guest(): Promise<FakeHost> {
  host = await fakeHost([{ domid: 0, name: 'Domain-0' }, { domid: 5, name: 'g' }]);
  return host;
}

const rm = async (h: FakeHost, path: string) => (await h.ctx.xs()).rm(path);

describe('parseMac (libxl__parse_mac)', () => {
  it.each([
    ['00:16:3e:01:02:03', [0, 0x16, 0x3e, 1, 2, 3]],
    ['00:16:3E:0a:Bb:ff', [0, 0x16, 0x3e, 10, 0xbb, 0xff]],
    ['00:16:3e:01:02:03:', [0, 0x16, 0x3e, 1, 2, 3]],
    ['00:16:3e:01:02:03:zz', [0, 0x16, 0x3e, 1, 2, 3]], // six bytes read, the rest is not looked at
    ['001:16:3e:01:02:03', null],
    ['0:16:3e:01:02:03', null],
    ['00:16:3e:01:02', null],
    ['00-16-3e-01-02-03', null],
    ['', null],
  ])('%s', (s, mac) => {
    expect(parseMac(s)).toEqual(mac);
  });

  it('formats as LIBXL_MAC_FMT', () => {
    expect(formatMac([0, 0x16, 0x3e, 0xa, 0xbb, 0xff])).toBe('00:16:3e:0a:bb:ff');
  });
});

describe('backendDomid (libxl__backendpath_parse_domid)', () => {
  it.each([
    ['/local/domain/0/backend/vbd/5/51712', 0],
    ['/local/domain/12/backend/vif/5/0', 12],
    ['/local/domain/7/', 7],
    ['/local/domain/7', null],
    ['/local/domain//backend', null],
    ['/local/domainx/0/', null],
    ['local/domain/0/backend', null],
  ])('%s', (p, d) => {
    expect(backendDomid(p)).toBe(d);
  });
});

describe('disks', () => {
  it('lists what libxl_device_disk_getinfo gives, state from the frontend', async () => {
    const h = await guest();
    putDisk(h.xsd, { domid: 5 });
    h.xsd.put('/local/domain/0/backend/vbd/5/51712/state', '2'); // the backend's state is not shown
    expect(await listDisks(h.ctx, 5)).toEqual([{
      devid: 51712, backendId: 0, frontendId: 5, state: 4, evtch: 9, rref: 8, vdev: 'xvda',
      backend: '/local/domain/0/backend/vbd/5/51712', frontend: '/local/domain/5/device/vbd/51712',
    }]);
  });

  it('keeps xenstore order and reads each disk as libxl__disk_from_xenstore', async () => {
    const h = await guest();
    putDisk(h.xsd, { domid: 5, devid: 51728, vdev: 'xvdb', type: 'qdisk', params: 'aio:/images/b.img', backendDomid: 3 });
    putDisk(h.xsd, { domid: 5 });
    const disks = await diskList(h.ctx, 5);
    expect(disks.map((d) => [d.key, d.devid, d.vdev, d.backend, d.backendDomid, d.pdevPath])).toEqual([
      [51728, 51728, 'xvdb', 'qdisk', 3, '/images/b.img'],
      [51712, 51712, 'xvda', 'phy', 0, '/dev/vg/guest'],
    ]);
    expect(disks[0]).toMatchObject({ readwrite: 1, removable: 0, isCdrom: false, specification: 'xen', coloEnable: false });
    expect((await listDisks(h.ctx, 5)).map((d) => [d.devid, d.backendId, d.backend])).toEqual([
      [51728, 3, '/local/domain/3/backend/qdisk/5/51728'],
      [51712, 0, '/local/domain/0/backend/vbd/5/51712'],
    ]);
  });

  it('shows -1 for frontend nodes the guest has not written', async () => {
    const h = await guest();
    putDisk(h.xsd, { domid: 5, frontend: null });
    expect(await listDisks(h.ctx, 5)).toMatchObject([{ state: -1, evtch: -1, rref: -1 }]);
  });

  it('has nothing for a domain without disks', async () => {
    const h = await guest();
    expect(await listDisks(h.ctx, 5)).toEqual([]);
    expect(await listDisks(h.ctx, 77)).toEqual([]);
  });

  it('lists nothing at all when one entry lacks a mandatory node, as libxl__device_list', async () => {
    const h = await guest();
    putDisk(h.xsd, { domid: 5 });
    const b = putDisk(h.xsd, { domid: 5, devid: 51728, vdev: 'xvdb' });
    await rm(h, `${b.libxl}/mode`);
    const log: string[] = [];
    expect(await listDisks(h.ctx, 5, { log: (m) => log.push(m) })).toEqual([]);
    expect(log).toEqual([`Missing xenstore node ${b.libxl}/mode`]);
  });

  it('refuses the list when a backend path is unparseable', async () => {
    const h = await guest();
    const a = putDisk(h.xsd, { domid: 5 });
    putDisk(h.xsd, { domid: 5, devid: 51728, vdev: 'xvdb' });
    h.xsd.put(`${a.libxl}/backend`, '/somewhere/else');
    const log: string[] = [];
    expect(await listDisks(h.ctx, 5, { log: (m) => log.push(m) })).toEqual([]);
    expect(log).toEqual(['Unable to fetch device backend domid from /somewhere/else']);
  });

  it('leaves out a disk whose getinfo fails, keeping the others', async () => {
    const h = await guest();
    const a = putDisk(h.xsd, { domid: 5 });
    putDisk(h.xsd, { domid: 5, devid: 51728, vdev: 'xvdb' });
    // getinfo goes by the vdev read back: xvdc's entry (51744) does not exist
    h.xsd.put(`${a.libxl}/dev`, 'xvdc');
    expect((await listDisks(h.ctx, 5)).map((d) => d.vdev)).toEqual(['xvdb']);
  });

  it('reads virtio_disk when only that directory exists, refuses both', async () => {
    const h = await guest();
    h.xsd.put('/libxl/5/device/virtio_disk/51712/backend', '/local/domain/0/backend/virtio_disk/5/51712');
    for (const [k, v] of Object.entries({ type: 'standalone', specification: 'virtio', transport: 'mmio', base: '33554432', irq: '33', dev: 'xvda', removable: '0', mode: 'w', 'device-type': 'disk' })) {
      h.xsd.put(`/libxl/5/device/virtio_disk/51712/${k}`, v);
    }
    expect(await findDisk(h.ctx, 5, 'xvda')).toMatchObject({ specification: 'virtio', transport: 'mmio', base: 33554432n, irq: 33, backend: 'standalone' });
    putDisk(h.xsd, { domid: 5, devid: 51728, vdev: 'xvdb' });
    const log: string[] = [];
    expect(await diskList(h.ctx, 5, { log: (m) => log.push(m) })).toEqual([]);
    expect(log).toEqual(['Domain 5:Invalid configuration, both xen and virtio paths are present']);
  });

  it('finds a disk by vdev or by number (libxl_vdev_to_device_disk)', async () => {
    const h = await guest();
    putDisk(h.xsd, { domid: 5 });
    putDisk(h.xsd, { domid: 5, devid: 51728, vdev: 'xvdb' });
    expect((await findDisk(h.ctx, 5, 'xvdb'))?.devid).toBe(51728);
    expect((await findDisk(h.ctx, 5, '51728'))?.devid).toBe(51728);
    expect((await findDisk(h.ctx, 5, 'xvda'))?.devid).toBe(51712);
    expect((await findDisk(h.ctx, 5, 'xvdc'))).toBeNull();
    expect((await findDisk(h.ctx, 5, 'nonsense'))).toBeNull();
    expect((await findDisk(h.ctx, 6, 'xvda'))).toBeNull();
  });
});

describe('nics', () => {
  it('lists what libxl_device_nic_getinfo gives, with the mac of the nic', async () => {
    const h = await guest();
    putNic(h.xsd, { domid: 5 });
    expect(await listNics(h.ctx, 5)).toEqual([{
      devid: 0, backendId: 0, frontendId: 5, state: 4, evtch: 10, rrefTx: 1280, rrefRx: 1281, mac: [0, 0x16, 0x3e, 1, 2, 3],
      backend: '/local/domain/0/backend/vif/5/0', frontend: '/local/domain/5/device/vif/0',
    }]);
    expect((await nicList(h.ctx, 5))[0]).toMatchObject({ key: 0, devid: 0, mtu: 1500, bridge: 'xenbr0', nictype: 'vif', vlan: null });
  });

  it('takes the devid from "handle", and getinfo follows it', async () => {
    const h = await guest();
    const n = putNic(h.xsd, { domid: 5, devid: 2, frontend: { state: 3, evtch: 11, tx: 7, rx: 8 } });
    h.xsd.put(`${n.libxl}/handle`, '7');
    const [nic] = await nicList(h.ctx, 5);
    expect([nic.key, nic.devid]).toEqual([2, 7]);
    expect(await listNics(h.ctx, 5)).toEqual([]); // /libxl/5/device/vif/7 has no backend
  });

  it('lists nothing when a mac is unparseable', async () => {
    const h = await guest();
    putNic(h.xsd, { domid: 5 });
    putNic(h.xsd, { domid: 5, devid: 1, mac: 'not-a-mac' });
    expect(await listNics(h.ctx, 5)).toEqual([]);
  });

  it('finds a nic by devid (atoi) or by mac', async () => {
    const h = await guest();
    putNic(h.xsd, { domid: 5 });
    putNic(h.xsd, { domid: 5, devid: 1, mac: '00:16:3e:aa:bb:cc' });
    expect((await findNic(h.ctx, 5, '1'))?.devid).toBe(1);
    expect((await findNic(h.ctx, 5, '1abc'))?.devid).toBe(1);
    expect((await findNic(h.ctx, 5, 'eth0'))?.devid).toBe(0); // atoi("eth0") is 0
    expect((await findNic(h.ctx, 5, '00:16:3E:AA:BB:CC'))?.devid).toBe(1);
    expect((await findNic(h.ctx, 5, '00:16:3e:01:02:03'))?.devid).toBe(0);
    expect(await findNic(h.ctx, 5, '2')).toBeNull();
    expect(await findNic(h.ctx, 5, '00:16:3e:00:00:00')).toBeNull();
    expect(await findNic(h.ctx, 5, '00:16:3e')).toBeNull();
    expect(await findNic(h.ctx, 6, '0')).toBeNull();
  });

  it('reads vlan as 4.20 does', async () => {
    const h = await guest();
    const n = putNic(h.xsd, { domid: 5 });
    h.xsd.put(`${n.libxl}/vlan`, '10');
    expect((await nicList(h.ctx, 5, { xenVersion: '4.20' }))[0].vlan).toBe('10');
    expect((await nicList(h.ctx, 5))[0].vlan).toBeNull();
  });
});
