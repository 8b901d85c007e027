// Build a PVH guest into an existing (paused, empty) HVM-container domain, in
// the order libxl__build_hvm drives libxc for type "pvh" (4.17/4.20): guest
// RAM below the MMIO hole and above 4 GiB (meminit_hvm), the ACPI tables and
// the e820 (libxl__arch_domain_finalise_hw_description), the kernel at its
// physical addresses and the ramdisk after it (xc_dom_build_image), the
// special pages and their HVM params (alloc_magic_pages_hvm), hvm_start_info
// with the command line, module list and memory map (bootlate_hvm), the boot
// vcpu's 32-bit flat context through the HVM save records (vcpu_hvm), then
// the grant entries for the console and xenstore rings (gnttab_hvm_seed).

import type { BuildCalls } from '../privcmd/build-calls.js';
import {
  E820, GNTTAB_RESERVED, GTF_permit_access, HVM_BUILD_PARAM, HVM_HW_CPU, HVM_HW_MTRR, HVM_MEMMAP_ENTRY,
  HVM_MODLIST_ENTRY, HVM_SAVE_CODE, HVM_SAVE_DESCRIPTOR, HVM_SAVE_HEADER, HVM_START_INFO, HVM_START_MAGIC,
  MAX_GUEST_CMDLINE, X86_DR6_DEFAULT, X86_DR7_DEFAULT, XENMAPSPACE_grant_table, BUILD_STRUCTS,
} from '../privcmd/build-abi.js';
import { decode, encode } from '../privcmd/layout.js';
import { buildPvhAcpi, ACPI_INFO_PHYSICAL_ADDRESS, LAPIC_BASE_ADDRESS, type AcpiModule, type PvhDsdtFlavour } from './acpi-pvh.js';
import { KernelFormatError, loadSegments, uncoveredRanges, type XenElf } from './elf.js';
import { LayoutError, PAGE_SHIFT, PAGE_SIZE } from './layout.js';
import { BuildStepError, buildStep, ramdiskBytes } from './x86-pv.js';

/** X86_HVM_END_SPECIAL_REGION / X86_HVM_NR_SPECIAL_PAGES (xenguest.h). */
const END_SPECIAL_REGION = 0xff000;
export const NR_SPECIAL_PAGES = 8;
export const specialPfn = (i: number) => END_SPECIAL_REGION - NR_SPECIAL_PAGES + i;
/** SPECIALPAGE_* slots (xg_dom_x86.c). */
export const SPECIAL = { paging: 0, access: 1, sharing: 2, bufioreq: 3, xenstore: 4, ioreq: 5, identPt: 6, console: 7 } as const;
/** HVMLOADER_MODULE_MAX_COUNT: the module list always has room for this many, each with a command line slot. */
export const MODULE_MAX = 2;
export const FOUR_GB = 1n << 32n;
const SUPERPAGE_ORDER = 9;
/** X86_CR0_PE | X86_CR0_ET. */
const CR0_PE_ET = 0x11n;
/** MTRR_TYPE_WRBACK | MTRR_DEF_TYPE_ENABLE. */
const MTRR_DEF_WB_ENABLED = 6n | (1n << 11n);
/** XENFEAT_linux_rsdp_unrestricted: the kernel finds the RSDP wherever start_info says. */
const XENFEAT_linux_rsdp_unrestricted = 19;
/** _PAGE_PRESENT|RW|USER|ACCESSED|DIRTY|PSE: the identity page directory's 4 MiB entries. */
const IDENT_PDE = 0xe7;

export interface PvhImage {
  elf: XenElf;
  image: Uint8Array;
  /** XEN_ELFNOTE_PHYS32_ENTRY. */
  physEntry: bigint;
  guestOs: string;
  rsdpUnrestricted: boolean;
}

/** What libelf checks for an HVM container: a 32-bit physical entry point. */
export function pvhImage(elf: XenElf, image: Uint8Array): PvhImage {
  const entry = elf.notes.PHYS32_ENTRY;
  if (typeof entry !== 'bigint') throw new KernelFormatError('no XEN_ELFNOTE_PHYS32_ENTRY (the kernel cannot boot as PVH)');
  const supported = typeof elf.notes.SUPPORTED_FEATURES === 'bigint' ? elf.notes.SUPPORTED_FEATURES : 0n;
  return {
    elf, image, physEntry: entry,
    guestOs: typeof elf.notes.GUEST_OS === 'string' ? elf.notes.GUEST_OS : '',
    rsdpUnrestricted: ((supported >> BigInt(XENFEAT_linux_rsdp_unrestricted)) & 1n) === 1n,
  };
}

export interface PvhBuildInput {
  domid: number;
  image: PvhImage;
  ramdisk: Buffer | null;
  cmdline: string;
  /** b_info.max_memkb - video_memkb: RAM the guest sees. */
  memKb: number;
  /** b_info.target_memkb - video_memkb; below memKb would need populate-on-demand. */
  targetKb: number;
  maxVcpus: number;
  /** b_info.avail_vcpus: the vcpus the MADT marks enabled. */
  onlineVcpus?: readonly number[];
  apic: boolean;
  /** Which release's dsdt_pvh the tables reproduce (default 4.17's). */
  dsdt?: PvhDsdtFlavour;
  storeEvtchn: number;
  consoleEvtchn: number;
  consoleDomid?: number;
  xenstoreDomid?: number;
  claim?: boolean;
  trace?: (step: string) => void;
}

export interface E820Entry { addr: bigint; size: bigint; type: number }

export interface PvhLayout {
  lowmemEnd: bigint;
  highmemEnd: bigint;
  mmioStart: bigint;
  kernel: { pfn: number; pages: number };
  ramdisk: { pfn: number; pages: number; bytes: number } | null;
  startInfo: { pfn: number; pages: number; cmdlineSize: number };
  acpi: AcpiModule[];
  e820: E820Entry[];
}

export interface PvhBuildResult {
  layout: PvhLayout;
  /** Guest frame numbers (HVM guests are translated): what xenstore and the console get. */
  storePfn: bigint;
  consolePfn: bigint;
}

const roundUp = (n: number, to: number) => Math.ceil(n / to) * to;

/**
 * libxl__build_hvm's memory figures and xc_dom_build_image's segment
 * allocation for a PVH guest, as pure data.
 */
export function planPvhLayout(opts: {
  memKb: number; elf: XenElf; ramdiskBytes: number | null; cmdline: string; acpi: AcpiModule[];
}): PvhLayout {
  const memBytes = BigInt(opts.memKb) << 10n;
  // No device model: the hole starts low enough to hold the ACPI tables, the local APIC and the special pages.
  const specialStart = BigInt(specialPfn(0)) << BigInt(PAGE_SHIFT);
  const holeStart = [specialStart, LAPIC_BASE_ADDRESS, ACPI_INFO_PHYSICAL_ADDRESS].reduce((a, b) => (b < a ? b : a));
  let lowmemEnd = memBytes;
  let highmemEnd = 0n;
  if (lowmemEnd > holeStart) {
    highmemEnd = FOUR_GB + (lowmemEnd - holeStart);
    lowmemEnd = holeStart;
  }
  const totalPages = Number(memBytes >> BigInt(PAGE_SHIFT));

  let allocEnd = 0; // pfn
  const take = (name: string, pages: number) => {
    if (allocEnd + pages > totalPages) {
      throw new LayoutError(`not enough memory for the ${name} (need ${allocEnd + pages} pages, have ${totalPages})`);
    }
    const pfn = allocEnd;
    allocEnd += pages;
    return pfn;
  };
  const kstart = opts.elf.pstart;
  if (kstart & BigInt(PAGE_SIZE - 1)) throw new KernelFormatError(`kernel start 0x${kstart.toString(16)} is not page aligned`);
  take('padding', Number(kstart >> BigInt(PAGE_SHIFT)));
  const kpages = Math.ceil(Number(opts.elf.pend - kstart) / PAGE_SIZE);
  const kernel = { pfn: take('kernel', kpages), pages: kpages };
  const ramdisk = opts.ramdiskBytes === null ? null : (() => {
    const pages = Math.ceil(opts.ramdiskBytes / PAGE_SIZE);
    return { pfn: take('module0', pages), pages, bytes: opts.ramdiskBytes };
  })();

  const e820 = memoryMap(lowmemEnd, highmemEnd, opts.acpi);
  // hvm_start_info, the module list and its command lines, the memory map, then our command line.
  const cmdlineSize = opts.cmdline ? roundUp(Buffer.byteLength(opts.cmdline, 'latin1') + 1, 8) : 0;
  const size = HVM_START_INFO.size + MODULE_MAX * (HVM_MODLIST_ENTRY.size + MAX_GUEST_CMDLINE)
    + e820.length * HVM_MEMMAP_ENTRY.size + cmdlineSize;
  const siPages = Math.ceil(size / PAGE_SIZE);
  const startInfo = { pfn: take('HVM start info', siPages), pages: siPages, cmdlineSize };
  if (BigInt(allocEnd) << BigInt(PAGE_SHIFT) > lowmemEnd) throw new LayoutError('the kernel and ramdisk do not fit below the MMIO hole');
  return { lowmemEnd, highmemEnd, mmioStart: holeStart, kernel, ramdisk, startInfo, acpi: opts.acpi, e820 };
}

/** domain_construct_memmap (libxl_x86.c) for PVH: RAM, the special pages, the ACPI modules, high RAM. */
export function memoryMap(lowmemEnd: bigint, highmemEnd: bigint, acpi: readonly AcpiModule[]): E820Entry[] {
  const map: E820Entry[] = [{ addr: 0n, size: lowmemEnd, type: E820.ram }];
  map.push({
    addr: BigInt(specialPfn(0)) << BigInt(PAGE_SHIFT), size: BigInt(NR_SPECIAL_PAGES * PAGE_SIZE), type: E820.reserved,
  });
  const mask = BigInt(PAGE_SIZE - 1);
  for (const m of acpi) map.push({ addr: m.paddr & ~mask, size: BigInt(m.data.length) + (m.paddr & mask), type: E820.acpi });
  if (highmemEnd) map.push({ addr: FOUR_GB, size: highmemEnd - FOUR_GB, type: E820.ram });
  return map;
}

export async function buildPvh(bc: BuildCalls, input: PvhBuildInput): Promise<PvhBuildResult> {
  const { domid, image, trace } = input;
  const step = <T>(name: string, fn: () => T | Promise<T>) => buildStep(name, trace, fn);
  if (input.targetKb < input.memKb) {
    throw new BuildStepError('memory layout', 'memory layout: maxmem above memory (populate-on-demand) is not supported for PVH guests yet');
  }
  const ramdisk = input.ramdisk ? ramdiskBytes(input.ramdisk) : null;
  const acpi = await step('ACPI tables', () => buildPvhAcpi({
    nrVcpus: input.maxVcpus, apic: input.apic, onlineVcpus: input.onlineVcpus, dsdt: input.dsdt,
    rsdpInBiosArea: image.guestOs === 'linux' && !image.rsdpUnrestricted,
  }).modules);
  const layout = await step('memory layout', () => planPvhLayout({
    memKb: input.memKb, elf: image.elf, ramdiskBytes: ramdisk?.length ?? null, cmdline: input.cmdline, acpi,
  }));

  // meminit_hvm: no VGA hole without a device model, so RAM is one range below the hole (and one above 4 GiB).
  const targetPages = Math.floor(input.targetKb / 4);
  if (input.claim) await step('claim pages', () => bc.claimPages(domid, targetPages));
  await step('populate physmap', () => {
    populateRange(bc, domid, 0n, layout.lowmemEnd >> BigInt(PAGE_SHIFT));
    if (layout.highmemEnd) populateRange(bc, domid, FOUR_GB >> BigInt(PAGE_SHIFT), layout.highmemEnd >> BigInt(PAGE_SHIFT));
  });
  if (input.claim) await step('cancel claim', () => bc.claimPages(domid, 0));

  await step('memory map', () => bc.setMemoryMap(domid, layout.e820));

  const withPages = guestPages(bc, domid);

  await step('load kernel', () => withPages(layout.kernel.pfn, layout.kernel.pages, (b) => {
    for (const [from, to] of uncoveredRanges(image.elf, b.length)) b.fill(0, from, to);
    loadSegments(image.elf, image.image, b);
  }));
  if (layout.ramdisk && ramdisk) {
    await step('load ramdisk', () => withPages(layout.ramdisk!.pfn, layout.ramdisk!.pages, (b) => { b.fill(0, ramdisk.copy(b)); }));
  }

  // xc_dom_load_acpi: pages outside RAM (in the hole) are populated first.
  await step('load ACPI tables', () => {
    const lowPages = layout.lowmemEnd >> BigInt(PAGE_SHIFT);
    for (const m of layout.acpi) {
      const first = m.paddr >> BigInt(PAGE_SHIFT);
      const off = Number(m.paddr & BigInt(PAGE_SIZE - 1));
      const pages = Math.ceil((off + m.data.length) / PAGE_SIZE);
      const outside = Array.from({ length: pages }, (_, i) => first + BigInt(i)).filter((p) => p >= lowPages);
      if (outside.length) bc.populatePhysmap(domid, outside);
      withPages(first, pages, (b) => {
        b.fill(0, 0, off);
        m.data.copy(b, off);
        b.fill(0, off + m.data.length);
      });
    }
  });

  // alloc_magic_pages_hvm
  await step('special pages', () => {
    bc.populatePhysmap(domid, Array.from({ length: NR_SPECIAL_PAGES }, (_, i) => BigInt(specialPfn(i))));
    withPages(specialPfn(0), NR_SPECIAL_PAGES, (b) => {
      b.fill(0);
      // A 32-bit page directory of 4 MiB identity mappings, for running with paging off under EPT.
      const ident = b.subarray(SPECIAL.identPt * PAGE_SIZE, (SPECIAL.identPt + 1) * PAGE_SIZE);
      for (let i = 0; i < PAGE_SIZE / 4; i++) ident.writeUInt32LE(((i << 22) | IDENT_PDE) >>> 0, i * 4);
    });
    const P = HVM_BUILD_PARAM;
    const params: [number, number][] = [
      [P.store_pfn, specialPfn(SPECIAL.xenstore)],
      [P.bufioreq_pfn, specialPfn(SPECIAL.bufioreq)],
      [P.ioreq_pfn, specialPfn(SPECIAL.ioreq)],
      [P.console_pfn, specialPfn(SPECIAL.console)],
      [P.paging_ring_pfn, specialPfn(SPECIAL.paging)],
      [P.monitor_ring_pfn, specialPfn(SPECIAL.access)],
      [P.sharing_ring_pfn, specialPfn(SPECIAL.sharing)],
    ];
    for (const [index, pfn] of params) bc.hvmSetParam(domid, index, pfn);
    bc.hvmSetParam(domid, P.ident_pt, BigInt(specialPfn(SPECIAL.identPt)) << BigInt(PAGE_SHIFT));
  });

  // bootlate_hvm
  const si = layout.startInfo;
  const siBase = BigInt(si.pfn) << BigInt(PAGE_SHIFT);
  const rsdp = layout.acpi.find((m) => m.name === 'rsdp');
  await step('write start info', () => withPages(si.pfn, si.pages, (b) => {
    b.fill(0);
    const cmdOff = HVM_START_INFO.size;
    if (input.cmdline) b.write(input.cmdline, cmdOff, si.cmdlineSize - 1, 'latin1');
    const modOff = cmdOff + si.cmdlineSize;
    const modules = layout.ramdisk ? [layout.ramdisk] : [];
    modules.forEach((mod, i) => encode(HVM_MODLIST_ENTRY, {
      paddr: BigInt(mod.pfn) << BigInt(PAGE_SHIFT), size: BigInt(mod.pages * PAGE_SIZE),
    }, b, modOff + i * HVM_MODLIST_ENTRY.size));
    const mapOff = modOff + MODULE_MAX * (HVM_MODLIST_ENTRY.size + MAX_GUEST_CMDLINE);
    layout.e820.forEach((e, i) => encode(HVM_MEMMAP_ENTRY, { addr: e.addr, size: e.size, type: e.type }, b, mapOff + i * HVM_MEMMAP_ENTRY.size));
    encode(HVM_START_INFO, {
      magic: HVM_START_MAGIC, version: 1, flags: 0, nr_modules: modules.length,
      modlist_paddr: modules.length ? siBase + BigInt(modOff) : 0n,
      cmdline_paddr: input.cmdline ? siBase + BigInt(cmdOff) : 0n,
      rsdp_paddr: rsdp?.paddr ?? 0n,
      memmap_paddr: siBase + BigInt(mapOff),
      memmap_entries: layout.e820.length,
    }, b);
  }));
  await step('event channel params', () => {
    bc.hvmSetParam(domid, HVM_BUILD_PARAM.console_evtchn, input.consoleEvtchn);
    bc.hvmSetParam(domid, HVM_BUILD_PARAM.store_evtchn, input.storeEvtchn);
  });

  await step('vcpu context', () => setBootVcpu(bc, domid, input.maxVcpus, image.physEntry, siBase));

  const consolePfn = BigInt(specialPfn(SPECIAL.console));
  const storePfn = BigInt(specialPfn(SPECIAL.xenstore));
  await step('grant table', () => seedGrantTable(bc, domid, [
    [GNTTAB_RESERVED.console, input.consoleDomid ?? 0, consolePfn],
    [GNTTAB_RESERVED.xenstore, input.xenstoreDomid ?? 0, storePfn],
  ]));
  return { layout, storePfn, consolePfn };
}

/** Map `pages` guest frames from `pfn` writable, run fn on their bytes, unmap (HVM guests: pfn = gfn). */
export function guestPages(bc: BuildCalls, domid: number) {
  return <T>(pfn: number | bigint, pages: number, fn: (b: Buffer) => T): T => {
    const m = bc.xc.mapForeignPages(domid, Array.from({ length: pages }, (_, i) => BigInt(pfn) + BigInt(i)), 'rw');
    try {
      const bad = m.errors.findIndex((e) => e !== null);
      if (bad >= 0) throw new Error(`cannot map guest pfn 0x${(BigInt(pfn) + BigInt(bad)).toString(16)}: ${m.errors[bad]!.code}`);
      return fn(m.buffer);
    } finally {
      m.unmap();
    }
  };
}

/** RAM [from, to) in pfns: 2 MiB extents where aligned and Xen has them, 4 KiB pages for the rest. */
export function populateRange(bc: BuildCalls, domid: number, from: bigint, to: bigint): void {
  const sp = 1n << BigInt(SUPERPAGE_ORDER);
  const superFrom = (from + sp - 1n) & ~(sp - 1n);
  const superTo = to & ~(sp - 1n);
  const small: bigint[] = [];
  const pushRange = (a: bigint, b: bigint) => { for (let p = a; p < b; p++) small.push(p); };
  if (superTo > superFrom) {
    pushRange(from, superFrom);
    const extents: bigint[] = [];
    for (let p = superFrom; p < superTo; p += sp) extents.push(p);
    const done = bc.populatePhysmap(domid, extents, SUPERPAGE_ORDER, 0, { partial: true }).length;
    pushRange(superFrom + BigInt(done) * sp, superTo);
    pushRange(superTo, to);
  } else {
    pushRange(from, to);
  }
  if (small.length) bc.populatePhysmap(domid, small);
}

/**
 * vcpu_hvm: the header from Xen's own context (it carries the CPUID and TSC
 * facts Xen checks), then write-back MTRRs on every vcpu, then the boot vcpu
 * in 32-bit protected mode, flat segments, paging off, at the PVH entry with
 * %ebx pointing at hvm_start_info. The boot vcpu goes last: each set puts
 * all vcpus down.
 */
export function setBootVcpu(bc: BuildCalls, domid: number, maxVcpus: number, entry: bigint, startInfo: bigint,
  opts: { writeBackMtrr: boolean } = { writeBackMtrr: true }): void {
  const full = bc.getHvmContext(domid);
  const D = HVM_SAVE_DESCRIPTOR;
  const header = full.subarray(0, D.size + HVM_SAVE_HEADER.size);
  const first = decode(D, full);
  if (Number(first.typecode) !== HVM_SAVE_CODE.header) throw new Error('the HVM context does not start with its header');
  const findRecord = (code: number, instance: number): Buffer | null => {
    for (let off = 0; off + D.size <= full.length;) {
      const d = decode(D, full, off);
      const len = Number(d.length);
      if (Number(d.typecode) === code && Number(d.instance) === instance) return full.subarray(off + D.size, off + D.size + len);
      if (Number(d.typecode) === HVM_SAVE_CODE.end) break;
      off += D.size + len;
    }
    return null;
  };
  const descriptor = (code: number, instance: number, length: number) => {
    const b = Buffer.alloc(D.size);
    encode(D, { typecode: code, instance, length }, b);
    return b;
  };
  const end = descriptor(HVM_SAVE_CODE.end, 0, 0);

  // Without a device model no firmware sets the MTRRs up: write-back by default.
  if (opts.writeBackMtrr) {
    const mtrr = findRecord(HVM_SAVE_CODE.mtrr, 0);
    if (!mtrr) throw new Error('no MTRR record in the HVM context');
    const m = Buffer.from(mtrr.subarray(0, HVM_HW_MTRR.size));
    m.writeBigUInt64LE(MTRR_DEF_WB_ENABLED, HVM_HW_MTRR.fields.msr_mtrr_def_type.offset);
    for (let i = 0; i < maxVcpus; i++) {
      bc.setHvmContext(domid, Buffer.concat([header, descriptor(HVM_SAVE_CODE.mtrr, i, HVM_HW_MTRR.size), m, end]));
    }
  }

  const cpu = Buffer.alloc(HVM_HW_CPU.size);
  const flat = 0xffffffff;
  encode(HVM_HW_CPU, {
    rbx: startInfo, rip: entry, cr0: CR0_PE_ET, dr6: BigInt(X86_DR6_DEFAULT), dr7: BigInt(X86_DR7_DEFAULT),
    cs_limit: flat, ds_limit: flat, es_limit: flat, ss_limit: flat, tr_limit: 0x67,
    cs_arbytes: 0xc9b, ds_arbytes: 0xc93, es_arbytes: 0xc93, ss_arbytes: 0xc93, tr_arbytes: 0x8b,
  }, cpu);
  bc.setHvmContext(domid, Buffer.concat([header, descriptor(HVM_SAVE_CODE.cpu, 0, HVM_HW_CPU.size), cpu, end]));
}

/**
 * compat_gnttab_hvm_seed: map grant frame 0 at a scratch gfn above the
 * guest's memory, write the reserved entries, take the frame out again.
 */
export function seedGrantTable(bc: BuildCalls, domid: number, entries: readonly [number, number, bigint][]): void {
  const scratch = bc.maximumGpfn(domid) + 1n;
  bc.addToPhysmap(domid, XENMAPSPACE_grant_table, 0n, scratch);
  try {
    const m = bc.xc.mapForeignPages(domid, [scratch], 'rw');
    try {
      if (m.errors[0]) throw new Error(`cannot map the grant table: ${m.errors[0].code}`);
      const E = BUILD_STRUCTS.grant_entry_v1;
      for (const [idx, backend, gfn] of entries) {
        if (backend === domid) continue;
        encode(E, { flags: GTF_permit_access, domid: backend, frame: Number(gfn) }, m.buffer, idx * E.size);
      }
    } finally {
      m.unmap();
    }
  } finally {
    bc.removeFromPhysmap(domid, scratch);
  }
}
