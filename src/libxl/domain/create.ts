// libxl_domain_create_new for a PV, PVH or HVM guest with disks and nics: what
// libxl__domain_make, libxl__build_pre, libxl__build_pv / libxl__build_hvm
// (PVH: no device model), libxl__build_post, the primary console's
// libxl__device_console_add and, for HVM, the keyboard, QEMU
// (device-model.ts) and the nics after it do, in that order
// (libxl_create.c, libxl_dom.c, libxl_dm.c, libxl_console.c of 4.17/4.20),
// then unpause.
// Transactional: a failure after createdomain destroys the domain (our
// libxl destroy, which also removes its xenstore nodes) before the error,
// which names the step, goes up.

import { createHash } from 'node:crypto';
import { constants as fsConstants, type Stats } from 'node:fs';
import { access, mkdir, readdir, readFile, rename, stat, unlink, utimes, writeFile } from 'node:fs/promises';
import { domain_config, genStruct, renderJson, type DomainConfig, type XenVersion } from '../../config-parser/index.js';
import {
  buildHvm, buildPv, buildPvh, BuildStepError, HVM_BELOW_4G_MMIO_START, parseElf32, PVH_DSDT_FLAVOURS, KernelFormatError,
  LayoutError, UnpackError, loadKernelElf, openKernelElf, pvParams, pvhImage, type KernelElf,
} from '../../domain-builder/index.js';
import { runHotplug } from '../../device-hotplug/index.js';
import { BuildCalls } from '../../privcmd/build-calls.js';
import { CDF, CREATEDOMAIN_X86, HVM_BUILD_PARAM, X86_EMU } from '../../privcmd/build-abi.js';
import { PrivcmdError } from '../../privcmd/errors.js';
import type { XenStore, XenStoreOps } from '../../xenstore-client/client.js';
import type { LibxlContext } from '../context.js';
import { destroyDomain, destroyRemains } from './destroy.js';
import { unpauseDomain } from './domain-control.js';
import { deviceModelArgs, hvmVideoMemKb } from '../device-model/device-model-args.js';
import { spawnDeviceModel } from '../device-model/device-model.js';
import {
  HOTPLUG_TIMEOUT, connectDevice, pvProtocol, refuseQemuBackend, settleDisk, settleNic, vkbSpec, writeDeviceNodes, writeDiskProtocol,
  type DeviceSpec,
} from '../devices/devices.js';
import { nameToDomid } from './domains.js';
import { XlError } from '../errors.js';
import { XEN_RUN_DIR, userdataPath } from '../paths.js';
import { storeUserdata } from './saved-config.js';
import { xsRm } from '../xs-util.js';

/** libxl_internal.h: extra KiB above the target Xen lets a guest have. */
const LIBXL_MAXMEM_CONSTANT = 1024;
/** LIBXL_XENCONSOLE_LIMIT. */
const XENCONSOLE_LIMIT = 1048576;
/** libxl's default for b_info.event_channels. */
const DEFAULT_EVENT_CHANNELS = 1023;
/** xen_domctl_createdomain: -1 grant/maptrack frames = Xen's defaults. */
const XEN_DEFAULT_FRAMES = -1;
const UINT32_MAX = 0xffffffff;
/** XEN_DOMCTL_GRANT_version_mask. */
const GRANT_VERSION_MASK = 0xf;

export class CreateError extends XlError {
  constructor(readonly step: string, message: string, readonly domid: number | null, options?: ErrorOptions) {
    super(message, 1, options);
    this.name = 'CreateError';
  }
}

export interface CreateOptions {
  /** xl create -p: leave the domain paused. */
  paused?: boolean;
  /** Called at each step (timings, -v). */
  trace?: (step: string) => void;
  /** Warnings that do not stop the create (failed cleanup). */
  warn?: (message: string) => void;
  /** Fail at this step, or build sub-step; "vanish:<step>" (a step once the domain exists) destroys it there first (tests of the rollback). */
  failAt?: string;
  /** Make xenstored refuse our writes to paths matching this (tests of the rollback). */
  xsRefuse?: RegExp;
  /** Leave this xenstore path (%d: the domid) behind after the rollback (tests of the tests' leak checks). */
  rollbackLeak?: string;
  /** Which libxl's JSON the saved config follows; default 4.17. */
  xenVersion?: XenVersion;
  /** Where userdata files go (tests); default XEN_LIB_DIR. */
  libDir?: string;
  /** Seconds a hotplug script may run (tests of the timeout); default libxl's 40. */
  hotplugTimeout?: number;
  /** Seconds QEMU has to come up (LIBXL_DEVICE_MODEL_START_TIMEOUT, 60, by default). */
  deviceModelTimeout?: number;
}

/** libxl.h INVALID_DOMID (~0): what xl puts in c_info.domid under domid_policy "xen". */
const LIBXL_INVALID_DOMID = 0xffffffff;

/**
 * The libxl-json userdata (libxl__set_domain_configuration at the end of a
 * create): xl's config as given, with libxl__update_domain_configuration's
 * updates (domid policy, the video RAM settled, MSR relaxed made explicit,
 * on 4.20 an HVM guest's pirq too).
 */
export function savedConfigJson(config: DomainConfig, version: XenVersion): string {
  const c = structuredClone(config) as unknown as { c_info: Record<string, unknown>; b_info: Record<string, unknown> };
  c.c_info.domid = LIBXL_INVALID_DOMID;
  const hvm = String(c.c_info.type ?? '').toLowerCase() === 'hvm';
  c.b_info.video_memkb = hvm ? BigInt(hvmVideoMemKb(config)) : 0n;
  const x86 = (c.b_info.arch_x86 ?? {}) as Record<string, unknown>;
  x86.msr_relaxed ??= false;
  c.b_info.arch_x86 = x86;
  // 4.20's libxl__arch_update_domain_config also makes an HVM guest's pirq explicit.
  if (hvm && version === '4.20') {
    const u = (c.b_info.u ?? {}) as { hvm?: Record<string, unknown> };
    u.hvm = { ...(u.hvm ?? {}) };
    u.hvm.pirq ??= false;
    c.b_info.u = u;
  }
  const disks = (c as unknown as { disks?: Record<string, unknown>[] }).disks ?? [];
  for (const d of disks) d.colo_restore_enable ??= false;
  return renderJson(genStruct(domain_config, c as unknown as Record<string, unknown>, version));
}

export interface CreateResult {
  domid: number;
  name: string;
  uuid: string;
  /** The config with what libxl settled and keeps (the nics' MACs), for restarts. */
  config: DomainConfig;
}

/** xs perms as libxl__xs_mknod sets them. */
type Perms = readonly string[];

function uuidBytes(uuid: string): Uint8Array {
  const hex = uuid.replace(/-/g, '');
  if (!/^[0-9a-fA-F]{32}$/.test(hex)) throw new Error(`bad uuid ${uuid}`);
  return Uint8Array.from(hex.match(/../g)!.map((h) => parseInt(h, 16)));
}

/** Device lists of libxl_domain_config; all but disks and nics come with later issues. */
const DEVICE_LISTS = [
  'disks', 'nics', 'pcidevs', 'rdms', 'dtdevs', 'vfbs', 'vkbs', 'virtios', 'vtpms', 'p9s', 'pvcallsifs',
  'vdispls', 'vsnds', 'channels', 'usbctrls', 'usbdevs',
] as const;

/** The device lists a config fills, e.g. ['nics']. */
export function configDevices(config: DomainConfig): string[] {
  const c = config as unknown as Record<string, unknown>;
  return DEVICE_LISTS.filter((k) => Array.isArray(c[k]) && (c[k] as unknown[]).length > 0);
}

/** The fields of the config model this flow reads. */
interface PvConfigView {
  name: string;
  uuid: string;
  type: string;
  maxVcpus: number;
  availVcpus: Set<number>;
  maxMemKb: number;
  targetMemKb: number;
  kernel: string | null;
  ramdisk: string | null;
  cmdline: string;
  claim: boolean;
  eventChannels: number;
  maxGrantFrames: number;
  maxMaptrackFrames: number;
  maxGrantVersion: number | null;
  poolid: number;
  /** PVH/HVM: c_info.hap, c_info.oos, b_info.nested_hvm, b_info.apic (libxl defaults true, true, false, true). */
  hap: boolean;
  oos: boolean;
  nestedHvm: boolean;
  apic: boolean;
  msrRelaxed: boolean;
  videoMemKb: number;
  /** HVM_PARAM_TIMER_MODE, HVM_PARAM_ALTP2M and the settscinfo mode as numbers. */
  timerMode: number;
  altp2m: number;
  tscMode: number;
  /** b_info.shadow_memkb, or null for libxl's default. */
  shadowMemKb: number | null;
  /** HVM only (b_info.u.hvm, after libxl's setdefault); null for PV and PVH. */
  hvm: HvmView | null;
}

/** What an HVM create reads of b_info.u.hvm (libxl__domain_build_info_setdefault's defaults). */
interface HvmView {
  acpi: boolean;
  acpiS3: boolean;
  acpiS4: boolean;
  acpiLaptopSlate: boolean;
  hpet: boolean;
  vptAlign: boolean;
  /** HVM_PARAM_VIRIDIAN mask (0: none set). */
  viridian: bigint;
  mcaCaps: number;
  /** 4.20: XEN_X86_EMU_USE_PIRQ stays only when asked for. */
  pirq: boolean;
  vkbDevice: boolean;
  timeoffset: string;
  rtcTimeoffset: number;
  localtime: boolean;
  firmware: string | null;
  systemFirmware: string | null;
  bios: string;
  mmioHoleKb: number;
}

/** libxl_viridian_enlightenment numbers and the HVMPV_* bits each sets (libxl_x86.c hvm_set_viridian_features). */
const VIRIDIAN_GROUPS: Record<string, { n: number; mask: bigint }> = {
  base: { n: 0, mask: 1n << 0n }, freq: { n: 1, mask: 0n }, time_ref_count: { n: 2, mask: 1n << 2n },
  reference_tsc: { n: 3, mask: 1n << 3n }, hcall_remote_tlb_flush: { n: 4, mask: 1n << 4n },
  apic_assist: { n: 5, mask: 1n << 5n }, crash_ctl: { n: 6, mask: 1n << 6n }, synic: { n: 7, mask: 1n << 7n },
  stimer: { n: 8, mask: (1n << 2n) | (1n << 7n) | (1n << 8n) }, hcall_ipi: { n: 9, mask: 1n << 9n },
  ex_processor_masks: { n: 10, mask: 1n << 10n }, no_vp_limit: { n: 11, mask: 1n << 11n }, cpu_hotplug: { n: 12, mask: 1n << 12n },
};
/** The groups viridian=1 turns on. */
const VIRIDIAN_DEFAULTS = ['base', 'freq', 'time_ref_count', 'apic_assist', 'crash_ctl', 'no_vp_limit', 'cpu_hotplug'];
/** HVMPV_no_freq: base without freq. */
const HVMPV_NO_FREQ = 1n << 1n;

/** The HVM_PARAM_VIRIDIAN mask for viridian / viridian_enable / viridian_disable. */
export function viridianMask(on: boolean, enable: Set<number>, disable: Set<number>): bigint {
  const groups = new Set(on ? VIRIDIAN_DEFAULTS.map((g) => VIRIDIAN_GROUPS[g].n) : []);
  for (const n of enable) {
    if (disable.has(n)) throw new Error(`${groupName(n)} group both enabled and disabled`);
    groups.add(n);
  }
  for (const n of disable) groups.delete(n);
  if (groups.size && !groups.has(VIRIDIAN_GROUPS.base.n)) throw new Error('base group not enabled');
  let mask = 0n;
  for (const { n, mask: m } of Object.values(VIRIDIAN_GROUPS)) if (groups.has(n)) mask |= m;
  if (groups.has(VIRIDIAN_GROUPS.base.n) && !groups.has(VIRIDIAN_GROUPS.freq.n)) mask |= HVMPV_NO_FREQ;
  return mask;
}
const groupName = (n: number) => Object.entries(VIRIDIAN_GROUPS).find(([, g]) => g.n === n)?.[0] ?? String(n);

function viewHvm(b: Record<string, unknown>): HvmView {
  const h = ((b.u as Record<string, unknown> | undefined)?.hvm ?? {}) as Record<string, unknown>;
  return {
    // libxl__acpi_defbool_val: the old u.hvm.acpi and b_info.acpi must both allow it.
    acpi: defbool(b.acpi, true) && defbool(h.acpi, true),
    acpiS3: defbool(h.acpi_s3, true),
    acpiS4: defbool(h.acpi_s4, true),
    acpiLaptopSlate: defbool(h.acpi_laptop_slate, false),
    hpet: defbool(h.hpet, true),
    vptAlign: defbool(h.vpt_align, true),
    viridian: viridianMask(defbool(h.viridian, false), bitmapSet(h.viridian_enable), bitmapSet(h.viridian_disable)),
    mcaCaps: num(h.mca_caps, 0),
    pirq: defbool(h.pirq, false),
    vkbDevice: defbool(h.vkb_device, true),
    timeoffset: str(h.timeoffset) ?? '',
    rtcTimeoffset: num(b.rtc_timeoffset, 0),
    localtime: defbool(b.localtime, false),
    firmware: str(h.firmware),
    systemFirmware: str(h.system_firmware),
    bios: String(h.bios ?? 'unknown').toLowerCase(),
    mmioHoleKb: memKbOr(h.mmio_hole_memkb) ?? 0,
  };
}

/** libxl_timer_mode, libxl_altp2m_mode and libxl_tsc_mode values (libxl_types.idl); default = libxl's default. */
const TIMER_MODES: Record<string, number> = {
  default: 1, delay_for_missed_ticks: 0, no_delay_for_missed_ticks: 1, no_missed_ticks_pending: 2, one_missed_tick_pending: 3,
};
const ALTP2M_MODES: Record<string, number> = { disabled: 0, mixed: 1, external: 2, limited: 3 };
const TSC_MODES: Record<string, number> = { default: 0, always_emulate: 1, native: 2 };
const enumVal = (v: unknown, table: Record<string, number>, dflt: number): number => {
  if (typeof v === 'number' && v >= 0) return v;
  if (typeof v === 'string' && v.toLowerCase() in table) return table[v.toLowerCase()];
  return dflt;
};
/** A *_memkb field, or null when it holds LIBXL_MEMKB_DEFAULT (-1, or ~0 as unsigned) or nothing. */
const memKbOr = (v: unknown): number | null => {
  const n = num(v, -1);
  return n < 0 || n >= 2 ** 63 ? null : n;
};
const defbool = (v: unknown, dflt: boolean): boolean => (v === null || v === undefined || v === '' ? dflt : truthy(v));

/** Whether createdomain carries the altp2m mode (4.19 on); before, libxl sets HVM_PARAM_ALTP2M. */
const altp2mAtCreate = (xc: { abi: { domctlVersion: number } }): boolean =>
  'altp2m_opts' in (CREATEDOMAIN_X86[xc.abi.domctlVersion]?.fields ?? {});

/** libxl__get_required_paging_memory on x86 (KiB): 1 MiB per vcpu, a page per MiB for the p2m, another without HAP. */
export function requiredPagingMemoryKb(maxMemKb: number, vcpus: number, type: string, hap: boolean): number {
  return 4 * (256 * vcpus + ((type !== 'pv' ? 1 : 0) + (hap ? 0 : 1)) * Math.floor(maxMemKb / 1024));
}

const num = (v: unknown, dflt: number): number => (typeof v === 'number' ? v : typeof v === 'bigint' ? Number(v) : dflt);
const str = (v: unknown): string | null => (typeof v === 'string' && v !== '' ? v : null);
const truthy = (v: unknown): boolean => v === true || v === 'True' || v === 'true';

/** The set bits of a libxl_bitmap in the config model ({ size, bits }). */
function bitmapSet(v: unknown): Set<number> {
  const bits = (v as { bits?: unknown } | null)?.bits;
  return new Set(Array.isArray(bits) ? bits.map(Number) : []);
}

export function viewConfig(config: DomainConfig): PvConfigView {
  const c = config as unknown as { c_info: Record<string, unknown>; b_info: Record<string, unknown> };
  const b = c.b_info;
  const type = String(c.c_info.type ?? 'pv').toLowerCase();
  const maxVcpus = num(b.max_vcpus, 1);
  const avail = bitmapSet(b.avail_vcpus);
  const frames = (v: unknown) => { const n = num(v, UINT32_MAX); return n === UINT32_MAX || n < 0 ? XEN_DEFAULT_FRAMES : n; };
  const gv = num(b.max_grant_version, -1);
  return {
    name: String(c.c_info.name ?? ''),
    uuid: String(c.c_info.uuid ?? ''),
    type,
    maxVcpus,
    availVcpus: avail.size ? avail : new Set(Array.from({ length: maxVcpus }, (_, i) => i)),
    maxMemKb: num(b.max_memkb, 0),
    targetMemKb: num(b.target_memkb, num(b.max_memkb, 0)),
    kernel: str(b.kernel),
    ramdisk: str(b.ramdisk),
    cmdline: str(b.cmdline) ?? '',
    claim: truthy(b.claim_mode),
    eventChannels: num(b.event_channels, 0) || DEFAULT_EVENT_CHANNELS,
    maxGrantFrames: frames(b.max_grant_frames),
    maxMaptrackFrames: frames(b.max_maptrack_frames),
    maxGrantVersion: gv < 0 || gv === UINT32_MAX ? null : gv,
    poolid: num(c.c_info.poolid, 0),
    hap: defbool(c.c_info.hap, true),
    oos: defbool(c.c_info.oos, true),
    nestedHvm: defbool(b.nested_hvm, false),
    apic: defbool(b.apic, true),
    msrRelaxed: defbool((b.arch_x86 as Record<string, unknown> | undefined)?.msr_relaxed, false),
    // LIBXL_MEMKB_DEFAULT (-1, or ~0 as unsigned) becomes 0 for PV and PVH; HVM's follows the card.
    videoMemKb: type === 'hvm' ? hvmVideoMemKb(config) : memKbOr(b.video_memkb) ?? 0,
    timerMode: enumVal(b.timer_mode, TIMER_MODES, 1),
    altp2m: enumVal(b.altp2m, ALTP2M_MODES, 0),
    tscMode: enumVal(b.tsc_mode, TSC_MODES, 0),
    shadowMemKb: memKbOr(b.shadow_memkb),
    hvm: type === 'hvm' ? viewHvm(b) : null,
  };
}

/** The device kinds in the order libxl's create adds them. */
function deviceKindOrder(disks: boolean, nics: boolean, vkb: boolean, xenVersion: XenVersion): string[] {
  const consoleAndVkb = !vkb ? ['console'] : xenVersion === '4.20' ? ['vkbd', 'console'] : ['console', 'vkbd'];
  return [...(disks ? ['vbd'] : []), ...consoleAndVkb, ...(nics ? ['vif'] : [])];
}

/** XEN_X86_EMU_* for createdomain (libxl__arch_domain_prepare_config). */
function emulationFlags(v: PvConfigView, xenVersion: XenVersion): number {
  if (v.type === 'pvh') return X86_EMU.lapic;
  if (!v.hvm) return 0;
  const all = X86_EMU.all & ~X86_EMU.vpci;
  // 4.20 keeps PIRQ routing over event channels only with pirq=1.
  return xenVersion === '4.20' && !v.hvm.pirq ? all & ~X86_EMU.use_pirq : all;
}

/** hvm_set_conf_params, then hvm_set_viridian_features (libxl_x86.c), as (param, value) pairs. */
function hvmConfParams(v: PvConfigView, altp2mAtCreate: boolean): [number, bigint | number][] {
  const P = HVM_BUILD_PARAM;
  const h = v.hvm;
  return [
    ...(h ? [[P.hpet_enabled, h.hpet ? 1 : 0], [P.vpt_align, h.vptAlign ? 1 : 0]] as [number, number][] : []),
    ...(h?.mcaCaps ? [[P.mca_cap, h.mcaCaps]] as [number, number][] : []),
    [P.timer_mode, v.timerMode],
    ...(altp2mAtCreate ? [] : [[P.altp2m, v.altp2m]] as [number, number][]),
    ...(h?.viridian ? [[P.viridian, h.viridian]] as [number, bigint][] : []),
  ];
}

/** libxl__domain_build's local entries for HVM: the platform nodes hvmloader reads. */
function hvmPlatformEnts(h: HvmView): [string, string][] {
  const flag = (b: boolean) => (b ? '1' : '0');
  const hole = BigInt(h.mmioHoleKb) << 10n;
  return [
    ['platform/acpi', flag(h.acpi)],
    ['platform/acpi_s3', flag(h.acpiS3)],
    ['platform/acpi_s4', flag(h.acpiS4)],
    ['platform/acpi_laptop_slate', flag(h.acpiLaptopSlate)],
    ...(h.mmioHoleKb && (1n << 32n) - hole <= HVM_BELOW_4G_MMIO_START ? [['platform/mmio_hole_size', String(hole)]] as [string, string][] : []),
    ['platform/device-model', 'qemu_xen'],
  ];
}

/** Where Debian (xen-<version>) and upstream installs keep hvmloader (libxl__xenfirmwaredir_path). */
const FIRMWARE_DIRS = (version: XenVersion) => [`/usr/lib/xen-${version}/boot`, '/usr/libexec/xen/boot', '/usr/lib/xen/boot'];
/** libxl__seabios_path / libxl__ovmf_path as Debian builds them. */
const SYSTEM_FIRMWARE: Record<string, string> = {
  seabios: '/usr/share/seabios/bios-256k.bin', unknown: '/usr/share/seabios/bios-256k.bin', ovmf: '/usr/share/ovmf/OVMF.fd',
};

/** libxl__domain_firmware for qemu-xen: hvmloader (or u.hvm.firmware) and the BIOS module, as file paths. */
async function hvmFirmwarePaths(h: HvmView, version: XenVersion): Promise<{ firmware: string; systemFirmware: string }> {
  const name = h.firmware ?? 'hvmloader';
  let firmware = name.startsWith('/') ? name : `${FIRMWARE_DIRS(version)[0]}/${name}`;
  if (!name.startsWith('/')) {
    for (const dir of FIRMWARE_DIRS(version)) {
      if (await access(`${dir}/${name}`).then(() => true, () => false)) { firmware = `${dir}/${name}`; break; }
    }
  }
  const systemFirmware = h.systemFirmware ?? SYSTEM_FIRMWARE[h.bios];
  if (!systemFirmware) throw new Error(`bios ${h.bios} is not supported with qemu-xen`);
  return { firmware, systemFirmware };
}

const fileError = (path: string, what: string) => (e: NodeJS.ErrnoException): never => {
  throw new Error(`${what} ${path}: ${e.code === 'ENOENT' ? 'No such file or directory' : e.message}`);
};
const readOrSay = (path: string, what: string) => readFile(path).catch(fileError(path, what));
const statOrSay = (path: string, what: string) => stat(path).catch(fileError(path, what));

async function hvmFirmware(paths: FirmwarePaths) {
  const image = await readOrSay(paths.firmware, 'firmware');
  const systemFirmware = await readOrSay(paths.systemFirmware, 'BIOS');
  if (!systemFirmware.length) throw new Error(`BIOS ${paths.systemFirmware} is empty`);
  let elf;
  try {
    elf = parseElf32(image);
  } catch (e) {
    throw new Error(`firmware ${paths.firmware}: ${errText(e)}`);
  }
  return { firmware: { elf, image }, systemFirmware };
}

type FirmwarePaths = Awaited<ReturnType<typeof hvmFirmwarePaths>>;

/** What an HVM create needs before any domain exists: a QEMU command line, QEMU, the firmware (its paths). */
async function checkHvm(config: DomainConfig, v: PvConfigView, h: HvmView, xenVersion: XenVersion): Promise<FirmwarePaths> {
  const b = (config as unknown as { b_info: Record<string, unknown> }).b_info;
  if (b.dm_restrict === true) throw new Error('dm_restrict is not supported yet');
  if (h.rtcTimeoffset || h.localtime) throw new Error('rtc_timeoffset and localtime are not supported yet');
  if (v.maxMemKb > v.targetMemKb) throw new Error('maxmem above memory (populate-on-demand) is not supported yet');
  // The argv's checks; spawnDeviceModel builds it again with the domid.
  const dm = deviceModelArgs({ domid: 0, config, xenVersion });
  if (await access(dm.argv[0], fsConstants.X_OK).then(() => false, () => true)) {
    throw new Error(`device model ${dm.argv[0]} is not executable`);
  }
  const fw = await hvmFirmwarePaths(h, xenVersion);
  for (const [p, what] of [[fw.firmware, 'firmware'], [fw.systemFirmware, 'BIOS']]) {
    await access(p, fsConstants.R_OK).catch((e: NodeJS.ErrnoException) => {
      throw new Error(`${what} ${p}: ${e.code === 'ENOENT' ? 'No such file or directory' : e.message}`);
    });
  }
  return fw;
}

const errText = (e: unknown): string => {
  if (e instanceof PrivcmdError) return e.message;
  if (e instanceof Error) return e.message;
  return String(e);
};

/** libxl__xs_mknod: an empty node with these perms. */
async function mknod(t: XenStoreOps, path: string, perms: Perms): Promise<void> {
  await t.write(path, '');
  await t.setPerms(path, perms);
}

/** The config as create reads it, settled once before any domain exists; every phase reads this. */
interface CreatePlan {
  config: DomainConfig;
  v: PvConfigView;
  xenVersion: XenVersion;
  pvh: boolean;
  hvm: HvmView | null;
  /** HVM containers: PVH without a device model, HVM with QEMU. */
  container: boolean;
  /** hvmloader and the BIOS (HVM only). */
  firmware: FirmwarePaths | null;
  kernelPath: string;
  disks: Record<string, unknown>[];
  nics: Record<string, unknown>[];
  /** The guest's own memory: what Xen gives it less the video RAM (PVH, HVM). */
  guestMemKb: number;
  guestTargetKb: number;
  /** Device kinds in the order libxl adds them. */
  kinds: string[];
  /** Hotplug scripts: run them, and their time limit. */
  connectOpts: { runScripts: boolean; timeoutScale: number };
  what: string;
}

/** What one create holds from phase to phase; the rollback reads domid and the devices still settling. */
interface CreateRun {
  ctx: LibxlContext;
  opts: CreateOptions;
  plan: CreatePlan;
  xc: ReturnType<LibxlContext['xc']>;
  xs: XenStore;
  bc: BuildCalls;
  domid: number | null;
  /** The step in progress: the one a failure names. */
  current: string;
  /** The backends' InitWait and the hotplug scripts, running while the domain is built: the first failure. */
  devicesUp: Promise<unknown> | null;
  /** Each device's connection on its own: a rollback waits for all to end, not for the first to fail. */
  connecting: Promise<unknown>[];
  specs: DeviceSpec[];
  /** The nics with what libxl settled (the MAC), for the saved config. */
  settledNics: Record<string, unknown>[];
}

/** The new domain's xenstore homes and the perms libxl gives them. */
interface DomainPaths {
  id: number;
  dom: string;
  vm: string;
  lib: string;
  ro: Perms;
  rw: Perms;
  none: Perms;
}

/** Runs one step: named for the trace, the error and a failure injected by tests. */
async function at<T>(run: CreateRun, step: string, fn: () => T | Promise<T>): Promise<T> {
  run.current = step;
  run.opts.trace?.(step);
  if (run.opts.failAt === step) throw new Error('failure injected for testing');
  if (run.opts.failAt === `vanish:${step}` && run.domid !== null) {
    // As another xl's destroy would: Xen loses the domain, its nodes and backends stay for our rollback.
    run.xc.destroyDomain(run.domid);
    throw new Error('domain destroyed under the create (injected for testing)');
  }
  return fn();
}

/** The checks libxl and xl make before any domain exists ('checking config', 'checking name'). */
async function planCreate(ctx: LibxlContext, config: DomainConfig, opts: CreateOptions): Promise<CreatePlan> {
  const v = viewConfig(config);
  const what = `domain '${v.name}'`;
  const xenVersion = opts.xenVersion ?? '4.17';
  const refuse = (why: string, ...cause: [unknown?]) =>
    new CreateError('checking config', `${what}: ${why}`, null, cause.length ? { cause: cause[0] } : undefined);
  if (v.type !== 'pv' && v.type !== 'pvh' && v.type !== 'hvm') throw refuse(`unknown guest type ${v.type}`);
  const hvm = v.hvm;
  if (!v.kernel && !hvm) throw refuse('no kernel given');
  const others = configDevices(config).filter((k) => k !== 'disks' && k !== 'nics');
  if (others.length) throw refuse(`guests with devices cannot be built yet (${others.join(', ')})`);
  const firmware = hvm ? await checkHvm(config, v, hvm, xenVersion).catch((e: unknown) => { throw refuse(errText(e), e); }) : null;
  const cfg = config as unknown as { disks?: Record<string, unknown>[]; nics?: Record<string, unknown>[] };
  const disks = [...(cfg.disks ?? [])];
  const nics = [...(cfg.nics ?? [])];
  // The devices' own checks (a disk image that is not there) before any domain exists.
  try {
    // An HVM guest's own QEMU serves its qdisk disks (cdroms); PV and PVH would need a qdisk QEMU of their own.
    for (const d of disks) {
      const { spec } = await settleDisk(d, 0, v.type);
      if (v.type !== 'hvm') refuseQemuBackend(spec);
    }
    for (const n of nics) settleNic(n, 0, v.type);
  } catch (e) {
    throw refuse(errText(e), e);
  }
  if (await nameToDomid(ctx, v.name) !== null) throw new CreateError('checking name', `${what} already exists`, null);
  const runScripts = (config as unknown as { c_info: { run_hotplug_scripts?: boolean | null } }).c_info.run_hotplug_scripts !== false;
  return {
    config, v, xenVersion, what, hvm, firmware, disks, nics,
    pvh: v.type === 'pvh',
    container: v.type === 'pvh' || hvm !== null,
    kernelPath: v.kernel ?? '',
    guestMemKb: v.maxMemKb - v.videoMemKb,
    guestTargetKb: v.targetMemKb - v.videoMemKb,
    kinds: deviceKindOrder(disks.length > 0, nics.length > 0, !!hvm?.vkbDevice, xenVersion),
    connectOpts: { runScripts, timeoutScale: opts.hotplugTimeout ? opts.hotplugTimeout / HOTPLUG_TIMEOUT : 1 },
  };
}

/** libxl__domain_make: the domain and its xenstore skeleton. */
async function domainMake(run: CreateRun): Promise<DomainPaths> {
  const { v, container, hvm, kinds, xenVersion } = run.plan;
  const caps = run.xc.physinfo().caps;
  const grantVersion = v.maxGrantVersion ?? (caps.gnttab_v2 ? 2 : caps.gnttab_v1 ? 1 : 0);
  const id = await at(run, 'creating domain', () => run.bc.createDomain({
    handle: uuidBytes(v.uuid),
    // libxl__domain_make and libxl__arch_domain_prepare_config: PVH is an HVM container with only a local APIC emulated.
    flags: container ? CDF.hvm | (v.hap ? CDF.hap : 0) | (v.oos ? 0 : CDF.oos_off) | (v.nestedHvm ? CDF.nested_virt : 0) : 0,
    emulationFlags: emulationFlags(v, xenVersion),
    miscFlags: v.msrRelaxed ? 1 : 0,
    // 4.19 on take the altp2m mode here rather than as HVM_PARAM_ALTP2M.
    altp2mOpts: container ? v.altp2m : 0,
    maxVcpus: v.maxVcpus,
    maxEvtchnPort: v.eventChannels,
    maxGrantFrames: v.maxGrantFrames,
    maxMaptrackFrames: v.maxMaptrackFrames,
    grantOpts: grantVersion & GRANT_VERSION_MASK,
    cpupoolId: v.poolid,
  }));
  run.domid = id;
  const d: DomainPaths = {
    id, dom: `/local/domain/${id}`, vm: `/vm/${v.uuid}`, lib: `/libxl/${id}`, ro: ['n0', `r${id}`], rw: [`n${id}`], none: ['n0'],
  };
  const { dom, vm, lib, ro, rw, none } = d;
  await at(run, 'writing xenstore nodes', () => run.xs.withTransaction(async (t) => {
    for (const p of [dom, vm, lib]) await xsRm(t, p);
    await mknod(t, dom, ro);
    await mknod(t, vm, ro);
    await mknod(t, lib, none);
    await mknod(t, `${lib}/device`, none);
    // The device kinds' directories now, in the order libxl adds them (disks; HVM: the keyboard before the
    // console on 4.20, after it on 4.17; nics), as devices are set up concurrently later.
    for (const kind of kinds) {
      await t.write(`${lib}/device/${kind}`, '');
    }
    await t.write(`${dom}/vm`, vm);
    // libxl__domain_rename writes both names, before the uuid.
    await t.write(`${dom}/name`, v.name);
    await t.write(`${vm}/name`, v.name);
    await mknod(t, `${dom}/cpu`, ro);
    await mknod(t, `${dom}/memory`, ro);
    await mknod(t, `${dom}/device`, ro);
    await mknod(t, `${dom}/device/suspend/event-channel`, rw);
    for (const kind of kinds) {
      if (kind !== 'console') await t.write(`${dom}/device/${kind}`, '');
    }
    await mknod(t, `${dom}/control`, ro);
    if (hvm) await mknod(t, `${dom}/hvmloader`, ro);
    const controls = ['shutdown', 'feature-poweroff', 'feature-reboot', 'feature-suspend', ...(hvm ? ['feature-s3', 'feature-s4'] : []), 'sysrq'];
    for (const n of controls) await mknod(t, `${dom}/control/${n}`, rw);
    for (const n of ['data', 'drivers', 'feature', 'attr', 'error']) await mknod(t, `${dom}/${n}`, rw);
    await t.write(`${vm}/uuid`, v.uuid);
    await t.write(`${dom}/control/platform-feature-multiprocessor-suspend`, '1');
    await t.write(`${dom}/control/platform-feature-xs_reset_watches`, '1');
    await t.write(`${lib}/type`, v.type);
  }));
  await at(run, 'writing xenstore nodes', () => run.xs.write(`${lib}/dm-version`, 'qemu_xen'));
  return d;
}

/**
 * libxl__add_disks and the nics: their nodes now, in config order. The backends' InitWait and the hotplug scripts
 * then run while the domain is built (run.devicesUp); an HVM guest's nics wait for QEMU (the tap must exist).
 */
async function addDevices(run: CreateRun, { id }: DomainPaths): Promise<void> {
  const { disks, nics, v, hvm } = run.plan;
  await at(run, 'adding devices', async () => {
    for (const d of disks) {
      run.specs.push((await settleDisk(d, id, v.type)).spec);
    }
    for (const [i, n] of nics.entries()) {
      const { nic, spec } = settleNic(n, id, v.type);
      run.specs.push(spec);
      run.settledNics[i] = { ...n, mac: nic.mac, nictype: nic.nictype };
    }
    for (const spec of run.specs) await run.xs.withTransaction((t) => writeDeviceNodes(t, spec));
  });
  const early = hvm ? run.specs.filter((s) => s.kind !== 'vif') : run.specs;
  run.devicesUp = connectAll(run, early);
}

/** Start the devices' connections (InitWait, then the hotplug script), each one kept for the rollback to wait on. */
function connectAll(run: CreateRun, specs: DeviceSpec[]): Promise<unknown> {
  const each = specs.map((spec) => connectDevice(run.xs, spec, run.plan.connectOpts));
  run.connecting.push(...each);
  // Promise.all handles each one's rejection; its own is handled here until createNewDomain awaits it.
  const all = Promise.all(each);
  all.catch(() => undefined);
  return all;
}

/** libxl__build_pre: vcpus, memory limit, the xenstore and console event channels, an HVM container's parameters. */
async function buildPre(run: CreateRun, { id }: DomainPaths): Promise<{ storePort: number; consolePort: number }> {
  const { v, container } = run.plan;
  const { bc } = run;
  await at(run, 'setting vcpus', () => bc.setMaxVcpus(id, v.maxVcpus));
  await at(run, 'setting maximum memory', () => bc.setMaxMem(id, v.targetMemKb + LIBXL_MAXMEM_CONSTANT));
  const storePort = await at(run, 'allocating event channels', () => bc.evtchnAllocUnbound(id, 0));
  const consolePort = await at(run, 'allocating event channels', () => bc.evtchnAllocUnbound(id, 0));
  if (container) {
    // libxl__arch_domain_create: hvm_set_conf_params (and viridian), the TSC mode, the paging pool.
    await at(run, 'setting HVM parameters', () => {
      for (const [param, value] of hvmConfParams(v, altp2mAtCreate(run.xc))) bc.hvmSetParam(id, param, value);
    });
    await at(run, 'setting TSC mode', () => bc.setTscInfo(id, v.tscMode));
    const pagingKb = v.shadowMemKb ?? requiredPagingMemoryKb(v.maxMemKb, v.maxVcpus, v.type, v.hap);
    await at(run, 'setting paging memory', () => bc.setPagingMempoolSize(id, BigInt(pagingKb) << 10n));
  }
  return { storePort, consolePort };
}

type Ports = Awaited<ReturnType<typeof buildPre>>;

/**
 * The kernel (unpacked, from the cache where it can be) and its ramdisk, in libxl's order: a missing kernel, then
 * the ramdisk, then what is wrong inside the kernel; QEMU loads an HVM guest's itself. `release` closes the cached
 * kernel file once the build has loaded it.
 */
async function loadKernel(run: CreateRun) {
  const { kernelPath, pvh, v } = run.plan;
  const kernelError = (e: unknown): never => {
    if (e instanceof KernelFormatError) throw new Error(`kernel ${kernelPath} is not a Xen ${pvh ? 'PVH' : 'PV'} kernel (${e.message})`);
    if (e instanceof UnpackError) throw new Error(`kernel ${kernelPath}: ${e.message}`);
    throw e;
  };
  // The packed file is read only where no unpacked copy is cached: 12-16 MB cost a second or two in dom0.
  const kernelStat = await at(run, 'building domain', () => statOrSay(kernelPath, 'kernel'));
  const ramdisk = v.ramdisk ? await at(run, 'building domain', () => readOrSay(v.ramdisk!, 'ramdisk')) : null;
  const { kernel: k, release } = await at(run, 'building domain',
    () => unpackedKernel(kernelPath, kernelStat, () => readOrSay(kernelPath, 'kernel')).catch(kernelError));
  try {
    const image = pvh ? { pvh: pvhImage(k.elf, k.image) } : { pv: { ...k, params: pvParams(k.elf) } };
    return { ...image, ramdisk, release };
  } catch (e) {
    release();
    return kernelError(e);
  }
}

/** libxl__build_pv / libxl__build_hvm: memory, the image, start info; the xenstore and console frames it gives. */
async function buildDomain(run: CreateRun, { id }: DomainPaths, ports: Ports) {
  const { v, hvm, firmware, guestMemKb, guestTargetKb, xenVersion } = run.plan;
  const buildTrace = (s: string) => {
    run.opts.trace?.(`  ${s}`);
    if (run.opts.failAt === s) throw new Error('failure injected for testing');
  };
  const common = { domid: id, storeEvtchn: ports.storePort, consoleEvtchn: ports.consolePort, claim: v.claim, trace: buildTrace };
  const vcpus = { maxVcpus: v.maxVcpus, apic: v.apic, onlineVcpus: [...v.availVcpus].sort((a, b) => a - b) };
  const kernel = hvm ? null : await loadKernel(run);
  // HVM containers hand xenstore and the console guest frame numbers (libxl__build_hvm's store_mfn = xenstore_pfn).
  try {
    return await at(run, 'building domain', async () => {
      if (hvm) {
        const fw = await hvmFirmware(firmware!);
        const r = await buildHvm(run.bc, {
          ...common, ...vcpus, firmware: fw.firmware, systemFirmware: fw.systemFirmware,
          memKb: guestMemKb, targetKb: guestTargetKb, mmioHoleKb: hvm.mmioHoleKb,
        });
        return { storeMfn: r.storePfn, consoleMfn: r.consolePfn };
      }
      if (kernel!.pvh) {
        const r = await buildPvh(run.bc, {
          ...common, ...vcpus, image: kernel!.pvh, ramdisk: kernel!.ramdisk, cmdline: v.cmdline,
          memKb: guestMemKb, targetKb: guestTargetKb, dsdt: PVH_DSDT_FLAVOURS[xenVersion],
        });
        return { storeMfn: r.storePfn, consoleMfn: r.consolePfn };
      }
      return buildPv(run.bc, { ...common, image: kernel!.pv!, ramdisk: kernel!.ramdisk, cmdline: v.cmdline, memKb: v.targetMemKb });
    });
  } finally {
    kernel?.release();
  }
}

type Built = Awaited<ReturnType<typeof buildDomain>>;

/** libxl__build_post: memory, store, vcpu (HVM: platform) nodes, the image under /vm, a PV guest's disk protocol; then introduce. */
async function buildPost(run: CreateRun, d: DomainPaths, ports: Ports, built: Built, startTime: number): Promise<void> {
  const { v, hvm, pvh, container, kernelPath } = run.plan;
  const centi = Math.floor((startTime % 1000) / 10).toString().padStart(2, '0');
  const startTimeEnt: [string, string] = ['start_time', `${Math.floor(startTime / 1000)}.${centi}`];
  const vments: [string, string][] = hvm ? [
    ['rtc/timeoffset', hvm.timeoffset], ['image/ostype', 'hvm'], startTimeEnt,
  ] : pvh ? [startTimeEnt] : [
    ['image/ostype', 'linux'],
    ['image/kernel', kernelPath],
    startTimeEnt,
    ...(v.ramdisk ? [['image/ramdisk', v.ramdisk] as [string, string]] : []),
    ...(v.cmdline ? [['image/cmdline', v.cmdline] as [string, string]] : []),
  ];
  const ents: [string, string][] = [
    ['memory/static-max', String(v.maxMemKb)],
    // libxl__get_targetmem_fudge: video RAM is not the guest's to balloon.
    ['memory/target', String(v.targetMemKb - v.videoMemKb - (hvm && v.maxMemKb > v.targetMemKb ? LIBXL_MAXMEM_CONSTANT : 0))],
    ['memory/videoram', String(v.videoMemKb)],
    ['domid', String(d.id)],
    ['store/port', String(ports.storePort)],
    ['store/ring-ref', built.storeMfn.toString()],
    ...Array.from({ length: v.maxVcpus }, (_, i): [string, string] =>
      [`cpu/${i}/availability`, v.availVcpus.has(i) ? 'online' : 'offline']),
    ...(hvm ? hvmPlatformEnts(hvm) : []),
  ];
  await at(run, 'writing xenstore nodes', () => run.xs.withTransaction(async (t) => {
    for (const [k, val] of ents) await t.write(`${d.dom}/${k}`, val);
    for (const [k, val] of vments) await t.write(`${d.vm}/${k}`, val);
    if (!container) for (const spec of run.specs) if (spec.kind === 'vbd') await writeDiskProtocol(t, spec, pvProtocol(true));
  }));
  await at(run, 'introducing domain to xenstored', () => run.xs.introduce(d.id, built.storeMfn, ports.storePort));
}

/** libxl__device_console_add for console 0 (xenconsoled, pty). */
async function addConsole(run: CreateRun, d: DomainPaths, ports: Ports, built: Built): Promise<void> {
  const { id, dom, lib, ro, none } = d;
  const be = `/local/domain/0/backend/console/${id}/0`;
  const fe = `${dom}/console`;
  await at(run, 'adding console', () => run.xs.withTransaction(async (t) => {
    const back: [string, string][] = [
      ['frontend', fe], ['frontend-id', String(id)], ['online', '1'], ['state', '1'], ['protocol', 'vt100'],
    ];
    await xsRm(t, be);
    await mknod(t, be, ['n0', `r${id}`]);
    for (const [k, val] of back) await t.write(`${be}/${k}`, val);
    await mknod(t, `${lib}/device/console/0`, none);
    for (const [k, val] of [['frontend', fe], ['backend', be], ...back.slice(1)]) {
      await t.write(`${lib}/device/console/0/${k}`, val);
    }
    await xsRm(t, fe);
    await mknod(t, fe, ro);
    await t.write(`${fe}/backend`, be);
    await t.write(`${fe}/backend-id`, '0');
    await t.setPerms(`${fe}/backend-id`, [`n${id}`, 'r0']);
    for (const [k, val] of [
      ['limit', String(XENCONSOLE_LIMIT)], ['type', 'xenconsoled'], ['output', 'pty'], ['tty', ''],
      ['port', String(ports.consolePort)], ['ring-ref', built.consoleMfn.toString()],
    ]) await t.write(`${fe}/${k}`, val);
  }));
}

/** domcreate_launch_dm: the console and the QEMU-served keyboard (4.20 adds the keyboard first), QEMU, the nics. */
async function launchDeviceModel(run: CreateRun, d: DomainPaths, ports: Ports, built: Built): Promise<void> {
  const { hvm, v, config, xenVersion } = run.plan;
  const addVkb = async () => {
    if (hvm!.vkbDevice) await at(run, 'adding devices', () => run.xs.withTransaction((t) => writeDeviceNodes(t, vkbSpec(d.id))));
  };
  const addPrimaryConsole = () => addConsole(run, d, ports, built);
  if (xenVersion === '4.20') await addVkb().then(addPrimaryConsole);
  else await addPrimaryConsole().then(addVkb);
  await at(run, 'starting device model', () => spawnDeviceModel(run.xs, {
    domid: d.id, name: v.name, config, xenVersion, timeoutSeconds: run.opts.deviceModelTimeout, trace: run.opts.trace,
  }));
  const nicsUp = connectAll(run, run.specs.filter((s) => s.kind === 'vif'));
  run.devicesUp = Promise.all([run.devicesUp, nicsUp]);
  run.devicesUp.catch(() => undefined); // awaited by createNewDomain; a failure before that must not go unhandled
}

/**
 * libxl_domain_create_new for a PV, PVH or HVM guest, in libxl's phases: the checks, domain_make, the devices'
 * nodes (their scripts overlap the build), build_pre, build, build_post, the console (HVM: and the device model),
 * the devices connected, the saved config, unpause. Any failure after the domain exists is rolled back here.
 */
export async function createNewDomain(ctx: LibxlContext, config: DomainConfig, opts: CreateOptions = {}): Promise<CreateResult> {
  let run: CreateRun | null = null;
  try {
    const plan = await planCreate(ctx, config, opts);
    const xc = ctx.xc();
    const xs = opts.xsRefuse ? refusing(await ctx.xs(), opts.xsRefuse, await ctx.xs()) : await ctx.xs();
    run = {
      ctx, opts, plan, xc, xs, bc: new BuildCalls(xc), domid: null, current: '', devicesUp: null, connecting: [], specs: [],
      settledNics: [...plan.nics],
    };
    const d = await domainMake(run);
    await addDevices(run, d);
    const ports = await buildPre(run, d);
    const startTime = Date.now();
    const built = await buildDomain(run, d, ports);
    await buildPost(run, d, ports, built, startTime);
    if (plan.hvm) await launchDeviceModel(run, d, ports, built);
    else await addConsole(run, d, ports, built);
    await at(run, 'adding devices', () => run!.devicesUp);
    const settled = plan.nics.length ? { ...config, nics: run.settledNics } as DomainConfig : config;
    await at(run, 'saving domain configuration', async () => {
      await storeUserdata(userdataPath(d.id, plan.v.uuid, opts.libDir), savedConfigJson(settled, plan.xenVersion));
    });
    // libxl_domain_unpause: an HVM guest's QEMU gets "cont" first.
    if (!opts.paused) await at(run, 'unpausing domain', () => (plan.hvm ? unpauseDomain(ctx, d.id) : xc.unpauseDomain(d.id)));
    return { domid: d.id, name: plan.v.name, uuid: plan.v.uuid, config: settled };
  } catch (e) {
    const step = e instanceof CreateError ? e.step
      : e instanceof BuildStepError ? `building domain` : run?.current || 'creating domain';
    const domid = run?.domid ?? null;
    // Scripts still running would race the teardown: wait for every one, not just the first that failed (a vif
    // script failing at once must not send the disk's "remove" while its "add" is still running).
    await Promise.allSettled(run?.connecting ?? []);
    if (domid !== null) {
      await rollback(ctx, domid, opts.warn, opts.hotplugTimeout ? opts.hotplugTimeout / HOTPLUG_TIMEOUT : 1);
      if (opts.rollbackLeak) await (await ctx.xs()).write(opts.rollbackLeak.replace('%d', String(domid)), 'leak injected for testing');
    }
    if (e instanceof CreateError) throw e;
    let detail = errText(e);
    if (e instanceof LayoutError) detail = `not enough memory: ${e.message}`;
    const whom = `'${run?.plan.v.name ?? viewConfig(config).name}'`;
    const subject = step.endsWith('domain') ? `${step} ${whom}` : `${step} for domain ${whom}`;
    throw new CreateError(step, `${subject}: ${detail}`, domid, { cause: e });
  }
}

/**
 * Compressed kernels are kept unpacked under the run directory, by file
 * identity, so the next `xl create` of the same kernel skips the decompression
 * (xz takes seconds, tens of them under emulation) and reads only the ELF's
 * segments, from that file straight into guest memory. In one process (the
 * monitor restarting guests) concurrent creates share one unpacking.
 */
const unpacking = new Map<string, Promise<KernelElf>>();
const KERNEL_CACHE_FILES = 2;
export const KERNEL_CACHE_DIR = `${XEN_RUN_DIR}/kernel-cache`;

/** The kernel's ELF; `release` closes the cached file the build reads from. */
export async function unpackedKernel(path: string, st: Stats, read: () => Promise<Buffer>, cacheDir = KERNEL_CACHE_DIR) {
  const key = createHash('sha256').update(`${path}\0${st.dev}:${st.ino}:${st.size}:${st.mtimeMs}`).digest('hex').slice(0, 32);
  const cached = `${cacheDir}/${key}.elf`;
  const hit = await openCached(cached);
  if (hit) return { kernel: hit, release: () => hit.image.close() };
  let image = unpacking.get(key);
  if (!image) {
    image = unpackAndStore(read, cached).finally(() => unpacking.delete(key));
    unpacking.set(key, image);
  }
  return { kernel: await image, release: () => undefined };
}

async function openCached(cached: string) {
  try {
    const hit = openKernelElf(cached);
    await utimes(cached, new Date(), new Date()).catch(() => undefined);
    return hit;
  } catch (e) {
    // A copy that opens but does not parse is damaged: unpack again. Any other error (ENOENT, EMFILE) leaves it.
    if (e instanceof KernelFormatError || e instanceof RangeError) await unlink(cached).catch(() => undefined);
    return null;
  }
}

async function unpackAndStore(read: () => Promise<Buffer>, cached: string): Promise<KernelElf> {
  const file = await read();
  const image = await loadKernelElf(file);
  // Only a kernel that needed unpacking is worth a copy; a cache that cannot be written is no error.
  if (image.image.length !== file.length || !image.image.equals(file)) {
    await storeCached(cached, image.image).catch(() => undefined);
  }
  return image;
}

async function storeCached(cached: string, elf: Uint8Array): Promise<void> {
  const dir = cached.slice(0, cached.lastIndexOf('/'));
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const tmp = `${cached}.${process.pid}.new`;
  await writeFile(tmp, elf, { mode: 0o600 });
  await rename(tmp, cached);
  // Keep the newest few.
  const entries = await Promise.all((await readdir(dir)).filter((n) => n.endsWith('.elf')).map(async (n) => ({
    n, t: (await stat(`${dir}/${n}`).catch(() => null))?.mtimeMs ?? 0,
  })));
  for (const { n } of entries.sort((a, b) => b.t - a.t).slice(KERNEL_CACHE_FILES)) await unlink(`${dir}/${n}`).catch(() => undefined);
}

/**
 * Tests of the rollback: writes to matching paths go to xenstored inside a
 * transaction that does not exist, so xenstored itself refuses them (ENOENT)
 * and the create fails as on any refused write.
 */
const NO_SUCH_TRANSACTION = 0xfffffff0;
function refusing<T extends XenStoreOps>(ops: T, re: RegExp, root: XenStore): T {
  return new Proxy(ops, {
    get(target, prop) {
      if (prop === 'write') {
        return (p: string, v: string | Uint8Array) => (re.test(p)
          ? root.request('WRITE', Buffer.concat([Buffer.from(`${p}\0`), Buffer.from(v)]), NO_SUCH_TRANSACTION).then(() => undefined)
          : target.write(p, v));
      }
      if (prop === 'withTransaction') {
        const wt = (target as unknown as { withTransaction: (fn: (t: XenStoreOps) => unknown, o?: unknown) => unknown }).withTransaction;
        return (fn: (t: XenStoreOps) => unknown, o?: unknown) => wt.call(target, (t) => fn(refusing(t, re, root)), o);
      }
      const v = Reflect.get(target, prop, target) as unknown;
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
  });
}

/** Undo a half-made domain: libxl destroy, else at least Xen's side and our nodes. */
async function rollback(ctx: LibxlContext, domid: number, warn?: (m: string) => void, timeoutScale = 1): Promise<void> {
  try {
    // The scripts' words go into the warnings, not echoed a second time.
    await destroyDomain(ctx, domid, { warn, timeoutScale, runHotplug: (run, timeoutMs) => runHotplug(run, { timeoutMs }) });
    return;
  } catch (e) {
    warn?.(`destroying half-built domain ${domid}: ${errText(e)}`);
  }
  try {
    if (ctx.xc().getDomainInfo(domid)) ctx.xc().destroyDomain(domid);
  } catch (e) {
    warn?.(`domain ${domid} could not be destroyed: ${errText(e)}`);
  }
  try {
    await destroyRemains(ctx, domid, { warn, timeoutScale, runHotplug: (run, timeoutMs) => runHotplug(run, { timeoutMs }) });
  } catch (e) {
    warn?.(`removing what is left of domain ${domid}: ${errText(e)}`);
  }
}
