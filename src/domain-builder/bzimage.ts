// Linux bzImage: the x86 boot protocol setup header (Documentation/x86/boot)
// locates the compressed vmlinux (payload_offset/payload_length, protocol
// 2.08+); we decompress it to the ELF the Xen loader reads. Formats whose
// stream lacks its own length carry the uncompressed size in the last 4 bytes
// (the kernel's size_append), which we check.

import { DecompressError, decompress, detectCompression } from './decompress.js';
import { KernelFormatError } from './elf.js';

const HDR = { setupSects: 0x1f1, magic: 0x202, version: 0x206, payloadOffset: 0x248, payloadLength: 0x24c } as const;

export function isBzImage(b: Uint8Array): boolean {
  return b.length > HDR.payloadLength + 4 && Buffer.from(b.buffer, b.byteOffset + HDR.magic, 4).toString('latin1') === 'HdrS';
}

/** The compressed payload of a bzImage. */
export function bzImagePayload(b: Buffer): Buffer {
  const version = b.readUInt16LE(HDR.version);
  if (version < 0x208) throw new KernelFormatError(`bzImage boot protocol ${version >> 8}.${version & 0xff} is too old (need 2.08)`);
  const sects = b[HDR.setupSects] || 4;
  const start = (sects + 1) * 512 + b.readUInt32LE(HDR.payloadOffset);
  const len = b.readUInt32LE(HDR.payloadLength);
  if (start + len > b.length) throw new KernelFormatError('bzImage payload runs past the end of the file');
  return b.subarray(start, start + len);
}

/** A well-formed kernel whose compression this xl cannot undo yet. */
export class UnpackError extends Error {}

/** The vmlinux ELF inside a bzImage. */
export async function unwrapBzImage(b: Buffer): Promise<Buffer> {
  const payload = bzImagePayload(b);
  const kind = detectCompression(payload);
  if (!kind) throw new KernelFormatError('bzImage payload is in an unknown compression format');
  try {
    // gzip and zstd frames end themselves; the others get the size trailer stripped.
    const body = kind === 'gzip' ? payload : payload.subarray(0, payload.length - 4);
    const want = kind === 'gzip' ? undefined : payload.readUInt32LE(payload.length - 4);
    const out = await decompress(kind, body, want);
    if (want !== undefined && out.length !== want) {
      throw new DecompressError(`${kind} payload gave ${out.length} bytes, header says ${want}`);
    }
    return out;
  } catch (e) {
    if (e instanceof DecompressError) {
      throw e.unsupported ? new UnpackError(`${kind}-compressed bzImage: ${e.message}`) : new KernelFormatError(`bzImage: ${e.message}`);
    }
    throw e;
  }
}
