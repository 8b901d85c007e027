// The x86_64 PV memory layout, computed the way xg_dom_core.c and
// xg_dom_x86.c do it for a 64-bit guest, as pure data: guest pfns and virtual
// addresses of the kernel, ramdisk, p2m list, start_info, xenstore and
// console pages, the initial page tables and the boot stack; then the page
// table contents for a given p2m. Everything is mapped 1:1 from virt_base
// (virtual = virt_base + pfn * 4096). The kernel's INIT_P2M note is not used
// yet: the p2m list lives in the initial mapping, which Linux accepts.

import { KernelFormatError, type PvParams } from './elf.js';

export const PAGE_SHIFT = 12;
export const PAGE_SIZE = 4096;
const LEVELS = 4;
const LEVEL_SHIFT = 9;
const VADDR_MASK = (1n << 48n) - 1n;
const mask = (bits: number) => (1n << BigInt(bits)) - 1n;

/** _PAGE_* bits: L1 entries present|rw|accessed; upper levels add dirty|user. */
export const PTE = { present: 0x1n, rw: 0x2n, user: 0x4n, accessed: 0x20n, dirty: 0x40n } as const;
const L1_PROT = PTE.present | PTE.rw | PTE.accessed;
const UPPER_PROT = PTE.present | PTE.rw | PTE.accessed | PTE.dirty | PTE.user;

export interface Segment { name: string; pfn: number; pages: number; vstart: bigint; vend: bigint }

export interface LevelRange { from: bigint; to: bigint; pfn: number; tables: number }

export interface PvLayout {
  totalPages: number;
  kernel: Segment;
  /** Null without a ramdisk. */
  ramdisk: Segment | null;
  /** Ramdisk outside the initial mapping (MOD_START_PFN): start_info gets a pfn. */
  ramdiskUnmapped: boolean;
  p2m: Segment;
  startInfoPfn: number;
  xenstorePfn: number;
  consolePfn: number;
  pgtables: Segment;
  /** Index 3 = L4 ... 0 = L1. */
  levels: LevelRange[];
  /** The mapped area [from, to] (48-bit masked, inclusive). */
  area: { from: bigint; to: bigint };
  bootstackPfn: number;
  /** End of the initial mapping (virtual, exclusive). */
  virtPgtabEnd: bigint;
  /** pfns in use by the build, the rest is free RAM for the guest. */
  pfnAllocEnd: number;
}

export class LayoutError extends Error {}

class Allocator {
  virtEnd: bigint;
  pfnEnd = 0;
  constructor(readonly virtBase: bigint, readonly totalPages: number) { this.virtEnd = virtBase; }

  private take(name: string, pages: number): void {
    if (this.pfnEnd + pages > this.totalPages) {
      throw new LayoutError(`not enough memory for the ${name} (need ${this.pfnEnd + pages} pages, have ${this.totalPages})`);
    }
    this.pfnEnd += pages;
    this.virtEnd += BigInt(pages * PAGE_SIZE);
  }

  pad(boundary: bigint): void {
    if (boundary & BigInt(PAGE_SIZE - 1)) throw new LayoutError(`segment boundary 0x${boundary.toString(16)} is not page aligned`);
    if (boundary < this.virtEnd) throw new LayoutError(`segment boundary 0x${boundary.toString(16)} is too low`);
    this.take('padding', Number((boundary - this.virtEnd) / BigInt(PAGE_SIZE)));
  }

  segment(name: string, bytes: number | bigint, start = 0n): Segment {
    if (start) this.pad(start);
    const pages = Math.ceil(Number(bytes) / PAGE_SIZE);
    const vstart = this.virtEnd;
    const pfn = this.pfnEnd;
    this.take(name, pages);
    return { name, pfn, pages, vstart, vend: this.virtEnd };
  }

  page(name: string): number {
    const pfn = this.pfnEnd;
    this.take(name, 1);
    return pfn;
  }
}

/** count_pgtables for the first (only) mapping [from, to]: tables per level, L4 first. */
function countTables(from: bigint, to: bigint, firstPfn: number): { levels: LevelRange[]; total: number; area: { from: bigint; to: bigint } } {
  const area = { from: from & VADDR_MASK, to: to & VADDR_MASK };
  const levels: LevelRange[] = [];
  let total = 0;
  for (let l = LEVELS - 1; l >= 0; l--) {
    const pfn = firstPfn + total;
    if (l === LEVELS - 1) {
      levels[l] = { from: 0n, to: VADDR_MASK, pfn, tables: 1 };
      total += 1;
      continue;
    }
    const bits = PAGE_SHIFT + (l + 1) * LEVEL_SHIFT;
    const m = mask(bits);
    const lf = area.from & ~m;
    const lt = area.to | m;
    const tables = lf < lt ? Number((lt - lf) >> BigInt(bits)) + 1 : 0;
    levels[l] = { from: lf, to: lt, pfn, tables };
    total += tables;
  }
  return { levels, total, area };
}

export interface LayoutInput {
  params: PvParams;
  totalPages: number;
  ramdiskBytes: number | null;
}

export function planLayout({ params, totalPages, ramdiskBytes }: LayoutInput): PvLayout {
  const a = new Allocator(params.virtBase, totalPages);
  const kernel = a.segment('kernel', params.virtKend - params.virtKstart, params.virtKstart);
  const unmapped = ramdiskBytes !== null && params.unmappedInitrd;
  let ramdisk = ramdiskBytes !== null && !unmapped ? a.segment('module0', ramdiskBytes) : null;
  const p2m = a.segment('phys2mach', Math.ceil((totalPages * 8) / PAGE_SIZE) * PAGE_SIZE);
  const startInfoPfn = a.page('start info');
  const xenstorePfn = a.page('xenstore');
  const consolePfn = a.page('console');

  // alloc_pgtables_pv: grow the mapping until it also covers its own tables,
  // the boot stack and 512 KiB of slack, rounded up to 4 MiB.
  const extra = 1 + (512 * 1024) / PAGE_SIZE;
  let pages = extra;
  let tryEnd: bigint;
  let counted: ReturnType<typeof countTables>;
  for (;;) {
    tryEnd = (a.virtEnd + BigInt(pages * PAGE_SIZE)) | mask(22);
    const endPfn = Number((tryEnd - params.virtBase) >> BigInt(PAGE_SHIFT));
    if (endPfn >= totalPages) {
      throw new LayoutError(`not enough memory for the initial mapping (0x${endPfn.toString(16)} > 0x${totalPages.toString(16)} pages)`);
    }
    counted = countTables(params.virtBase, tryEnd, a.pfnEnd);
    pages = counted.total + extra;
    if (a.virtEnd + BigInt(pages * PAGE_SIZE) <= tryEnd + 1n) break;
  }
  const pgtables = a.segment('page tables', counted.total * PAGE_SIZE);
  const bootstackPfn = a.page('boot stack');
  const virtPgtabEnd = tryEnd + 1n;
  a.pad(virtPgtabEnd);
  if (unmapped) ramdisk = a.segment('module0', ramdiskBytes);
  return {
    totalPages, kernel, ramdisk, ramdiskUnmapped: unmapped, p2m, startInfoPfn, xenstorePfn, consolePfn, pgtables,
    levels: counted.levels, area: counted.area, bootstackPfn, virtPgtabEnd, pfnAllocEnd: a.pfnEnd,
  };
}

/**
 * The initial page tables (setup_pgtables_pv), as the bytes of the
 * pgtables segment: L4, then the L3s, L2s and L1s, each 512 u64 entries.
 * Page-table pages are mapped read-only, as Xen requires.
 */
export function buildPageTables(lay: PvLayout, p2m: readonly bigint[]): Buffer {
  const out = Buffer.alloc(lay.pgtables.pages * PAGE_SIZE);
  const base = lay.pgtables.pfn;
  const ptFirst = lay.levels[LEVELS - 1].pfn;
  const ptEnd = ptFirst + lay.pgtables.pages;
  for (let l = LEVELS - 1; l >= 0; l--) {
    const me = lay.levels[l];
    const lower: LevelRange = l > 0 ? lay.levels[l - 1] : { from: lay.area.from, to: lay.area.to, pfn: 0, tables: 1 };
    if (l > 0 && lower.tables === 0) continue;
    if (lower.from >= me.to || lower.to <= me.from) continue;
    const shift = BigInt(PAGE_SHIFT + l * LEVEL_SHIFT);
    const lo = lower.from > me.from ? lower.from : me.from;
    const hi = lower.to < me.to ? lower.to : me.to;
    const pS = Number((lo - me.from) >> shift);
    const pE = Number((hi - me.from) >> shift);
    let pfn = Number((lo - lower.from) >> shift) + lower.pfn;
    const tableOff = (me.pfn - base) * PAGE_SIZE;
    for (let p = pS; p <= pE; p++, pfn++) {
      let prot = l === 0 ? L1_PROT : UPPER_PROT;
      if (l === 0 && pfn >= ptFirst && pfn < ptEnd) prot &= ~PTE.rw;
      out.writeBigUInt64LE((p2m[pfn] << BigInt(PAGE_SHIFT)) | prot, tableOff + p * 8);
    }
  }
  return out;
}


export { KernelFormatError };
