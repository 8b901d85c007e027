// xenstore contents of a disk and a nic as libxl 4.17 writes them
// (libxl__device_generic_add: frontend, backend, and a copy of the backend
// entries under /libxl/<domid>/device/<kind>/<devid>), plus what a running
// guest's frontend adds (state 4, event-channel, ring refs).
import type { FakeXenstored } from '../xenstore-client/fake-xenstored.js';

export interface DiskNodes {
  domid: number;
  devid?: number;
  vdev?: string;
  backendDomid?: number;
  /** libxl's "type": phy, qdisk, ... */
  type?: string;
  params?: string;
  /** Frontend state/event-channel/ring-ref; null: the guest has not written them. */
  frontend?: { state: number; evtch: number; rref: number } | null;
}

export function putDisk(xsd: FakeXenstored, o: DiskNodes): { fe: string; be: string; libxl: string } {
  const devid = o.devid ?? 51712;
  const bd = o.backendDomid ?? 0;
  const type = o.type ?? 'phy';
  const fe = `/local/domain/${o.domid}/device/vbd/${devid}`;
  const be = `/local/domain/${bd}/backend/${type === 'qdisk' ? 'qdisk' : 'vbd'}/${o.domid}/${devid}`;
  const libxl = `/libxl/${o.domid}/device/vbd/${devid}`;
  const back: Record<string, string> = {
    params: o.params ?? '/dev/vg/guest', 'frontend-id': String(o.domid), online: '1', removable: '0', bootable: '1',
    state: '4', dev: o.vdev ?? 'xvda', type, mode: 'w', 'device-type': 'disk', 'discard-enable': '1', specification: 'xen',
  };
  xsd.put(`${be}/frontend`, fe);
  for (const [k, v] of Object.entries(back)) xsd.put(`${be}/${k}`, v);
  xsd.put(`${fe}/backend`, be);
  xsd.put(`${fe}/backend-id`, String(bd));
  xsd.put(`${fe}/virtual-device`, String(devid));
  xsd.put(`${fe}/device-type`, 'disk');
  xsd.put(`${fe}/trusted`, '1');
  const f = o.frontend === undefined ? { state: 4, evtch: 9, rref: 8 } : o.frontend;
  if (f) {
    xsd.put(`${fe}/state`, String(f.state));
    xsd.put(`${fe}/event-channel`, String(f.evtch));
    xsd.put(`${fe}/ring-ref`, String(f.rref));
  }
  xsd.put(`${libxl}/frontend`, fe);
  xsd.put(`${libxl}/backend`, be);
  for (const [k, v] of Object.entries(back)) xsd.put(`${libxl}/${k}`, k === 'state' ? '1' : v);
  return { fe, be, libxl };
}

export interface NicNodes {
  domid: number;
  devid?: number;
  mac?: string;
  backendDomid?: number;
  bridge?: string;
  frontend?: { state: number; evtch: number; tx: number; rx: number } | null;
}

export function putNic(xsd: FakeXenstored, o: NicNodes): { fe: string; be: string; libxl: string } {
  const devid = o.devid ?? 0;
  const bd = o.backendDomid ?? 0;
  const mac = o.mac ?? '00:16:3e:01:02:03';
  const fe = `/local/domain/${o.domid}/device/vif/${devid}`;
  const be = `/local/domain/${bd}/backend/vif/${o.domid}/${devid}`;
  const libxl = `/libxl/${o.domid}/device/vif/${devid}`;
  const back: Record<string, string> = {
    'frontend-id': String(o.domid), online: '1', state: '4', script: '/etc/xen/scripts/vif-bridge', mac,
    bridge: o.bridge ?? 'xenbr0', handle: String(devid), type: 'vif', 'hotplug-status': 'connected',
  };
  xsd.put(`${be}/frontend`, fe);
  for (const [k, v] of Object.entries(back)) xsd.put(`${be}/${k}`, v);
  xsd.put(`${fe}/backend`, be);
  xsd.put(`${fe}/backend-id`, String(bd));
  xsd.put(`${fe}/handle`, String(devid));
  xsd.put(`${fe}/mac`, mac);
  xsd.put(`${fe}/mtu`, '1500');
  const f = o.frontend === undefined ? { state: 4, evtch: 10, tx: 1280, rx: 1281 } : o.frontend;
  if (f) {
    xsd.put(`${fe}/state`, String(f.state));
    xsd.put(`${fe}/event-channel`, String(f.evtch));
    xsd.put(`${fe}/tx-ring-ref`, String(f.tx));
    xsd.put(`${fe}/rx-ring-ref`, String(f.rx));
    xsd.put(`${fe}/request-rx-copy`, '1');
  }
  xsd.put(`${libxl}/frontend`, fe);
  xsd.put(`${libxl}/backend`, be);
  for (const [k, v] of Object.entries(back)) {
    if (k !== 'hotplug-status') xsd.put(`${libxl}/${k}`, k === 'state' ? '1' : v);
  }
  return { fe, be, libxl };
}
