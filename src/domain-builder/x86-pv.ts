// Build a 64-bit PV guest into an existing (paused, empty) domain, in the
// order libxl__build_pv drives libxc: address size, claim + populate_physmap
// (meminit_pv), image and layout (xc_dom_build_image), page tables, p2m,
// start_info, hypercall page, pin of the L4 and shared_info (bootlate_pv),
// vcpu 0 context (vcpu_x86_64), then the grant table entries for the console
// and xenstore rings (xc_dom_gnttab_seed). Each step is named in errors.

import type { BuildCalls } from '../privcmd/build-calls.js';
import {
  FLAT_KERNEL_X86_64, GNTTAB_RESERVED, GTF_permit_access, MAX_GUEST_CMDLINE, MMUEXT, SHARED_INFO_X86_64, SIF,
  START_INFO_X86_64, VCPU_GUEST_CONTEXT_X86_64, VGCF, X86_DR6_DEFAULT, X86_DR7_DEFAULT, BUILD_STRUCTS,
} from '../privcmd/build-abi.js';
import { encode } from '../privcmd/layout.js';
import { gunzipSync } from 'node:zlib';
import { UNSET, loadSegments, uncoveredRanges, type ElfBytes, type PvParams, type XenElf } from './elf.js';
import { PAGE_SHIFT, PAGE_SIZE, buildPageTables, planLayout, type PvLayout, type Segment } from './layout.js';
import { detectCompression } from './decompress.js';

export class BuildStepError extends Error {
  constructor(readonly step: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

export interface PvImage {
  elf: XenElf;
  /** The decompressed ELF bytes (or the cached file holding them). */
  image: ElfBytes;
  params: PvParams;
}

/** What every builder (PV, PVH, HVM) is given besides its image and memory. */
export interface BuildInputBase {
  domid: number;
  storeEvtchn: number;
  consoleEvtchn: number;
  /** Domains serving the console and xenstore rings. */
  consoleDomid?: number;
  xenstoreDomid?: number;
  claim?: boolean;
  /** Progress hook (timings, debugging, failure injection). */
  trace?: (step: string) => void;
}

export interface PvBuildInput extends BuildInputBase {
  image: PvImage;
  ramdisk: Buffer | null;
  cmdline: string;
  /** Guest RAM in KiB (libxl's target_memkb). */
  memKb: number;
}

export interface PvBuildResult {
  layout: PvLayout;
  storeMfn: bigint;
  consoleMfn: bigint;
  p2m: bigint[];
}

/** What a C loader does with a gzip ramdisk: hand over the uncompressed bytes. */
export function ramdiskBytes(r: Buffer): Buffer {
  if (detectCompression(r) !== 'gzip') return r;
  try {
    return gunzipSync(r);
  } catch {
    return r; // libxc falls back to the raw blob too
  }
}

/** SUPERPAGE_2MB_SHIFT: order of the extents meminit_pv asks for first. */
const SUPERPAGE_SHIFT = 9;

/** Run one named build step: its errors become BuildStepError naming it. */
export async function buildStep<T>(name: string, trace: ((step: string) => void) | undefined, fn: () => T | Promise<T>): Promise<T> {
  try {
    trace?.(name); // may throw: tests inject failures here
    return await fn();
  } catch (e) {
    if (e instanceof BuildStepError) throw e;
    throw new BuildStepError(name, `${name}: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
  }
}

export async function buildPv(bc: BuildCalls, input: PvBuildInput): Promise<PvBuildResult> {
  const { domid, image, trace } = input;
  const xc = bc.xc;
  const params = image.params;
  const totalPages = Math.floor(input.memKb / 4);
  const ramdisk = input.ramdisk ? ramdiskBytes(input.ramdisk) : null;

  const layout = await buildStep('memory layout', trace, () => planLayout({ params, totalPages, ramdiskBytes: ramdisk?.length ?? null }));

  // meminit_pv
  await buildStep('set address size', trace, () => bc.setAddressSize(domid, 64));
  if (input.claim) await buildStep('claim pages', trace, () => bc.claimPages(domid, totalPages));
  // 2 MiB extents first, as many as Xen has, then 4 KiB pages for the rest.
  const p2m = await buildStep('populate physmap', trace, () => {
    const supers = totalPages >> SUPERPAGE_SHIFT;
    const got = bc.populatePhysmap(domid, Array.from({ length: supers }, (_, i) => BigInt(i << SUPERPAGE_SHIFT)),
      SUPERPAGE_SHIFT, 0, { partial: true });
    const map: bigint[] = [];
    for (const mfn of got) for (let k = 0n; k < BigInt(1 << SUPERPAGE_SHIFT); k++) map.push(mfn + k);
    const rest = Array.from({ length: totalPages - map.length }, (_, i) => BigInt(map.length + i));
    if (rest.length) map.push(...bc.populatePhysmap(domid, rest));
    return map;
  });
  if (input.claim) await buildStep('cancel claim', trace, () => bc.claimPages(domid, 0));

  /** Map `pages` guest pages from `pfn` writable, run fn on their bytes, unmap. */
  const withPages = <T>(pfn: number, pages: number, fn: (b: Buffer) => T): T => {
    const m = xc.mapForeignPages(domid, p2m.slice(pfn, pfn + pages), 'rw');
    try {
      const bad = m.errors.findIndex((e) => e !== null);
      if (bad >= 0) throw new Error(`cannot map guest pfn 0x${(pfn + bad).toString(16)}: ${m.errors[bad]!.code}`);
      return fn(m.buffer);
    } finally {
      m.unmap();
    }
  };
  // A segment's pages end up fully written: the contents, then zeros for the
  // rest (not zeros first and the contents over them: tens of MB under emulation).
  const fill = (seg: Segment, fn: (b: Buffer) => number) => withPages(seg.pfn, seg.pages, (b) => { b.fill(0, fn(b)); });

  await buildStep('load kernel', trace, () => withPages(layout.kernel.pfn, layout.kernel.pages, (b) => {
    for (const [from, to] of uncoveredRanges(image.elf, b.length)) b.fill(0, from, to);
    loadSegments(image.elf, image.image, b);
  }));
  if (layout.ramdisk && ramdisk) await buildStep('load ramdisk', trace, () => fill(layout.ramdisk!, (b) => ramdisk.copy(b)));
  await buildStep('clear xenstore and console pages', trace, () => {
    withPages(layout.xenstorePfn, 1, (b) => b.fill(0));
    withPages(layout.consolePfn, 1, (b) => b.fill(0));
  });

  // setup_pgtables_x86_64: the p2m list, then the tables.
  await buildStep('write p2m', trace, () => fill(layout.p2m, (b) => {
    // x86 is little-endian like the guest: one typed-array copy, not an entry at a time.
    new BigUint64Array(b.buffer, b.byteOffset, p2m.length).set(p2m);
    return p2m.length * 8;
  }));
  await buildStep('write page tables', trace, () => fill(layout.pgtables, (b) => buildPageTables(layout, p2m).copy(b)));

  const info = await buildStep('read domain info', trace, () => {
    const d = xc.getDomainInfo(domid);
    if (!d) throw new Error(`domain ${domid} vanished`);
    return d;
  });

  const virt = (pfn: number) => params.virtBase + BigInt(pfn) * BigInt(PAGE_SIZE);
  const storeMfn = p2m[layout.xenstorePfn];
  const consoleMfn = p2m[layout.consolePfn];
  await buildStep('write start_info', trace, () => withPages(layout.startInfoPfn, 1, (b) => {
    b.fill(0);
    const cmd = Buffer.from(input.cmdline, 'latin1').subarray(0, MAX_GUEST_CMDLINE - 1).toString('latin1');
    let flags = 0;
    let modStart = 0n;
    let modLen = 0n;
    if (layout.ramdisk) {
      if (layout.ramdiskUnmapped) {
        flags |= SIF.mod_start_pfn;
        modStart = BigInt(layout.ramdisk.pfn);
        modLen = BigInt(layout.ramdisk.pages * PAGE_SIZE);
      } else {
        modStart = layout.ramdisk.vstart;
        modLen = layout.ramdisk.vend - layout.ramdisk.vstart;
      }
    }
    encode(START_INFO_X86_64, {
      magic: 'xen-3.0-x86_64',
      nr_pages: BigInt(totalPages),
      shared_info: info.sharedInfoFrame << BigInt(PAGE_SHIFT),
      flags,
      store_mfn: storeMfn,
      store_evtchn: input.storeEvtchn,
      console_mfn: consoleMfn,
      console_evtchn: input.consoleEvtchn,
      pt_base: layout.pgtables.vstart,
      nr_pt_frames: BigInt(layout.pgtables.pages),
      mfn_list: layout.p2m.vstart,
      mod_start: modStart,
      mod_len: modLen,
      cmd_line: cmd,
    }, b);
  }));

  if (params.virtHypercall !== UNSET) {
    await buildStep('hypercall page', trace, () => {
      const pfn = Number((params.virtHypercall - params.virtBase) >> BigInt(PAGE_SHIFT));
      bc.hypercallInit(domid, p2m[pfn]);
    });
  }

  // bootlate_pv
  await buildStep('pin page tables', trace, () => bc.mmuextOp(domid, MMUEXT.pin_l4, p2m[layout.pgtables.pfn]));
  await buildStep('shared info', trace, () => {
    const m = xc.mapForeignPages(domid, [info.sharedInfoFrame], 'rw');
    try {
      if (m.errors[0]) throw new Error(`cannot map shared_info: ${m.errors[0].code}`);
      m.buffer.fill(0, 0, PAGE_SIZE);
      const s = SHARED_INFO_X86_64;
      for (let i = 0; i < s.legacyMaxVcpus; i++) m.buffer[i * s.vcpuInfoSize + s.upcallMaskOffset] = 1;
    } finally {
      m.unmap();
    }
  });

  await buildStep('vcpu context', trace, () => {
    const ctx = Buffer.alloc(VCPU_GUEST_CONTEXT_X86_64.size);
    const sp = virt(layout.bootstackPfn + 1);
    encode(VCPU_GUEST_CONTEXT_X86_64, {
      flags: BigInt(VGCF.in_kernel | VGCF.online),
      user_regs: {
        rip: params.virtEntry,
        rsp: sp,
        rsi: virt(layout.startInfoPfn),
        rflags: 1n << 9n,
        cs: FLAT_KERNEL_X86_64.cs,
        ss: FLAT_KERNEL_X86_64.ss,
        ds: FLAT_KERNEL_X86_64.ds, es: FLAT_KERNEL_X86_64.ds, fs: FLAT_KERNEL_X86_64.ds, gs: FLAT_KERNEL_X86_64.ds,
      },
      kernel_ss: BigInt(FLAT_KERNEL_X86_64.ss),
      kernel_sp: sp,
      ctrlreg: [0n, 0n, 0n, p2m[layout.pgtables.pfn] << BigInt(PAGE_SHIFT)],
      debugreg: [0n, 0n, 0n, 0n, 0n, 0n, BigInt(X86_DR6_DEFAULT), BigInt(X86_DR7_DEFAULT)],
    }, ctx);
    bc.setVcpuContext(domid, 0, ctx);
  });

  // xc_dom_gnttab_seed, compat path: set up one frame and write entries 0 and 1.
  await buildStep('grant table', trace, () => {
    const [frame] = bc.gnttabSetupTable(domid, 1);
    const m = xc.mapForeignPages(domid, [frame], 'rw');
    try {
      if (m.errors[0]) throw new Error(`cannot map the grant table: ${m.errors[0].code}`);
      const E = BUILD_STRUCTS.grant_entry_v1;
      const seed = (idx: number, backend: number, mfn: bigint) => {
        if (backend === domid) return;
        encode(E, { flags: GTF_permit_access, domid: backend, frame: Number(mfn) }, m.buffer, idx * E.size);
      };
      seed(GNTTAB_RESERVED.console, input.consoleDomid ?? 0, consoleMfn);
      seed(GNTTAB_RESERVED.xenstore, input.xenstoreDomid ?? 0, storeMfn);
    } finally {
      m.unmap();
    }
  });

  return { layout, storeMfn, consoleMfn, p2m };
}
