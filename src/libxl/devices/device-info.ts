// The read side of disks and nics, from xenstore as libxl has it: the device
// lists libxl rebuilds from /libxl/<domid>/device/<kind>/<n> (libxl__device_list
// with libxl__disk_from_xenstore / libxl__nic_from_xenstore), the per-device
// info xl's block-list and network-list print (libxl_device_disk_getinfo,
// libxl_device_nic_getinfo), and the lookups block-detach and network-detach
// resolve their argument with (libxl_vdev_to_device_disk,
// libxl_devid_to_device_nic, libxl_mac_to_device_nic).
//
// Where libxl gives up on a device (a missing mandatory node, an unparseable
// backend path) so do we, the same way: a bad entry makes the whole list
// empty, a failed getinfo leaves that device out. libxl's error log lines go
// to `opts.log`.
import { atoi, scanfInt, strtol, strtoul } from '../../config-parser/cnum.js';
import { diskDevNumberOf } from '../../config-parser/spec/vdev.js';
import type { XenStoreOps } from '../../xenstore-client/client.js';
import { XenStoreError } from '../../xenstore-client/errors.js';
import type { LibxlContext } from '../context.js';

export interface DeviceInfoOptions {
  /** libxl's LOG(ERROR, ...) lines, without any prefix. */
  log?: (message: string) => void;
}

/** A disk as libxl__disk_from_xenstore rebuilds it (the fields it sets). */
export interface XsDisk {
  /** The number naming its /libxl/<domid>/device/<kind>/<n> directory. */
  key: number;
  /** libxl__device_disk_dev_number(vdev): the devid libxl detaches with; -1 if vdev is not a disk name. */
  devid: number;
  backendDomid: number;
  /** "params" after its first ':', or all of it; null when absent. */
  pdevPath: string | null;
  vdev: string;
  /** libxl_string_to_backend of "type"; 'unknown' when it names none. */
  backend: 'unknown' | 'phy' | 'tap' | 'qdisk' | 'standalone';
  specification: 'unknown' | 'xen' | 'virtio';
  transport: 'unknown' | 'mmio';
  base: bigint;
  irq: number;
  removable: number;
  readwrite: number;
  isCdrom: boolean;
  coloEnable: boolean;
  coloHost: string | null;
  coloPort: number;
  coloExport: string | null;
  activeDisk: string | null;
  hiddenDisk: string | null;
}

/** libxl_diskinfo, plus the vdev it was computed from. */
export interface DiskInfo {
  /** Backend path (/libxl/.../backend). */
  backend: string;
  backendId: number;
  /** Frontend path as libxl recorded it (/libxl/.../frontend); null if absent. */
  frontend: string | null;
  /** The domain asked about. */
  frontendId: number;
  devid: number;
  /** The frontend's state node, -1 when absent (libxl reads the frontend's, not the backend's). */
  state: number;
  evtch: number;
  rref: number;
  vdev: string;
}

/** A nic as libxl__nic_from_xenstore rebuilds it (the fields xl uses). */
export interface XsNic {
  /** The number naming its /libxl/<domid>/device/vif/<n> directory. */
  key: number;
  /** "handle" (atoi), 0 when absent. */
  devid: number;
  backendDomid: number;
  mtu: number;
  mac: number[];
  ip: string | null;
  bridge: string | null;
  script: string | null;
  /** 4.20's vlan; null when absent. */
  vlan: string | null;
  nictype: 'unknown' | 'vif_ioemu' | 'vif';
}

/** libxl_nicinfo, plus the nic's mac (which network-list prints from the nic). */
export interface NicInfo {
  backend: string;
  backendId: number;
  /** /local/domain/<domid>/device/vif/<devid>. */
  frontend: string;
  frontendId: number;
  devid: number;
  state: number;
  evtch: number;
  rrefTx: number;
  rrefRx: number;
  mac: number[];
}

/** libxl gave up on a device; its message (if libxl logs one) goes to the log. */
class DeviceReadError extends Error {}

const fail = (message: string | null): never => {
  throw new DeviceReadError(message ?? '');
};

/** Passes libxl's log line on, when it has one. */
function logged(e: unknown, log: ((m: string) => void) | undefined): void {
  if (!(e instanceof DeviceReadError)) throw e;
  if (e.message) log?.(e.message);
}

/** An int that libxl stored strtoul's result in; -1 when the node is absent. */
const ulongToInt = (v: string | null): number => (v === null ? -1 : Number(BigInt.asIntN(32, strtoul(v, 10).value)));

/** Reads as libxl does: `checked` fails on errors other than ENOENT, otherwise any error reads as absent. */
class Reader {
  constructor(private readonly xs: XenStoreOps) {}

  async read(path: string): Promise<string | null> {
    try {
      return (await this.xs.readBuffer(path)).toString('utf8');
    } catch (e) {
      if (e instanceof XenStoreError) return null;
      throw e;
    }
  }

  async checked(path: string): Promise<string | null> {
    try {
      return (await this.xs.readBuffer(path)).toString('utf8');
    } catch (e) {
      if (!(e instanceof XenStoreError)) throw e;
      if (e.code === 'ENOENT') return null;
      return fail(`xenstore read failed: \`${path}': ${e.message}`);
    }
  }

  /** libxl__xs_directory: null on any error. */
  async directory(path: string): Promise<string[] | null> {
    try {
      return await this.xs.directory(path);
    } catch (e) {
      if (e instanceof XenStoreError) return null;
      throw e;
    }
  }
}

/** libxl__backendpath_parse_domid: sscanf "/local/domain/%u%c" with '/' as the %c. */
export function backendDomid(bePath: string): number | null {
  const prefix = '/local/domain/';
  if (!bePath.startsWith(prefix)) return null;
  const n = scanfInt(bePath, prefix.length, 'u');
  if (!n || bePath[n.end] !== '/') return null;
  return n.value;
}

/** libxl__parse_mac: six two-digit hex numbers (strtol base 16), ':' between. */
export function parseMac(s: string): number[] | null {
  const mac: number[] = [];
  let tok = 0;
  while (tok < s.length && mac.length < 6) {
    const r = strtol(s, 16, tok);
    const end = r.end; // tok when nothing was parsed
    if (end !== tok + 2 || (end < s.length && s[end] !== ':')) return null;
    mac.push(Number(BigInt.asUintN(8, r.value)));
    tok = s[end] === ':' ? end + 1 : end;
  }
  return mac.length === 6 ? mac : null;
}

/** LIBXL_MAC_FMT. */
export function formatMac(mac: readonly number[]): string {
  return mac.map((b) => b.toString(16).padStart(2, '0')).join(':');
}

const libxlPath = (domid: number) => `/libxl/${domid >>> 0}`;
const domPath = (domid: number) => `/local/domain/${domid >>> 0}`;

/** libxl's generated enum _from_string: names compared ignoring case. */
function enumFromString<T extends string>(names: readonly T[], s: string): T | undefined {
  const l = s.toLowerCase();
  return names.find((n) => n === l);
}

// -- disks --------------------------------------------------------------------

/**
 * libxl__device_disk_get_path: the vbd directory, or virtio_disk's when only
 * that one exists; null when both do (libxl refuses that configuration).
 */
async function diskDir(r: Reader, domid: number, log: (m: string) => void): Promise<{ path: string; kind: 'vbd' | 'virtio_disk' } | null> {
  const xen = `${libxlPath(domid)}/device/vbd`;
  const virtio = `${libxlPath(domid)}/device/virtio_disk`;
  const xenDir = await r.checked(xen);
  const virtioDir = await r.checked(virtio);
  if (xenDir !== null && virtioDir !== null) {
    log(`Domain ${domid}:Invalid configuration, both xen and virtio paths are present`);
    return null;
  }
  return virtioDir !== null ? { path: virtio, kind: 'virtio_disk' } : { path: xen, kind: 'vbd' };
}

function stringToBackend(s: string): XsDisk['backend'] {
  switch (s) {
    case 'phy': return 'phy';
    case 'file': case 'vbd3': return 'tap';
    case 'qdisk': return 'qdisk';
    case 'standalone': return 'standalone';
    default: return 'unknown'; // libxl leaves the field alone (and its rc is ignored)
  }
}

/** libxl__disk_from_xenstore for the entry at `path`; throws DeviceReadError where libxl fails. */
async function diskFromXenstore(r: Reader, path: string, key: number): Promise<XsDisk> {
  const bePath = await r.checked(`${path}/backend`);
  if (bePath === null) fail(`disk ${path} does not exist (no backend path`);
  const beDomid = backendDomid(bePath!);
  if (beDomid === null) fail(`Unable to fetch device backend domid from ${bePath}`);
  const missing = (node: string) => fail(`Missing xenstore node ${path}/${node}`);
  const need = async (node: string) => (await r.read(`${path}/${node}`)) ?? missing(node);

  const params = await r.read(`${path}/params`);
  const colon = params?.indexOf(':') ?? -1;
  const disk: XsDisk = {
    key, devid: -1, backendDomid: beDomid!, pdevPath: params !== null && colon >= 0 ? params.slice(colon + 1) : params,
    vdev: '', backend: 'unknown', specification: 'xen', transport: 'unknown', base: 0n, irq: 0,
    removable: 0, readwrite: 0, isCdrom: false,
    coloEnable: false, coloHost: null, coloPort: 0, coloExport: null, activeDisk: null, hiddenDisk: null,
  };
  const coloHost = await r.read(`${path}/colo-host`);
  if (coloHost !== null) {
    disk.coloEnable = true;
    disk.coloHost = coloHost;
    disk.coloPort = atoi(await need('colo-port'));
    disk.coloExport = await need('colo-export');
    disk.activeDisk = await need('active-disk');
    disk.hiddenDisk = await need('hidden-disk');
  }
  disk.backend = stringToBackend(await need('type'));
  const spec = await r.read(`${path}/specification`);
  if (spec !== null) {
    disk.specification = enumFromString(['unknown', 'xen', 'virtio'] as const, spec) ?? fail(`Unable to parse xenstore node ${path}/specification`);
  }
  if (disk.specification === 'virtio') {
    const t = enumFromString(['unknown', 'mmio'] as const, await need('transport')) ?? fail(`Unable to parse xenstore node ${path}/transport`);
    if (t !== 'mmio') fail('Only transport mmio is expected for specification virtio');
    disk.transport = t;
    disk.base = strtoul(await need('base'), 10).value;
    disk.irq = Number(BigInt.asUintN(32, strtoul(await need('irq'), 10).value));
  }
  disk.vdev = await need('dev');
  disk.devid = diskDevNumberOf(disk.vdev);
  disk.removable = atoi(await need('removable'));
  disk.readwrite = (await need('mode')) === 'w' ? 1 : 0;
  disk.isCdrom = (await need('device-type')) === 'cdrom';
  return disk;
}

/**
 * libxl__device_list for disks: every entry under the domain's libxl disk
 * directory, in xenstore's order; [] when there are none or libxl would fail
 * on any of them (libxl_device_disk_list returns NULL then).
 */
export async function diskList(ctx: LibxlContext, domid: number, opts: DeviceInfoOptions = {}): Promise<XsDisk[]> {
  const log = opts.log ?? (() => undefined);
  const r = new Reader(await ctx.xs());
  try {
    const dir = await diskDir(r, domid, log);
    if (!dir) return [];
    const names = (await r.directory(dir.path)) ?? [];
    const disks: XsDisk[] = [];
    for (const name of names) {
      const nr = atoi(name);
      disks.push(await diskFromXenstore(r, `${dir.path}/${nr}`, nr));
    }
    return disks;
  } catch (e) {
    logged(e, log);
    return [];
  }
}

/** libxl_device_disk_getinfo; null where libxl returns an error. */
export async function diskGetinfo(ctx: LibxlContext, domid: number, disk: XsDisk, opts: DeviceInfoOptions = {}): Promise<DiskInfo | null> {
  const r = new Reader(await ctx.xs());
  const devid = diskDevNumberOf(disk.vdev);
  const kind = disk.backend === 'standalone' ? 'virtio_disk' : 'vbd';
  const fe = `${domPath(domid)}/device/${kind}/${devid}`;
  const lp = `${libxlPath(domid)}/device/${kind}/${devid}`;
  const backend = await r.read(`${lp}/backend`);
  if (backend === null) return null;
  const backendId = backendDomid(backend);
  if (backendId === null) {
    opts.log?.(`internal error: backend path ${backend} unparseable!`);
    return null;
  }
  return {
    backend, backendId, frontend: await r.read(`${lp}/frontend`), frontendId: domid >>> 0, devid,
    state: ulongToInt(await r.read(`${fe}/state`)),
    evtch: ulongToInt(await r.read(`${fe}/event-channel`)),
    rref: ulongToInt(await r.read(`${fe}/ring-ref`)),
    vdev: disk.vdev,
  };
}

/** What `xl block-list` shows for one domain: getinfo of each listed disk that has it. */
export async function listDisks(ctx: LibxlContext, domid: number, opts: DeviceInfoOptions = {}): Promise<DiskInfo[]> {
  const out: DiskInfo[] = [];
  for (const d of await diskList(ctx, domid, opts)) {
    const info = await diskGetinfo(ctx, domid, d, opts);
    if (info) out.push(info);
  }
  return out;
}

/**
 * libxl_vdev_to_device_disk: the disk a vdev ("xvdb", "hda", "51728", ...)
 * names; null when it names no disk name libxl knows or no readable entry.
 */
export async function findDisk(ctx: LibxlContext, domid: number, vdevOrDevid: string, opts: DeviceInfoOptions = {}): Promise<XsDisk | null> {
  const log = opts.log ?? (() => undefined);
  const devid = diskDevNumberOf(vdevOrDevid);
  if (devid < 0) return null;
  const r = new Reader(await ctx.xs());
  try {
    const dir = await diskDir(r, domid, log);
    if (!dir) return null;
    return await diskFromXenstore(r, `${dir.path}/${devid}`, devid);
  } catch (e) {
    logged(e, log);
    return null;
  }
}

// -- nics ---------------------------------------------------------------------

/** libxl__nic_from_xenstore (its colo_* strings left out: xl lists none of them). */
async function nicFromXenstore(r: Reader, path: string, key: number, xenVersion: string): Promise<XsNic> {
  const handle = await r.checked(`${path}/handle`);
  const bePath = await r.checked(`${path}/backend`);
  if (bePath === null) fail(`nic ${path} does not exist (no backend path)`);
  const beDomid = backendDomid(bePath!);
  if (beDomid === null) fail(`internal error: backend path ${bePath} unparseable!`);
  let mtu = 1500; // LIBXL_DEVICE_NIC_MTU_DEFAULT
  const mtuText = await r.checked(`${path}/mtu`);
  if (mtuText !== null) {
    const m = strtol(mtuText, 10);
    if (m.end !== mtuText.length) fail(null);
    mtu = Number(BigInt.asIntN(32, m.value));
  }
  let mac = [0, 0, 0, 0, 0, 0];
  const macText = await r.checked(`${path}/mac`);
  if (macText !== null) mac = parseMac(macText) ?? fail(null);
  const nic: XsNic = {
    key, devid: handle !== null ? atoi(handle) : 0, backendDomid: beDomid!, mtu, mac,
    ip: await r.checked(`${path}/ip`),
    bridge: await r.checked(`${path}/bridge`),
    script: await r.checked(`${path}/script`),
    vlan: xenVersion === '4.17' ? null : await r.checked(`${path}/vlan`),
    nictype: 'vif',
  };
  const type = await r.checked(`${path}/type`);
  if (type !== null) nic.nictype = enumFromString(['unknown', 'vif_ioemu', 'vif'] as const, type) ?? fail(null);
  return nic;
}

export interface NicOptions extends DeviceInfoOptions {
  /** Which libxl to read as: 4.20 also reads "vlan". Default 4.17. */
  xenVersion?: string;
}

/** libxl_device_nic_list: [] when there are none or libxl would fail on any. */
export async function nicList(ctx: LibxlContext, domid: number, opts: NicOptions = {}): Promise<XsNic[]> {
  const r = new Reader(await ctx.xs());
  const path = `${libxlPath(domid)}/device/vif`;
  try {
    const nics: XsNic[] = [];
    for (const name of (await r.directory(path)) ?? []) {
      const nr = atoi(name);
      nics.push(await nicFromXenstore(r, `${path}/${nr}`, nr, opts.xenVersion ?? '4.17'));
    }
    return nics;
  } catch (e) {
    logged(e, opts.log);
    return [];
  }
}

/** libxl_device_nic_getinfo; null where libxl returns an error. */
export async function nicGetinfo(ctx: LibxlContext, domid: number, nic: XsNic, opts: DeviceInfoOptions = {}): Promise<NicInfo | null> {
  const r = new Reader(await ctx.xs());
  const fe = `${domPath(domid)}/device/vif/${nic.devid}`;
  const lp = `${libxlPath(domid)}/device/vif/${nic.devid}`;
  const backend = await r.read(`${lp}/backend`);
  if (backend === null) return null;
  const backendId = backendDomid(backend);
  if (backendId === null) {
    opts.log?.(`internal error: backend path ${backend} unparseable!`);
    return null;
  }
  return {
    backend, backendId, frontend: fe, frontendId: domid >>> 0, devid: nic.devid,
    state: ulongToInt(await r.read(`${fe}/state`)),
    evtch: ulongToInt(await r.read(`${fe}/event-channel`)),
    rrefTx: ulongToInt(await r.read(`${fe}/tx-ring-ref`)),
    rrefRx: ulongToInt(await r.read(`${fe}/rx-ring-ref`)),
    mac: nic.mac,
  };
}

/** What `xl network-list` shows for one domain. */
export async function listNics(ctx: LibxlContext, domid: number, opts: NicOptions = {}): Promise<NicInfo[]> {
  const out: NicInfo[] = [];
  for (const n of await nicList(ctx, domid, opts)) {
    const info = await nicGetinfo(ctx, domid, n, opts);
    if (info) out.push(info);
  }
  return out;
}

/**
 * What network-detach's argument names: with a ':' a mac
 * (libxl_mac_to_device_nic: the first listed nic with it), else a devid
 * taken with atoi (libxl_devid_to_device_nic: the entry of that number).
 * null when there is no such nic (or libxl cannot read it).
 */
export async function findNic(ctx: LibxlContext, domid: number, devidOrMac: string, opts: NicOptions = {}): Promise<XsNic | null> {
  if (devidOrMac.includes(':')) {
    const mac = parseMac(devidOrMac);
    if (!mac) return null;
    const nics = await nicList(ctx, domid, opts);
    return nics.find((n) => n.mac.every((b, i) => b === mac[i])) ?? null;
  }
  const devid = atoi(devidOrMac);
  const r = new Reader(await ctx.xs());
  const path = `${libxlPath(domid)}/device/vif/${devid}`;
  if ((await r.read(path)) === null) {
    // libxl__xs_read_mandatory's complaint (ENOENT being the usual reason)
    opts.log?.(`xenstore read failed: \`${path}': No such file or directory`);
    return null;
  }
  try {
    return await nicFromXenstore(r, path, devid, opts.xenVersion ?? '4.17');
  } catch (e) {
    logged(e, opts.log);
    return null;
  }
}
