// Split-driver devices of a domain, disks (vbd) and network interfaces (vif),
// as libxl adds them (libxl_disk.c device_disk_add, libxl_nic.c and
// libxl_device.c libxl__device_add_async / libxl__device_generic_add /
// libxl__wait_device_connection of 4.17 and 4.20): the defaults libxl
// settles, the frontend/backend/libxl nodes with their permissions, the wait
// for the backend's InitWait, then the hotplug scripts (src/device-hotplug).
// `xl create` writes every device's nodes first and then connects them all at
// once, overlapping the domain build; block-/network-attach add one.

import { randomBytes } from 'node:crypto';
import { stat } from 'node:fs/promises';
import { device_disk, device_nic, genStruct, type JNode, type XenVersion } from '../../config-parser/index.js';
import { diskDevNumberOf } from '../../config-parser/spec/vdev.js';
import { hostOs, hotplugFailure, hotplugRuns, runHotplug, type HotplugOs, type HotplugOutcome, type HotplugRun } from '../../device-hotplug/index.js';
import type { XenStore, XenStoreOps } from '../../xenstore-client/client.js';
import type { LibxlContext } from '../context.js';
import { parseBackendPath, removeDevice } from '../domain/destroy.js';
import { domainInfo } from '../domain/domains.js';
import { XlError } from '../errors.js';
import { getField } from '../domain/domain-config.js';
import { userdataPath } from '../paths.js';
import { deviceList, readSavedConfig, setDeviceList, writeSavedConfig } from '../domain/saved-config.js';
import { domainType, watchUntil, xsDirectory, xsRead, xsRm } from '../xs-util.js';

/** Seconds, libxl_internal.h: LIBXL_INIT_TIMEOUT and LIBXL_HOTPLUG_TIMEOUT. */
export const INIT_TIMEOUT = 10;
export const HOTPLUG_TIMEOUT = 40;
/** LIBXL_DEVICE_NIC_MTU_DEFAULT. */
const NIC_MTU_DEFAULT = 1500;
const XEN_SCRIPT_DIR = '/etc/xen/scripts';
const XenbusStateInitialising = 1;
const XenbusStateInitWait = 2;

export class DeviceError extends XlError {
  constructor(message: string, options?: ErrorOptions) {
    super(message, 1, options);
    this.name = 'DeviceError';
  }
}

type Kv = readonly [string, string];

/** One device as libxl__device plus the entries libxl__device_generic_add writes. */
export interface DeviceSpec {
  kind: 'vbd' | 'vif' | 'vkbd';
  backendKind: 'vbd' | 'qdisk' | 'vif' | 'vkbd';
  domid: number;
  devid: number;
  backendDomid: number;
  /** For messages: "disk xvda", "network interface 0". */
  label: string;
  back: Kv[];
  front: Kv[];
  roFront: Kv[];
  nictype?: 'vif' | 'vif_ioemu';
}

/** The disks and nics: devices with a kernel backend, hotplug scripts and a config list. */
export type SplitDeviceSpec = DeviceSpec & { kind: 'vbd' | 'vif'; backendKind: 'vbd' | 'qdisk' | 'vif' };

export function devicePaths(d: Pick<DeviceSpec, 'kind' | 'backendKind' | 'domid' | 'devid' | 'backendDomid'>) {
  return {
    backend: `/local/domain/${d.backendDomid}/backend/${d.backendKind}/${d.domid}/${d.devid}`,
    frontend: `/local/domain/${d.domid}/device/${d.kind}/${d.devid}`,
    libxl: `/libxl/${d.domid}/device/${d.kind}/${d.devid}`,
  };
}

/**
 * An HVM guest's default virtual keyboard (b_info.u.hvm.vkb_device): libxl__device_add's generic entries for
 * libxl__vkb_devtype with the QEMU backend, devid 0, no feature entries. QEMU is its backend; no script runs.
 */
export function vkbSpec(domid: number): DeviceSpec {
  const init = String(XenbusStateInitialising);
  return {
    kind: 'vkbd', backendKind: 'vkbd', domid, devid: 0, backendDomid: 0, label: 'virtual keyboard 0',
    back: [['frontend-id', String(domid)], ['online', '1'], ['state', init]],
    front: [['backend-id', '0'], ['state', init]],
    roFront: [],
  };
}

type Model = Record<string, unknown>;
const str = (v: unknown): string | null => (typeof v === 'string' && v !== '' ? v : null);
const num = (v: unknown, dflt = 0): number => (typeof v === 'number' ? v : typeof v === 'bigint' ? Number(v) : dflt);
const defbool = (v: unknown, dflt: boolean): boolean => (v === true || v === false ? v : dflt);
/** libxl__abs_path: relative script names live in the scripts directory. */
const scriptPath = (s: string): string => (s.startsWith('/') ? s : `${XEN_SCRIPT_DIR}/${s}`);

/** The Xen Store toolstack domain; driver domains are not resolved by name yet. */
function backendDomid(dev: Model, what: string): number {
  const name = str(dev.backend_domname);
  if (name !== null && name !== 'Domain-0' && name !== '0') {
    throw new DeviceError(`${what}: backend domain '${name}': driver domains are not supported by this xl`);
  }
  return num(dev.backend_domid, 0);
}

/**
 * A qdisk backend needs a QEMU serving the guest (libxl starts one per PV
 * guest for them); until the device model lands, such a disk is refused
 * instead of being left unconnected.
 */
export function refuseQemuBackend(spec: DeviceSpec): void {
  if (spec.backendKind === 'qdisk') {
    throw new DeviceError(`${spec.label}: this image needs the qdisk backend (QEMU), which this xl does not start yet; use a raw image or a block device`);
  }
}

export interface DiskSettled {
  disk: Model;
  spec: SplitDeviceSpec;
}

/**
 * libxl__device_disk_setdefault + libxl__device_from_disk + the entries of
 * device_disk_add: phy for a raw image that is a block device or a regular
 * file (the block script loop-mounts files), qdisk for other formats.
 */
export async function settleDisk(
  disk: Model, domid: number, domType: string, opts: { statPath?: (p: string) => Promise<{ isBlockDevice(): boolean; isFile(): boolean; isCharacterDevice(): boolean }>; os?: HotplugOs } = {},
): Promise<DiskSettled> {
  const vdev = str(disk.vdev) ?? '';
  const what = `disk ${vdev || '(no vdev)'}`;
  const devid = diskDevNumberOf(vdev);
  if (devid === -1) throw new DeviceError(`${what}: invalid or unsupported virtual disk identifier ${vdev}`);
  const bdom = backendDomid(disk, what);
  const format = String(disk.format ?? 'raw').toLowerCase();
  const isCdrom = num(disk.is_cdrom) !== 0;
  const readwrite = num(disk.readwrite) !== 0;
  const script = str(disk.script);
  const path = str(disk.pdev_path);
  let backend = String(disk.backend ?? 'unknown').toLowerCase();
  const specification = String(disk.specification ?? 'unknown').toLowerCase();
  if (specification === 'virtio') throw new DeviceError(`${what}: virtio disks are not supported by this xl`);
  if (isCdrom && domType === 'hvm' && (backend === 'unknown' || backend === 'qdisk')) backend = 'qdisk';

  if (format === 'empty') {
    if (!isCdrom) throw new DeviceError(`${what} is empty but not cdrom`);
  } else if ((backend === 'unknown' || backend === 'phy') && bdom === 0 && !script) {
    if (!path) throw new DeviceError(`${what}: no target given`);
    let st;
    try {
      st = await (opts.statPath ?? stat)(path);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      throw new DeviceError(`${what}: failed to stat ${path}: ${code === 'ENOENT' ? 'No such file or directory' : (e as Error).message}`);
    }
    const phyOk = st.isBlockDevice() || st.isFile() || ((opts.os ?? hostOs()) === 'freebsd' && st.isCharacterDevice());
    if (backend === 'unknown') backend = format === 'raw' && phyOk ? 'phy' : 'qdisk';
    else if (format !== 'raw' || !phyOk) {
      throw new DeviceError(`${what}: backend phy unsuitable for ${path} (format ${format})`);
    }
  } else if (backend === 'unknown') {
    backend = format === 'raw' && (script || bdom !== 0) ? 'phy' : 'qdisk';
  }
  if (backend === 'tap') throw new DeviceError(`${what}: blktap is not supported`);
  if (backend === 'qdisk' && script) throw new DeviceError(`${what}: backend qdisk not compatible with script=...`);
  if (backend !== 'phy' && backend !== 'qdisk') throw new DeviceError(`${what}: no suitable backend for disk ${vdev}`);
  if (backend === 'phy' && format !== 'raw') throw new DeviceError(`${what}: backend phy unsuitable due to format ${format}`);

  const discard = defbool(disk.discard_enable, readwrite);
  const trusted = defbool(disk.trusted, true);
  const back: Kv[] = backend === 'phy'
    ? [['params', path ?? ''], ['script', scriptPath(script ?? 'block')]]
    : [['params', `${format === 'raw' || format === 'empty' ? 'aio' : format}:${path ?? ''}`]];
  back.push(
    ['frontend-id', String(domid)], ['online', '1'], ['removable', num(disk.removable) ? '1' : '0'],
    ['bootable', '1'], ['state', String(XenbusStateInitialising)], ['dev', vdev], ['type', backend],
    ['mode', readwrite ? 'w' : 'r'], ['device-type', isCdrom ? 'cdrom' : 'disk'],
  );
  if (disk.direct_io_safe === true) back.push(['direct-io-safe', '1']);
  back.push(['discard-enable', discard ? '1' : '0'], ['specification', 'xen']);
  const front: Kv[] = [
    ['backend-id', String(bdom)], ['state', String(XenbusStateInitialising)], ['virtual-device', String(devid)],
    ['device-type', isCdrom ? 'cdrom' : 'disk'], ['trusted', trusted ? '1' : '0'],
  ];
  const settled = { ...disk, backend, backend_domid: bdom, discard_enable: discard, trusted, specification: 'xen' };
  return {
    disk: settled,
    spec: {
      kind: 'vbd', backendKind: backend === 'qdisk' ? 'qdisk' : 'vbd', domid, devid, backendDomid: bdom,
      label: `disk ${vdev}`, back, front, roFront: [],
    },
  };
}

/** Xen's OUI with 23 random bits, as libxl__device_nic_setdefault makes a MAC. */
export function randomMac(): number[] {
  const r = randomBytes(3);
  return [0x00, 0x16, 0x3e, r[0] & 0x7f, r[1], r[2]];
}

const macText = (m: number[]): string => m.map((b) => b.toString(16).padStart(2, '0')).join(':');
const isDefaultMac = (m: unknown): boolean => !Array.isArray(m) || m.every((b) => b === 0);

export interface NicSettled {
  nic: Model;
  spec: SplitDeviceSpec;
}

/** libxl__device_nic_setdefault + libxl__set_xenstore_nic (and the generic entries of libxl__device_add_async). */
export function settleNic(nic: Model, domid: number, domType: string, opts: { hotplug?: boolean; mac?: () => number[] } = {}): NicSettled {
  const devid = num(nic.devid, -1);
  const what = `network interface ${devid}`;
  const bdom = backendDomid(nic, what);
  const mtu = num(nic.mtu) || NIC_MTU_DEFAULT;
  const mac = isDefaultMac(nic.mac) ? (opts.mac ?? randomMac)() : (nic.mac as number[]);
  const bridge = str(nic.bridge) ?? 'xenbr0';
  const script = scriptPath(str(nic.script) ?? 'vif-bridge');
  let nictype = String(nic.nictype ?? 'unknown').toLowerCase();
  if (domType === 'hvm') {
    if (nictype === 'unknown') nictype = opts.hotplug ? 'vif' : 'vif_ioemu';
  } else {
    if (nictype === 'vif_ioemu') throw new DeviceError(`${what}: trying to create PV or PVH guest with an emulated interface`);
    nictype = 'vif';
  }
  const trusted = defbool(nic.trusted, true);
  const back: Kv[] = [['frontend-id', String(domid)], ['online', '1'], ['state', String(XenbusStateInitialising)], ['script', script]];
  if (str(nic.ifname)) back.push(['vifname', str(nic.ifname)!]);
  if (str(nic.coloft_forwarddev)) back.push(['forwarddev', str(nic.coloft_forwarddev)!]);
  back.push(['mac', macText(mac)]);
  if (str(nic.ip)) back.push(['ip', str(nic.ip)!]);
  if (str(nic.gatewaydev)) back.push(['gatewaydev', str(nic.gatewaydev)!]);
  const interval = num(nic.rate_interval_usecs);
  if (interval > 0) back.push(['rate', `${BigInt((nic.rate_bytes_per_interval as bigint | number | undefined) ?? 0)},${interval}`]);
  if (mtu !== NIC_MTU_DEFAULT) back.push(['mtu', String(mtu)]);
  if (str(nic.vlan)) back.push(['vlan', str(nic.vlan)!]);
  back.push(['bridge', bridge], ['handle', String(devid)], ['type', nictype], ['hotplug-status', '']);
  const front: Kv[] = [
    ['backend-id', String(bdom)], ['state', String(XenbusStateInitialising)], ['handle', String(devid)],
    ['mac', macText(mac)], ['trusted', trusted ? '1' : '0'],
  ];
  const settled = {
    ...nic, backend_domid: bdom, mtu, model: str(nic.model) ?? 'rtl8139', mac, bridge, script, nictype, trusted,
  };
  return {
    nic: settled,
    spec: {
      kind: 'vif', backendKind: 'vif', domid, devid, backendDomid: bdom, label: what,
      back, front, roFront: [['mtu', String(mtu)]], nictype: nictype as 'vif' | 'vif_ioemu',
    },
  };
}

/** libxl__device_generic_add inside `t`. */
export async function writeDeviceNodes(t: XenStoreOps, d: DeviceSpec): Promise<void> {
  const p = devicePaths(d);
  const frontPerms = [`n${d.domid}`, `r${d.backendDomid}`];
  const backPerms = [`n${d.backendDomid}`, `r${d.domid}`];
  await xsRm(t, p.libxl);
  await t.write(`${p.libxl}/frontend`, p.frontend);
  await t.write(`${p.libxl}/backend`, p.backend);
  await xsRm(t, p.frontend);
  await t.mkdir(p.frontend);
  await t.setPerms(p.frontend, frontPerms);
  await t.write(`${p.frontend}/backend`, p.backend);
  for (const [k, v] of d.front) {
    await t.write(`${p.frontend}/${k}`, v);
    await t.setPerms(`${p.frontend}/${k}`, frontPerms);
  }
  for (const [k, v] of d.roFront) {
    await t.write(`${p.frontend}/${k}`, v);
    await t.setPerms(`${p.frontend}/${k}`, backPerms);
  }
  await xsRm(t, p.backend);
  await t.mkdir(p.backend);
  await t.setPerms(p.backend, backPerms);
  await t.write(`${p.backend}/frontend`, p.frontend);
  for (const [k, v] of d.back) await t.write(`${p.backend}/${k}`, v);
  for (const [k, v] of d.back) await t.write(`${p.libxl}/${k}`, v);
}

/** libxl__device_exists: the backend directory is there. */
export async function deviceExists(t: XenStoreOps, d: DeviceSpec): Promise<boolean> {
  return (await xsRead(t, devicePaths(d).backend)) !== null;
}

export interface ConnectOptions {
  /** xl.conf run_hotplug_scripts (c_info.run_hotplug_scripts): false leaves them to udev/devd. */
  runScripts?: boolean;
  os?: HotplugOs;
  /** Run one hotplug script (tests replace it). */
  runHotplug?: (run: HotplugRun, timeoutMs: number) => Promise<HotplugOutcome>;
  /** Scale the libxl timeouts (tests). */
  timeoutScale?: number;
}

const defaultRun = (run: HotplugRun, timeoutMs: number) => runHotplug(run, { timeoutMs });

/**
 * libxl__wait_device_connection + device_hotplug for an add: the backend
 * reaches InitWait, then its hotplug scripts run (Linux: `block add`,
 * `vif-bridge online`). A QEMU backend needs neither.
 */
export async function connectDevice(xs: XenStore, d: DeviceSpec, opts: ConnectOptions = {}): Promise<void> {
  if (d.backendKind === 'qdisk') return;
  const p = devicePaths(d);
  const scale = opts.timeoutScale ?? 1;
  const state = await watchUntil(xs, `${p.backend}/state`, (v) => v === null || Number.parseInt(v, 10) === XenbusStateInitWait, INIT_TIMEOUT * 1000 * scale);
  if (state === 'timeout') {
    throw new DeviceError(`${d.label}: backend ${p.backend} did not reach InitWait within ${INIT_TIMEOUT * scale} s (is the ${d.backendKind === 'vif' ? 'xen-netback' : 'xen-blkback'} driver loaded?)`);
  }
  if (state.value === null) throw new DeviceError(`${d.label}: backend ${p.backend} went away`);
  // A driver domain runs its own scripts.
  if (d.backendDomid !== 0) return;
  if (opts.runScripts === false) {
    const hs = await watchUntil(xs, `${p.backend}/hotplug-status`, (v) => v === 'connected' || v === 'error', HOTPLUG_TIMEOUT * 1000 * scale);
    if (hs === 'timeout' || hs.value !== 'connected') {
      const why = await xsRead(xs, `${p.backend}/hotplug-error`);
      throw new DeviceError(`${d.label}: hotplug scripts (run_hotplug_scripts=0) did not connect ${p.backend}${why ? `: ${why}` : ''}`);
    }
    return;
  }
  const script = await xsRead(xs, `${p.backend}/script`);
  if (script === null) throw new DeviceError(`${d.label}: unable to read script from ${p.backend}`);
  const runs = hotplugRuns(opts.os ?? hostOs() ?? 'linux', {
    backendKind: d.backendKind, domid: d.domid, devid: d.devid, backendPath: p.backend, script,
    nictype: d.nictype, gatewaydev: d.kind === 'vif' ? await xsRead(xs, `${p.backend}/gatewaydev`) : null,
  }, 'add');
  const timeoutMs = HOTPLUG_TIMEOUT * 1000 * scale;
  for (const run of runs) {
    const outcome = await (opts.runHotplug ?? defaultRun)(run, timeoutMs);
    if (outcome.status !== 0 || outcome.timedOut) {
      const why = await xsRead(xs, `${p.backend}/hotplug-error`).catch(() => null);
      throw new DeviceError(`${d.label}: ${hotplugFailure(run, outcome, why, timeoutMs)}`);
    }
  }
}

/** xc_domain_get_native_protocol for a PV guest: the frontend's ring ABI. */
export function pvProtocol(is64: boolean): string {
  return is64 ? 'x86_64-abi' : 'x86_32-abi';
}

/** device_disk_add's `protocol` frontend entry for a PV guest, once the kernel's width is known. */
export async function writeDiskProtocol(t: XenStoreOps, d: DeviceSpec, protocol: string): Promise<void> {
  const fe = devicePaths(d).frontend;
  await t.write(`${fe}/protocol`, protocol);
  await t.setPerms(`${fe}/protocol`, [`n${d.domid}`, `r${d.backendDomid}`]);
}

// ---- runtime attach (xl block-attach / network-attach) -----------------------

export interface AttachOptions extends ConnectOptions {
  /** Which libxl's JSON the saved config follows; default: the running Xen's. */
  xenVersion?: XenVersion;
  libDir?: string;
}

/** The JSON flavour of the running hypervisor (4.20 adds fields). */
function runningVersion(ctx: LibxlContext): XenVersion {
  const x = ctx.xc().detected.xen;
  return x && (x.major > 4 || (x.major === 4 && x.minor >= 20)) ? '4.20' : '4.17';
}

async function attachedDomain(ctx: LibxlContext, domid: number): Promise<{ type: string; uuid: string }> {
  const info = await domainInfo(ctx, domid, { names: false });
  const type = info ? await domainType(ctx, domid) : null;
  if (!info || type === null) throw new DeviceError(`Domain ${domid}: no such domain, or not made by libxl`);
  return { type, uuid: info.uuid };
}

/**
 * Add one device to a running domain: the saved config gains the device as
 * given (device_add_domain_config), the nodes go in, then the backend and
 * scripts. On failure the device is taken down again and the saved config
 * restored, so a failed attach leaves nothing.
 */
async function attach(
  ctx: LibxlContext, domid: number, dom: { type: string; uuid: string }, settled: SplitDeviceSpec, given: JNode, opts: AttachOptions,
): Promise<{ devid: number }> {
  const xs = await ctx.xs();
  const path = userdataPath(domid, dom.uuid, opts.libDir);
  const saved = await readSavedConfig(path).catch(() => null);
  await xs.withTransaction(async (t) => {
    if (await deviceExists(t, settled)) throw new DeviceError(`Domain ${domid}: ${settled.label}: device already exists in xenstore`);
    await writeDeviceNodes(t, settled);
    if (settled.kind === 'vbd' && dom.type === 'pv') await writeDiskProtocol(t, settled, pvProtocol(true));
  });
  try {
    if (saved) {
      const updated = structuredClone(saved);
      const list = listOf(settled.kind);
      setDeviceList(updated, list, [...deviceList(saved, list).filter((e) => !isDevice(settled, e)), given]);
      await writeSavedConfig(path, updated);
    }
    await connectDevice(xs, settled, opts);
  } catch (e) {
    await removeDevice(ctx, settled, { force: true, warn: () => undefined }).catch(() => undefined);
    if (saved) await writeSavedConfig(path, saved).catch(() => undefined);
    throw e;
  }
  return { devid: settled.devid };
}

const listOf = (kind: 'vbd' | 'vif'): 'disks' | 'nics' => (kind === 'vbd' ? 'disks' : 'nics');

/** Whether a saved-config entry is this device: a disk by its vdev's device number, a nic by devid. */
function isDevice(dev: { kind: 'vbd' | 'vif'; devid: number }, entry: JNode): boolean {
  if (entry.t !== 'map') return false;
  const v = getField(entry, dev.kind === 'vbd' ? 'vdev' : 'devid');
  if (dev.kind === 'vbd') return v?.t === 'str' && diskDevNumberOf(v.v) === dev.devid;
  return v?.t === 'num' && v.v === String(dev.devid);
}

export async function attachDisk(ctx: LibxlContext, domid: number, disk: Record<string, unknown>, opts: AttachOptions = {}): Promise<{ devid: number }> {
  const dom = await attachedDomain(ctx, domid);
  const { spec } = await settleDisk(disk, domid, dom.type);
  refuseQemuBackend(spec);
  return attach(ctx, domid, dom, spec, genStruct(device_disk, disk, opts.xenVersion ?? runningVersion(ctx)), opts);
}

/** libxl__device_nextid: one past the last vif libxl recorded. */
async function nextNicId(xs: XenStoreOps, domid: number): Promise<number> {
  const ids = (await xsDirectory(xs, `/libxl/${domid}/device/vif`)).map((s) => Number.parseInt(s, 10));
  return ids.length ? ids[ids.length - 1] + 1 : 0;
}

export async function attachNic(ctx: LibxlContext, domid: number, nic: Record<string, unknown>, opts: AttachOptions = {}): Promise<{ devid: number }> {
  const dom = await attachedDomain(ctx, domid);
  const given = num(nic.devid, -1) < 0 ? { ...nic, devid: await nextNicId(await ctx.xs(), domid) } : nic;
  const { nic: settled, spec } = settleNic(given, domid, dom.type, { hotplug: true });
  // libxl__update_config_nic: the saved copy keeps devid, nictype and the MAC chosen.
  const saved = { ...given, mac: settled.mac, nictype: settled.nictype };
  return attach(ctx, domid, dom, spec, genStruct(device_nic, saved, opts.xenVersion ?? runningVersion(ctx)), opts);
}

// ---- runtime detach (xl block-detach / network-detach) -----------------------

/**
 * libxl_device_{disk,nic}_remove (or _destroy with force): the backend is
 * asked to close and the guest given LIBXL_DESTROY_TIMEOUT to let go (then it
 * is forced), the remove scripts run, the nodes go, and the saved config
 * forgets the device.
 */
export async function detachDevice(
  ctx: LibxlContext, domid: number, dev: { kind: 'vbd' | 'vif'; devid: number }, opts: { force?: boolean; libDir?: string } = {},
): Promise<void> {
  const xs = await ctx.xs();
  const be = await xsRead(xs, `/libxl/${domid}/device/${dev.kind}/${dev.devid}/backend`);
  const parsed = be === null ? null : parseBackendPath(be);
  if (!parsed) throw new DeviceError(`Domain ${domid}: no ${dev.kind} device ${dev.devid}`);
  const { uuid } = await attachedDomain(ctx, domid);
  const warnings: string[] = [];
  await removeDevice(ctx, { ...parsed, kind: dev.kind, domid, devid: dev.devid }, { force: opts.force ?? false, warn: (m: string) => warnings.push(m) });
  const path = userdataPath(domid, uuid, opts.libDir);
  const saved = await readSavedConfig(path).catch(() => null);
  const list = listOf(dev.kind);
  if (saved && getField(saved, list)) {
    setDeviceList(saved, list, deviceList(saved, list).filter((e) => !isDevice(dev, e)));
    await writeSavedConfig(path, saved);
  }
  if (warnings.length) throw new DeviceError(warnings.join('; '));
}
