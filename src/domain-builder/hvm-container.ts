// What PVH and HVM builds share: both are HVM containers that libxc's
// meminit_hvm, alloc_magic_pages_hvm, bootlate_hvm and vcpu_hvm build, the
// difference being whether a device model serves the guest (xg_dom_x86.c).
// RAM population, loading an ELF into guest frames, the special pages and
// their params, hvm_start_info, the boot vcpu through the HVM save records
// and the grant table seed live here; x86-pvh.ts and x86-hvm.ts hold the
// layout and the order of each kind.

import type { BuildCalls } from '../privcmd/build-calls.js';
import {
  GNTTAB_RESERVED, GTF_permit_access, HVM_BUILD_PARAM, HVM_HW_CPU, HVM_HW_MTRR, HVM_MEMMAP_ENTRY,
  HVM_MODLIST_ENTRY, HVM_SAVE_CODE, HVM_SAVE_DESCRIPTOR, HVM_SAVE_HEADER, HVM_START_INFO, HVM_START_MAGIC,
  MAX_GUEST_CMDLINE, X86_DR6_DEFAULT, X86_DR7_DEFAULT, XENMAPSPACE_grant_table, BUILD_STRUCTS,
} from '../privcmd/build-abi.js';
import { decode, encode } from '../privcmd/layout.js';
import { loadSegments, uncoveredRanges, type ElfBytes, type XenElf } from './elf.js';
import { PAGE_SHIFT, PAGE_SIZE } from './layout.js';

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
/** _PAGE_PRESENT|RW|USER|ACCESSED|DIRTY|PSE: the identity page directory's 4 MiB entries. */
const IDENT_PDE = 0xe7;

export interface E820Entry { addr: bigint; size: bigint; type: number }

type Step = <T>(name: string, fn: () => T | Promise<T>) => Promise<T>;
type WithPages = ReturnType<typeof guestPages>;

/**
 * meminit_hvm: claim, RAM below the hole (around the VGA hole when a device
 * model serves it) and above 4 GiB, release the claim.
 */
export async function populateRam(bc: BuildCalls, domid: number, step: Step, opts: {
  lowmemEnd: bigint; highmemEnd: bigint; targetKb: number; claim?: boolean; vgaHole?: { start: number; pages: number };
}): Promise<void> {
  const hole = opts.vgaHole;
  const targetPages = Math.floor(opts.targetKb / 4) - (hole?.pages ?? 0);
  if (opts.claim) await step('claim pages', () => bc.claimPages(domid, targetPages));
  await step('populate physmap', () => {
    if (hole) {
      bc.populatePhysmap(domid, Array.from({ length: hole.start }, (_, i) => BigInt(i)));
      populateRange(bc, domid, BigInt(hole.start + hole.pages), opts.lowmemEnd >> BigInt(PAGE_SHIFT));
    } else {
      populateRange(bc, domid, 0n, opts.lowmemEnd >> BigInt(PAGE_SHIFT));
    }
    if (opts.highmemEnd) populateRange(bc, domid, FOUR_GB >> BigInt(PAGE_SHIFT), opts.highmemEnd >> BigInt(PAGE_SHIFT));
  });
  if (opts.claim) await step('cancel claim', () => bc.claimPages(domid, 0));
}

/** An ELF's segments into its frames, the gaps between them zeroed. */
export function loadElfPages(withPages: WithPages, at: { pfn: number; pages: number }, elf: XenElf, image: ElfBytes): void {
  withPages(at.pfn, at.pages, (b) => {
    for (const [from, to] of uncoveredRanges(elf, b.length)) b.fill(0, from, to);
    loadSegments(elf, image, b);
  });
}

/**
 * alloc_magic_pages_hvm: the special pages (with a device model, its ioreq
 * server pages just below them), zeroed, the identity page table, their params.
 */
export function allocSpecialPages(bc: BuildCalls, domid: number, withPages: WithPages, ioreqServerPages: number): void {
  const first = specialPfn(0) - ioreqServerPages;
  const count = NR_SPECIAL_PAGES + ioreqServerPages;
  bc.populatePhysmap(domid, Array.from({ length: count }, (_, i) => BigInt(first + i)));
  withPages(first, count, (b) => {
    b.fill(0);
    // A 32-bit page directory of 4 MiB identity mappings, for running with paging off under EPT.
    const identAt = (ioreqServerPages + SPECIAL.identPt) * PAGE_SIZE;
    for (let i = 0; i < PAGE_SIZE / 4; i++) b.writeUInt32LE(((i << 22) | IDENT_PDE) >>> 0, identAt + i * 4);
  });
  const P = HVM_BUILD_PARAM;
  const params: [number, bigint][] = [
    [P.store_pfn, BigInt(specialPfn(SPECIAL.xenstore))],
    [P.bufioreq_pfn, BigInt(specialPfn(SPECIAL.bufioreq))],
    [P.ioreq_pfn, BigInt(specialPfn(SPECIAL.ioreq))],
    [P.console_pfn, BigInt(specialPfn(SPECIAL.console))],
    [P.paging_ring_pfn, BigInt(specialPfn(SPECIAL.paging))],
    [P.monitor_ring_pfn, BigInt(specialPfn(SPECIAL.access))],
    [P.sharing_ring_pfn, BigInt(specialPfn(SPECIAL.sharing))],
    ...(ioreqServerPages ? [[P.ioreq_server_pfn, BigInt(first)], [P.nr_ioreq_server_pages, BigInt(ioreqServerPages)]] as [number, bigint][] : []),
    [P.ident_pt, BigInt(specialPfn(SPECIAL.identPt)) << BigInt(PAGE_SHIFT)],
  ];
  for (const [index, value] of params) bc.hvmSetParam(domid, index, value);
}

export interface StartInfoModule { paddr: bigint; size: bigint; cmdline?: string }

/**
 * bootlate_hvm's hvm_start_info v1 at `base`: the kernel command line (in a
 * slot of `cmdlineSize` bytes), the module list with a command line slot per
 * module, the memory map.
 */
export function writeStartInfo(b: Buffer, base: bigint, info: {
  cmdline?: string; cmdlineSize?: number; modules: readonly StartInfoModule[]; e820: readonly E820Entry[]; rsdp?: bigint;
}): void {
  b.fill(0);
  const cmdOff = HVM_START_INFO.size;
  if (info.cmdline) b.write(info.cmdline, cmdOff, (info.cmdlineSize ?? 0) - 1, 'latin1');
  const modOff = cmdOff + (info.cmdlineSize ?? 0);
  const modCmdOff = modOff + MODULE_MAX * HVM_MODLIST_ENTRY.size;
  info.modules.forEach((m, i) => {
    const cmdAt = modCmdOff + i * MAX_GUEST_CMDLINE;
    if (m.cmdline) b.write(m.cmdline, cmdAt, 'latin1');
    encode(HVM_MODLIST_ENTRY, {
      paddr: m.paddr, size: m.size, cmdline_paddr: m.cmdline ? base + BigInt(cmdAt) : 0n,
    }, b, modOff + i * HVM_MODLIST_ENTRY.size);
  });
  const mapOff = modOff + MODULE_MAX * (HVM_MODLIST_ENTRY.size + MAX_GUEST_CMDLINE);
  info.e820.forEach((e, i) => encode(HVM_MEMMAP_ENTRY, { addr: e.addr, size: e.size, type: e.type }, b, mapOff + i * HVM_MEMMAP_ENTRY.size));
  encode(HVM_START_INFO, {
    magic: HVM_START_MAGIC, version: 1, flags: 0, nr_modules: info.modules.length,
    modlist_paddr: info.modules.length ? base + BigInt(modOff) : 0n,
    cmdline_paddr: info.cmdline ? base + BigInt(cmdOff) : 0n,
    rsdp_paddr: info.rsdp ?? 0n,
    memmap_paddr: base + BigInt(mapOff),
    memmap_entries: info.e820.length,
  }, b);
}

/** The end of both builds: event channel params, the boot vcpu, the grant entries of the two rings. */
export async function startGuest(bc: BuildCalls, domid: number, step: Step, input: {
  consoleEvtchn: number; storeEvtchn: number; consoleDomid?: number; xenstoreDomid?: number;
  maxVcpus: number; entry: bigint; startInfo: bigint; writeBackMtrr: boolean;
}): Promise<{ storePfn: bigint; consolePfn: bigint }> {
  await step('event channel params', () => {
    bc.hvmSetParam(domid, HVM_BUILD_PARAM.console_evtchn, input.consoleEvtchn);
    bc.hvmSetParam(domid, HVM_BUILD_PARAM.store_evtchn, input.storeEvtchn);
  });
  await step('vcpu context', () => setBootVcpu(bc, domid, input.maxVcpus, input.entry, input.startInfo, { writeBackMtrr: input.writeBackMtrr }));
  const consolePfn = BigInt(specialPfn(SPECIAL.console));
  const storePfn = BigInt(specialPfn(SPECIAL.xenstore));
  await step('grant table', () => seedGrantTable(bc, domid, [
    [GNTTAB_RESERVED.console, input.consoleDomid ?? 0, consolePfn],
    [GNTTAB_RESERVED.xenstore, input.xenstoreDomid ?? 0, storePfn],
  ]));
  return { storePfn, consolePfn };
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
