// acpi-pvh — the ACPI tables a PVH guest gets from libxl (libxl__dom_load_acpi
// with libacpi's acpi_build_tables), as pure data: three modules the builder
// copies into the guest (RSDP, the acpi_info page at ACPI_INFO_PHYSICAL_ADDRESS,
// and the table pages right after it) plus the RSDP address for start_info.
//
// This module owns the table layouts (as packed struct data for
// privcmd/layout's encode), libxl's bump allocator and table order, and the
// PVH DSDT, which the C toolstack compiles at build time (mk_dsdt, then iasl)
// and we generate here with a tiny AML encoder. The AML is written the way
// iasl 2020-2025 emits it (shortest name paths, smallest integer and
// PkgLength encodings) so that a guest sees the same bytes as under the C xl:
// tests pin it to the dsdt_pvh found in Debian's libxenlight 4.17 and 4.20.
//
// libxl passes no ACPI_HAS_* flag for PVH, so the set is fixed: FACS, DSDT,
// a revision 1 FADT for the RSDT and a revision 5 FADT for the XSDT, a MADT
// with only local APICs (none when the guest has one vCPU and no APIC), XSDT
// and RSDT. No HPET, WAET, SSDTs, TPM, SRAT/SLIT (vNUMA is not supported
// here), no IO-APIC entry, no PM timer, no VGA/8042/CMOS RTC.
import { decode, defineStruct, encode, type Decoded, type FieldInfo, type StructLayout } from '../privcmd/layout.js';

/** Where libxl puts the acpi_info page; the tables follow it (libxl_arch.h). */
export const ACPI_INFO_PHYSICAL_ADDRESS = 0xfc000000n;
/** The local APIC base the MADT announces (libxl_arch.h). */
export const LAPIC_BASE_ADDRESS = 0xfee00000n;
/** The RSDP address in the read-only BIOS area, for Linux kernels that only scan there (last 64 bytes below 1 MiB). */
export const RSDP_BIOS_ADDRESS = 0x100000n - 64n;
/** libxl reserves this many pages for the tables (its allocator fails beyond them). */
export const NUM_ACPI_PAGES = 16;
/** hvm_info_table's limit; the PVH DSDT has this many processor objects. */
export const HVM_MAX_VCPUS = 128;
const PAGE = 4096;
const RSDP_LEN = 64;
const INFO_ADDR = Number(ACPI_INFO_PHYSICAL_ADDRESS);

/**
 * How the C library's dsdt_pvh was made, which varies by Xen release and by
 * the iasl that built the distribution's package.
 */
export interface PvhDsdtFlavour {
  /**
   * mk_dsdt also emitted CPU hotplug AML for PVH (PRST port region, PRSC,
   * \_GPE._E02) up to Xen 4.20.1 / 4.19.3 and in every 4.17.x; 4.20.2 and
   * 4.19.4 on drop it (no device model backs the 0xaf00 port).
   */
  cpuHotplug: boolean;
  /** The DSDT header's creator revision: the version of the iasl that compiled it. */
  iaslVersion: number;
}

/** The flavours of the Debian packages the lab runs (read from their libxenlight.so). */
export const PVH_DSDT_FLAVOURS = {
  /** Debian 12, xen 4.17.x, acpica-tools 20200925. */
  '4.17': { cpuHotplug: true, iaslVersion: 0x20200925 },
  /** Debian 13, xen 4.20.4, acpica-tools 20250404. */
  '4.20': { cpuHotplug: false, iaslVersion: 0x20250404 },
} as const satisfies Record<string, PvhDsdtFlavour>;

export interface PvhAcpiInput {
  /** hvm_info nr_vcpus: the domain's max_vcpu_id + 1 (all marked online in vcpu_online, as libxl does). */
  nrVcpus: number;
  /** b_info.apic (libxl default true). */
  apic: boolean;
  /** true when the RSDP must go to the BIOS area (0x100000 - 64) because the kernel is Linux without XENFEAT_linux_rsdp_unrestricted; false puts it after the tables as libxl does. */
  rsdpInBiosArea: boolean;
  /**
   * b_info.avail_vcpus as a list of vCPU ids. Xen 4.17.5+ and 4.20 copy it
   * into vcpu_online (so MADT entries of vCPUs not yet up are disabled);
   * 4.17.0-4.17.4 marked all nr_vcpus online, which is also the default here.
   */
  onlineVcpus?: readonly number[];
  /** Which dsdt_pvh to reproduce; default PVH_DSDT_FLAVOURS['4.17']. */
  dsdt?: PvhDsdtFlavour;
}
export interface AcpiModule { name: 'rsdp' | 'info' | 'tables'; paddr: bigint; data: Buffer }
export interface PvhAcpi {
  /** rsdp, info, tables in libxl's acpi_modules order: [0]=rsdp(64 bytes), [1]=info(4096 bytes), [2]=tables(whole pages) */
  modules: AcpiModule[];
  rsdpPaddr: bigint;
}

// ---------------------------------------------------------------------------
// Table layouts (acpi2_0.h is #pragma pack(1), so offsets are packed).

type PackedScalar = 'u8' | 'u16' | 'u32' | 'u64';
type PackedDecl =
  | readonly [name: string, type: PackedScalar | StructLayout]
  | readonly [name: string, type: 'u8' | 'char', count: number];
const PACKED_SIZE: Record<PackedScalar, number> = { u8: 1, u16: 2, u32: 4, u64: 8 };

/** Like defineStruct, without alignment padding: a StructLayout encode/decode accept. */
function packed(name: string, decls: readonly PackedDecl[]): StructLayout {
  let offset = 0;
  const fields: Record<string, FieldInfo> = {};
  for (const d of decls) {
    const [fname, type] = d;
    let info: FieldInfo;
    if (typeof type !== 'string') info = { kind: 'struct', name: fname, offset, size: type.size, struct: type };
    else if (d.length === 3) {
      info = type === 'char'
        ? { kind: 'chars', name: fname, offset, size: d[2], count: d[2] }
        : { kind: 'array', name: fname, offset, size: d[2], type: 'u8', count: d[2] };
    } else info = { kind: 'scalar', name: fname, offset, size: PACKED_SIZE[type as PackedScalar], type: type as PackedScalar };
    fields[fname] = info;
    offset += info.size;
  }
  return { name, size: offset, align: 1, fields, order: decls.map((d) => d[0]) };
}

// Signatures and creator ids are ASCII32/64 values in C: chars give the same bytes.
export const ACPI_HEADER = packed('acpi_header', [
  ['signature', 'char', 4], ['length', 'u32'], ['revision', 'u8'], ['checksum', 'u8'], ['oem_id', 'char', 6],
  ['oem_table_id', 'char', 8], ['oem_revision', 'u32'], ['creator_id', 'char', 4], ['creator_revision', 'u32'],
]);
const GAS = packed('acpi_20_generic_address', [
  ['address_space_id', 'u8'], ['register_bit_width', 'u8'], ['register_bit_offset', 'u8'], ['reserved', 'u8'],
  ['address', 'u64'],
]);
export const RSDP = packed('acpi_20_rsdp', [
  ['signature', 'char', 8], ['checksum', 'u8'], ['oem_id', 'char', 6], ['revision', 'u8'], ['rsdt_address', 'u32'],
  ['length', 'u32'], ['xsdt_address', 'u64'], ['extended_checksum', 'u8'], ['reserved', 'u8', 3],
]);
/** The ACPI 1.0 RSDP is the first 20 bytes, covered by the first checksum. */
const RSDP_V1_LEN = RSDP.fields.length.offset;
export const FACS = packed('acpi_20_facs', [
  ['signature', 'char', 4], ['length', 'u32'], ['hardware_signature', 'u32'], ['firmware_waking_vector', 'u32'],
  ['global_lock', 'u32'], ['flags', 'u32'], ['x_firmware_waking_vector', 'u64'], ['version', 'u8'],
  ['reserved', 'u8', 31],
]);
const FADT_V1_DECLS: readonly PackedDecl[] = [
  ['header', ACPI_HEADER], ['firmware_ctrl', 'u32'], ['dsdt', 'u32'], ['reserved0', 'u8'],
  ['preferred_pm_profile', 'u8'], ['sci_int', 'u16'], ['smi_cmd', 'u32'], ['acpi_enable', 'u8'],
  ['acpi_disable', 'u8'], ['s4bios_req', 'u8'], ['pstate_cnt', 'u8'], ['pm1a_evt_blk', 'u32'],
  ['pm1b_evt_blk', 'u32'], ['pm1a_cnt_blk', 'u32'], ['pm1b_cnt_blk', 'u32'], ['pm2_cnt_blk', 'u32'],
  ['pm_tmr_blk', 'u32'], ['gpe0_blk', 'u32'], ['gpe1_blk', 'u32'], ['pm1_evt_len', 'u8'], ['pm1_cnt_len', 'u8'],
  ['pm2_cnt_len', 'u8'], ['pm_tmr_len', 'u8'], ['gpe0_blk_len', 'u8'], ['gpe1_blk_len', 'u8'], ['gpe1_base', 'u8'],
  ['cst_cnt', 'u8'], ['p_lvl2_lat', 'u16'], ['p_lvl3_lat', 'u16'], ['flush_size', 'u16'], ['flush_stride', 'u16'],
  ['duty_offset', 'u8'], ['duty_width', 'u8'], ['day_alrm', 'u8'], ['mon_alrm', 'u8'], ['century', 'u8'],
  ['iapc_boot_arch', 'u16'], ['reserved1', 'u8'], ['flags', 'u32'],
];
export const FADT_V1 = packed('acpi_10_fadt', FADT_V1_DECLS);
/** The revision 5 FADT; revision 4 would stop before sleep_control (libxl always asks for 5). */
export const FADT = packed('acpi_fadt', [
  ...FADT_V1_DECLS,
  ['reset_reg', GAS], ['reset_value', 'u8'], ['reserved2', 'u8', 3], ['x_firmware_ctrl', 'u64'], ['x_dsdt', 'u64'],
  ['x_pm1a_evt_blk', GAS], ['x_pm1b_evt_blk', GAS], ['x_pm1a_cnt_blk', GAS], ['x_pm1b_cnt_blk', GAS],
  ['x_pm2_cnt_blk', GAS], ['x_pm_tmr_blk', GAS], ['x_gpe0_blk', GAS], ['x_gpe1_blk', GAS],
  ['sleep_control', GAS], ['sleep_status', GAS],
]);
export const MADT = packed('acpi_20_madt', [['header', ACPI_HEADER], ['lapic_addr', 'u32'], ['flags', 'u32']]);
export const MADT_LAPIC = packed('acpi_20_madt_lapic', [
  ['type', 'u8'], ['length', 'u8'], ['acpi_processor_id', 'u8'], ['apic_id', 'u8'], ['flags', 'u32'],
]);
// Never written for PVH (no IO-APIC), but build.c sizes the MADT allocation with them.
const MADT_INTSRCOVR = packed('acpi_20_madt_intsrcovr', [
  ['type', 'u8'], ['length', 'u8'], ['bus', 'u8'], ['source', 'u8'], ['gsi', 'u32'], ['flags', 'u16'],
]);
const MADT_IOAPIC = packed('acpi_20_madt_ioapic', [
  ['type', 'u8'], ['length', 'u8'], ['ioapic_id', 'u8'], ['reserved', 'u8'], ['ioapic_addr', 'u32'],
  ['gsi_base', 'u32'],
]);
/** acpi_info is an ordinary (naturally aligned) struct in build.c; the DSDT's BIOS field list mirrors it. */
export const ACPI_INFO = defineStruct('acpi_info', [
  ['present', 'u8'], // bit 0 COM1, 1 COM2, 2 LPT1, 3 HPET: all 0 for PVH
  ['nr_cpus', 'u16'], ['pci_min', 'u32'], ['pci_len', 'u32'], ['madt_csum_addr', 'u32'],
  ['madt_lapic0_addr', 'u32'], ['vm_gid_addr', 'u32'], ['pci_hi_min', 'u64'], ['pci_hi_len', 'u64'],
]);

export const FADT_FLAGS = {
  wbinvd: 1 << 0, procC1: 1 << 2, pwrButton: 1 << 4, slpButton: 1 << 5, fixRtc: 1 << 6, tmrValExt: 1 << 8,
  usePlatformClock: 1 << 15, hwReduced: 1 << 20,
} as const;
export const FADT_BOOT_ARCH = { legacyDevices: 1 << 0, i8042: 1 << 1, noVga: 1 << 2, noCmosRtc: 1 << 5 } as const;
const ACPI_SYSTEM_IO = 1;
const MADT_PCAT_COMPAT = 1;
const MADT_TYPE_LAPIC = 0;
const LAPIC_ENABLED = 1;

/** Every table but the FACS and RSDP starts with this (OEM "Xen"/"HVM", creator "HVML" 0). */
const XEN_HEADER = { oem_id: 'Xen', oem_table_id: 'HVM', oem_revision: 0, creator_id: 'HVML', creator_revision: 0 };
// hvm_hw_acpi's register blocks (ioreq.h *_V1 addresses, static_tables.c widths).
const PM1A_EVT_BLK = 0xb000;
const PM1A_CNT_BLK = PM1A_EVT_BLK + 4;
const PM_TMR_BLK = PM1A_EVT_BLK + 8;
const GPE0_BLK = 0xafe0;

/** static_tables.c's Fadt: the part both FADTs share. */
const FADT_TEMPLATE_V1 = {
  header: { signature: 'FACP', ...XEN_HEADER },
  sci_int: 9,
  pm1a_evt_blk: PM1A_EVT_BLK, pm1a_cnt_blk: PM1A_CNT_BLK, pm_tmr_blk: PM_TMR_BLK, gpe0_blk: GPE0_BLK,
  pm1_evt_len: 4, pm1_cnt_len: 2, pm_tmr_len: 4, gpe0_blk_len: 4,
  p_lvl2_lat: 0x0fff, p_lvl3_lat: 0x0fff, // no C2/C3
  flags: FADT_FLAGS.procC1 | FADT_FLAGS.wbinvd | FADT_FLAGS.fixRtc | FADT_FLAGS.tmrValExt | FADT_FLAGS.usePlatformClock,
};
const ioGas = (width: number, address: number) => ({ address_space_id: ACPI_SYSTEM_IO, register_bit_width: width, address: BigInt(address) });
/** static_tables.c's Fadt: the ACPI 2.0+ part. */
const FADT_TEMPLATE_EXTRA = {
  reset_reg: ioGas(8, 0xcf9), reset_value: 6,
  x_pm1a_evt_blk: ioGas(32, PM1A_EVT_BLK), x_pm1a_cnt_blk: ioGas(16, PM1A_CNT_BLK), x_pm_tmr_blk: ioGas(32, PM_TMR_BLK),
};

// ---------------------------------------------------------------------------
// AML encoder: only what the PVH DSDT needs.

const bytes = (...xs: number[]): Buffer => Buffer.from(xs);
const cat = (parts: readonly Buffer[]): Buffer => Buffer.concat(parts);

/**
 * PkgLength in the fewest bytes that fit, as iasl writes it. A package's
 * length counts the PkgLength bytes themselves; a field element's bit count
 * (same encoding) does not.
 */
function pkgLength(n: number, inclusive: boolean): Buffer {
  const limits = [0x3f, 0xfff, 0xfffff, 0xfffffff];
  let size = 1;
  while (size <= 4 && (inclusive ? n + size : n) > limits[size - 1]) size++;
  if (size > 4) throw new RangeError(`AML PkgLength ${n} too large`);
  const v = inclusive ? n + size : n;
  if (size === 1) return bytes(v);
  const out = [((size - 1) << 6) | (v & 0xf)];
  for (let i = 1; i < size; i++) out.push((v >>> (4 + 8 * (i - 1))) & 0xff);
  return Buffer.from(out);
}

function nameSeg(s: string): Buffer {
  if (!/^[A-Z_][A-Z0-9_]{0,3}$/.test(s)) throw new Error(`bad AML name segment ${s}`);
  return Buffer.from(s.padEnd(4, '_'), 'latin1');
}

/** "\\A.B", "^A.B", "A": root/parent prefixes, then one, two (DualName) or more (MultiName) segments. */
function name(path: string): Buffer {
  const prefix = /^(\\|\^*)/.exec(path)![0];
  const segs = path.slice(prefix.length).split('.').filter((s) => s !== '').map(nameSeg);
  const head = segs.length === 0 ? [0x00] : segs.length === 1 ? [] : segs.length === 2 ? [0x2e] : [0x2f, segs.length];
  return cat([Buffer.from(prefix, 'latin1'), Buffer.from(head), ...segs]);
}

/** Integers as iasl emits them: Zero, One, then the smallest of Byte/Word/DWord. */
function int(n: number): Buffer {
  if (!Number.isInteger(n) || n < 0 || n > 0xffffffff) throw new RangeError(`AML integer ${n}`);
  if (n === 0) return bytes(0x00);
  if (n === 1) return bytes(0x01);
  if (n <= 0xff) return bytes(0x0a, n);
  const b = Buffer.alloc(n <= 0xffff ? 3 : 5);
  b[0] = n <= 0xffff ? 0x0b : 0x0c;
  if (n <= 0xffff) b.writeUInt16LE(n, 1); else b.writeUInt32LE(n, 1);
  return b;
}

const u32 = (n: number): Buffer => { const b = Buffer.alloc(4); b.writeUInt32LE(n); return b; };
const str = (s: string): Buffer => cat([bytes(0x0d), Buffer.from(s, 'latin1'), bytes(0)]);
const pkg = (op: readonly number[], body: readonly Buffer[]): Buffer => {
  const b = cat(body);
  return cat([Buffer.from(op), pkgLength(b.length, true), b]);
};

const LOCAL = (n: number) => bytes(0x60 + n);
const ARG = (n: number) => bytes(0x68 + n);
const NO_TARGET = bytes(0x00);
const op = (code: number | readonly number[]) => (...operands: Buffer[]): Buffer =>
  cat([Buffer.from(typeof code === 'number' ? [code] : code), ...operands]);
const AML = {
  name: (n: string, value: Buffer) => cat([bytes(0x08), name(n), value]),
  scope: (path: string, ...body: Buffer[]) => pkg([0x10], [name(path), ...body]),
  buffer: (data: readonly number[]) => pkg([0x11], [int(data.length), Buffer.from(data)]),
  method: (n: string, flags: number, ...body: Buffer[]) => pkg([0x14], [name(n), bytes(flags), ...body]),
  store: op(0x70),
  add: (a: Buffer, b: Buffer, target = NO_TARGET) => op(0x72)(a, b, target),
  subtract: (a: Buffer, b: Buffer, target = NO_TARGET) => op(0x74)(a, b, target),
  shiftRight: (a: Buffer, b: Buffer, target = NO_TARGET) => op(0x7a)(a, b, target),
  and: (a: Buffer, b: Buffer, target = NO_TARGET) => op(0x7b)(a, b, target),
  derefOf: op(0x83),
  notify: op(0x86),
  index: (a: Buffer, b: Buffer, target = NO_TARGET) => op(0x88)(a, b, target),
  lNot: op(0x92),
  lEqual: op(0x93),
  lLess: op(0x95),
  toBuffer: (a: Buffer, target = NO_TARGET) => op(0x96)(a, target),
  if: (pred: Buffer, ...body: Buffer[]) => pkg([0xa0], [pred, ...body]),
  else: (...body: Buffer[]) => pkg([0xa1], body),
  return: op(0xa4),
  sleep: op([0x5b, 0x22]),
  opRegion: (n: string, space: number, offset: Buffer, len: Buffer) => cat([bytes(0x5b, 0x80), name(n), bytes(space), offset, len]),
  /** Elements are [name, bits] or { offset: byte } (a reserved gap up to that byte). */
  field: (region: string, flags: number, elements: readonly (readonly [string, number] | { offset: number })[]) => {
    let bit = 0;
    const list = elements.map((e) => {
      if ('offset' in e) { const gap = e.offset * 8 - bit; bit = e.offset * 8; return cat([bytes(0x00), pkgLength(gap, false)]); }
      bit += e[1];
      return cat([nameSeg(e[0]), pkgLength(e[1], false)]);
    });
    return pkg([0x5b, 0x81], [name(region), bytes(flags), ...list]);
  },
  processor: (n: string, id: number, pblk: number, pblkLen: number, ...body: Buffer[]) =>
    pkg([0x5b, 0x83], [name(n), bytes(id), u32(pblk), bytes(pblkLen), ...body]),
};
const SYSTEM_MEMORY = 0;
const SYSTEM_IO = 1;
const BYTE_ACC_NOLOCK_PRESERVE = 0x01;

// ---------------------------------------------------------------------------
// The PVH DSDT: dsdt_acpi_info.asl plus what `mk_dsdt --maxcpu any
// --dm-version none` prints. Name paths are written as iasl shortens them:
// \_SB.X becomes X where the search rules find it, ^PRnn.FLG inside PRSC.

/** The BIOS region over acpi_info (must agree with ACPI_INFO above). */
const BIOS_FIELDS = [
  ['UAR1', 1], ['UAR2', 1], ['LTP1', 1], ['HPET', 1], { offset: 2 }, ['NCPU', 16], ['PMIN', 32], ['PLEN', 32],
  ['MSUA', 32], ['MAPA', 32], ['VGIA', 32], ['LMIN', 32], ['HMIN', 32], ['LLEN', 32], ['HLEN', 32],
] as const;
const PROCESSOR_PBLK = 0xb010;
const PROCESSOR_PBLK_LEN = 6;
const CPU_MAP_PORT = 0xaf00; // XEN_ACPI_CPU_MAP
const CPU_MAP_LEN = Math.ceil(HVM_MAX_VCPUS / 8);
const GPE_CPU_HOTPLUG = '_E02'; // edge-triggered, bit XEN_ACPI_GPE0_CPUHP_BIT

const cpuName = (cpu: number) => `PR${cpu.toString(16).toUpperCase().padStart(2, '0')}`;

function processorObject(cpu: number): Buffer {
  const flgSta = AML.if(name('FLG'), AML.return(int(0xf)));
  return AML.processor(cpuName(cpu), cpu, PROCESSOR_PBLK, PROCESSOR_PBLK_LEN,
    AML.name('_HID', str('ACPI0007')),
    AML.name('_UID', int(cpu)),
    // This CPU's 8-byte LAPIC entry in the MADT, found through acpi_info.
    AML.opRegion('MATR', SYSTEM_MEMORY, AML.add(name('MAPA'), int(cpu * 8)), int(8)),
    AML.field('MATR', BYTE_ACC_NOLOCK_PRESERVE, [['MAT', 64]]),
    AML.field('MATR', BYTE_ACC_NOLOCK_PRESERVE, [{ offset: 4 }, ['FLG', 1]]),
    AML.method('_MAT', 0, AML.return(cpu === 0 ? AML.toBuffer(name('MAT')) : cat([name('PMAT'), int(cpu), name('MAT')]))),
    AML.method('_STA', 0,
      cpu === 0 ? flgSta : AML.if(AML.lLess(int(cpu), name('NCPU')), flgSta),
      AML.return(int(0))),
    AML.method('_EJ0', 1, AML.sleep(int(200))));
}

/** PRSC: compare the online-CPU bitmap from port 0xaf00 with each MADT flag, fix it and notify. */
function cpuHotplugObjects(): Buffer[] {
  const body = [AML.store(AML.toBuffer(name('PRS')), LOCAL(0))];
  for (let cpu = 0; cpu < HVM_MAX_VCPUS; cpu++) {
    const flg = name(`^${cpuName(cpu)}.FLG`);
    body.push(
      cpu % 8 === 0
        ? AML.store(AML.derefOf(AML.index(LOCAL(0), int(cpu / 8))), LOCAL(1))
        : AML.shiftRight(LOCAL(1), int(1), LOCAL(1)),
      AML.and(LOCAL(1), int(1), LOCAL(2)),
      AML.if(AML.lNot(AML.lEqual(LOCAL(2), flg)),
        AML.store(LOCAL(2), flg),
        AML.if(AML.lEqual(LOCAL(2), int(1)),
          AML.notify(name(cpuName(cpu)), int(1)), // device check
          AML.subtract(name('MSU'), int(1), name('MSU'))), // keep the MADT checksum right
        AML.else(
          AML.notify(name(cpuName(cpu)), int(3)), // eject request
          AML.add(name('MSU'), int(1), name('MSU')))));
  }
  body.push(AML.return(int(1)));
  return [
    AML.opRegion('PRST', SYSTEM_IO, int(CPU_MAP_PORT), int(CPU_MAP_LEN)),
    AML.field('PRST', BYTE_ACC_NOLOCK_PRESERVE, [['PRS', HVM_MAX_VCPUS]]),
    AML.method('PRSC', 0, ...body),
  ];
}

const dsdtCache = new Map<string, Buffer>();

/** The dsdt_pvh table (header included) for a flavour; callers must not modify it. */
export function buildPvhDsdt(flavour: PvhDsdtFlavour = PVH_DSDT_FLAVOURS['4.17']): Buffer {
  const key = `${flavour.cpuHotplug}:${flavour.iaslVersion}`;
  const cached = dsdtCache.get(key);
  if (cached) return cached;
  const sb: Buffer[] = [
    // The MADT checksum byte, so PRSC can keep it valid when it flips LAPIC flags.
    AML.opRegion('MSUM', SYSTEM_MEMORY, name('MSUA'), int(1)),
    AML.field('MSUM', BYTE_ACC_NOLOCK_PRESERVE, [['MSU', 8]]),
    // _MAT of a CPU beyond NCPU: a disabled LAPIC entry with id 0xff.
    AML.method('PMAT', 2,
      AML.if(AML.lLess(ARG(0), name('NCPU')), AML.return(AML.toBuffer(ARG(1)))),
      AML.return(AML.buffer([0, 8, 0xff, 0xff, 0, 0, 0, 0]))),
  ];
  for (let cpu = 0; cpu < HVM_MAX_VCPUS; cpu++) sb.push(processorObject(cpu));
  if (flavour.cpuHotplug) sb.push(...cpuHotplugObjects());
  const body = [
    AML.scope('_SB',
      AML.opRegion('BIOS', SYSTEM_MEMORY, int(INFO_ADDR), int(ACPI_INFO.size)),
      AML.field('BIOS', BYTE_ACC_NOLOCK_PRESERVE, BIOS_FIELDS)),
    AML.scope('_SB', ...sb),
  ];
  if (flavour.cpuHotplug) body.push(AML.scope('_GPE', AML.method(GPE_CPU_HOTPLUG, 0, name('\\_SB.PRSC'))));
  const aml = cat(body);
  const table = Buffer.alloc(ACPI_HEADER.size + aml.length);
  encode(ACPI_HEADER, {
    signature: 'DSDT', length: table.length, revision: 5, oem_id: 'Xen', oem_table_id: 'HVM', oem_revision: 0,
    creator_id: 'INTL', creator_revision: flavour.iaslVersion,
  }, table);
  aml.copy(table, ACPI_HEADER.size);
  setChecksum(table, 0, ACPI_HEADER.fields.checksum.offset, table.length);
  dsdtCache.set(key, table);
  return table;
}

// ---------------------------------------------------------------------------
// Building the tables.

/** Sets buf[at+csumOff] so that the len bytes from at sum to 0. */
function setChecksum(buf: Buffer, at: number, csumOff: number, len: number): void {
  buf[at + csumOff] = 0;
  let sum = 0;
  for (let i = at; i < at + len; i++) sum += buf[i];
  buf[at + csumOff] = (256 - (sum & 0xff)) & 0xff;
}

/** Encodes one table and sets its header checksum (checksum over `length` bytes). */
function table(layout: StructLayout, value: Record<string, unknown>, extra: Buffer = Buffer.alloc(0)): Buffer {
  const b = Buffer.alloc(layout.size + extra.length);
  encode(layout, value, b);
  extra.copy(b, layout.size);
  setChecksum(b, 0, ACPI_HEADER.fields.checksum.offset, b.length);
  return b;
}

/**
 * libxl's mem_alloc over the pages after acpi_info: at least 16-byte
 * alignment, and it remembers the *last* byte of each allocation, so a size
 * of 16n+1 would let the next table start on that byte (tables are written
 * in build.c's order, so an overlap would come out the same).
 */
class TableArena {
  readonly start = INFO_ADDR + PAGE;
  readonly end = this.start + NUM_ACPI_PAGES * PAGE;
  readonly buf = Buffer.alloc(NUM_ACPI_PAGES * PAGE);
  private cur = this.start;

  alloc(size: number, align = 16): number {
    const a = Math.max(align, 16);
    const s = Math.ceil(this.cur / a) * a;
    const e = s + size - 1;
    if (e >= this.end) throw new RangeError(`ACPI tables need more than ${NUM_ACPI_PAGES} pages`);
    this.cur = e;
    return s;
  }
  put(paddr: number, data: Buffer): void { data.copy(this.buf, paddr - this.start); }
  /**
   * Pages used: libxl rounds the address of the last byte up to a page, so a
   * page holding only that byte would be left out (never so with these sizes).
   */
  get pages(): number { return Math.ceil((this.cur - this.start) / PAGE); }
}

const sdtHeader = (signature: string) => ({ signature, revision: 1, ...XEN_HEADER });

export function buildPvhAcpi(input: PvhAcpiInput): PvhAcpi {
  const n = input.nrVcpus;
  if (!Number.isInteger(n) || n < 1 || n > HVM_MAX_VCPUS) throw new RangeError(`nrVcpus ${n} not in 1..${HVM_MAX_VCPUS}`);
  const online = input.onlineVcpus ? new Set(input.onlineVcpus) : null;
  const arena = new TableArena();
  const info = Buffer.alloc(PAGE);
  const infoValue: Record<string, number> = { nr_cpus: 0, madt_csum_addr: 0, madt_lapic0_addr: 0 };

  const facs = arena.alloc(FACS.size, 64);
  const facsBytes = Buffer.alloc(FACS.size);
  encode(FACS, { signature: 'FACS', length: FACS.size, version: 1 }, facsBytes);
  arena.put(facs, facsBytes);

  const dsdtBytes = buildPvhDsdt(input.dsdt);
  const dsdt = arena.alloc(dsdtBytes.length);
  arena.put(dsdt, dsdtBytes);

  // The RSDT's FADT is a revision 1 copy of the template, taken before build.c
  // adjusts the template for the missing PM timer and buttons (true of the
  // first build in a process, which is xl create's case).
  const fadtV1 = arena.alloc(FADT_V1.size);
  arena.put(fadtV1, table(FADT_V1, {
    ...FADT_TEMPLATE_V1, header: { ...FADT_TEMPLATE_V1.header, length: FADT_V1.size, revision: 1 },
    dsdt, firmware_ctrl: facs,
  }));

  const fadt = arena.alloc(FADT.size);
  arena.put(fadt, table(FADT, {
    ...FADT_TEMPLATE_V1, ...FADT_TEMPLATE_EXTRA,
    header: { ...FADT_TEMPLATE_V1.header, length: FADT.size, revision: 5 },
    // No ACPI_HAS_PMTIMER: no PM timer block; no ACPI_HAS_BUTTONS: control-method-less buttons absent.
    pm_tmr_blk: 0, pm_tmr_len: 0, x_pm_tmr_blk: { address_space_id: 0, register_bit_width: 0, address: 0n }, // zeroed
    flags: FADT_TEMPLATE_V1.flags | FADT_FLAGS.pwrButton | FADT_FLAGS.slpButton,
    // No ACPI_HAS_VGA, ACPI_HAS_8042 or ACPI_HAS_CMOS_RTC.
    iapc_boot_arch: FADT_BOOT_ARCH.noVga | FADT_BOOT_ARCH.noCmosRtc,
    dsdt, x_dsdt: BigInt(dsdt), firmware_ctrl: facs, x_firmware_ctrl: BigInt(facs),
  }));

  const secondary: number[] = [];
  if (n > 1 || input.apic) {
    // Sized for the 16 overrides and IO-APIC build.c would add with ACPI_HAS_IOAPIC, used or not.
    const madt = arena.alloc(MADT.size + 16 * MADT_INTSRCOVR.size + MADT_IOAPIC.size + n * MADT_LAPIC.size);
    const lapics = Buffer.alloc(n * MADT_LAPIC.size);
    for (let cpu = 0; cpu < n; cpu++) {
      encode(MADT_LAPIC, {
        type: MADT_TYPE_LAPIC, length: MADT_LAPIC.size, acpi_processor_id: cpu, // matches the DSDT's ProcessorID
        apic_id: cpu * 2, flags: !online || online.has(cpu) ? LAPIC_ENABLED : 0,
      }, lapics, cpu * MADT_LAPIC.size);
    }
    arena.put(madt, table(MADT, {
      header: { signature: 'APIC', revision: 2, length: MADT.size + lapics.length, ...XEN_HEADER },
      lapic_addr: Number(LAPIC_BASE_ADDRESS), flags: MADT_PCAT_COMPAT,
    }, lapics));
    Object.assign(infoValue, {
      nr_cpus: n, madt_lapic0_addr: madt + MADT.size, madt_csum_addr: madt + ACPI_HEADER.fields.checksum.offset,
    });
    secondary.push(madt);
  }

  // XSDT/RSDT allocations count one entry more than they fill (sizeof with entry[1]).
  const entries = (width: 4 | 8, first: number) => {
    const b = Buffer.alloc(width * (1 + secondary.length));
    [first, ...secondary].forEach((a, i) => (width === 8 ? b.writeBigUInt64LE(BigInt(a), i * 8) : b.writeUInt32LE(a, i * 4)));
    return b;
  };
  const xsdtEntries = entries(8, fadt);
  const xsdt = arena.alloc(ACPI_HEADER.size + 8 + 8 * secondary.length);
  arena.put(xsdt, table(ACPI_HEADER, { ...sdtHeader('XSDT'), length: ACPI_HEADER.size + xsdtEntries.length }, xsdtEntries));
  const rsdtEntries = entries(4, fadtV1);
  const rsdt = arena.alloc(ACPI_HEADER.size + 4 + 4 * secondary.length);
  arena.put(rsdt, table(ACPI_HEADER, { ...sdtHeader('RSDT'), length: ACPI_HEADER.size + rsdtEntries.length }, rsdtEntries));

  const rsdp = Buffer.alloc(RSDP_LEN);
  encode(RSDP, {
    signature: 'RSD PTR ', oem_id: 'Xen', revision: 2, length: RSDP.size, rsdt_address: rsdt, xsdt_address: BigInt(xsdt),
  }, rsdp);
  setChecksum(rsdp, 0, RSDP.fields.checksum.offset, RSDP_V1_LEN);
  setChecksum(rsdp, 0, RSDP.fields.extended_checksum.offset, RSDP.size);

  // No vm generation id for PVH: vm_gid_addr stays 0.
  encode(ACPI_INFO, infoValue, info);

  const pages = arena.pages;
  const rsdpPaddr = input.rsdpInBiosArea ? RSDP_BIOS_ADDRESS : ACPI_INFO_PHYSICAL_ADDRESS + BigInt((1 + pages) * PAGE);
  return {
    modules: [
      { name: 'rsdp', paddr: rsdpPaddr, data: rsdp },
      { name: 'info', paddr: ACPI_INFO_PHYSICAL_ADDRESS, data: info },
      { name: 'tables', paddr: BigInt(arena.start), data: Buffer.from(arena.buf.subarray(0, pages * PAGE)) },
    ],
    rsdpPaddr,
  };
}

/** Decodes an ACPI header at `off` (for tests and diagnostics). */
export function decodeAcpiHeader(buf: Buffer, off = 0): Decoded {
  return decode(ACPI_HEADER, buf, off);
}
