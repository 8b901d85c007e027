// Kernel files as the PV loader takes them: a plain ELF with Xen notes, or a
// bzImage wrapping one (decompressed here), either maybe gzipped. Errors say
// what is wrong with the file in the words the create step reports.

import { isBzImage, unwrapBzImage } from './bzimage.js';
import { decompress, detectCompression } from './decompress.js';
import { KernelFormatError, elfFile, isElf, parseElf, pvParams, type ElfBytes, type ElfFile, type XenElf } from './elf.js';
import type { PvImage } from './x86-pv.js';

export interface KernelElf { elf: XenElf; image: ElfBytes }

/** The kernel's ELF image, unwrapped and decompressed, for either builder. */
export async function loadKernelElf(file: Buffer): Promise<{ elf: XenElf; image: Buffer }> {
  // xc_dom_kernel_file gunzips a gzipped kernel file first (a gzipped vmlinux, or even a gzipped bzImage).
  let image: Buffer = detectCompression(file) === 'gzip' ? await decompress('gzip', file).catch((e: Error) => {
    throw new KernelFormatError(`gzipped kernel: ${e.message}`);
  }) : file;
  if (!isElf(image)) {
    if (!isBzImage(image)) throw new KernelFormatError('not an ELF or bzImage kernel');
    image = await unwrapBzImage(image);
    if (!isElf(image)) throw new KernelFormatError('bzImage payload is not an ELF image');
  }
  return { elf: parseElf(image), image };
}

/** An unpacked ELF kernel file (the kernel cache's), read where its segments are loaded; the caller closes it. */
export function openKernelElf(path: string): { elf: XenElf; image: ElfFile } {
  const image = elfFile(path);
  try {
    return { elf: parseElf(image), image };
  } catch (e) {
    image.close();
    throw e;
  }
}

export async function loadPvKernel(file: Buffer): Promise<PvImage & { image: Buffer }> {
  const { elf, image } = await loadKernelElf(file);
  return { elf, image, params: pvParams(elf) };
}
