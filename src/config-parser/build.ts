// The port of xl_parse.c's parse_config_data: fills a libxl domain config
// from a parsed xl.cfg exactly as the C xl does before `create -n` prints
// it (libxl's own defaults come later, at create time). Where xl exits we
// throw ConfigError with the place in the file; where xl prints a warning
// and carries on, so do we.

import { closeSync, openSync, readSync } from 'node:fs';
import { CfgReader, listItem } from './access.js';
import { strtol, strtoul, atoi } from './cnum.js';
import { type Diagnostic, Reporter, ConfigError } from './errors.js';
import type { CfgValue, ParsedConfig, Setting } from './parser.js';
import {
  enumFromString, enumName, MEMKB_DEFAULT, NIL_UUID, versionIncludes,
  type Bitmap, type XenVersion,
} from './model/dsl.js';
import {
  altp2m_mode, bios_type, build_info_hvm, device_channel, device_nic, device_p9, device_pci, device_pvcallsif,
  device_usbctrl, device_usbdev, device_vdispl, device_vfb, device_virtio, device_vkb,
  device_vsnd, device_vtpm, domain_build_info, gfx_passthru_kind, gic_version, hdtype,
  p9_type, passthrough, sve_type, tee_type, timer_mode, tsc_mode, usbctrl_type, usbdev_type,
  vendor_device, virtio_transport, viridian_enlightenment, vkb_backend, vnode_info, vsnd_pcm,
  vsnd_pcm_format, vsnd_stream, vsnd_stream_type, vuart_type, smbios_type, iomem_range,
  type BuildInfo, type DevicePci, type DeviceVsnd, type DomainConfig, type DomainType,
  type HvmInfo, type SdlInfo, type VncInfo, type VsndParams,
} from './model/idl.js';
import { initBuildInfoType, initDomainConfig, initKeyedUnion, initStruct, initValue } from './model/init.js';
import { parseDiskSpec, DiskSpecParseError } from './spec/disk.js';
import { diskDevNumberOf } from './spec/vdev.js';
import { applyVifToken, parseUlongStrict, ParseUlongError, strtokTokens, VifRateError } from './spec/vif.js';
import { parsePciSpec, parseRdm, PciSpecError } from './spec/pci.js';
import {
  allocCpuBitmap, bitmapReset, bitmapSet, bitmapSetAny, CpuRangeError, parseCpuRange, parseRange, type HostTopology,
} from './spec/cpus.js';
import { parseCpuidList, parseCpuidString } from './spec/cpuid.js';
import { checkUnknownKeys } from './keys.js';
import { validateDomainConfig } from './model/schema.js';

/** Which config key fills which part of the model, for error messages. */
const KEY_OF_PATH: Array<[RegExp, string]> = [
  [/^disks\./, 'disk'], [/^nics\./, 'vif'], [/^pcidevs\./, 'pci'], [/^vfbs\./, 'vfb'], [/^vkbs\./, 'vkb'],
  [/^vtpms\./, 'vtpm'], [/^p9s\./, 'p9'], [/^channels\./, 'channel'], [/^usbctrls\./, 'usbctrl'],
  [/^usbdevs\./, 'usbdev'], [/^vdispls\./, 'vdispl'], [/^vsnds\./, 'vsnd'], [/^virtios\./, 'virtio'],
  [/^b_info\.vnuma_nodes/, 'vnuma'], [/^b_info\.iomem/, 'iomem'], [/^b_info\.ioports/, 'ioports'],
  [/^b_info\.irqs/, 'irqs'], [/^b_info\.cpuid/, 'cpuid'], [/^b_info\.(max_vcpus|avail_vcpus)/, 'vcpus'],
  [/^b_info\.vcpu_hard/, 'cpus'], [/^b_info\.vcpu_soft/, 'cpus_soft'], [/^b_info\.sched_params\.weight/, 'cpu_weight'],
  [/^b_info\.sched_params\.(\w+)/, 'cap'],
];

/** xl.conf settings that change what xl puts in a domain config. */
export interface XlGlobals {
  runHotplugScripts?: boolean;
  claimMode?: boolean;
  blkdevStart?: string;
  vifScript?: string;
  bridge?: string;
  gatewaydev?: string;
  vifBackend?: string;
  maxGrantFrames?: number;
  maxMaptrackFrames?: number;
  maxGrantVersion?: number;
  /** 4.20: bootloader_restrict in xl.conf. */
  bootloaderRestrict?: boolean;
  /** vm.cpumask, vm.hvm.cpumask, vm.pv.cpumask (cpus= syntax); absent = all CPUs. */
  vmCpumask?: string;
  hvmCpumask?: string;
  pvCpumask?: string;
}

/**
 * create_domain's global affinity masks (skipped by `xl create -i`): every
 * hard affinity map is ANDed with vm.cpumask and the per-type mask, and an
 * empty result stops xl. With masks that are not full, vCPUs without
 * cpus= get a map too.
 */
export function applyGlobalAffinityMasks(d: DomainConfig, globals: XlGlobals = {}, host: HostTopology = { maxCpus: 8 }, source = 'config'): void {
  const b = d.b_info;
  const mask = (spec: string | undefined) => {
    const m = allocCpuBitmap(host.maxCpus);
    if (spec === undefined) bitmapSetAny(m);
    else parseCpuRange(spec, m, host);
    return m;
  };
  const full = (m: Bitmap) => m.bits.length === m.size;
  const vm = mask(globals.vmCpumask);
  const typeMask = mask(b.type === 'pv' ? globals.pvCpumask : globals.hvmCpumask);
  const pvMask = mask(globals.pvCpumask);
  const hvmMask = mask(globals.hvmCpumask);
  if (b.vcpu_hard_affinity.length === 0 && (!full(vm) || (b.type === 'pv' && !full(pvMask)) || (b.type !== 'pv' && !full(hvmMask)))) {
    b.vcpu_hard_affinity = Array.from({ length: b.max_vcpus }, () => { const m = allocCpuBitmap(host.maxCpus); bitmapSetAny(m); return m; });
  }
  b.vcpu_hard_affinity = b.vcpu_hard_affinity.map((t, i) => {
    const size = Math.min(t.size, vm.size, typeMask.size);
    const bits = t.bits.filter((x) => x < size && vm.bits.includes(x) && typeMask.bits.includes(x));
    if (bits.length === 0) {
      throw new ConfigError([{
        severity: 'error', source, line: 0, column: 0, key: 'cpus',
        message: `vcpu hard affinity map is empty (vCPU ${i}: cpus= names no CPU of this ${host.maxCpus}-CPU host, or xl.conf's cpumasks exclude them all)`,
      }]);
    }
    return { size, bits };
  });
}

export interface BuildOptions {
  /** The Xen release whose xl we match (IDL fields, keys, quirks). */
  xenVersion?: XenVersion;
  arch?: 'x86' | 'arm';
  /** Host facts that xl asks libxl for. */
  host?: HostTopology & { onlineCpus?: number; nrNodes?: number };
  globals?: XlGlobals;
  /** c_info.uuid when the config has none (xl generates a random one). */
  generateUuid?: () => string;
  /** ms_vm_genid="generate" (xl takes 16 random bytes). */
  generateGenid?: () => number[];
  /** XENFIRMWAREDIR, for firmware="pvgrub64". */
  firmwareDir?: string;
  /** XEN_LOG_DIR, for 4.20's 9pfs default path. */
  logDir?: string;
  /** 4.20 refuses bootloader="pygrub" when built without it. */
  havePygrub?: boolean;
}

export interface BuildResult {
  config: DomainConfig;
  warnings: Diagnostic[];
}

const LONG = (v: bigint) => Number(BigInt.asIntN(32, v)); // long stored in an int
const U32 = (v: bigint) => Number(BigInt.asUintN(32, v));
const U64 = (v: bigint) => BigInt.asUintN(64, v);
const INT_MAX = 2147483647n;

const ACTION_NAMES: Record<string, DomainConfig['on_poweroff']> = {
  destroy: 'destroy', restart: 'restart', 'rename-restart': 'restart_rename', preserve: 'preserve',
  'coredump-destroy': 'coredump_destroy', 'coredump-restart': 'coredump_restart', 'soft-reset': 'soft_reset',
};

/** A version 4 UUID from 16 bytes of /dev/urandom: webcrypto's first use loads much of node's crypto, a cost
 * every `xl create` paid at start-up in an emulated dom0. */
export function randomUuid(): string {
  const b = Buffer.alloc(16);
  try {
    const fd = openSync('/dev/urandom', 'r');
    try {
      readSync(fd, b, 0, 16, null);
    } finally {
      closeSync(fd);
    }
  } catch {
    return globalThis.crypto.randomUUID();
  }
  b[6] = (b[6]! & 0x0f) | 0x40;
  b[8] = (b[8]! & 0x3f) | 0x80;
  const h = b.toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

function isUuid(s: string): boolean {
  return /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/.test(s);
}

/** strncmp(buf, word, strlen(buf)) == 0: xl's prefix match (empty matches). */
function prefixOf(buf: string, word: string): boolean {
  return word.startsWith(buf);
}

/** split_string_into_pair with trimming, as xl (4.17 strtok, 4.20 strchr). */
function splitPair(s: string, version: XenVersion): [string, string] | undefined {
  if (version === '4.17') {
    const toks = s.split('=').filter((t) => t !== '');
    if (toks.length < 2) return undefined;
    return [toks[0].trim(), toks[1].trim()];
  }
  const eq = s.indexOf('=');
  if (eq < 0) return undefined;
  const b = s.slice(eq + 1).trim();
  if (s.slice(eq + 1) === '') return undefined;
  return [s.slice(0, eq).trim(), b];
}

/** split_string_into_string_list: strtok on any of `delims`. */
function splitList(s: string, delims: string): string[] {
  const out: string[] = [];
  let cur = '';
  for (const c of s) {
    if (delims.includes(c)) { if (cur) out.push(cur); cur = ''; } else cur += c;
  }
  if (cur) out.push(cur);
  return out;
}

export function buildDomainConfig(parsed: ParsedConfig, opts: BuildOptions = {}): BuildResult {
  const version = opts.xenVersion ?? '4.17';
  const arch = opts.arch ?? 'x86';
  const host = { maxCpus: 8, ...opts.host };
  const g: Required<Pick<XlGlobals, 'runHotplugScripts' | 'claimMode' | 'maxGrantFrames' | 'maxMaptrackFrames' | 'maxGrantVersion'>> & XlGlobals = {
    runHotplugScripts: true, claimMode: true, maxGrantFrames: -1, maxMaptrackFrames: -1, maxGrantVersion: -1,
    ...opts.globals,
  };
  const report = new Reporter(parsed.source);
  const cfg = new CfgReader(parsed, report);
  const d = initDomainConfig();
  const c = d.c_info;
  const b = d.b_info;
  const since420 = version === '4.20';

  const locOf = (name: string) => {
    const s = parsed.get(name);
    return s ? { line: s.line, column: s.value.loc.column } : undefined;
  };
  const fail = (key: string | undefined, msg: string, near?: string, exitCode = 1): never =>
    report.fail(msg, key ? locOf(key) : undefined, { key, near }, exitCode);
  const warn = (key: string | undefined, msg: string) => report.warn(msg, key ? locOf(key) : undefined, { key });
  const note = (key: string, msg: string) => report.warn(msg, locOf(key), { key, plain: true });
  const itemLoc = (list: CfgValue[], i: number) => list[i]?.loc;
  const failItem = (key: string, list: CfgValue[], i: number, msg: string, near?: string, exitCode = 1): never =>
    report.fail(msg, itemLoc(list, i) ?? locOf(key), { key, near }, exitCode);

  // u.hvm is a C union member: for PV/PVH guests xl still writes some of
  // its fields (rdm, vnc, sdl) into memory the JSON never shows, and reads
  // u.hvm.rdm.policy back as 0 ("strict"). `hvmView` models that.
  let ghostHvm: HvmInfo | undefined;
  const hvmView = (): HvmInfo => {
    if (b.type === 'hvm') return b.u.hvm!;
    if (!ghostHvm) {
      ghostHvm = initStruct(build_info_hvm) as HvmInfo;
      ghostHvm.rdm.policy = 'strict'; // zeroed memory, not the init value
    }
    return ghostHvm;
  };

  // ---- c_info ----
  if (cfg.getString('init_seclabel').ok) c.ssid_label = cfg.str('init_seclabel')!;
  if (cfg.getString('seclabel').ok) {
    if (c.ssid_label !== null) b.exec_ssid_label = cfg.str('seclabel')!;
    else c.ssid_label = cfg.str('seclabel')!;
  }
  c.run_hotplug_scripts = g.runHotplugScripts;

  const typeStr = cfg.str('type');
  if (typeStr !== undefined) {
    if (prefixOf(typeStr, 'hvm')) c.type = 'hvm';
    else if (prefixOf(typeStr, 'pv')) c.type = 'pv';
    else if (prefixOf(typeStr, 'pvh')) c.type = 'pvh';
    else fail('type', `Invalid domain type ${typeStr} (expected "pv", "pvh" or "hvm").`, typeStr);
  }
  const builder = cfg.str('builder');
  if (builder !== undefined) {
    let bt: DomainType;
    if (prefixOf(builder, 'hvm')) bt = 'hvm';
    else if (prefixOf(builder, 'generic')) bt = 'pv';
    else return fail('builder', `Invalid domain type ${builder} (builder must be "hvm" or "generic"; prefer type=).`, builder);
    if (c.type !== 'invalid' && c.type !== bt) fail('builder', 'Contradicting "builder" and "type" options specified.');
    c.type = bt;
  }
  if (c.type === 'invalid') c.type = arch === 'arm' ? 'pvh' : 'pv';

  const hap = cfg.defbool('hap'); if (hap !== undefined) c.hap = hap;
  const name = cfg.str('name');
  if (name === undefined) fail(parsed.get('name') ? 'name' : undefined, 'Domain name must be specified (add name = "...").');
  c.name = name!;
  const uuidStr = cfg.str('uuid');
  if (uuidStr !== undefined) {
    if (!isUuid(uuidStr)) fail('uuid', `Failed to parse UUID: ${uuidStr}`, uuidStr);
    c.uuid = uuidStr.toLowerCase();
  } else {
    c.uuid = (opts.generateUuid ?? randomUuid)();
  }
  const oos = cfg.defbool('oos'); if (oos !== undefined) c.oos = oos;
  if (cfg.getString('pool').ok) c.pool_name = cfg.str('pool')!;

  initBuildInfoType(b, c.type as DomainType);
  if (b.type === 'pvh') {
    const pvh = b.u.pvh!;
    const shim = cfg.defbool('pvshim'); if (shim !== undefined) pvh.pvshim = shim;
    for (const k of ['pvshim_path', 'pvshim_cmdline', 'pvshim_extra'] as const) {
      const v = cfg.str(k); if (v !== undefined) pvh[k] = v;
    }
  }
  if (g.blkdevStart !== undefined) b.blkdev_start = g.blkdevStart;

  // ---- scheduling, memory, vcpus ----
  const sched: Array<[string, 'weight' | 'cap' | 'period' | 'slice' | 'latency' | 'extratime']> = [
    ['cpu_weight', 'weight'], ['cap', 'cap'], ['period', 'period'], ['slice', 'slice'], ['latency', 'latency'], ['extratime', 'extratime'],
  ];
  for (const [key, f] of sched) { const l = cfg.long(key); if (l !== undefined) b.sched_params[f] = LONG(l); }
  let l = cfg.long('memory'); if (l !== undefined) b.target_memkb = U64(l * 1024n);
  l = cfg.long('maxmem'); if (l !== undefined) b.max_memkb = U64(l * 1024n);
  let vcpus = 0n;
  l = cfg.long('vcpus');
  if (l !== undefined) {
    vcpus = l;
    if (l < 0n || l > INT_MAX) fail('vcpus', 'Unable to allocate cpumap (vcpus must be between 0 and 2147483647)');
    const n = l === 0n ? host.maxCpus : Number(l);
    b.avail_vcpus = { size: Math.ceil(n / 8) * 8, bits: Array.from({ length: Number(l) }, (_, i) => i) };
  }
  l = cfg.long('maxvcpus'); if (l !== undefined) b.max_vcpus = LONG(l);
  const vuart = cfg.str('vuart');
  if (vuart !== undefined) {
    const v = enumFromString(vuart_type, vuart, version);
    if (v === undefined) fail('vuart', `ERROR: invalid value "${vuart}" for "vuart"`, vuart);
    b.arch_arm.vuart = v as typeof b.arch_arm.vuart;
  }
  parseVnuma(cfg, b, host, fail, version);
  if (b.max_memkb === MEMKB_DEFAULT) b.max_memkb = b.target_memkb;
  if (b.max_vcpus === 0) b.max_vcpus = LONG(vcpus);
  if (BigInt(b.max_vcpus) < vcpus) fail('maxvcpus', 'xl: maxvcpus < vcpus');

  for (const [key, hard] of [['cpus', true], ['cpus_soft', false]] as const) {
    const lst = cfg.getList(key, true);
    const str = lst.ok ? undefined : cfg.str(key);
    if (!lst.ok && str === undefined) continue;
    try {
      parseVcpuAffinity(b, lst.ok ? lst.value : undefined, str, hard, host);
    } catch (e) {
      if (e instanceof CpuRangeError) fail(key, e.message);
      throw e;
    }
  }

  for (const [key, f, dflt] of [
    ['max_grant_frames', 'max_grant_frames', g.maxGrantFrames],
    ['max_maptrack_frames', 'max_maptrack_frames', g.maxMaptrackFrames],
  ] as const) {
    const r = cfg.getLong(key, true, 0n, INT_MAX);
    if (r.ok) b[f] = U32(r.value);
    else if (r.err === 'ESRCH') b[f] = dflt >>> 0;
    else fail(key, `invalid value for ${key} (expected a number from 0 to 2147483647)`);
  }
  {
    const r = cfg.getLong('max_grant_version', true, 0n, INT_MAX);
    if (r.ok) b.max_grant_version = LONG(r.value);
    else if (r.err === 'ESRCH') b.max_grant_version = g.maxGrantVersion | 0;
    else fail('max_grant_version', 'invalid value for max_grant_version (expected a number from 0 to 2147483647)');
  }
  b.claim_mode = g.claimMode;

  for (const [key, dflt] of [['on_poweroff', 'destroy'], ['on_reboot', 'restart'], ['on_watchdog', 'destroy'], ['on_crash', 'destroy'], ['on_soft_reset', 'soft-reset']] as const) {
    const v = cfg.str(key) ?? dflt;
    const a = ACTION_NAMES[v];
    if (!a) fail(key, `Unknown ${key} action "${v}" specified (one of: ${Object.keys(ACTION_NAMES).join(', ')})`, v);
    d[key] = a;
  }

  if (c.type === 'pv') { const e = cfg.defbool('e820_host'); if (e !== undefined) b.u.pv!.e820_host = e; }

  let pciMsitranslate = false, pciPowerMgmt = false, pciPermissive = false, pciSeize = false;
  l = cfg.long('pci_msitranslate'); if (l !== undefined) pciMsitranslate = LONG(l) !== 0;
  l = cfg.long('pci_power_mgmt'); if (l !== undefined) pciPowerMgmt = LONG(l) !== 0;
  l = cfg.long('pci_permissive'); if (l !== undefined) pciPermissive = LONG(l) !== 0;
  l = cfg.long('pci_seize'); if (l !== undefined) pciSeize = LONG(l) !== 0;

  const rdmStr = cfg.str('rdm');
  if (rdmStr !== undefined) {
    try {
      const r = parseRdm(rdmStr, version);
      const hv = hvmView();
      if (r.strategy) hv.rdm.strategy = r.strategy;
      if (r.policy) hv.rdm.policy = r.policy;
    } catch (e) {
      if (!(e instanceof PciSpecError)) throw e;
      warn('rdm', `${e.message}; rdm ignored (as the C xl does)`);
    }
  }

  const pcis = cfg.getList('pci');
  if (pcis.ok) {
    d.pcidevs = [];
    pcis.value.forEach((v, i) => {
      if (v.type !== 'string') return;
      if (d.pcidevs.length !== i) return; // xl stops at the first nested list
      const pci = initStruct(device_pci) as DevicePci;
      pci.msitranslate = pciMsitranslate; pci.power_mgmt = pciPowerMgmt;
      pci.permissive = pciPermissive; pci.seize = pciSeize;
      pci.rdm_policy = hvmView().rdm.policy;
      try { parsePciSpec(pci, v.value, version); } catch (e) {
        if (!(e instanceof PciSpecError)) throw e;
        failItem('pci', pcis.value, i, `unable to parse PCI_SPEC_STRING \`${v.value}' for passthrough (${e.message})`, v.value, 6);
      }
      d.pcidevs.push(pci);
    });
    if (d.pcidevs.length && c.type === 'pv') b.u.pv!.e820_host = true;
  }

  const dtdevs = cfg.getList('dtdev');
  if (dtdevs.ok) d.dtdevs = stringsUntilNull(dtdevs.value).map((path) => ({ path }));

  const pt = cfg.str('passthrough');
  if (pt !== undefined) {
    const v = enumFromString(passthrough, pt, version);
    if (v === undefined) fail('passthrough', `ERROR: unknown passthrough option '${pt}'`, pt);
    c.passthrough = v as typeof c.passthrough;
  }

  l = cfg.long('shadow_memory'); if (l !== undefined) b.shadow_memkb = U64(l * 1024n);
  const nomig = cfg.defbool('nomigrate'); if (nomig !== undefined) b.disable_migrate = nomig;

  {
    const r = cfg.getLong('tsc_mode', true);
    if (r.ok) {
      const n = r.value;
      const s = n >= -2147483648n && n <= INT_MAX ? enumName(tsc_mode, Number(n)) : null;
      warn('tsc_mode', `specifying "tsc_mode" as an integer is deprecated. Please use the named parameter variant.${s ? ` e.g. tsc_mode="${s}"` : ''}`);
      if (n < 0n || n > 3n) fail('tsc_mode', `ERROR: invalid value ${n} for "tsc_mode"`);
      b.tsc_mode = enumName(tsc_mode, Number(n)) as typeof b.tsc_mode;
    } else {
      const s = cfg.str('tsc_mode');
      if (s !== undefined) {
        // 4.17's xl says so on stderr; 4.20's no longer does.
        if (!since420) note('tsc_mode', `got a tsc mode string: "${s}"`);
        const v = enumFromString(tsc_mode, s, version);
        if (v === undefined) fail('tsc_mode', `ERROR: invalid value "${s}" for "tsc_mode"`, s);
        b.tsc_mode = v as typeof b.tsc_mode;
      }
    }
  }
  l = cfg.long('rtc_timeoffset'); if (l !== undefined) b.rtc_timeoffset = U32(l);
  if (cfg.long('vncviewer') !== undefined) {
    warn('vncviewer', 'ignoring "vncviewer" option. Use "-V" option of "xl create" to automatically spawn vncviewer.');
  }
  const lt = cfg.defbool('localtime'); if (lt !== undefined) b.localtime = lt;
  l = cfg.long('videoram'); if (l !== undefined) b.video_memkb = U64(l * 1024n);
  l = cfg.long('max_event_channels'); if (l !== undefined) b.event_channels = U32(l);

  for (const k of ['kernel', 'ramdisk', 'device_tree'] as const) { const v = cfg.str(k); if (v !== undefined) b[k] = v; }
  b.cmdline = parseCmdline(cfg, warn);
  const dd = cfg.defbool('driver_domain'); if (dd !== undefined) c.driver_domain = dd;
  const acpi = cfg.defbool('acpi'); if (acpi !== undefined) b.acpi = acpi;
  const bl = cfg.str('bootloader'); if (bl !== undefined) b.bootloader = bl;
  if (since420) {
    if (b.bootloader !== null && opts.havePygrub === false && (b.bootloader === 'pygrub' || b.bootloader === '/usr/bin/pygrub')) {
      fail('bootloader', 'ERROR: this instance of Xen has been built without support of "pygrub".', undefined, 3);
    }
    const br = cfg.defbool('bootloader_restrict'); if (br !== undefined) b.bootloader_restrict = br;
    if (g.bootloaderRestrict !== undefined && b.bootloader_restrict === null) b.bootloader_restrict = g.bootloaderRestrict;
    const bu = cfg.str('bootloader_user'); if (bu !== undefined) b.bootloader_user = bu;
  }
  {
    const r = cfg.getStringList('bootloader_args', true);
    if (r.ok) b.bootloader_args = r.value;
    else if (r.err === 'EINVAL') {
      const s = cfg.str('bootloader_args');
      if (s !== undefined) {
        warn('bootloader_args', 'Specifying "bootloader_args" as a string is deprecated. Please use a list of arguments.');
        b.bootloader_args = splitList(s, ' \t\n');
      }
    }
  }
  {
    const r = cfg.getLong('timer_mode', true);
    if (r.ok) {
      if (b.type === 'pv') fail('timer_mode', 'ERROR: "timer_mode" option is not supported for PV guests.', undefined, 3);
      const n = r.value;
      const s = n >= -2147483648n && n <= INT_MAX ? enumName(timer_mode, Number(n)) : null;
      warn('timer_mode', `specifying "timer_mode" as an integer is deprecated. Please use the named parameter variant.${s ? ` e.g. timer_mode="${s}"` : ''}`);
      if (n < 0n || n > 3n) fail('timer_mode', `ERROR: invalid value ${n} for "timer_mode"`);
      b.timer_mode = enumName(timer_mode, Number(n)) as typeof b.timer_mode;
    } else {
      const s = cfg.str('timer_mode');
      if (s !== undefined) {
        if (b.type === 'pv') fail('timer_mode', 'ERROR: "timer_mode" option is not supported for PV guests.', undefined, 3);
        const v = enumFromString(timer_mode, s, version);
        if (v === undefined) fail('timer_mode', `ERROR: invalid value "${s}" for "timer_mode"`, s);
        b.timer_mode = v as typeof b.timer_mode;
      }
    }
  }
  const nh = cfg.defbool('nestedhvm'); if (nh !== undefined) b.nested_hvm = nh;

  if (b.type === 'hvm') {
    const hvm = b.u.hvm!;
    const kb = b.kernel === null || b.kernel === '' ? '.' : b.kernel.slice(b.kernel.lastIndexOf('/') + 1);
    if (kb === 'hvmloader') {
      warn('kernel', 'you seem to be using "kernel" directive to override HVM guest firmware. Ignore that. Use "firmware_override" instead if you really want a non-default firmware');
      b.kernel = null;
    }
    const fo = cfg.str('firmware_override'); if (fo !== undefined) hvm.firmware = fo;
    const bpo = cfg.str('bios_path_override'); if (bpo !== undefined) hvm.system_firmware = bpo;
    const bios = cfg.str('bios');
    if (bios !== undefined) {
      const v = enumFromString(bios_type, bios, version);
      if (v === undefined) fail('bios', `ERROR: invalid value "${bios}" for "bios"`, bios);
      hvm.bios = v as typeof hvm.bios;
    } else if (hvm.system_firmware !== null) {
      warn('bios_path_override', 'bios_path_override given without specific bios name');
    }
    for (const [key, f] of [['pae', 'pae'], ['acpi_s3', 'acpi_s3'], ['acpi_s4', 'acpi_s4'], ['acpi_laptop_slate', 'acpi_laptop_slate'], ['nx', 'nx'], ['hpet', 'hpet'], ['vpt_align', 'vpt_align']] as const) {
      const v = cfg.defbool(key); if (v !== undefined) hvm[f] = v;
    }
    const apic = cfg.defbool('apic'); if (apic !== undefined) b.apic = apic;
    if (since420) { const p = cfg.defbool('hvm_pirq'); if (p !== undefined) hvm.pirq = p; }
    parseViridian(cfg, hvm, fail, version);
    l = cfg.long('mmio_hole');
    if (l !== undefined) {
      hvm.mmio_hole_memkb = U64(l * 1024n);
      const size = U64(hvm.mmio_hole_memkb * 1024n);
      if (size < 0x10000000n || size > 0xf0000000n) fail('mmio_hole', `ERROR: invalid value ${l} for "mmio_hole" (must be between 256 and 3840 MiB)`);
    }
    const a2m = cfg.defbool('altp2mhvm');
    if (a2m !== undefined) { hvm.altp2m = a2m; warn('altp2mhvm', 'Specifying "altp2mhvm" is deprecated. Please use "altp2m" instead.'); }
    const sf = cfg.str('smbios_firmware'); if (sf !== undefined) hvm.smbios_firmware = sf;
    const af = cfg.str('acpi_firmware'); if (af !== undefined) hvm.acpi_firmware = af;
    if (since420) parseSmbios(cfg, hvm, fail);
    const genid = cfg.str('ms_vm_genid');
    if (genid !== undefined) {
      if (genid === 'generate') {
        hvm.ms_vm_genid = (opts.generateGenid ?? (() => [...globalThis.crypto.getRandomValues(new Uint8Array(16))]))();
      } else if (genid !== 'none') {
        fail('ms_vm_genid', 'ERROR: "ms_vm_genid" option must be "generate" or "none"', genid);
      }
    }
    l = cfg.long('rdm_mem_boundary'); if (l !== undefined) hvm.rdm_mem_boundary_memkb = U64(l * 1024n);
    const mca = cfg.getList('mca_caps', true);
    if (mca.ok) {
      mca.value.forEach((v, i) => {
        if (v.type === 'string' && v.value === 'lmce') hvm.mca_caps |= 1n;
        else failItem('mca_caps', mca.value, i, `ERROR: unrecognized MCA capability '${v.type === 'string' ? v.value : '[list]'}'.`, undefined, 3);
      });
    } else if (mca.err !== 'ESRCH') {
      fail('mca_caps', 'ERROR: unable to parse mca_caps (it must be a list, e.g. ["lmce"]).', undefined, 3);
    }
    const fw = cfg.str('firmware');
    if (fw !== undefined) {
      const bt = enumFromString(bios_type, fw, version);
      if (bt !== undefined) hvm.bios = bt as typeof hvm.bios;
      else if (prefixOf(fw, 'uefi')) hvm.bios = 'ovmf';
      else if (!prefixOf(fw, 'bios')) hvm.firmware = fw;
    }
  } else {
    const fw = cfg.str('firmware');
    if (fw !== undefined) {
      if (b.kernel !== null) fail('firmware', 'ERROR: both kernel and firmware specified');
      if (!prefixOf(fw, 'pvgrub32') && !prefixOf(fw, 'pvgrub64')) fail('firmware', 'ERROR: only pvgrub{32|64} supported as firmware options', fw);
      b.kernel = `${opts.firmwareDir ?? `/usr/lib/xen-${version}/boot`}/${fw}.bin`;
    }
    if (b.bootloader === null && b.kernel === null) fail(undefined, 'Neither kernel nor bootloader specified (set kernel = "..." or bootloader = "pygrub")');
  }

  {
    const r = cfg.getLong('altp2m', true);
    if (r.ok) {
      if (r.value < 0n || r.value > 3n) fail('altp2m', `ERROR: invalid value ${r.value} for "altp2m"`);
      b.altp2m = enumName(altp2m_mode, Number(r.value)) as typeof b.altp2m;
    } else {
      const s = cfg.str('altp2m');
      if (s !== undefined) {
        const v = enumFromString(altp2m_mode, s, version);
        if (v === undefined) fail('altp2m', `ERROR: invalid value "${s}" for "altp2m"`, s);
        b.altp2m = v as typeof b.altp2m;
      }
    }
  }
  { const r = cfg.getLong('vmtrace_buf_kb', true); if (r.ok && r.value !== 0n) b.vmtrace_buf_kb = LONG(r.value); }

  parseIoportsIrqsIomem(cfg, b, fail, failItem, warn);
  if (since420) parseLlcColors(cfg, b, fail);

  // ---- devices ----
  const disks = cfg.getList('disk');
  if (disks.ok) {
    d.disks = [];
    for (let i = 0; i < disks.value.length; i++) {
      const v = disks.value[i];
      if (v.type !== 'string') break;
      try {
        const disk = parseDiskSpec(v.value, version);
        // xl -n does not check vdevs; libxl refuses bad ones at create time
        if (disk.vdev !== null && diskDevNumberOf(disk.vdev) < 0) {
          report.warn(`disk ${i}: vdev \`${disk.vdev}' is not a disk name libxl accepts (xvdX, hdX, sdX, dNpM or a device number); creating the domain will fail`, v.loc, { key: 'disk', near: disk.vdev });
        }
        d.disks.push(disk);
      } catch (e) {
        if (!(e instanceof DiskSpecParseError)) throw e;
        const first = e.errors[0];
        failItem('disk', disks.value, i, `config parsing error in disk specification: ${first.message}${first.near !== undefined ? `: near \`${first.near}'` : ''} in \`${first.spec}'`, first.near);
      }
    }
  }

  parseP9(cfg, d, fail, failItem, version, opts.logDir ?? '/var/log/xen', report);
  parseVtpms(cfg, d, failItem);
  parseVdispls(cfg, d, failItem);
  parsePvcalls(cfg, d, failItem);
  parseVsnds(cfg, d, failItem, version);
  parseChannels(cfg, d, failItem, warn, version);

  const nics = cfg.getList('vif');
  if (nics.ok) {
    d.nics = [];
    for (let i = 0; i < nics.value.length; i++) {
      const v = nics.value[i];
      if (v.type !== 'string') break;
      const nic = initStruct(device_nic);
      nic.devid = i;
      if (g.vifScript !== undefined) nic.script = g.vifScript;
      if (g.bridge !== undefined) nic.bridge = g.bridge;
      if (g.gatewaydev !== undefined) nic.gatewaydev = g.gatewaydev;
      if (g.vifBackend !== undefined) nic.backend_domname = g.vifBackend;
      for (const tok of strtokTokens(v.value)) {
        try {
          for (const issue of applyVifToken(nic, tok, version)) {
            report.warn(`vif ${i}: ${issue.message}${issue.severity === 'error' ? '; ignored (as the C xl does)' : ''}`, v.loc, { key: 'vif', near: issue.token });
          }
        } catch (e) {
          if (e instanceof VifRateError) failItem('vif', nics.value, i, `config parsing error in vif: ${e.message}`, tok);
          if (e instanceof ParseUlongError) failItem('vif', nics.value, i, `xl: ${e.message}`, tok);
          throw e;
        }
      }
      d.nics.push(nic);
    }
  }
  if (cfg.getList('vif2', true).ok) warn('vif2', 'vif2: netchannel2 is deprecated and not supported by xl');

  d.vfbs = []; d.vkbs = [];
  const vfbs = cfg.getList('vfb');
  if (vfbs.ok) {
    for (let i = 0; i < vfbs.value.length; i++) {
      const v = vfbs.value[i];
      if (v.type !== 'string') break;
      const vfb = initStruct(device_vfb); vfb.devid = d.vfbs.length;
      const vkb = initStruct(device_vkb); vkb.devid = d.vkbs.length;
      d.vfbs.push(vfb); d.vkbs.push(vkb);
      for (const tok of strtokTokens(v.value)) {
        const eq = tok.indexOf('=');
        if (eq < 0) break; // xl stops at the first token without `='
        const k = tok.slice(0, eq), val = tok.slice(eq + 1);
        switch (k) {
          case 'vnc': vfb.vnc.enable = atoi(val) !== 0; break;
          case 'vnclisten': vfb.vnc.listen = val; break;
          case 'vncpasswd': vfb.vnc.passwd = val; break;
          case 'vncdisplay': vfb.vnc.display = atoi(val); break;
          case 'vncunused': vfb.vnc.findunused = atoi(val) !== 0; break;
          case 'keymap': vfb.keymap = val; break;
          case 'sdl': vfb.sdl.enable = atoi(val) !== 0; break;
          case 'opengl': vfb.sdl.opengl = atoi(val) !== 0; break;
          case 'display': vfb.sdl.display = val; break;
          case 'xauthority': vfb.sdl.xauthority = val; break;
          default: report.warn(`vfb ${i}: unknown option \`${k}'; ignored (as the C xl does)`, v.loc, { key: 'vfb', near: tok });
        }
      }
    }
  }

  parseUsb(cfg, d, failItem);
  parseCpuid(cfg, b, report, locOf, version);

  // ---- device model ----
  const dm = cfg.str('device_model');
  if (dm !== undefined) {
    warn('device_model', 'ignoring device_model directive.');
    warn('device_model', 'Use "device_model_override" instead if you really want a non-default device_model');
    if (dm.includes('stubdom-dm')) {
      warn('device_model', c.type === 'hvm'
        ? 'Or use "device_model_stubdomain_override" if you  want to enable stubdomains'
        : 'ignoring "device_model_stubdomain_override" directive for pv guest');
    }
  }
  const dmo = cfg.str('device_model_override'); if (dmo !== undefined) b.device_model = dmo;
  const dmv = cfg.str('device_model_version');
  if (dmv !== undefined) {
    if (dmv === 'qemu-xen-traditional') b.device_model_version = 'qemu_xen_traditional';
    else if (dmv === 'qemu-xen') b.device_model_version = 'qemu_xen';
    else fail('device_model_version', `Unknown device_model_version "${dmv}" specified (expected "qemu-xen" or "qemu-xen-traditional")`, dmv);
  } else if (b.device_model !== null) {
    warn('device_model_override', 'device model override given without specific DM version');
  }
  const dms = cfg.defbool('device_model_stubdomain_override'); if (dms !== undefined) b.device_model_stubdomain = dms;
  if (cfg.getString('device_model_stubdomain_seclabel').ok) b.device_model_ssid_label = cfg.str('device_model_stubdomain_seclabel')!;
  const dmu = cfg.str('device_model_user'); if (dmu !== undefined) b.device_model_user = dmu;
  for (const k of ['stubdomain_kernel', 'stubdomain_cmdline', 'stubdomain_ramdisk'] as const) { const v = cfg.str(k); if (v !== undefined) b[k] = v; }
  l = cfg.long('stubdomain_memory'); if (l !== undefined) b.stubdomain_memkb = U64(l * 1024n);
  for (const [key, f] of [['device_model_args', 'extra'], ['device_model_args_pv', 'extra_pv'], ['device_model_args_hvm', 'extra_hvm']] as const) {
    const r = cfg.getStringList(key);
    if (r.ok) b[f] = r.value;
    else if (r.err !== 'ESRCH') fail(key, `xl: Unable to parse ${key} (it must be a list of strings).`, undefined, 3);
  }

  if (c.type === 'pv' && d.vfbs.length === 0) {
    const vnc = cfg.long('vnc');
    if (vnc !== undefined && vnc !== 0n) {
      const vfb = initStruct(device_vfb); vfb.devid = d.vfbs.length;
      const vkb = initStruct(device_vkb); vkb.devid = d.vkbs.length;
      d.vfbs.push(vfb); d.vkbs.push(vkb);
      topLevelVnc(cfg, vfb.vnc);
      topLevelSdl(cfg, vfb.sdl);
      const km = cfg.str('keymap'); if (km !== undefined) vfb.keymap = km;
    }
  } else {
    topLevelVnc(cfg, hvmView().vnc);
    topLevelSdl(cfg, hvmView().sdl);
  }
  const dmr = cfg.defbool('dm_restrict'); if (dmr !== undefined) b.dm_restrict = dmr;

  if (c.type === 'hvm') parseHvmDevices(cfg, b.u.hvm!, fail, version);

  const gic = cfg.str('gic_version', true);
  if (gic !== undefined) {
    const v = enumFromString(gic_version, gic, version);
    if (v === undefined) fail('gic_version', `Unknown gic_version "${gic}" specified`, gic, 3);
    b.arch_arm.gic_version = v as typeof b.arch_arm.gic_version;
  }
  const tee = cfg.str('tee', true);
  if (tee !== undefined) {
    const v = enumFromString(tee_type, tee, version);
    if (v === undefined) fail('tee', `Unknown tee "${tee}" specified`, tee, 3);
    b.tee = v as typeof b.tee;
  }
  if (since420) {
    const sve = cfg.str('sve', true);
    if (sve !== undefined) {
      const v = enumFromString(sve_type, sve, version);
      if (v === undefined) fail('sve', `Unknown sve "${sve}" specified`, sve);
      b.arch_arm.sve_vl = v as typeof b.arch_arm.sve_vl;
    }
    l = cfg.long('nr_spis'); if (l !== undefined) b.arch_arm.nr_spis = U32(l);
  }
  parseVkbs(cfg, d, failItem);
  const xse = cfg.defbool('xend_suspend_evtchn_compat'); if (xse !== undefined) c.xend_suspend_evtchn_compat = xse;
  const msr = cfg.defbool('msr_relaxed');
  if (msr !== undefined) {
    b.arch_x86.msr_relaxed = msr;
    warn('msr_relaxed', 'msr_relaxed will be removed in future versions.');
    note('msr_relaxed', 'If it fixes an issue you are having please report to xen-devel@lists.xenproject.org.');
  }
  const vpmu = cfg.defbool('vpmu'); if (vpmu !== undefined) b.vpmu = vpmu;
  if (since420) parseVirtios(cfg, d, failItem);

  checkUnknownKeys(parsed, report, version, c.type ?? undefined);
  // Values xl would truncate silently (e.g. a uint8 bus) are caught here.
  const issues = validateDomainConfig(d, version);
  if (issues.length) {
    const first = issues[0];
    const key = KEY_OF_PATH.find(([re]) => re.test(first.path))?.[1];
    fail(key, `invalid value for ${first.path}${key ? ` (from \`${key}')` : ''}: ${first.message}`);
  }
  return { config: d, warnings: report.diagnostics };
}

// ---- helpers, in xl_parse.c order -------------------------------------------

type Fail = (key: string | undefined, msg: string, near?: string, exitCode?: number) => never;
type FailItem = (key: string, list: CfgValue[], i: number, msg: string, near?: string, exitCode?: number) => never;
type Warn = (key: string | undefined, msg: string) => void;

function stringsUntilNull(list: CfgValue[]): string[] {
  const out: string[] = [];
  for (const v of list) { if (v.type !== 'string') break; out.push(v.value); }
  return out;
}

function parseCmdline(cfg: CfgReader, warn: Warn): string | null {
  const buf = cfg.str('cmdline');
  const root = cfg.str('root');
  const extra = cfg.str('extra');
  if (buf !== undefined) {
    if (root !== undefined || extra !== undefined) warn('cmdline', 'ignoring root= and extra= in favour of cmdline=');
    return buf;
  }
  if (root !== undefined && extra !== undefined) return `root=${root} ${extra}`;
  if (root !== undefined) return `root=${root}`;
  if (extra !== undefined) return extra;
  return null;
}

function parseVcpuAffinity(b: BuildInfo, list: CfgValue[] | undefined, str: string | undefined, hard: boolean, host: HostTopology): void {
  let n = list ? list.length : 0;
  if (str !== undefined || n > b.max_vcpus) n = b.max_vcpus;
  const maps: Bitmap[] = [];
  if (list) {
    for (let j = 0; j < n; j++) {
      const item = listItem(list, j);
      if (typeof item !== 'string') break;
      const m = allocCpuBitmap(host.maxCpus);
      parseCpuRange(item, m, host);
      maps.push(m);
    }
    // xl leaves entries after a nested list unset; they print as empty
    while (maps.length < n) maps.push(allocCpuBitmap(host.maxCpus));
    b.numa_placement = false;
  } else {
    const m = allocCpuBitmap(host.maxCpus);
    parseCpuRange(str!, m, host);
    for (let i = 0; i < n; i++) maps.push({ size: m.size, bits: [...m.bits] });
    if (!hard) b.numa_placement = false;
  }
  if (hard) b.vcpu_hard_affinity = maps; else b.vcpu_soft_affinity = maps;
}

function parseVnuma(cfg: CfgReader, b: BuildInfo, host: HostTopology & { onlineCpus?: number; nrNodes?: number }, fail: Fail, version: XenVersion): void {
  const r = cfg.getList('vnuma', true);
  if (!r.ok || r.value.length === 0) return;
  const nrNodes = host.nrNodes ?? (host.nodeCpus?.length ?? 1);
  const nodes = r.value;
  const n = nodes.length;
  b.vnuma_nodes = nodes.map(() => {
    const v = initStruct(vnode_info);
    v.distances = new Array(n).fill(0);
    return v;
  });
  const parsedVcpus: Bitmap[] = nodes.map(() => ({ size: Math.ceil((b.max_vcpus || host.maxCpus) / 8) * 8, bits: [] }));
  let maxVcpus = 0n, maxMemkb = 0n;
  nodes.forEach((spec, i) => {
    if (spec.type !== 'list') fail('vnuma', 'xl: cannot get vnode config option list (each vnuma node must be a [list])');
    const p = b.vnuma_nodes[i];
    for (const opt of (spec as Extract<CfgValue, { type: 'list' }>).values) {
      if (opt.type !== 'string') continue;
      const pair = splitPair(opt.value, version);
      if (!pair) fail('vnuma', `xl: failed to split "${opt.value}" into pair`, opt.value);
      const [option, value] = pair!;
      const ulong = (s: string) => {
        try { return BigInt(parseUlongStrictU(s)); } catch { return fail('vnuma', `xl: failed to convert "${s}" to number`, s); }
      };
      if (option === 'pnode') {
        const v = ulong(value);
        if (v >= BigInt(nrNodes)) fail('vnuma', `xl: invalid pnode number: ${v}`);
        p.pnode = Number(v);
        b.numa_placement = false;
      } else if (option === 'size') {
        p.memkb = U64(ulong(value) << 10n);
        maxMemkb += p.memkb;
      } else if (option === 'vcpus') {
        for (const spec2 of splitList(value, ',')) {
          const rr = parseRange(spec2);
          const [s, e] = rr ?? [0, -1];
          for (let k = s; k <= e; k++) { bitmapSet(parsedVcpus[i], k); maxVcpus++; }
        }
      } else if (option === 'vdistances') {
        splitList(value, ',').forEach((dist, j) => { if (j < n) p.distances[j] = Number(BigInt.asUintN(32, ulong(dist))); });
      }
    }
  });
  if (b.max_vcpus !== 0) {
    if (BigInt(b.max_vcpus) !== maxVcpus) fail('vnuma', 'xl: vnuma vcpus and maxvcpus= mismatch');
  } else {
    const online = host.onlineCpus ?? host.maxCpus;
    if (BigInt(online) < maxVcpus) fail('vnuma', 'xl: vnuma specifies more vcpus than pcpus, use maxvcpus= to override this check.');
    b.max_vcpus = Number(maxVcpus);
  }
  if (b.max_memkb !== MEMKB_DEFAULT && b.max_memkb !== maxMemkb) fail('vnuma', 'xl: maxmem and vnuma memory size mismatch');
  b.max_memkb = maxMemkb;
  b.vnuma_nodes.forEach((p, i) => { p.vcpus = parsedVcpus[i]; });
}

function parseUlongStrictU(s: string): bigint {
  const r = strtoul(s, 10);
  if (r.end === 0 || r.value === (1n << 64n) - 1n) throw new Error('bad');
  return r.value;
}

function parseViridian(cfg: CfgReader, hvm: HvmInfo, fail: Fail, version: XenVersion): void {
  const r = cfg.getList('viridian', true);
  if (r.ok) {
    if (r.value.length) {
      hvm.viridian_enable = { size: 64, bits: [] };
      hvm.viridian_disable = { size: 64, bits: [] };
    }
    r.value.forEach((v) => {
      if (v.type !== 'string') fail('viridian', 'viridian list items must be strings');
      let buf = (v as { value: string }).value;
      if (buf === 'all') bitmapSetAny(hvm.viridian_enable);
      else if (buf === 'defaults') hvm.viridian = true;
      else {
        let s = hvm.viridian_enable, rr = hvm.viridian_disable;
        if (buf.startsWith('!')) { s = hvm.viridian_disable; rr = hvm.viridian_enable; buf = buf.slice(1); }
        const e = enumFromString(viridian_enlightenment, buf, version);
        if (e === undefined) fail('viridian', `xl: unknown viridian enlightenment '${buf}'`, buf, 3);
        const num = viridian_enlightenment.values.find((x) => x.name === e)!.value;
        bitmapSet(s, num);
        bitmapReset(rr, num);
      }
    });
  } else if (r.err === 'EINVAL') {
    const v = cfg.defbool('viridian', true);
    if (v !== undefined) hvm.viridian = v;
  }
}

function parseSmbios(cfg: CfgReader, hvm: HvmInfo, fail: Fail): void {
  const r = cfg.getList('smbios');
  if (!r.ok) {
    if (r.err !== 'ESRCH') fail('smbios', 'xl: Unable to parse smbios options.');
    return;
  }
  let numOem = 1;
  hvm.smbios = r.value.map((v, i) => {
    if (v.type !== 'string') return fail('smbios', `xl: Unable to get element #${i} in smbios list`);
    const eq = v.value.indexOf('=');
    if (eq < 0) fail('smbios', `xl: failed to split "${v.value}" at '='`, v.value);
    const option = v.value.slice(0, eq), value = v.value.slice(eq + 1);
    if (value === '') fail('smbios', `xl: empty value not allowed for smbios "${option}="`, v.value);
    const key = enumFromString(smbios_type, option, '4.20');
    if (key === undefined) fail('smbios', `xl: unknown smbios type '${option}'`, option);
    if (key === 'oem') { if (numOem > 99) fail('smbios', 'xl: smbios limited to 99 oem strings'); numOem++; }
    return { key: key as HvmInfo['smbios'][number]['key'], value };
  });
}

function parseIoportsIrqsIomem(cfg: CfgReader, b: BuildInfo, fail: Fail, failItem: FailItem, warn: Warn): void {
  const io = cfg.getList('ioports');
  if (io.ok) {
    b.ioports = io.value.map((v, i) => {
      if (v.type !== 'string') return failItem('ioports', io.value, i, `xl: Unable to get element #${i} in ioport list`);
      const buf = v.value;
      const a = strtoul(buf, 16);
      if (a.end === 0) failItem('ioports', io.value, i, `xl: Invalid argument parsing ioport: ${buf}`, buf);
      if (a.value >= 0xffffffffn) failItem('ioports', io.value, i, `xl: ioport ${a.value.toString(16)} too big`, buf);
      const start = Number(a.value);
      let end = start;
      if (buf[a.end] === '-') {
        const bb = strtoul(buf, 16, a.end + 1);
        if (bb.end === a.end + 1 || bb.end !== buf.length) failItem('ioports', io.value, i, `xl: Invalid argument parsing ioport: ${buf}`, buf);
        if (bb.value >= 0xffffffffn) failItem('ioports', io.value, i, `xl: ioport ${bb.value.toString(16)} too big`, buf);
        end = Number(bb.value);
      } else if (a.end !== buf.length) {
        warn('ioports', `xl: Invalid argument parsing ioport: ${buf}`);
      }
      return { first: start, number: (end - start + 1) >>> 0 };
    });
  }
  const irqs = cfg.getList('irqs');
  if (irqs.ok) {
    b.irqs = irqs.value.map((v, i) => {
      if (v.type !== 'string') return failItem('irqs', irqs.value, i, `xl: Unable to get element ${i} in irq list`);
      const r = strtoul(v.value, 10);
      if (r.end === 0 || r.end !== v.value.length) failItem('irqs', irqs.value, i, `xl: Invalid argument parsing irq: ${v.value}`, v.value);
      if (r.value >= 0xffffffffn) failItem('irqs', irqs.value, i, `xl: irq ${r.value.toString(16)} too big`, v.value);
      return Number(r.value);
    });
  }
  const iomem = cfg.getList('iomem');
  if (iomem.ok) {
    b.iomem = iomem.value.map((v, i) => {
      if (v.type !== 'string') return failItem('iomem', iomem.value, i, `xl: Unable to get element ${i} in iomem list`);
      const range = initStruct(iomem_range);
      // sscanf("%lx,%lx%n@%lx%n")
      const buf = v.value;
      const bad = () => failItem('iomem', iomem.value, i, `xl: Invalid argument parsing iomem: ${buf} (expected START,NUMBER[@GFN] in hex)`, buf);
      const s1 = strtoul(buf, 16);
      if (s1.end === 0 || buf[s1.end] !== ',') bad();
      const s2 = strtoul(buf, 16, s1.end + 1);
      if (s2.end === s1.end + 1) bad();
      range.start = s1.value; range.number = s2.value;
      let used = s2.end;
      if (buf[used] === '@') {
        const s3 = strtoul(buf, 16, used + 1);
        if (s3.end !== used + 1) { range.gfn = s3.value; used = s3.end; }
      }
      if (used !== buf.length) bad();
      return range;
    });
  }
  void fail;
}

function parseLlcColors(cfg: CfgReader, b: BuildInfo, fail: Fail): void {
  const r = cfg.getList('llc_colors');
  if (!r.ok) return;
  const colors: number[] = [];
  r.value.forEach((v, i) => {
    if (v.type !== 'string') fail('llc_colors', `xl: Can't get element ${i} in LLC color list`);
    const s = (v as { value: string }).value;
    const m = /^\s*\+?(\d+)-\s*\+?(\d+)/.exec(s) ?? undefined;
    let start: number, end: number;
    if (m) {
      start = Number(m[1]); end = Number(m[2]);
      if (start > end) fail('llc_colors', `xl: Start LLC color is greater than end: ${s}`);
    } else {
      const one = /^\s*\+?(\d+)/.exec(s);
      if (!one) fail('llc_colors', `xl: Invalid LLC color range: ${s}`);
      start = end = Number(one![1]);
    }
    for (let k = start; k <= end; k++) colors.push(k);
  });
  b.llc_colors = colors;
}

function parseP9(cfg: CfgReader, d: DomainConfig, fail: Fail, failItem: FailItem, version: XenVersion, logDir: string, report: Reporter): void {
  const r = cfg.getList('p9');
  if (!r.ok) return;
  d.p9s = [];
  // xl 4.17 declares these outside its loop, so they carry over
  const carried: { sec?: string; path?: string; tag?: string; backend?: string } = {};
  for (let i = 0; i < r.value.length; i++) {
    const v = r.value[i];
    if (v.type !== 'string') break;
    const p9 = initStruct(device_p9); // xl re-inits it, so devid stays -1
    if (version === '4.17') {
      const before = { ...carried };
      for (const tok of strtokTokens(v.value)) {
        const eq = tok.indexOf('=');
        if (eq < 0) break;
        const k = tok.slice(0, eq), val = tok.slice(eq + 1);
        if (k === 'security_model') carried.sec = val;
        else if (k === 'path') carried.path = val;
        else if (k === 'tag') carried.tag = val;
        else if (k === 'backend') carried.backend = val;
        else failItem('p9', r.value, i, `Unknown string \`${k}' in 9pfs spec`, tok);
      }
      const { sec, path, tag, backend } = carried;
      for (const [k, was] of [['tag', before.tag], ['path', before.path], ['security_model', before.sec], ['backend', before.backend]] as const) {
        const now = k === 'security_model' ? sec : carried[k];
        if (i > 0 && now !== undefined && now === was && !new RegExp(`(^|,) *${k}=`).test(v.value)) {
          report.warn(`p9 entry ${i} has no ${k}=; the C xl 4.17 reuses the previous entry's value (\`${now}')`, v.loc, { key: 'p9' });
        }
      }
      if (path === undefined || sec === undefined || tag === undefined) failItem('p9', r.value, i, '9pfs spec missing required field! (needs tag=, path= and security_model=)');
      p9.tag = tag!; p9.security_model = sec!; p9.path = path!;
      if (backend !== undefined) p9.backend_domname = backend;
    } else {
      for (const pairText of splitList(v.value, ',')) {
        const pair = splitPair(pairText, version);
        if (!pair) failItem('p9', r.value, i, `failed to parse 9pfs configuration: ${pairText}`, pairText);
        const [k, val] = pair!;
        const ul = (s: string) => { try { return parseUlongStrict(s); } catch { return fail('p9', `xl: failed to convert "${s}" to number`, s); } };
        if (k === 'security_model') p9.security_model = val;
        else if (k === 'path') p9.path = val;
        else if (k === 'tag') p9.tag = val;
        else if (k === 'backend') p9.backend_domname = val;
        else if (k === 'type') {
          const t = enumFromString(p9_type, val, version);
          if (t === undefined) failItem('p9', r.value, i, `failed to parse 9pfs type: ${val}`, val);
          p9.type = t as typeof p9.type;
        } else if (k === 'max-files') p9.max_files = ul(val);
        else if (k === 'max-open-files') p9.max_open_files = ul(val);
        else if (k === 'max-space') p9.max_space = ul(val);
        else if (k === 'auto-delete') p9.auto_delete = strtoul(val, 0).value !== 0n;
        else failItem('p9', r.value, i, `Unknown 9pfs parameter '${k}'`, k);
      }
      if (p9.type === 'xen_9pfsd' && p9.path === null) p9.path = `${logDir}/guests/${cfg.cfg.get('name')?.value.type === 'string' ? (cfg.cfg.get('name')!.value as { value: string }).value : ''}`;
    }
    d.p9s.push(p9);
  }
}

function parseVtpms(cfg: CfgReader, d: DomainConfig, failItem: FailItem): void {
  const r = cfg.getList('vtpm');
  if (!r.ok) return;
  d.vtpms = [];
  for (let i = 0; i < r.value.length; i++) {
    const v = r.value[i];
    if (v.type !== 'string') break;
    const vt = initStruct(device_vtpm);
    vt.devid = i;
    let gotBackend = false;
    for (const tok of strtokTokens(v.value)) {
      const eq = tok.indexOf('=');
      if (eq < 0) break;
      const k = tok.slice(0, eq), val = tok.slice(eq + 1);
      if (k === 'backend') { vt.backend_domname = val; gotBackend = true; }
      else if (k === 'uuid') {
        if (!isUuid(val)) failItem('vtpm', r.value, i, `Failed to parse vtpm UUID: ${val}`, val);
        vt.uuid = val.toLowerCase();
      } else failItem('vtpm', r.value, i, `Unknown string \`${k}' in vtpm spec`, tok);
    }
    if (!gotBackend) failItem('vtpm', r.value, i, 'vtpm spec missing required backend field!');
    d.vtpms.push(vt);
  }
}

function parseVdispls(cfg: CfgReader, d: DomainConfig, failItem: FailItem): void {
  const r = cfg.getList('vdispl');
  if (!r.ok) return;
  d.vdispls = [];
  for (let i = 0; i < r.value.length; i++) {
    const v = r.value[i];
    if (v.type !== 'string') break;
    const vd = initStruct(device_vdispl);
    vd.devid = i;
    for (const tok of strtokTokens(v.value)) {
      if (tok.startsWith('backend=')) vd.backend_domname = tok.slice(8);
      else if (tok.startsWith('be-alloc=')) vd.be_alloc = strtoul(tok.slice(9), 0).value !== 0n;
      else if (tok.startsWith('connectors=')) {
        vd.connectors = splitList(tok.slice(11), ';').map((conn) => {
          const colon = conn.indexOf(':');
          const res = colon < 0 ? '' : conn.slice(colon + 1);
          const m = /^\s*\+?(\d+)x\s*\+?(\d+)/.exec(res);
          if (colon < 0 || !m) failItem('vdispl', r.value, i, "Can't parse connector resolution (expected ID:WIDTHxHEIGHT)", conn);
          return { unique_id: conn.slice(0, colon), width: Number(m![1]) >>> 0, height: Number(m![2]) >>> 0 };
        });
      } else failItem('vdispl', r.value, i, `Unknown string "${tok}" in vdispl spec`, tok);
    }
    if (vd.connectors.length === 0) failItem('vdispl', r.value, i, 'At least one connector should be specified.');
    d.vdispls.push(vd);
  }
}

function parsePvcalls(cfg: CfgReader, d: DomainConfig, failItem: FailItem): void {
  const r = cfg.getList('pvcalls');
  if (!r.ok) return;
  d.pvcallsifs = [];
  for (let i = 0; i < r.value.length; i++) {
    const v = r.value[i];
    if (v.type !== 'string') break;
    const p = initStruct(device_pvcallsif);
    p.devid = i;
    for (const tok of strtokTokens(v.value)) {
      const eq = tok.indexOf('=');
      if (eq < 0) break;
      if (tok.slice(0, eq) === 'backend') p.backend_domname = tok.slice(eq + 1);
      else failItem('pvcalls', r.value, i, `Unknown string \`${tok.slice(0, eq)}' in pvcalls spec`, tok);
    }
    d.pvcallsifs.push(p);
  }
}

function parseVsndParams(params: VsndParams, token: string): boolean {
  const opt = (k: string) => (token.startsWith(k + '=') ? token.slice(k.length + 1) : undefined);
  let v: string | undefined;
  if ((v = opt('sample-rates')) !== undefined) params.sample_rates = splitList(v, ';').map((x) => Number(BigInt.asUintN(32, strtoul(x, 0).value)));
  else if ((v = opt('sample-formats')) !== undefined) {
    params.sample_formats = splitList(v, ';').map((x) => {
      const f = enumFromString(vsnd_pcm_format, x, '4.17');
      if (f === undefined) throw new Error(`Invalid pcm format: ${x}`);
      return f as VsndParams['sample_formats'][number];
    });
  } else if ((v = opt('channels-min')) !== undefined) params.channels_min = Number(BigInt.asUintN(32, strtoul(v, 0).value));
  else if ((v = opt('channels-max')) !== undefined) params.channels_max = Number(BigInt.asUintN(32, strtoul(v, 0).value));
  else if ((v = opt('buffer-size')) !== undefined) params.buffer_size = Number(BigInt.asUintN(32, strtoul(v, 0).value));
  else return false;
  return true;
}

function parseVsndItem(vsnd: DeviceVsnd, spec: string): void {
  let key: string | undefined;
  for (const token of strtokTokens(spec)) {
    if (key === undefined) {
      key = token.toLowerCase();
      if (key === 'card') { /* nothing to create */ }
      else if (key === 'pcm') vsnd.pcms.push(initStruct(vsnd_pcm));
      else if (key === 'stream') {
        if (vsnd.pcms.length === 0) vsnd.pcms.push(initStruct(vsnd_pcm));
        vsnd.pcms[vsnd.pcms.length - 1].streams.push(initStruct(vsnd_stream));
      } else throw new Error(`Invalid key: ${token}`);
      continue;
    }
    const opt = (k: string) => (token.startsWith(k + '=') ? token.slice(k.length + 1) : undefined);
    let v: string | undefined;
    if (key === 'card') {
      if (parseVsndParams(vsnd.params, token)) continue;
      if ((v = opt('backend')) !== undefined) vsnd.backend_domname = v;
      else if ((v = opt('short-name')) !== undefined) vsnd.short_name = v;
      else if ((v = opt('long-name')) !== undefined) vsnd.long_name = v;
      else throw new Error(`Invalid parameter: ${token}`);
    } else if (key === 'pcm') {
      const pcm = vsnd.pcms[vsnd.pcms.length - 1];
      if (parseVsndParams(pcm.params, token)) continue;
      if ((v = opt('name')) !== undefined) pcm.name = v;
      else throw new Error(`Invalid parameter: ${token}`);
    } else {
      const pcm = vsnd.pcms[vsnd.pcms.length - 1];
      const stream = pcm.streams[pcm.streams.length - 1];
      if (parseVsndParams(stream.params, token)) continue;
      if ((v = opt('unique-id')) !== undefined) stream.unique_id = v;
      else if ((v = opt('type')) !== undefined) {
        const t = enumFromString(vsnd_stream_type, v, '4.17');
        if (t === undefined) throw new Error(`Invalid stream type: ${v}`);
        stream.type = t as typeof stream.type;
      } else throw new Error(`Invalid parameter: ${token}`);
    }
  }
}

function parseVsnds(cfg: CfgReader, d: DomainConfig, failItem: FailItem, version: XenVersion): void {
  const r = cfg.getList('vsnd');
  if (!r.ok) return;
  d.vsnds = [];
  r.value.forEach((card, i) => {
    if (card.type !== 'list') failItem('vsnd', r.value, i, 'Failed to get vsnd card list: each card must be a [list] of "card,...", "pcm,...", "stream,..." strings');
    const vsnd = initStruct(device_vsnd);
    vsnd.devid = i;
    d.vsnds.push(vsnd);
    for (const item of (card as Extract<CfgValue, { type: 'list' }>).values) {
      if (item.type !== 'string') break;
      try { parseVsndItem(vsnd, item.value); } catch (e) {
        failItem('vsnd', r.value, i, (e as Error).message, item.value);
      }
    }
  });
  void version;
}

function parseChannels(cfg: CfgReader, d: DomainConfig, failItem: FailItem, warn: Warn, version: XenVersion): void {
  const r = cfg.getList('channel');
  if (!r.ok) return;
  d.channels = [];
  for (let i = 0; i < r.value.length; i++) {
    const v = r.value[i];
    if (v.type !== 'string') break;
    const chn = initStruct(device_channel);
    // 4.20's stable branch ("tools/xl: fix channel configuration setting", in 4.20.1+) leaves devid unset.
    if (version === '4.17') chn.devid = i;
    let path: string | undefined;
    for (const pairText of splitList(v.value, ',')) {
      const pair = splitPair(pairText, version);
      if (!pair) failItem('channel', r.value, i, `failed to parse channel configuration: ${pairText}`, pairText);
      const [key, value] = pair!;
      if (key === 'backend') chn.backend_domname = value;
      else if (key === 'name') chn.name = value;
      else if (key === 'path') path = value;
      else if (key === 'connection') {
        if (value === 'pty') initKeyedUnion(chn as unknown as Record<string, unknown>, device_channel, 'u', 'pty');
        else if (value === 'socket') initKeyedUnion(chn as unknown as Record<string, unknown>, device_channel, 'u', 'socket');
        else failItem('channel', r.value, i, `unknown channel connection '${value}' (expected pty or socket)`, value);
      } else warn('channel', `unknown channel parameter '${key}', ignoring`);
    }
    if (chn.connection === 'unknown') failItem('channel', r.value, i, "channel has unknown 'connection' (add connection=pty or connection=socket)");
    if (chn.connection === 'socket') {
      if (path === undefined) failItem('channel', r.value, i, "channel connection 'socket' requires path=..");
      chn.u.socket!.path = path!;
    }
    d.channels.push(chn);
  }
}

function parseUsb(cfg: CfgReader, d: DomainConfig, failItem: FailItem): void {
  const ctrls = cfg.getList('usbctrl');
  if (ctrls.ok) {
    d.usbctrls = [];
    for (let i = 0; i < ctrls.value.length; i++) {
      const v = ctrls.value[i];
      if (v.type !== 'string') break;
      const u = initStruct(device_usbctrl);
      u.devid = i;
      for (const tok of strtokTokens(v.value)) {
        if (tok.startsWith('type=')) {
          const t = enumFromString(usbctrl_type, tok.slice(5), '4.17');
          if (t === undefined) failItem('usbctrl', ctrls.value, i, `Invalid usb controller type '${tok.slice(5)}'`, tok);
          u.type = t as typeof u.type;
        } else if (tok.startsWith('version=')) u.version = atoi(tok.slice(8));
        else if (tok.startsWith('ports=')) u.ports = atoi(tok.slice(6));
        else failItem('usbctrl', ctrls.value, i, `Unknown string \`${tok}' in usbctrl spec`, tok);
      }
      d.usbctrls.push(u);
    }
  }
  const devs = cfg.getList('usbdev');
  if (devs.ok) {
    d.usbdevs = [];
    for (let i = 0; i < devs.value.length; i++) {
      const v = devs.value[i];
      if (v.type !== 'string') break;
      const u = initStruct(device_usbdev);
      for (const tok of strtokTokens(v.value)) {
        if (tok.startsWith('type=')) {
          const t = enumFromString(usbdev_type, tok.slice(5), '4.17');
          if (t === undefined) failItem('usbdev', devs.value, i, `Invalid usb device type: ${tok.slice(5)}`, tok);
          u.type = t as typeof u.type; // the union itself is left as it is, as in xl
          u.u.hostdev ??= { hostbus: 0, hostaddr: 0 };
        } else if (tok.startsWith('hostbus=') || tok.startsWith('hostaddr=')) {
          // xl writes the union member whatever the type; it only shows for hostdev
          const k = tok.startsWith('hostbus=') ? 'hostbus' : 'hostaddr';
          const val = Number(BigInt.asUintN(8, strtoul(tok.slice(k.length + 1), 0).value));
          const hd = (u.u.hostdev ??= { hostbus: 0, hostaddr: 0 });
          hd[k] = val;
        } else if (tok.startsWith('controller=')) u.ctrl = atoi(tok.slice(11));
        else if (tok.startsWith('port=')) u.port = atoi(tok.slice(5));
        else failItem('usbdev', devs.value, i, `Unknown string \`${tok}' in usbdev spec`, tok);
      }
      d.usbdevs.push(u);
    }
  }
}

function parseCpuid(cfg: CfgReader, b: BuildInfo, report: Reporter, locOf: (k: string) => { line: number; column: number } | undefined, version: XenVersion): void {
  const r = cfg.getList('cpuid', true);
  const onError = (msg: string) => report.warn(msg, locOf('cpuid'), { key: 'cpuid' });
  if (r.ok) {
    b.cpuid = parseCpuidList(b.cpuid, stringsUntilNull(r.value), version, onError);
  } else if (r.err === 'EINVAL') {
    const s = cfg.str('cpuid');
    if (s !== undefined) b.cpuid = parseCpuidString(b.cpuid, s, version, onError);
  }
}

function topLevelVnc(cfg: CfgReader, vnc: VncInfo): void {
  const e = cfg.defbool('vnc'); if (e !== undefined) vnc.enable = e;
  const lis = cfg.str('vnclisten'); if (lis !== undefined) vnc.listen = lis;
  const pw = cfg.str('vncpasswd'); if (pw !== undefined) vnc.passwd = pw;
  const disp = cfg.long('vncdisplay'); if (disp !== undefined) vnc.display = LONG(disp);
  const fu = cfg.defbool('vncunused'); if (fu !== undefined) vnc.findunused = fu;
}

function topLevelSdl(cfg: CfgReader, sdl: SdlInfo): void {
  const e = cfg.defbool('sdl'); if (e !== undefined) sdl.enable = e;
  const o = cfg.defbool('opengl'); if (o !== undefined) sdl.opengl = o;
  const disp = cfg.str('display'); if (disp !== undefined) sdl.display = disp;
  const xa = cfg.str('xauthority'); if (xa !== undefined) sdl.xauthority = xa;
}

function parseHvmDevices(cfg: CfgReader, hvm: HvmInfo, fail: Fail, version: XenVersion): void {
  const vga = cfg.str('vga');
  if (vga !== undefined) {
    const kinds: Record<string, HvmInfo['vga']['kind']> = { stdvga: 'std', cirrus: 'cirrus', none: 'none', qxl: 'qxl' };
    if (!(vga in kinds)) fail('vga', `Unknown vga "${vga}" specified (expected stdvga, cirrus, none or qxl)`, vga);
    hvm.vga.kind = kinds[vga];
  } else {
    const std = cfg.long('stdvga');
    if (std !== undefined) hvm.vga.kind = std !== 0n ? 'std' : 'cirrus';
  }
  const hd = cfg.str('hdtype');
  if (hd !== undefined) {
    const v = enumFromString(hdtype, hd, version);
    if (v === undefined) fail('hdtype', `ERROR: invalid value "${hd}" for "hdtype"`, hd);
    hvm.hdtype = v as typeof hvm.hdtype;
  }
  const km = cfg.str('keymap'); if (km !== undefined) hvm.keymap = km;
  const sp = hvm.spice;
  let t: boolean | undefined, n: bigint | undefined, s: string | undefined;
  if ((t = cfg.defbool('spice')) !== undefined) sp.enable = t;
  if ((n = cfg.long('spiceport')) !== undefined) sp.port = LONG(n);
  if ((n = cfg.long('spicetls_port')) !== undefined) sp.tls_port = LONG(n);
  if ((s = cfg.str('spicehost')) !== undefined) sp.host = s;
  if ((t = cfg.defbool('spicedisable_ticketing')) !== undefined) sp.disable_ticketing = t;
  if ((s = cfg.str('spicepasswd')) !== undefined) sp.passwd = s;
  if ((t = cfg.defbool('spiceagent_mouse')) !== undefined) sp.agent_mouse = t;
  if ((t = cfg.defbool('spicevdagent')) !== undefined) sp.vdagent = t;
  if ((t = cfg.defbool('spice_clipboard_sharing')) !== undefined) sp.clipboard_sharing = t;
  if ((n = cfg.long('spiceusbredirection')) !== undefined) sp.usbredirection = LONG(n);
  if ((s = cfg.str('spice_image_compression')) !== undefined) sp.image_compression = s;
  if ((s = cfg.str('spice_streaming_video')) !== undefined) sp.streaming_video = s;
  if ((t = cfg.defbool('nographic')) !== undefined) hvm.nographic = t;
  const gp = cfg.getLong('gfx_passthru', true);
  if (gp.ok) hvm.gfx_passthru = gp.value !== 0n;
  else if ((s = cfg.str('gfx_passthru')) !== undefined) {
    const k = enumFromString(gfx_passthru_kind, s, version);
    if (k === undefined) fail('gfx_passthru', `ERROR: invalid value "${s}" for "gfx_passthru"`, s);
    hvm.gfx_passthru_kind = k as typeof hvm.gfx_passthru_kind;
    hvm.gfx_passthru = true;
  }
  for (const [key, listField, strField] of [['serial', 'serial_list', 'serial'], ['usbdevice', 'usbdevice_list', 'usbdevice']] as const) {
    const r = cfg.getStringList(key, true);
    if (r.ok) hvm[listField] = r.value;
    else if (r.err === 'EINVAL') {
      const v = cfg.str(key);
      if (v === undefined) fail(key, `xl: Unable to parse ${key}.`, undefined, 3);
      hvm[strField] = v!;
    }
  }
  if ((s = cfg.str('boot')) !== undefined) hvm.boot = s;
  if ((t = cfg.defbool('usb')) !== undefined) hvm.usb = t;
  if ((n = cfg.long('usbversion')) !== undefined) hvm.usbversion = LONG(n);
  if ((t = cfg.defbool('vkb_device')) !== undefined) hvm.vkb_device = t;
  if ((s = cfg.str('soundhw')) !== undefined) hvm.soundhw = s;
  if ((t = cfg.defbool('xen_platform_pci')) !== undefined) hvm.xen_platform_pci = t;
  if (hvm.vnc.listen !== null && hvm.vnc.display && hvm.vnc.listen.includes(':')) {
    fail('vnclisten', 'ERROR: Display specified both in vnclisten and vncdisplay!');
  }
  const vd = cfg.str('vendor_device');
  if (vd !== undefined) {
    const v = enumFromString(vendor_device, vd, version);
    if (v === undefined) fail('vendor_device', `xl: unknown vendor_device '${vd}'`, vd, 3);
    hvm.vendor_device = v as typeof hvm.vendor_device;
  }
}

function parseVkbs(cfg: CfgReader, d: DomainConfig, failItem: FailItem): void {
  const r = cfg.getList('vkb');
  if (!r.ok) return;
  for (let i = 0; i < r.value.length; i++) {
    const v = r.value[i];
    if (v.type !== 'string') break;
    const vkb = initStruct(device_vkb);
    vkb.devid = d.vkbs.length;
    d.vkbs.push(vkb);
    for (const tok of strtokTokens(v.value)) {
      const opt = (k: string) => (tok.startsWith(k + '=') ? tok.slice(k.length + 1) : undefined);
      const u = (x: string) => Number(BigInt.asUintN(32, strtoul(x, 0).value));
      let val: string | undefined;
      if ((val = opt('backend')) !== undefined) vkb.backend_domname = val;
      else if ((val = opt('backend-type')) !== undefined) {
        const bt = enumFromString(vkb_backend, val, '4.17');
        if (bt === undefined) failItem('vkb', r.value, i, `Unknown backend_type "${val}" in vkb spec`, val);
        vkb.backend_type = bt as typeof vkb.backend_type;
      } else if ((val = opt('unique-id')) !== undefined) vkb.unique_id = val;
      else if ((val = opt('feature-disable-keyboard')) !== undefined) vkb.feature_disable_keyboard = u(val) !== 0;
      else if ((val = opt('feature-disable-pointer')) !== undefined) vkb.feature_disable_pointer = u(val) !== 0;
      else if ((val = opt('feature-abs-pointer')) !== undefined) vkb.feature_abs_pointer = u(val) !== 0;
      else if ((val = opt('feature-raw-pointer')) !== undefined) vkb.feature_raw_pointer = u(val) !== 0;
      else if ((val = opt('feature-multi-touch')) !== undefined) vkb.feature_multi_touch = u(val) !== 0;
      else if ((val = opt('multi-touch-width')) !== undefined) vkb.multi_touch_width = u(val);
      else if ((val = opt('multi-touch-height')) !== undefined) vkb.multi_touch_height = u(val);
      else if ((val = opt('multi-touch-num-contacts')) !== undefined) vkb.multi_touch_num_contacts = u(val);
      else if ((val = opt('width')) !== undefined) vkb.width = u(val);
      else if ((val = opt('height')) !== undefined) vkb.height = u(val);
      else failItem('vkb', r.value, i, `Unknown string "${tok}" in vkb spec`, tok);
    }
    if (vkb.backend_type === 'unknown') failItem('vkb', r.value, i, 'backend-type should be set in vkb spec');
    if (vkb.multi_touch_height || vkb.multi_touch_width || vkb.multi_touch_num_contacts) vkb.feature_multi_touch = true;
    if (vkb.feature_multi_touch && !(vkb.multi_touch_height || vkb.multi_touch_width || vkb.multi_touch_num_contacts)) {
      failItem('vkb', r.value, i, 'multi-touch-width, multi-touch-height, multi-touch-num-contacts should be set for multi touch in vkb spec');
    }
  }
}

function parseVirtios(cfg: CfgReader, d: DomainConfig, failItem: FailItem): void {
  const r = cfg.getList('virtio');
  if (!r.ok) return;
  for (let i = 0; i < r.value.length; i++) {
    const v = r.value[i];
    if (v.type !== 'string') break;
    const vio = initStruct(device_virtio);
    vio.devid = i;
    d.virtios.push(vio);
    const toks = v.value.split(',').filter((x) => x !== '');
    for (let k = 0; k < toks.length; k++) {
      let tok = toks[k].replace(/^ +/, '');
      // type=virtio,device... holds a comma of its own
      if (tok.startsWith('type=virtio') && k + 1 < toks.length) tok = `${tok},${toks[++k]}`;
      let val: string | undefined;
      if (tok.startsWith('backend=')) vio.backend_domname = tok.slice(8);
      else if (tok.startsWith('type=')) vio.type = tok.slice(5);
      else if ((val = tok.startsWith('transport=') ? tok.slice(10) : undefined) !== undefined) {
        const t = enumFromString(virtio_transport, val, '4.20');
        if (t === undefined) failItem('virtio', r.value, i, `Unknown virtio transport "${val}"`, val);
        vio.transport = t as typeof vio.transport;
      } else if (tok.startsWith('grant_usage=')) vio.grant_usage = strtoul(tok.slice(12), 0).value !== 0n;
      else failItem('virtio', r.value, i, `Unknown string "${tok}" in virtio spec`, tok);
    }
  }
}

export { NIL_UUID, initValue, versionIncludes, ConfigError, type Setting };
