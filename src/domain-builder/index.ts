// domain-builder — puts a guest's kernel, ramdisk and boot structures into a
// domain that Xen has created, through src/privcmd (BuildCalls, foreign
// mapping). x86_64 PV and PVH, and the HVM image for qemu (x86-hvm.ts, not yet
// used by create), following libxc's xg_dom_* builder:
//
//   const image = loadPvKernel(readFileSync(kernel));     // ELF or bzImage
//   const r = await buildPv(new BuildCalls(xc), { domid, image, ramdisk, cmdline, memKb,
//                                                 storeEvtchn, consoleEvtchn, claim });
//   r.storeMfn, r.consoleMfn -> xenstore introduce and console nodes
//
// elf.ts (notes, PV parameters), bzimage.ts + decompress.ts (payloads),
// layout.ts (pure layout and page tables, unit tested), x86-pv.ts (the
// hypercall sequence), x86-pvh.ts + acpi-pvh.ts (PVH: HVM container,
// hvm_start_info, e820, ACPI tables, vcpu via HVM save records). Errors: KernelFormatError (bad kernel), LayoutError
// (too little memory), BuildStepError (which step failed and why).
// Imports only src/privcmd and node built-ins.
export { KernelFormatError, parseElf, parseElf32, pvParams, uncoveredRanges, isElf, XEN_ELFNOTES, type ElfBytes, type XenElf, type PvParams } from './elf.js';
export { isBzImage, unwrapBzImage, bzImagePayload, UnpackError } from './bzimage.js';
export { detectCompression, decompress, DecompressError, type Compression } from './decompress.js';
export { planLayout, buildPageTables, LayoutError, type PvLayout } from './layout.js';
export { buildPv, BuildStepError, type PvImage, type PvBuildInput, type PvBuildResult } from './x86-pv.js';
export { loadPvKernel, loadKernelElf, openKernelElf, type KernelElf } from './kernel.js';
export { buildHvm, HVM_BELOW_4G_MMIO_START, planHvmLayout, hvmMemoryMap, hvmInfoTable, HVM_INFO_TABLE, type HvmBuildInput, type HvmBuildResult, type HvmLayout } from './x86-hvm.js';
export { buildPvh, planPvhLayout, memoryMap, pvhImage, type PvhImage, type PvhBuildInput, type PvhBuildResult, type PvhLayout } from './x86-pvh.js';
export { buildPvhAcpi, buildPvhDsdt, PVH_DSDT_FLAVOURS, ACPI_INFO_PHYSICAL_ADDRESS, LAPIC_BASE_ADDRESS, type PvhAcpi, type PvhAcpiInput, type AcpiModule, type PvhDsdtFlavour } from './acpi-pvh.js';
