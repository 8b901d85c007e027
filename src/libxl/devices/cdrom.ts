// Changing the medium of an HVM guest's emulated cd drive, as
// libxl_cdrom_insert does it (libxl_disk.c of 4.17 and 4.20) for xl's
// cd-insert and cd-eject: the drive found among the guest's disks, the
// disk settled (libxl__device_disk_setdefault / _set_backend), then with
// qemu-xen the QMP exchange (eject; add-fd with the open file and
// blockdev-change-medium), xenstore's backend and libxl nodes, and the
// saved config. The device model lock and the userdata lock libxl takes
// are not taken.
//
// Failures are LibxlErrors whose message holds the lines libxl logs for
// them, one per line ("" when libxl logs nothing), and whose rc is libxl's.
import { constants as fsConstants, closeSync, openSync, statSync } from 'node:fs';
import { atoi } from '../../config-parser/cnum.js';
import { device_disk, genStruct, type JNode, type XenVersion } from '../../config-parser/index.js';
import type { DeviceDisk } from '../../config-parser/model/idl.js';
import { diskDevNumberOf } from '../../config-parser/spec/vdev.js';
import type { LibxlContext } from '../context.js';
import { diskList, type XsDisk } from './device-info.js';
import { getField, type JMap } from '../domain/domain-config.js';
import { LIBXL_ERROR, domainInfo } from '../domain/domains.js';
import { XEN_RUN_DIR, userdataPath } from '../paths.js';
import { QmpSession, type QmpSessionOptions } from '../device-model/qmp-session.js';
import { deviceList, readSavedConfig, setDeviceList, writeSavedConfig } from '../domain/saved-config.js';
import { dmVersionRunning } from '../domain/shutdown.js';
import { errnoCode, strerror } from '../strerror.js';
import { LibxlError, domainType, xsRead } from '../xs-util.js';
import { domainLogPrefix } from '../errors.js';

/** libxl_error values used here. */
const ERR = { FAIL: LIBXL_ERROR.FAIL, INVAL: LIBXL_ERROR.INVAL, TIMEDOUT: -9, JSON_CONFIG_EMPTY: -16 } as const;

const fail = (message: string, rc: number = ERR.FAIL): LibxlError => new LibxlError(message, rc);

/** LIBXL_HOTPLUG_TIMEOUT, for the whole change once it has started. */
const HOTPLUG_TIMEOUT_MS = 40_000;

export interface CdromOptions {
  /** Which libxl to behave as (4.20 changed what goes to xenstore, and stub domains). */
  xenVersion: XenVersion;
  runDir?: string;
  libDir?: string;
  qmp?: QmpSessionOptions;
  /** Default 40 s. */
  timeoutMs?: number;
  /** Lines libxl logs without failing (a device list it could not read). */
  log?: (line: string) => void;
}

type Backend = XsDisk['backend'];
type Format = DeviceDisk['format'];

/** libxl__device_disk_string_of_backend. */
function backendString(b: Backend, v: XenVersion): string | null {
  switch (b) {
    case 'qdisk': return 'qdisk';
    case 'phy': return 'phy';
    case 'tap': return v === '4.17' ? 'phy' : 'vbd3';
    case 'standalone': return 'standalone';
    default: return null;
  }
}

/** The backend directory's kind (libxl__device_from_disk). */
function backendKind(b: Backend, v: XenVersion): string {
  switch (b) {
    case 'qdisk': return 'qdisk';
    case 'tap': return v === '4.17' ? 'vbd' : 'vbd3';
    case 'standalone': return 'virtio_disk';
    default: return 'vbd';
  }
}

/** libxl__device_disk_string_of_format. */
function formatString(f: Format): string | null {
  switch (f) {
    case 'raw': case 'empty': return 'aio';
    case 'qcow': case 'qcow2': case 'vhd': case 'qed': return f;
    default: return null;
  }
}

/** libxl__qemu_disk_format_string. */
function qemuFormat(f: Format): string | null {
  switch (f) {
    case 'raw': return 'raw';
    case 'vhd': return 'vpc';
    case 'qcow': case 'qcow2': case 'qed': return f;
    default: return null;
  }
}

/** The disk as libxl settles it for the change (libxl__device_disk_setdefault and set_backend). */
interface Settled {
  vdev: string;
  devid: number;
  backend: Backend;
  backendDomid: number;
  format: Format;
  pdevPath: string;
}

/** libxl__try_phy_backend: block devices and regular files (and character devices on FreeBSD). */
function phyOk(path: string): boolean {
  const st = statSync(path);
  return st.isBlockDevice() || st.isFile() || (process.platform === 'freebsd' && st.isCharacterDevice());
}

function settle(domid: number, disk: DeviceDisk, found: Backend, o: CdromOptions): Settled {
  const v = o.xenVersion;
  const vdev = disk.vdev ?? '';
  let backend: Backend = found;
  let format: Format = disk.format;
  let pdevPath = disk.pdev_path;
  const bdom = disk.backend_domid;
  // The disk is a cdrom of an HVM guest here.
  if (v === '4.17') {
    if (backend !== 'qdisk' && backend !== 'unknown') throw fail(`${domainLogPrefix(domid)}Backend for CD devices on HVM guests must be Qdisk`);
    backend = 'qdisk';
  } else {
    if (backend === 'unknown') backend = 'qdisk';
    if (backend !== 'qdisk' && backend !== 'phy') throw fail(`${domainLogPrefix(domid)}Backend for CD devices on HVM guests must be Qdisk or Phy`);
    if (format === 'empty' && backend === 'phy' && bdom === 0) {
      // LIBXL_STUBDOM_EMPTY_CDROM: phy needs a file even for an empty drive.
      pdevPath = `${o.runDir ?? XEN_RUN_DIR}/empty-cdrom.${domid}`;
      try {
        closeSync(openSync(pdevPath, fsConstants.O_WRONLY | fsConstants.O_CREAT | fsConstants.O_TRUNC, 0o400));
      } catch (e) {
        throw fail(`${domainLogPrefix(domid)}Failed to create empty cdrom "${pdevPath}": ${strerror(errnoCode(e))}`);
      }
    }
  }
  // libxl__device_disk_set_backend
  const emptyCdrom = `${o.runDir ?? XEN_RUN_DIR}/empty-cdrom`;
  if (format === 'empty') {
    if (pdevPath !== null && pdevPath !== '' && (v === '4.17' || !pdevPath.startsWith(emptyCdrom))) {
      throw fail(`Disk vdev=${vdev} is empty but an image has been provided: ${pdevPath}`, ERR.INVAL);
    }
  } else if (backend === 'phy' && bdom === 0 && !disk.script) {
    try {
      statSync(pdevPath ?? '');
    } catch (e) {
      throw fail(`Disk vdev=${vdev} failed to stat: ${pdevPath}: ${strerror(errnoCode(e))}`, ERR.INVAL);
    }
  }
  let ok: boolean;
  if (backend === 'qdisk') ok = !disk.script;
  else if (format === 'empty') ok = true; // an empty phy cdrom
  else ok = format === 'raw' && (bdom !== 0 || !!disk.script || phyOk(pdevPath ?? ''));
  if (!ok) throw fail(`no suitable backend for disk ${vdev}`, ERR.INVAL);
  if (pdevPath === null) {
    pdevPath = '';
    format = 'empty';
  }
  return { vdev, devid: diskDevNumberOf(vdev), backend, backendDomid: bdom, format, pdevPath };
}

/** libxl__dm_active. */
async function dmActive(ctx: LibxlContext, domid: number): Promise<boolean> {
  const xs = await ctx.xs();
  return (await xsRead(xs, `/local/domain/${domid}/image/device-model-pid`)) !== null
    || (await xsRead(xs, `/local/domain/${domid}/image/device-model-domid`)) !== null;
}

/** libxl__need_xenpv_qemu on the saved config, for the devices a dom0 QEMU serves (vfbs, qdisk disks, channels). */
function needXenpvQemu(cfg: JMap): boolean {
  const list = (name: string) => {
    const v = getField(cfg, name);
    return v?.t === 'arr' ? v.items : [];
  };
  const str = (e: JNode, k: string) => (e.t === 'map' ? getField(e, k) : undefined);
  const bdomZero = (e: JNode) => {
    const b = str(e, 'backend_domid');
    return b === undefined || (b.t === 'num' && b.v === '0');
  };
  if (list('vfbs').length) return true;
  if (list('disks').some((d) => { const b = str(d, 'backend'); return b?.t === 'str' && b.v === 'qdisk' && bdomZero(d); })) return true;
  return list('channels').some(bdomZero);
}

/** device_add_domain_config: the entry with the same vdev is replaced where it stands, else the disk is added. */
function withDisk(cfg: JMap, entry: JNode, vdev: string): JMap {
  const disks = deviceList(cfg, 'disks').slice();
  const at = disks.findIndex((d) => {
    const v = d.t === 'map' ? getField(d, 'vdev') : undefined;
    return v?.t === 'str' && v.v === vdev;
  });
  if (at >= 0) disks[at] = entry;
  else disks.push(entry);
  const out = structuredClone(cfg);
  setDeviceList(out, 'disks', disks);
  return out;
}

/** libxl__get_domain_configuration; a missing file is JSON_CONFIG_EMPTY, which libxl does not log. */
async function savedConfig(path: string, domid: number): Promise<JMap> {
  try {
    return await readSavedConfig(path);
  } catch (e) {
    if (errnoCode(e) === 'ENOENT') throw fail('', ERR.JSON_CONFIG_EMPTY);
    throw fail(`${domainLogPrefix(domid)}failed to retrieve domain configuration`);
  }
}

/**
 * libxl_cdrom_insert for `disk` as xl's cd-insert/cd-eject parse it
 * (vdev, access=r, devtype=cdrom, target; an empty target ejects). The
 * drive must be a cdrom of an HVM guest. With qemu-xen the medium goes out
 * ("eject") and the new file comes in through an fdset ("add-fd" with the
 * open file, then "blockdev-change-medium"); xenstore's backend and libxl
 * nodes get the drive's type and params, and the saved config the disk as
 * given. 4.17 and 4.20 differ in the params written and in the backends
 * allowed (4.20 also takes phy).
 */
export async function cdromInsert(ctx: LibxlContext, domid: number, disk: DeviceDisk, opts: CdromOptions): Promise<void> {
  const v = opts.xenVersion;
  const xs = await ctx.xs();
  const type = await domainType(ctx, domid);
  if (type === null) throw fail(`unable to get domain type for domid=${domid}`);
  if (type !== 'hvm') throw fail(`${domainLogPrefix(domid)}cdrom-insert requires an HVM domain`, ERR.INVAL);
  const stubdom = atoi((await xsRead(xs, `/local/domain/${domid}/image/device-model-domid`)) ?? '0');
  if (v === '4.17' && stubdom !== 0) throw fail(`${domainLogPrefix(domid)}cdrom-insert doesn't work for stub domains`, ERR.INVAL);
  const dm = await dmVersionRunning(ctx, domid);
  if (dm.version === null) throw fail(`${dm.log}\n${domainLogPrefix(domid)}Cannot determine device model version`);
  if (v !== '4.17' && stubdom !== 0) {
    if (dm.version === 'qemu_xen_traditional') throw fail(`${domainLogPrefix(domid)}cdrom-insert doesn't work for Mini-OS stubdoms`, ERR.INVAL);
    throw fail(`${domainLogPrefix(domid)}cdrom-insert with the device model in stub domain ${stubdom} is not supported by this xl`);
  }

  const found = (await diskList(ctx, domid, { log: opts.log })).find((d) => d.isCdrom && d.vdev === disk.vdev);
  if (!found) throw fail(`${domainLogPrefix(domid)}Virtual device not found`);
  const d = settle(domid, disk, found.backend, opts);
  const info = await domainInfo(ctx, domid, { names: false });
  if (!info) throw fail(`unable to find domain info for domain ${domid}`);
  const cfgPath = userdataPath(domid, info.uuid, opts.libDir);
  const given = genStruct(device_disk, disk as unknown as Record<string, unknown>, v);

  if (d.devid === -1) throw fail(`${domainLogPrefix(domid)}Invalid or unsupported virtual disk identifier ${d.vdev}`, ERR.INVAL);
  const kind = backendKind(d.backend, v);
  const bePath = `/local/domain/${d.backendDomid}/backend/${kind}/${domid}/${d.devid}`;
  const libxlPath = `/libxl/${domid}/device/vbd/${d.devid}`;
  const typeText = backendString(d.backend, v) ?? '';

  /** The nodes both steps write, in one transaction, once the device is known to be there. */
  const writeNodes = (params: string, before?: () => Promise<void>) => xs.withTransaction(async (t) => {
    if ((await xsRead(t, `${libxlPath}/frontend`)) === null) {
      throw fail(`${domainLogPrefix(domid)}Internal error: ${libxlPath}/frontend does not exist`);
    }
    await before?.();
    for (const dir of [bePath, libxlPath]) {
      await t.write(`${dir}/type`, typeText);
      await t.write(`${dir}/params`, params);
    }
  });

  const run = async () => {
    const id = `ide-${d.devid}`;
    if (qmp) {
      // Connected (and QEMU's version known) before choosing how to name the drive.
      await qmp.send('query-version');
      await qmp.send('eject', qmp.compareVersion(2, 8, 0) >= 0 ? { id } : { device: id });
    }
    // Ejected: the drive is empty in xenstore.
    await writeNodes(v === '4.17' ? '' : d.pdevPath);
    const cfg = withDisk(await savedConfig(cfgPath, domid), given, d.vdev);
    if (!(await dmActive(ctx, domid)) && needXenpvQemu(cfg)) throw fail(`${domainLogPrefix(domid)}device model required but not running`);
    if (qmp && d.format !== 'empty') {
      let fd: number;
      try {
        fd = openSync(d.pdevPath, fsConstants.O_RDONLY);
      } catch (e) {
        throw fail(`${domainLogPrefix(domid)}Failed to open cdrom file ${d.pdevPath}: ${strerror(errnoCode(e))}`);
      }
      let added: unknown;
      try {
        added = await qmp.send('add-fd', { opaque: `${d.format}:${d.pdevPath}` }, { fd });
      } finally {
        closeSync(fd);
      }
      const fdset = typeof added === 'object' && added !== null ? (added as Record<string, unknown>)['fdset-id'] : undefined;
      if (typeof fdset !== 'number' || !Number.isInteger(fdset)) throw fail('');
      const format = qemuFormat(d.format);
      if (qmp.compareVersion(2, 8, 0) >= 0) {
        await qmp.send('blockdev-change-medium', { id, filename: `/dev/fdset/${fdset}`, ...(format === null ? {} : { format }) });
      } else {
        await qmp.send('change', { device: id, target: `/dev/fdset/${fdset}`, ...(format === null ? {} : { arg: format }) });
      }
    }
    // Inserted: the saved config gets the disk as given, xenstore the new medium.
    const final = withDisk(await savedConfig(cfgPath, domid), given, d.vdev);
    const withFormat = v === '4.17' ? d.format !== 'empty' : d.backend === 'qdisk' && d.format !== 'empty';
    await writeNodes(withFormat ? `${formatString(d.format)}:${d.pdevPath}` : d.pdevPath, () => writeSavedConfig(cfgPath, final));
  };

  const qmp = dm.version === 'qemu_xen' ? new QmpSession(domid, opts.qmp) : null;
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(fail(`${domainLogPrefix(domid)}cdrom insertion timed out`, ERR.TIMEDOUT)), opts.timeoutMs ?? HOTPLUG_TIMEOUT_MS);
  });
  const work = run();
  work.catch(() => undefined); // after a timeout its own failure is nobody's business
  try {
    await Promise.race([work, timeout]);
  } finally {
    clearTimeout(timer);
    qmp?.close();
  }
}
