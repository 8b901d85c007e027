// The device model's command line: the argv and environment the C libxl gives
// upstream QEMU ("qemu-xen", qemu-system-i386 in dom0) for a guest, as
// libxl__build_device_model_args_new and libxl__spawn_local_dm do in Xen 4.17
// and 4.20 (tools/libs/light/libxl_dm.c), together with the defaults libxl
// settles before it gets there (libxl__domain_build_info_setdefault, the disk,
// nic and vfb setdefaults) as far as they change the command line.
//
// Pure: no files, no xenstore, no processes. What the C code learns at run time
// (the backend a disk got after stat(), a script's physical-device-path, the
// user QEMU runs as, the QMP socket's fd, the `-run-with` probe of 4.20) comes
// in as input, with the value a plain Debian dom0 gives as the default.
//
// Out of scope: qemu-xen-traditional, stub domains, COLO, and what happens
// around the spawn (xenstore nodes, the chroot directory, the log file, the
// QMP conversation afterwards; see DmArgs.vncPassword).

import { diskDevNumber, type DomainConfig, type XenVersion } from '../../config-parser/index.js';
import type { HotplugOs } from '../../device-hotplug/conventions.js';
import { randomMac } from '../devices/devices.js';
import { XlError } from '../errors.js';
import { XEN_RUN_DIR } from '../paths.js';

/** QEMU_XEN_PATH of Debian's xen-utils-4.17 and -4.20 (the qemu-system-xen package ships it). */
export const DEBIAN_QEMU_XEN_PATH = '/usr/libexec/xen-qemu-system-i386';
/** XEN_SCRIPT_DIR: NetBSD's tap interfaces are brought up by its qemu-ifup there. */
const XEN_SCRIPT_DIR = '/etc/xen/scripts';
/** LIBXL_MEMKB_DEFAULT (~0ULL): "not set" in every memkb field. */
const MEMKB_DEFAULT = (1n << 64n) - 1n;
/** HVM_BELOW_4G_MMIO_START (xen/include/public/hvm/e820.h). */
const BELOW_4G_MMIO_START = 0xf0000000n;

export interface DmArgsInput {
  domid: number;
  config: DomainConfig;
  xenVersion: XenVersion;
  /** paths the C libxl derives at runtime */
  runDir?: string; // default '/var/run/xen'
  /** QEMU when b_info.device_model (device_model_override) is unset; default DEBIAN_QEMU_XEN_PATH. */
  qemuPath?: string;
  /** Names of tap interfaces and their ifup script follow the dom0's OS; default linux. */
  os?: HotplugOs;
  /**
   * The fd QEMU inherits the pre-opened QMP socket on (dm_restrict only: libxl
   * binds qmp-libxl-<domid> itself and passes it down); default 3, the first
   * fd after stdio.
   */
  qmpFd?: number;
  /**
   * The user QEMU is told to become (the C state->dm_runas): device_model_user,
   * or with dm_restrict the "uid:gid" of xen-qemuuser-range-base + domid, or
   * xen-qemuuser-shared. Needs getpwnam, so it is given; null for none. When
   * absent, device_model_user is taken as is, and dm_restrict without one is
   * an error.
   */
  runas?: string | null;
  /** What 4.20 learns by probing QEMU (query-command-line-options); default both, as Debian 13's QEMU 10 has. */
  qemuRunWith?: { chroot: boolean; user: boolean };
  /** Restore/migration: the fd QEMU reads its saved state from (`-incoming fd:N`). */
  incomingFd?: number;
  /**
   * Disks whose local path only a hotplug script knows (script=..., or the tap
   * backend): libxl reads the backend's physical-device-path. By vdev; a
   * missing entry leaves the disk to its PV driver, as in C.
   */
  diskLocalPaths?: Record<string, string>;
  /** A MAC for a nic that has none yet; default a random one with Xen's OUI, as libxl makes. */
  mac?: (devid: number) => number[];
  /** gfx_passthru with the default kind: whether libxl__is_igd_vga_passthru would find an Intel IGD. */
  igdPassthru?: boolean;
  /** libxl's own environment (4.17 adds XEN_QEMU_CONSOLE_LIMIT only when it is not set there). Default none. */
  inheritedEnv?: Record<string, string | undefined>;
}

export interface DmArgs {
  /** argv[0] is the device model path: b_info.device_model (device_model_override) or the default */
  argv: string[];
  /** Set on top of the environment libxl itself runs in. */
  env: Record<string, string>;
  /** The devices libxl leaves to PV drivers and other notices it logs (LOG(WARN)). */
  warnings?: string[];
  /** Where QEMU listens for libxl's QMP connection (with dm_restrict libxl creates it and passes the fd). */
  qmpPath?: string;
  /** dm_restrict: the directory libxl creates (mode 0000, after an rmdir) for QEMU to chroot into. */
  chrootDir?: string;
  /**
   * The VNC password never goes on the command line (only "password=on"): once
   * QEMU is up libxl sends QMP change-vnc-password {password} and writes
   * /local/domain/<domid>/console/vnc-pass; before the spawn it also stores
   * vncpasswd under /vm/<uuid> (read by qemu-traditional only).
   */
  vncPassword?: string;
  /**
   * 4.20 first runs QEMU with this command line to learn its options (QMP
   * query-command-line-options on the same pre-opened socket, then quit).
   */
  probeArgv?: string[];
}

export class DmArgsError extends XlError {
  constructor(message: string) {
    super(message);
    this.name = 'DmArgsError';
  }
}

/** libxl__domain_build_info_setdefault for qemu-xen: the card (cirrus when unset) and its video RAM in KiB. */
function settleVideo(b: Loose, hvm: Loose, fail: (msg: string) => never) {
  const kind = low(hvm.vga?.kind) === 'unknown' || !hvm.vga?.kind ? 'cirrus' : low(hvm.vga.kind);
  const vga = VGA[kind] ?? fail('Invalid emulated video card specified');
  let videoKb = big(b.video_memkb);
  if (videoKb === MEMKB_DEFAULT) videoKb = BigInt(vga.defaultMb) * 1024n;
  if (videoKb < BigInt(vga.minMb) * 1024n) fail(vga.tooSmall!);
  return { vga, videoKb };
}

/** An HVM guest's b_info.video_memkb as libxl settles it (what the guest's RAM gives to the card). */
export function hvmVideoMemKb(config: DomainConfig): number {
  const b: Loose = (config as unknown as Loose).b_info ?? {};
  return Number(settleVideo(b, b.u?.hvm ?? {}, (msg) => { throw new DmArgsError(msg); }).videoKb);
}

// ---- small helpers over the model -------------------------------------------------

type Loose = Record<string, any>;
const low = (v: unknown): string => String(v ?? '').toLowerCase();
const str = (v: unknown): string | null => (typeof v === 'string' ? v : null);
/** libxl_defbool_val after libxl_defbool_setdefault(def). */
const defbool = (v: unknown, def: boolean): boolean => (typeof v === 'boolean' ? v : def);
const big = (v: unknown): bigint => (typeof v === 'bigint' ? v : BigInt(Number(v ?? 0)));
const u32 = (v: bigint): bigint => BigInt.asUintN(32, v);
/** libxl__sizekb_to_mb: rounds up, in uint32 arithmetic. */
const kbToMb = (kb: bigint): bigint => u32(u32(kb) + 1023n) / 1024n;
const list = (v: unknown): string[] => (Array.isArray(v) ? v.filter((s): s is string => typeof s === 'string') : []);
const macText = (m: number[]): string => m.map((b) => (b & 0xff).toString(16).padStart(2, '0')).join(':');
/** C's "%#x": no prefix for zero. */
const hashX = (n: number): string => (n === 0 ? '0' : `0x${n.toString(16)}`);

// ---- tables ----------------------------------------------------------------------

/** Emulated graphics: the device, and the videoram default and floor libxl enforces for qemu-xen (MB). */
const VGA: Record<string, { device: (memkb: bigint) => string | null; defaultMb: number; minMb: number; tooSmall?: string }> = {
  std: {
    device: (kb) => `VGA,vgamem_mb=${kbToMb(kb)}`, defaultMb: 16, minMb: 16,
    tooSmall: 'videoram must be at least 16 MB for STDVGA on QEMU_XEN',
  },
  cirrus: {
    device: (kb) => `cirrus-vga,vgamem_mb=${kbToMb(kb)}`, defaultMb: 8, minMb: 8,
    tooSmall: 'videoram must be at least 8 MB for CIRRUS on QEMU_XEN',
  },
  none: { device: () => null, defaultMb: 0, minMb: 0 },
  // QXL splits videoram into its two regions.
  qxl: {
    device: (kb) => `qxl-vga,vram_size_mb=${kb / 2n / 1024n},ram_size_mb=${kb / 2n / 1024n}`, defaultMb: 128, minMb: 128,
    tooSmall: '128 Mib videoram is the minimum for qxl default',
  },
};

/** soundhw names (libxl__qemu_soundhw, matched without case) and the devices each adds. */
const SOUNDHW: Record<string, string[]> = {
  ac97: ['ac97'], adlib: ['adlib'], cs4231a: ['cs4231a'], es1370: ['es1370'], gus: ['gus'],
  hda: ['intel-hda', 'hda-duplex'], sb16: ['sb16'],
};

/** usbversion: the controller devices (EHCI comes with its three UHCI companions). */
const USB_CONTROLLERS: Record<number, string[]> = {
  1: ['piix3-usb-uhci,id=usb'],
  2: [
    'ich9-usb-ehci1,id=usb,addr=0x1d.0x7,multifunction=on',
    ...[1, 2, 3].map((i) => `ich9-usb-uhci${i},masterbus=usb.0,firstport=${2 * (i - 1)},addr=0x1d.${hashX(i - 1)},multifunction=on`),
  ],
  3: ['nec-usb-xhci,id=usb'],
};

/** The dom0 OS: netback's interface name for the emulated twin (NETBACK_NIC_NAME + "-emu") and QEMU's tap script. */
const OS_NET: Record<HotplugOs, { tapName: (domid: number, devid: number) => string; tapScript: string }> = {
  linux: { tapName: (d, i) => `vif${d}.${i}-emu`, tapScript: 'no' },
  freebsd: { tapName: (d, i) => `xnb${d}.${i}-emu`, tapScript: 'no' },
  netbsd: { tapName: (d, i) => `xvif${d}i${i}-emu`, tapScript: `${XEN_SCRIPT_DIR}/qemu-ifup` },
};

/** An emulated disk as the controllers see it. */
interface EmuDisk {
  vdev: string;
  /** Index from the vdev (hda = xvda = sda = 0); the partition is ignored. */
  index: number;
  devnum: number;
  path: string | null;
  format: string | null;
  readwrite: boolean;
}

/**
 * Emulated disk controllers, tried in order: the first whose `takes` matches
 * gets the disk. A disk none takes is left to its PV driver.
 */
const DISK_CONTROLLERS: Array<{
  takes: (d: EmuDisk, hdtype: string) => boolean;
  readOnly?: string;
  args: (d: EmuDisk) => string[];
}> = [
  {
    // sdX: SCSI on the LSI controller added up front; read-only is fine there.
    takes: (d) => d.vdev.startsWith('sd'),
    args: (d) => [
      '-drive', `file=${d.path},id=scsi0-hd${d.index},format=${d.format},if=none,readonly=${d.readwrite ? 'off' : 'on'},cache=writeback`,
      '-device', `scsi-hd,drive=scsi0-hd${d.index},scsi-id=${d.index}`,
    ],
  },
  {
    takes: (d, hdtype) => hdtype === 'ahci' && d.index < 6,
    readOnly: "qemu-xen doesn't support read-only AHCI disk drivers",
    args: (d) => [
      '-drive', `file=${d.path},if=none,id=ahcidisk-${d.index},format=${d.format},cache=writeback`,
      '-device', `ide-hd,bus=ahci0.${d.index},unit=0,drive=ahcidisk-${d.index}`,
    ],
  },
  {
    takes: (d) => d.index < 4,
    readOnly: "qemu-xen doesn't support read-only IDE disk drivers",
    args: (d) => ['-drive', `file=${d.path},if=ide,index=${d.index},media=disk,format=${d.format},cache=writeback`],
  },
];

/** libxl__qemu_disk_format_string: QEMU's name for a disk format (null: QEMU cannot read it). */
const QEMU_FORMAT: Record<string, string> = { qcow: 'qcow', qcow2: 'qcow2', vhd: 'vpc', raw: 'raw', qed: 'qed' };

// ---- settling (the setdefaults that reach the command line) ------------------------

interface Vnc { listen: string | null; display: number; passwd: string | null; findunused: boolean }
interface Sdl { display: string | null; xauthority: string | null }

/** libxl__dm_vnc / dm_sdl / dm_keymap: HVM's own settings, a PV guest's first vfb (with the vfb defaults). */
function display(c: Loose, hvm: Loose | null): { vnc: Vnc | null; sdl: Sdl | null; keymap: string | null } {
  const src: Loose | undefined = hvm ?? (c.vfbs ?? [])[0];
  if (!src) return { vnc: null, sdl: null, keymap: null };
  const v: Loose = src.vnc ?? {};
  const s: Loose = src.sdl ?? {};
  const vncOn = defbool(v.enable, true);
  return {
    vnc: vncOn ? { listen: str(v.listen) ?? '127.0.0.1', display: Number(v.display ?? 0), passwd: str(v.passwd), findunused: defbool(v.findunused, true) } : null,
    sdl: defbool(s.enable, false) ? { display: str(s.display), xauthority: str(s.xauthority) } : null,
    keymap: str(src.keymap),
  };
}

/**
 * libxl__device_disk_setdefault + libxl__device_disk_set_backend for an HVM
 * guest, taking a raw local image to be a file or block device (what stat()
 * decides in C; pass disks settled by devices.ts settleDisk to be exact).
 */
function diskBackend(d: Loose, version: XenVersion): string {
  const backend = low(d.backend) || 'unknown';
  const format = low(d.format);
  const colo = defbool(d.colo_enable, false);
  if (Number(d.is_cdrom ?? 0) !== 0) {
    if (backend === 'unknown') return 'qdisk';
    const allowed = version === '4.17' ? ['qdisk'] : ['qdisk', 'phy'];
    if (!allowed.includes(backend)) {
      throw new DmArgsError(`disk ${d.vdev}: backend for CD devices on HVM guests must be ${version === '4.17' ? 'Qdisk' : 'Qdisk or Phy'}`);
    }
    return backend;
  }
  if (backend !== 'unknown') return backend;
  if (format === 'empty') throw new DmArgsError(`disk ${d.vdev} is empty but not cdrom`);
  // Tried in libxl's order: phy, qdisk, then (4.20 only, blktap3) tap.
  if (format === 'raw' && !colo) return 'phy';
  if (!str(d.script)) return 'qdisk';
  if (version === '4.20' && (format === 'raw' || format === 'vhd') && !colo) return 'tap';
  throw new DmArgsError(`no suitable backend for disk ${d.vdev}`);
}

/** libxl__device_disk_find_local_path(..., qdisk_direct = true). */
function localPath(d: Loose, backend: string, given: Record<string, string>): string | null {
  if (str(d.backend_domname) !== null) return null;
  if (low(d.format) === 'raw' && !str(d.script)) return str(d.pdev_path);
  if (backend === 'qdisk') return str(d.pdev_path);
  return given[String(d.vdev)] ?? null;
}

// ---- the command line -----------------------------------------------------------

export function deviceModelArgs(input: DmArgsInput): DmArgs {
  const { domid, xenVersion } = input;
  const c = input.config as unknown as Loose;
  const runDir = input.runDir ?? XEN_RUN_DIR;
  const os = OS_NET[input.os ?? 'linux'];
  const b: Loose = c.b_info ?? {};
  const type = low(b.type ?? c.c_info?.type);
  if (type !== 'hvm' && type !== 'pv' && type !== 'pvh') throw new DmArgsError(`invalid domain type ${type || '(none)'}`);
  const isHvm = type === 'hvm';
  const hvm: Loose | null = isHvm ? (b.u?.hvm ?? {}) : null;
  const warnings: string[] = [];
  const fail = (msg: string): never => { throw new DmArgsError(msg); };

  if (defbool(b.device_model_stubdomain, false)) fail('device model stub domains are not supported');
  const dmVersion = low(b.device_model_version);
  if (dmVersion === 'qemu_xen_traditional') fail('qemu-xen-traditional is not supported, only qemu-xen');

  const dm = str(b.device_model) ?? input.qemuPath ?? DEBIAN_QEMU_XEN_PATH;
  const args: string[] = [dm];
  const env: Record<string, string> = {};
  const add = (...a: string[]) => { args.push(...a); };

  // libxl__set_qemu_env_for_xsa_180, gone in 4.20 (QEMU no longer looks).
  if (xenVersion === '4.17' && input.inheritedEnv?.XEN_QEMU_CONSOLE_LIMIT === undefined) {
    env.XEN_QEMU_CONSOLE_LIMIT = '1048576';
  }

  const restrict = defbool(b.dm_restrict, false);
  const qmpFd = input.qmpFd ?? 3;
  const qmpPath = `${runDir}/qmp-libxl-${domid}`;
  add('-xen-domid', String(domid), '-no-shutdown');
  add('-chardev');
  if (restrict) {
    // A pre-opened socket lets libxl wait for QMP instead of xenstore, so QEMU can start paused.
    add(`socket,id=libxl-cmd,fd=${qmpFd},server=on,wait=off`, '-S');
  } else {
    add(`socket,id=libxl-cmd,path=${qmpPath},server=on,wait=off`);
  }
  add('-mon', 'chardev=libxl-cmd,mode=control');
  add('-chardev', `socket,id=libxenstat-cmd,path=${runDir}/qmp-libxenstat-${domid},server=on,wait=off`);
  add('-mon', 'chardev=libxenstat-cmd,mode=control');

  // A channel without a devid (4.20's xl leaves it unset) is numbered from 1, after the primary console.
  (c.channels ?? []).forEach((ch: Loose, i: number) => {
    const devid = Number(ch.devid ?? -1) >= 0 ? Number(ch.devid) : i + 1;
    const conn = low(ch.connection);
    if (conn === 'pty') add('-chardev', `pty,id=libxl-channel${devid}`);
    else if (conn === 'socket') add('-chardev', `socket,id=libxl-channel${devid},path=${ch.u?.socket?.path},server=on,wait=off`);
    else fail(`unknown channel connection ${conn}`);
  });

  add('-nodefaults', '-no-user-config');
  if (!isHvm) add('-xen-attach');
  const name = str(c.c_info?.name);
  if (name) add('-name', name);

  const { vnc, sdl, keymap } = display(c, hvm);
  if (vnc) {
    let arg: string;
    if (vnc.listen !== null && vnc.listen.includes(':')) {
      if (vnc.display) fail('vncdisplay set, vnclisten contains display');
      arg = vnc.listen;
    } else {
      arg = `${vnc.listen ?? '127.0.0.1'}:${vnc.display}`;
    }
    if (vnc.passwd) arg += ',password=on';
    // QEMU tries display..display+99; this must be the last vnc option.
    if (vnc.findunused) arg += ',to=99';
    add('-vnc', arg);
  } else {
    add('-vnc', 'none');
  }
  add('-display', 'none');
  if (sdl) {
    add('-display', 'sdl');
    if (sdl.display) env.DISPLAY = sdl.display;
    if (sdl.xauthority) env.XAUTHORITY = sdl.xauthority;
  }
  if (keymap) add('-k', keymap);

  let videoKb = big(b.video_memkb);
  if (hvm) {
    videoKb = hvmArgs(b, hvm, c, { add, fail, warnings, os, domid, vnc: !!vnc, sdl: !!sdl, mac: input.mac });
  } else {
    if (videoKb === MEMKB_DEFAULT) videoKb = 0n;
    if (!sdl && !vnc) add('-nographic');
  }

  if (restrict) {
    const chrootDir = `${runDir}/qemu-root-${domid}`;
    add('-xen-domid-restrict');
    if (xenVersion === '4.20' && (input.qemuRunWith?.chroot ?? true)) add('-run-with', `chroot=${chrootDir}`);
    else add('-chroot', chrootDir);
  }
  if (input.incomingFd !== undefined) add('-incoming', `fd:${input.incomingFd}`);
  add(...list(b.extra));

  add('-machine');
  if (hvm) {
    // Without the platform device: the plain "pc" machine instead of "xenfv".
    let machine = defbool(hvm.xen_platform_pci, true) ? 'xenfv,suppress-vmdesc=on' : 'pc,accel=xen,suppress-vmdesc=on';
    let hole = big(hvm.mmio_hole_memkb);
    if (hole === MEMKB_DEFAULT) hole = 0n;
    if (hole) {
      const below4g = BigInt.asUintN(64, (1n << 32n) - BigInt.asUintN(64, hole << 10n));
      if (below4g > BELOW_4G_MMIO_START) warnings.push(`mmio_hole_memkb=${hole} invalid ignored.`);
      else machine += `,max-ram-below-4g=${below4g}`;
    }
    if (defbool(hvm.gfx_passthru, false)) {
      let kind = low(hvm.gfx_passthru_kind) || 'default';
      if (kind === 'default' && input.igdPassthru) kind = 'igd';
      if (kind === 'igd') machine += ',igd-passthru=on';
      else if (kind === 'default') fail('unable to detect required gfx_passthru_kind');
      else fail('invalid value for gfx_passthru_kind');
    }
    add(machine, ...list(b.extra_hvm));
  } else {
    add('xenpv', ...list(b.extra_pv));
  }

  let maxKb = big(b.max_memkb);
  if (maxKb === MEMKB_DEFAULT) maxKb = 32n * 1024n;
  // The video RAM is part of the guest's memory, not on top of it.
  add('-m', String(kbToMb(maxKb - videoKb)));

  if (hvm) {
    env.XEN_DOMAIN_ID = String(domid);
    const hdtype = low(hvm.hdtype) || 'ide';
    if (hdtype === 'ahci') add('-device', 'ahci,id=ahci0');
    diskArgs(c.disks ?? [], { add, fail, warnings, hdtype, version: xenVersion, given: input.diskLocalPaths ?? {} });
    if (low(hvm.vendor_device) === 'xenserver') add('-device', 'xen-pvdevice,device-id=0xc000');

    const runas = input.runas !== undefined ? input.runas : (str(b.device_model_user) ?? (restrict ? fail('dm_restrict needs the user QEMU runs as (runas)') : null));
    if (runas) {
      if (xenVersion === '4.20' && (input.qemuRunWith?.user ?? true)) add('-run-with', `user=${runas}`);
      else add('-runas', runas);
    }
  }

  const out: DmArgs = { argv: args, env, warnings, qmpPath };
  if (restrict) out.chrootDir = `${runDir}/qemu-root-${domid}`;
  if (vnc?.passwd) out.vncPassword = vnc.passwd;
  if (xenVersion === '4.20') {
    out.probeArgv = [
      dm, '-S', '-no-user-config', '-nodefaults', '-nographic', '-machine', 'none,accel=xen',
      '-chardev', `socket,id=libxl-cmd,fd=${qmpFd},server=on,wait=off`, '-mon', 'chardev=libxl-cmd,mode=control',
    ];
  }
  return out;
}

interface Sink {
  add: (...a: string[]) => void;
  fail: (msg: string) => never;
  warnings: string[];
}

/** The HVM block before -machine; returns the settled video_memkb. */
function hvmArgs(
  b: Loose, hvm: Loose, c: Loose,
  o: Sink & { os: (typeof OS_NET)[HotplugOs]; domid: number; vnc: boolean; sdl: boolean; mac?: (devid: number) => number[] },
): bigint {
  const { add, fail, warnings } = o;
  const bios = low(hvm.bios);
  if (bios === 'rombios') fail('qemu-xen does not support bios=rombios.');
  const kernel = str(b.kernel);
  const ramdisk = str(b.ramdisk);
  const cmdline = str(b.cmdline);
  if (!kernel && (ramdisk || cmdline)) fail('direct boot parameters specified but kernel missing');
  // HVM direct kernel boot is QEMU's (its linuxboot option ROM), so these are passed on.
  if (kernel) add('-kernel', kernel);
  if (ramdisk) add('-initrd', ramdisk);
  if (cmdline) add('-append', cmdline);

  // The SCSI controller first, to keep the PCI slot older QEMUs gave it.
  if ((c.disks ?? []).some((d: Loose) => !Number(d.is_cdrom ?? 0) && String(d.vdev ?? '').startsWith('sd'))) {
    add('-device', 'lsi53c895a');
  }

  const serial = str(hvm.serial);
  const serials = hvm.serial_list == null ? null : list(hvm.serial_list);
  if (serial && serials) fail('Both serial and serial_list set');
  if (serial) add('-serial', serial);
  else for (const s of serials ?? []) add('-serial', s);

  if (defbool(hvm.nographic, false) && !o.sdl && !o.vnc) add('-nographic');

  const spice: Loose = hvm.spice ?? {};
  const spiceOn = defbool(spice.enable, false);
  if (spiceOn) {
    add('-spice', spiceOptions(spice, fail));
    if (defbool(spice.vdagent, false)) {
      add('-device', 'virtio-serial', '-chardev', 'spicevmc,id=vdagent,name=vdagent',
        '-device', 'virtserialport,chardev=vdagent,name=com.redhat.spice.0');
    }
  }

  const { vga, videoKb } = settleVideo(b, hvm, fail);
  const vgaDev = vga.device(videoKb);
  if (vgaDev) add('-device', vgaDev);

  add('-boot', `order=${str(hvm.boot) || 'cda'}`);

  // usb/usbdevice (legacy -usb) and usbversion (a controller device) exclude each other.
  let redir = Number(spice.usbredirection ?? 0);
  if (!spiceOn && redir > 0) {
    warnings.push('spice disabled, disabling usbredirection');
    redir = 0;
  }
  let usbversion = Number(hvm.usbversion ?? 0);
  if (!usbversion && redir > 0) usbversion = 2;
  const usbdevice = str(hvm.usbdevice);
  const usbdevices = list(hvm.usbdevice_list);
  const legacyUsb = defbool(hvm.usb, false) || !!usbdevice || usbdevices.length > 0;
  if ((usbversion || redir) && legacyUsb) {
    fail('usbversion and/or usbredirection cannot be enabled with usb and/or usbdevice parameters.');
  }
  if (legacyUsb) {
    if (usbdevice && usbdevices.length) fail('Both usbdevice and usbdevice_list set');
    add('-usb');
    for (const u of usbdevice ? [usbdevice] : usbdevices) add('-usbdevice', u);
  } else if (usbversion) {
    const ctrls = USB_CONTROLLERS[usbversion] ?? fail('usbversion parameter is invalid, must be between 1 and 3');
    for (const d of ctrls) add('-device', d);
    if (redir < 0 || redir >= 5) fail('usbredirection parameter is invalid, it must be between 1 and 4');
    for (let i = 1; i <= redir; i++) {
      add('-chardev', `spicevmc,name=usbredir,id=usbrc${i}`, '-device', `usb-redir,chardev=usbrc${i},id=usbrc${i}`);
    }
  }

  const soundhw = str(hvm.soundhw);
  if (soundhw) {
    const devs = SOUNDHW[soundhw.toLowerCase()] ?? fail(`Unknown soundhw option '${soundhw}'`);
    for (const d of devs) add('-device', d);
  }

  if (!defbool(b.acpi, true) || !defbool(hvm.acpi, true)) add('-no-acpi');

  const maxVcpus = Number(b.max_vcpus ?? 0) || 1;
  if (maxVcpus > 1) {
    // setdefault always leaves avail_vcpus allocated (vcpu 0 only when empty).
    const bm = b.avail_vcpus as { size?: number; bits?: number[] } | undefined;
    const size = Number(bm?.size ?? 0);
    const online = size ? new Set((bm?.bits ?? []).filter((i) => i < size)).size : 1;
    add('-smp', `${online},maxcpus=${maxVcpus}`);
  }

  nicArgs(c.nics ?? [], o);
  return videoKb;
}

/** dm_spice_options. */
function spiceOptions(s: Loose, fail: (m: string) => never): string {
  const port = Number(s.port ?? 0);
  const tls = Number(s.tls_port ?? 0);
  if (!port && !tls) fail('at least one of the spiceport or tls_port must be provided');
  const noTicket = defbool(s.disable_ticketing, false);
  const passwd = str(s.passwd);
  if (!noTicket) {
    if (passwd === null) fail('spice ticketing is enabled but missing password');
    if (passwd === '') fail("spice password can't be empty");
  }
  let opt = `port=${port},tls-port=${tls}`;
  if (str(s.host)) opt += `,addr=${s.host}`;
  opt += noTicket ? ',disable-ticketing=on' : `,password=${passwd}`;
  opt += `,agent-mouse=${defbool(s.agent_mouse, true) ? 'on' : 'off'}`;
  if (!defbool(s.clipboard_sharing, false)) opt += ',disable-copy-paste=on';
  if (str(s.image_compression)) opt += `,image-compression=${s.image_compression}`;
  if (str(s.streaming_video)) opt += `,streaming-video=${s.streaming_video}`;
  return opt;
}

/** Emulated nics: each vif_ioemu nic gets a QEMU device on a tap netdev beside its PV vif. */
function nicArgs(nics: Loose[], o: Sink & { os: (typeof OS_NET)[HotplugOs]; domid: number; mac?: (devid: number) => number[] }): void {
  // libxl__device_nic_set_devids: unset devids follow the highest given one.
  let last = Math.max(-1, ...nics.map((n) => Number(n.devid ?? -1)));
  let emulated = 0;
  for (const n of nics) {
    const devid = Number(n.devid ?? -1) >= 0 ? Number(n.devid) : ++last;
    const nictype = low(n.nictype);
    if (nictype !== 'vif_ioemu' && nictype !== 'unknown' && nictype !== '') continue;
    const given = Array.isArray(n.mac) ? (n.mac as number[]) : [];
    const mac = given.length === 6 && given.some((x) => x !== 0) ? given : (o.mac ?? (() => randomMac()))(devid);
    const model = str(n.model) ?? 'rtl8139';
    const bridge = str(n.bridge) ?? 'xenbr0';
    o.add('-device', `${model},id=nic${devid},netdev=net${devid},mac=${macText(mac)}`);
    o.add('-netdev', `type=tap,id=net${devid},ifname=${o.os.tapName(o.domid, devid)},br=${bridge},script=${o.os.tapScript},downscript=${o.os.tapScript}`);
    emulated++;
  }
  // Otherwise QEMU would make a default nic of its own.
  if (!emulated) o.add('-net', 'none');
}

/** The emulated twins of the disks: cdroms on IDE, disks by vdev and hdtype (DISK_CONTROLLERS). */
function diskArgs(disks: Loose[], o: Sink & { hdtype: string; version: XenVersion; given: Record<string, string> }): void {
  const { add, fail, warnings } = o;
  for (const d of disks) {
    const vdev = String(d.vdev ?? '');
    const num = diskDevNumber(vdev);
    // A bare number names no disk index: libxl cannot emulate it.
    if (num.devnum === -1 || num.disk === undefined) {
      warnings.push(`unable to determine disk number for ${vdev}`);
      continue;
    }
    if (defbool(d.colo_enable, false)) fail(`disk ${vdev}: COLO is not supported`);
    const backend = diskBackend(d, o.version);
    const fmt = low(d.format);
    const cdrom = Number(d.is_cdrom ?? 0) !== 0;
    // QEMU reads the image itself only for qdisk; for phy it gets what the backend exposes, raw.
    const format = backend === 'qdisk' ? (QEMU_FORMAT[fmt] ?? null) : 'raw';
    let path: string | null = null;
    if (fmt === 'empty') {
      if (!cdrom) {
        warnings.push(`Cannot support empty disk format for ${vdev}`);
        continue;
      }
    } else {
      if (format === null) {
        warnings.push(`Unable to determine disk image format: ${vdev}; it is available via PV drivers but not as an emulated disk.`);
        continue;
      }
      path = localPath(d, backend, o.given);
      if (path === null) {
        warnings.push(`No way to get local access disk to image: ${vdev}; it is available via PV drivers but not as an emulated disk.`);
        continue;
      }
    }
    const e: EmuDisk = { vdev, index: num.disk, devnum: num.devnum, path, format, readwrite: Number(d.readwrite ?? 0) !== 0 };

    if (cdrom) {
      if (e.index > 4) {
        warnings.push(`Emulated CDROM can be only one of the first 4 disks; ${vdev} is available via PV drivers but not as an emulated disk.`);
        continue;
      }
      const id = `ide-${e.devnum}`;
      add('-drive', `if=none,readonly=on,id=${id}${path !== null ? `,file=${path},format=${format}` : ''}`,
        '-device', `ide-cd,id=${id},drive=${id},bus=ide.${Math.floor(e.index / 2)},unit=${e.index % 2}`);
      continue;
    }
    const ctrl = DISK_CONTROLLERS.find((k) => k.takes(e, o.hdtype));
    if (!ctrl) {
      warnings.push(`Only 4 emulated IDE disks are supported; ${vdev} is available via PV drivers but not as an emulated disk.`);
      continue;
    }
    if (ctrl.readOnly && !e.readwrite) fail(ctrl.readOnly);
    add(...ctrl.args(e));
  }
}
