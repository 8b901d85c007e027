// Kernel files as the PV loader takes them: a plain ELF with Xen notes, or a
// bzImage wrapping one (decompressed here). Errors say what is wrong with the
// file in the words the create step reports.

import { isBzImage, unwrapBzImage } from './bzimage.js';
import { KernelFormatError, isElf, parseElf, pvParams } from './elf.js';
import type { PvImage } from './x86-pv.js';

export async function loadPvKernel(file: Buffer): Promise<PvImage> {
  let image: Buffer = file;
  if (!isElf(image)) {
    if (!isBzImage(image)) throw new KernelFormatError('not an ELF or bzImage kernel');
    image = await unwrapBzImage(image);
    if (!isElf(image)) throw new KernelFormatError('bzImage payload is not an ELF image');
  }
  const elf = parseElf(image);
  return { elf, image, params: pvParams(elf) };
}
