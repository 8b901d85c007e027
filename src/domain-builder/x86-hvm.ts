// Build an HVM guest's memory image for the qemu device model, in the order
// libxl__build_hvm drives libxc when there is a device model (4.17/4.20):
// guest RAM around the VGA hole and below the 256 MiB MMIO hole
// (meminit_hvm), the e820 from 1 MiB (domain_construct_memmap), hvmloader at
// its physical address with the system firmware (SeaBIOS) after it
// (xg_dom_hvmloader.c), the special and ioreq server pages with their HVM
// params (alloc_magic_pages_hvm), hvm_start_info listing the firmware module,
// the hvm_info table (bootlate_hvm, then libxl's hvm_build_set_params), the
// boot vcpu at hvmloader's entry, the grant entries. The device model itself
// is started by src/libxl.
//

import type { BuildCalls } from '../privcmd/build-calls.js';
import { E820, HVM_MEMMAP_ENTRY, HVM_MODLIST_ENTRY, HVM_START_INFO, MAX_GUEST_CMDLINE } from '../privcmd/build-abi.js';
import { defineStruct, encode } from '../privcmd/layout.js';
import { type XenElf } from './elf.js';
import { LayoutError, PAGE_SHIFT, PAGE_SIZE } from './layout.js';
import { BuildStepError, buildStep, type BuildInputBase } from './x86-pv.js';
import {
  FOUR_GB, MODULE_MAX, allocSpecialPages, guestPages, loadElfPages, populateRam, specialPfn, startGuest,
  writeStartInfo, type E820Entry,
} from './hvm-container.js';

/** HVM_BELOW_4G_MMIO_START (hvm/e820.h): the default hole is the top 256 MiB below 4 GiB. */
export const HVM_BELOW_4G_MMIO_START = 0xf0000000n;
/** GUEST_LOW_MEM_START_DEFAULT: with a device model the e820's RAM starts at 1 MiB (hvmloader makes the rest). */
const LOW_MEM_START = 0x100000n;
/** The VGA hole 0xA0000-0xBFFFF, in pages (LIBXL_VGA_HOLE_SIZE). */
const VGA_HOLE = { start: 0xa0, pages: 0x20 } as const;
/** NR_IOREQ_SERVER_PAGES, just below the special pages. */
const NR_IOREQ_SERVER_PAGES = 8;
const ioreqServerPfn = (i: number) => specialPfn(0) - NR_IOREQ_SERVER_PAGES + i;
/** HVM_INFO_PFN / HVM_INFO_OFFSET (hvm_info_table.h). */
const HVM_INFO_PFN = 0x9f;
const HVM_INFO_OFFSET = 0x800;
const HVM_MAX_VCPUS = 128;

/** struct hvm_info_table (hvm/hvm_info_table.h). */
export const HVM_INFO_TABLE = defineStruct('hvm_info_table', [
  ['signature', 'char', 8], ['length', 'u32'], ['checksum', 'u8'], ['apic_mode', 'u8'], ['nr_vcpus', 'u32'],
  ['low_mem_pgend', 'u32'], ['reserved_mem_pgstart', 'u32'], ['high_mem_pgend', 'u32'],
  ['vcpu_online', 'u8', HVM_MAX_VCPUS / 8],
]);

export interface HvmBuildInput extends BuildInputBase {
  /** hvmloader (a 32-bit ELF, from parseElf32) and its bytes. */
  firmware: { elf: XenElf; image: Uint8Array };
  /** The system firmware module (SeaBIOS's bios.bin), or null. */
  systemFirmware: Buffer | null;
  /** b_info.max_memkb - video_memkb. */
  memKb: number;
  /** b_info.target_memkb - video_memkb; below memKb would need populate-on-demand. */
  targetKb: number;
  /** b_info.u.hvm.mmio_hole_memkb (0: libxl's default hole). */
  mmioHoleKb?: number;
  maxVcpus: number;
  /** b_info.avail_vcpus. */
  onlineVcpus: readonly number[];
  apic: boolean;
}

export interface HvmLayout {
  lowmemEnd: bigint;
  highmemEnd: bigint;
  mmioStart: bigint;
  firmware: { pfn: number; pages: number };
  systemFirmware: { pfn: number; pages: number; bytes: number } | null;
  startInfo: { pfn: number; pages: number };
  e820: E820Entry[];
}

export interface HvmBuildResult {
  layout: HvmLayout;
  storePfn: bigint;
  consolePfn: bigint;
}

/** libxl__build_hvm's memory figures and the segments xc_dom_build_image allocates, for an HVM guest with a device model. */
export function planHvmLayout(opts: { memKb: number; mmioHoleKb?: number; firmware: XenElf; systemFirmwareBytes: number | null }): HvmLayout {
  const memBytes = BigInt(opts.memKb) << 10n;
  let mmioSize = FOUR_GB - HVM_BELOW_4G_MMIO_START;
  if (opts.mmioHoleKb) {
    const hole = BigInt(opts.mmioHoleKb) << 10n;
    if (FOUR_GB - hole < HVM_BELOW_4G_MMIO_START) mmioSize = hole;
  }
  const mmioStart = FOUR_GB - mmioSize;
  let lowmemEnd = memBytes;
  let highmemEnd = 0n;
  if (lowmemEnd > mmioStart) {
    highmemEnd = FOUR_GB + (lowmemEnd - mmioStart);
    lowmemEnd = mmioStart;
  }
  const totalPages = Number(memBytes >> BigInt(PAGE_SHIFT));
  let allocEnd = 0;
  const take = (name: string, pages: number) => {
    if (allocEnd + pages > totalPages) {
      throw new LayoutError(`not enough memory for the ${name} (need ${allocEnd + pages} pages, have ${totalPages})`);
    }
    const pfn = allocEnd;
    allocEnd += pages;
    return pfn;
  };
  take('padding', Number(opts.firmware.pstart >> BigInt(PAGE_SHIFT)));
  const fwPages = Math.ceil(Number(opts.firmware.pend - opts.firmware.pstart) / PAGE_SIZE);
  const firmware = { pfn: take('kernel', fwPages), pages: fwPages };
  const systemFirmware = opts.systemFirmwareBytes === null ? null : (() => {
    const pages = Math.ceil(opts.systemFirmwareBytes / PAGE_SIZE);
    return { pfn: take('System Firmware module', pages), pages, bytes: opts.systemFirmwareBytes };
  })();
  if (systemFirmware && BigInt(systemFirmware.pfn + systemFirmware.pages) << BigInt(PAGE_SHIFT) > mmioStart) {
    throw new LayoutError('the System Firmware module would be loaded above the MMIO hole');
  }
  const e820 = hvmMemoryMap(lowmemEnd, highmemEnd);
  const size = HVM_START_INFO.size + MODULE_MAX * (HVM_MODLIST_ENTRY.size + MAX_GUEST_CMDLINE) + e820.length * HVM_MEMMAP_ENTRY.size;
  const siPages = Math.ceil(size / PAGE_SIZE);
  const startInfo = { pfn: take('HVM start info', siPages), pages: siPages };
  return { lowmemEnd, highmemEnd, mmioStart, firmware, systemFirmware, startInfo, e820 };
}

/** domain_construct_memmap with a device model: RAM from 1 MiB to the hole, and above 4 GiB. */
export function hvmMemoryMap(lowmemEnd: bigint, highmemEnd: bigint): E820Entry[] {
  const map: E820Entry[] = [{ addr: LOW_MEM_START, size: lowmemEnd - LOW_MEM_START, type: E820.ram }];
  if (highmemEnd) map.push({ addr: FOUR_GB, size: highmemEnd - FOUR_GB, type: E820.ram });
  return map;
}

/** The hvm_info table as build_hvm_info writes it and hvm_build_set_params then adjusts it (checksummed). */
export function hvmInfoTable(opts: {
  lowmemEnd: bigint; highmemEnd: bigint; apic: boolean; maxVcpus: number; onlineVcpus: readonly number[];
}): Buffer {
  const b = Buffer.alloc(HVM_INFO_TABLE.size);
  const online = new Array<number>(HVM_MAX_VCPUS / 8).fill(0);
  for (const v of opts.onlineVcpus) if (v < HVM_MAX_VCPUS) online[v >> 3] |= 1 << (v & 7);
  encode(HVM_INFO_TABLE, {
    signature: 'HVM INFO', length: HVM_INFO_TABLE.size, apic_mode: opts.apic ? 1 : 0, nr_vcpus: opts.maxVcpus,
    low_mem_pgend: Number(opts.lowmemEnd >> BigInt(PAGE_SHIFT)),
    reserved_mem_pgstart: ioreqServerPfn(0),
    high_mem_pgend: Number(opts.highmemEnd >> BigInt(PAGE_SHIFT)),
    vcpu_online: online,
  }, b);
  let sum = 0;
  for (const byte of b) sum = (sum + byte) & 0xff;
  b[HVM_INFO_TABLE.fields.checksum.offset] = (0x100 - sum) & 0xff;
  return b;
}

export async function buildHvm(bc: BuildCalls, input: HvmBuildInput): Promise<HvmBuildResult> {
  const { domid, trace } = input;
  const step = <T>(name: string, fn: () => T | Promise<T>) => buildStep(name, trace, fn);
  if (input.targetKb < input.memKb) {
    throw new BuildStepError('memory layout', 'memory layout: maxmem above memory (populate-on-demand) is not supported yet');
  }
  const fw = input.firmware;
  const layout = await step('memory layout', () => planHvmLayout({
    memKb: input.memKb, mmioHoleKb: input.mmioHoleKb, firmware: fw.elf, systemFirmwareBytes: input.systemFirmware?.length ?? null,
  }));

  await populateRam(bc, domid, step, { ...layout, targetKb: input.targetKb, claim: input.claim, vgaHole: VGA_HOLE });
  await step('memory map', () => bc.setMemoryMap(domid, layout.e820));

  const withPages = guestPages(bc, domid);
  await step('load firmware', () => loadElfPages(withPages, layout.firmware, fw.elf, fw.image));
  const sys = layout.systemFirmware;
  if (sys && input.systemFirmware) {
    await step('load system firmware', () => withPages(sys.pfn, sys.pages, (b) => { b.fill(0, input.systemFirmware!.copy(b)); }));
  }
  await step('special pages', () => allocSpecialPages(bc, domid, withPages, NR_IOREQ_SERVER_PAGES));

  // No kernel command line: the firmware module and its "firmware" command line, and the memory map.
  const si = layout.startInfo;
  const siBase = BigInt(si.pfn) << BigInt(PAGE_SHIFT);
  await step('write start info', () => withPages(si.pfn, si.pages, (b) => writeStartInfo(b, siBase, {
    e820: layout.e820,
    modules: sys ? [{ paddr: BigInt(sys.pfn) << BigInt(PAGE_SHIFT), size: BigInt(sys.bytes), cmdline: 'firmware' }] : [],
  })));
  await step('hvm info table', () => withPages(HVM_INFO_PFN, 1, (b) => {
    b.fill(0);
    hvmInfoTable({ ...layout, apic: input.apic, maxVcpus: input.maxVcpus, onlineVcpus: input.onlineVcpus }).copy(b, HVM_INFO_OFFSET);
  }));
  // hvmloader programs the MTRRs itself.
  const { storePfn, consolePfn } = await startGuest(bc, domid, step, {
    ...input, entry: fw.elf.entry, startInfo: siBase, writeBackMtrr: false,
  });
  return { layout, storePfn, consolePfn };
}
