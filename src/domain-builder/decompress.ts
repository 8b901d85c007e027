// Compressed kernel payloads and ramdisks, recognised by magic (as
// xg_dom_bzimageloader.c does). Node's zlib covers gzip, and zstd where the
// running Node has zlib.zstdDecompressSync (22.15+). INTERIM until npm
// decompressors are dependencies (issue 5 report: fzstd for zstd, an xz
// package): zstd uses the fzstd package when installed, else dom0's `zstd`;
// xz runs dom0's `xz` program (Debian's Xen packages pull in xz-utils).

import { spawnSync } from 'node:child_process';
import { createRequire as requireFrom } from 'node:module';
import { closeSync, fstatSync, mkdtempSync, openSync, readSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as zlib from 'node:zlib';

export type Compression = 'gzip' | 'xz' | 'zstd' | 'bzip2' | 'lzma' | 'lzo' | 'lz4';

/** Magic bytes per format (first match wins; order as in the C loader). */
export const MAGICS: readonly (readonly [Compression, readonly number[]])[] = [
  ['gzip', [0x1f, 0x8b]],
  ['bzip2', [0x42, 0x5a, 0x68]],
  ['xz', [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]],
  ['lzma', [0x5d, 0x00]],
  ['lzo', [0x89, 0x4c, 0x5a, 0x4f]],
  ['lz4', [0x02, 0x21, 0x4c, 0x18]],
  ['zstd', [0x28, 0xb5, 0x2f, 0xfd]],
];

export function detectCompression(b: Uint8Array): Compression | null {
  for (const [name, magic] of MAGICS) if (magic.every((v, i) => b[i] === v)) return name;
  return null;
}

export class DecompressError extends Error {
  /** True when the format is fine but this xl has no decoder for it. */
  constructor(message: string, readonly unsupported = false) { super(message); }
}

type Decoder = (data: Buffer) => Buffer;

const zstdSync = (zlib as unknown as { zstdDecompressSync?: (b: Buffer) => Buffer }).zstdDecompressSync;

/**
 * Run an external decompressor reading stdin (INTERIM, see the header). Its
 * output goes to an unlinked temporary file: much faster than a pipe of tens
 * of MiB into spawnSync under emulation.
 */
function viaProgram(prog: string, args: string[]): Decoder {
  return (data) => {
    const dir = mkdtempSync(join(tmpdir(), 'xl-unpack-'));
    const file = join(dir, 'out');
    const fd = openSync(file, 'w+');
    try {
      rmSync(dir, { recursive: true });
      const r = spawnSync(prog, args, { input: data, stdio: ['pipe', fd, 'pipe'] });
      // EPIPE: the program stopped reading after its stream ended; its status tells.
      if (r.error && !((r.error as NodeJS.ErrnoException).code === 'EPIPE' && r.status === 0)) {
        throw new DecompressError(`cannot run ${prog}: ${(r.error as NodeJS.ErrnoException).code ?? r.error.message}`);
      }
      if (r.status !== 0) throw new DecompressError(`${prog} failed: ${r.stderr.toString().trim().split('\n')[0]}`);
      const out = Buffer.allocUnsafe(fstatSync(fd).size);
      let off = 0;
      while (off < out.length) {
        const n = readSync(fd, out, off, out.length - off, off);
        if (n === 0) break;
        off += n;
      }
      return out.subarray(0, off);
    } finally {
      closeSync(fd);
    }
  };
}

/** An npm decompressor if it is installed (not a dependency yet: see the header). */
function optionalPackage<T>(name: string): T | null {
  try {
    return requireFrom(import.meta.url)(name) as T;
  } catch {
    return null;
  }
}

function programExists(prog: string): boolean {
  return spawnSync(prog, ['--version'], { stdio: 'ignore' }).status === 0;
}

/** zstd: Node's zlib (22.15+), else the fzstd package, else dom0's zstd program. */
function zstdDecoder(): Decoder | undefined {
  if (zstdSync) return (d) => zstdSync(d);
  const fzstd = optionalPackage<{ decompress: (b: Uint8Array) => Uint8Array }>('fzstd');
  if (fzstd) return (d) => Buffer.from(fzstd.decompress(d));
  return programExists('zstd') ? viaProgram('zstd', ['-dc']) : undefined;
}

/** How each format is decoded here, looked up when first needed; absent ones are reported as unsupported. */
const DECODER_FACTORIES: Partial<Record<Compression, () => Decoder | undefined>> = {
  gzip: () => (d) => zlib.gunzipSync(d),
  xz: () => viaProgram('xz', ['-dc', '--single-stream']),
  zstd: zstdDecoder,
};
const decoders = new Map<Compression, Decoder | undefined>();
const decoderFor = (kind: Compression): Decoder | undefined => {
  if (!decoders.has(kind)) decoders.set(kind, DECODER_FACTORIES[kind]?.());
  return decoders.get(kind);
};

/** npm packages that would decode the formats Node cannot (for the error text). */
const WANTED: Partial<Record<Compression, string>> = { xz: '@napi-rs/lzma', zstd: 'fzstd', lz4: 'lz4js', bzip2: 'seek-bzip' };

export function decompress(kind: Compression, data: Buffer): Buffer {
  const dec = decoderFor(kind);
  if (!dec) {
    const pkg = WANTED[kind];
    throw new DecompressError(`cannot unpack ${kind} data yet${pkg ? ` (needs the npm package ${pkg})` : ''}`, true);
  }
  try {
    return dec(data);
  } catch (e) {
    if (e instanceof DecompressError) throw e;
    throw new DecompressError(`corrupt ${kind} data: ${e instanceof Error ? e.message : String(e)}`);
  }
}
