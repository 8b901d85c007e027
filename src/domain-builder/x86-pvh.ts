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
import { E820, HVM_MEMMAP_ENTRY, HVM_MODLIST_ENTRY, HVM_START_INFO, MAX_GUEST_CMDLINE } from '../privcmd/build-abi.js';
import { buildPvhAcpi, ACPI_INFO_PHYSICAL_ADDRESS, LAPIC_BASE_ADDRESS, type AcpiModule, type PvhDsdtFlavour } from './acpi-pvh.js';
import { KernelFormatError, type ElfBytes, type XenElf } from './elf.js';
import { LayoutError, PAGE_SHIFT, PAGE_SIZE } from './layout.js';
import { BuildStepError, buildStep, ramdiskBytes, type BuildInputBase } from './x86-pv.js';
import {
  FOUR_GB, MODULE_MAX, NR_SPECIAL_PAGES, allocSpecialPages, guestPages, loadElfPages, populateRam, specialPfn,
  startGuest, writeStartInfo, type E820Entry,
} from './hvm-container.js';

/** XENFEAT_linux_rsdp_unrestricted: the kernel finds the RSDP wherever start_info says. */
const XENFEAT_linux_rsdp_unrestricted = 19;

export interface PvhImage {
  elf: XenElf;
  image: ElfBytes;
  /** XEN_ELFNOTE_PHYS32_ENTRY. */
  physEntry: bigint;
  guestOs: string;
  rsdpUnrestricted: boolean;
}

/** What libelf checks for an HVM container: a 32-bit physical entry point. */
export function pvhImage(elf: XenElf, image: ElfBytes): PvhImage {
  const entry = elf.notes.PHYS32_ENTRY;
  if (typeof entry !== 'bigint') throw new KernelFormatError('no XEN_ELFNOTE_PHYS32_ENTRY (the kernel cannot boot as PVH)');
  const supported = typeof elf.notes.SUPPORTED_FEATURES === 'bigint' ? elf.notes.SUPPORTED_FEATURES : 0n;
  return {
    elf, image, physEntry: entry,
    guestOs: typeof elf.notes.GUEST_OS === 'string' ? elf.notes.GUEST_OS : '',
    rsdpUnrestricted: ((supported >> BigInt(XENFEAT_linux_rsdp_unrestricted)) & 1n) === 1n,
  };
}

export interface PvhBuildInput extends BuildInputBase {
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
}

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

  // No VGA hole without a device model, so RAM is one range below the hole (and one above 4 GiB).
  await populateRam(bc, domid, step, { ...layout, targetKb: input.targetKb, claim: input.claim });

  await step('memory map', () => bc.setMemoryMap(domid, layout.e820));

  const withPages = guestPages(bc, domid);

  await step('load kernel', () => loadElfPages(withPages, layout.kernel, image.elf, image.image));
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

  await step('special pages', () => allocSpecialPages(bc, domid, withPages, 0));

  const si = layout.startInfo;
  const siBase = BigInt(si.pfn) << BigInt(PAGE_SHIFT);
  await step('write start info', () => withPages(si.pfn, si.pages, (b) => writeStartInfo(b, siBase, {
    cmdline: input.cmdline, cmdlineSize: si.cmdlineSize, e820: layout.e820,
    modules: layout.ramdisk ? [{ paddr: BigInt(layout.ramdisk.pfn) << BigInt(PAGE_SHIFT), size: BigInt(layout.ramdisk.pages * PAGE_SIZE) }] : [],
    rsdp: layout.acpi.find((m) => m.name === 'rsdp')?.paddr,
  })));
  const { storePfn, consolePfn } = await startGuest(bc, domid, step, {
    ...input, entry: image.physEntry, startInfo: siBase, writeBackMtrr: true,
  });
  return { layout, storePfn, consolePfn };
}
