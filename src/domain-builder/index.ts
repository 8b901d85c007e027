// domain-builder — puts a guest's kernel, ramdisk and boot structures into a
// domain that Xen has created, through src/privcmd (BuildCalls, foreign
// mapping). x86_64 PV only so far, following libxc's xg_dom_* builder:
//
//   const image = loadPvKernel(readFileSync(kernel));     // ELF or bzImage
//   const r = await buildPv(new BuildCalls(xc), { domid, image, ramdisk, cmdline, memKb,
//                                                 storeEvtchn, consoleEvtchn, claim });
//   r.storeMfn, r.consoleMfn -> xenstore introduce and console nodes
//
// elf.ts (notes, PV parameters), bzimage.ts + decompress.ts (payloads),
// layout.ts (pure layout and page tables, unit tested), x86-pv.ts (the
// hypercall sequence). Errors: KernelFormatError (bad kernel), LayoutError
// (too little memory), BuildStepError (which step failed and why).
// Imports only src/privcmd and node built-ins.
export { KernelFormatError, parseElf, pvParams, uncoveredRanges, isElf, XEN_ELFNOTES, type XenElf, type PvParams } from './elf.js';
export { isBzImage, unwrapBzImage, bzImagePayload, UnpackError } from './bzimage.js';
export { detectCompression, decompress, DecompressError, type Compression } from './decompress.js';
export { planLayout, buildPageTables, LayoutError, type PvLayout } from './layout.js';
export { buildPv, BuildStepError, type PvImage, type PvBuildInput, type PvBuildResult } from './x86-pv.js';
export { loadPvKernel } from './kernel.js';
