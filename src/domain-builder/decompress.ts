// Compressed kernel payloads, recognised by magic (as xg_dom_bzimageloader.c
// does) and decoded in-process by npm decoders, loaded only when a kernel
// needs them: gzip by Node's zlib, xz and lzma by lzma-native (liblzma, the
// only npm xz decoder with the x86 BCJ filter Linux kernels use that runs on
// Node 20), zstd by Node's zlib where it has it (22.15+), else the system's
// libzstd through koffi, else zstddec (the reference decoder as WebAssembly:
// 8 s for the 4.20 lab's kernel in the emulated dom0). The others are
// reported as unsupported.

import { createRequire as requireFrom } from 'node:module'; // the bundle's banner owns the name createRequire
import * as zlib from 'node:zlib';
import { loadKoffi } from '../privcmd/koffi-loader.js';

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

/** `size`: the uncompressed length when the container says it (the kernel's size trailer). */
type Decoder = (data: Buffer, size?: number) => Promise<Buffer>;

const zstdSync = (zlib as unknown as { zstdDecompressSync?: (b: Buffer) => Buffer }).zstdDecompressSync;

interface LzmaNative {
  decompress(data: Buffer, opts: object, cb: (out: Buffer | undefined, err?: Error) => void): void;
}

/** lzma-native is CommonJS with a native part: required, not bundled (see scripts/build.mjs). */
function lzmaDecoder(): Decoder {
  const lzma = requireFrom(import.meta.url)('lzma-native') as LzmaNative;
  return (data) => new Promise((resolve, reject) => {
    // Runs on libuv's thread pool; liblzma's auto decoder takes .xz and .lzma alike.
    lzma.decompress(data, {}, (out, e) => (e || !out ? reject(e ?? new Error('no output')) : resolve(out)));
  });
}

type Fn = (...args: unknown[]) => unknown;
interface Koffi { load(path: string): { func(decl: string): Fn } }

/** zstd.h's ZSTD_CONTENTSIZE_UNKNOWN and _ERROR: the frame does not say its size. */
const CONTENT_SIZE_UNSAID = [(1n << 64n) - 1n, (1n << 64n) - 2n];
const LIBZSTD_NAMES = ['libzstd.so.1', 'libzstd.so'];

/** One-shot ZSTD_decompress into a buffer of the known size (the size trailer, else the frame's header). */
function libzstdDecoder(): Decoder | null {
  let lib: { func(decl: string): Fn } | undefined;
  try {
    const koffi = loadKoffi<Koffi>(import.meta.url);
    for (const n of LIBZSTD_NAMES) {
      try { lib = koffi.load(n); break; } catch { /* the next name, then the fallback */ }
    }
  } catch {
    return null;
  }
  if (!lib) return null;
  const decompressInto = lib.func('size_t ZSTD_decompress(void *dst, size_t dstCapacity, const void *src, size_t srcSize)');
  const isError = lib.func('unsigned int ZSTD_isError(size_t code)');
  const errorName = lib.func('const char *ZSTD_getErrorName(size_t code)');
  const contentSize = lib.func('uint64_t ZSTD_getFrameContentSize(const void *src, size_t srcSize)') as (s: Buffer, n: number) => bigint;
  return async (d, size) => {
    let want = size;
    if (want === undefined) {
      const said = BigInt(contentSize(d, d.length));
      if (CONTENT_SIZE_UNSAID.includes(said)) throw new Error('the frame does not say its size and no size trailer does');
      want = Number(said);
    }
    const out = Buffer.allocUnsafe(want);
    const r = decompressInto(out, out.length, d, d.length);
    if (isError(r)) throw new Error(String(errorName(r)));
    return out.subarray(0, Number(r)); // a short result is the caller's to judge against the trailer
  };
}

async function zstddecDecoder(): Promise<Decoder> {
  const { ZSTDDecoder } = await import('zstddec');
  const dec = new ZSTDDecoder();
  await dec.init();
  // Without a size zstddec reads the frame's content size field. It reports a bad frame as no output.
  return async (d, size) => {
    const out = Buffer.from(dec.decode(d, size ?? 0));
    if (out.length === 0 && d.length > 0) throw new Error('the zstd decoder rejected the frame');
    return out;
  };
}

/** The zstd decoders in the order they are tried; null where this host lacks one. */
export const ZSTD_DECODERS: readonly (readonly [string, () => Decoder | null | Promise<Decoder | null>])[] = [
  ['zlib', () => (zstdSync ? async (d) => zstdSync(d) : null)],
  ['libzstd', libzstdDecoder],
  ['zstddec', zstddecDecoder],
];

async function zstdDecoder(): Promise<Decoder> {
  for (const [, make] of ZSTD_DECODERS) {
    const dec = await make();
    if (dec) return dec;
  }
  throw new Error('no zstd decoder');
}

/** How each format is decoded here, set up when first needed; absent ones are unsupported. */
const DECODER_FACTORIES: Partial<Record<Compression, () => Decoder | Promise<Decoder>>> = {
  gzip: () => async (d) => zlib.gunzipSync(d),
  xz: lzmaDecoder,
  lzma: lzmaDecoder,
  zstd: zstdDecoder,
};
const decoders = new Map<Compression, Promise<Decoder>>();

export async function decompress(kind: Compression, data: Buffer, size?: number): Promise<Buffer> {
  const factory = DECODER_FACTORIES[kind];
  if (!factory) throw new DecompressError(`cannot unpack ${kind} data (xl decodes gzip, xz, lzma and zstd)`, true);
  if (!decoders.has(kind)) decoders.set(kind, Promise.resolve().then(factory));
  let dec: Decoder;
  try {
    dec = await decoders.get(kind)!;
  } catch (e) {
    decoders.delete(kind);
    throw new DecompressError(`no ${kind} decoder: ${e instanceof Error ? e.message.split('\n')[0] : String(e)}`, true);
  }
  try {
    return await dec(data, size);
  } catch (e) {
    throw new DecompressError(`corrupt ${kind} data: ${e instanceof Error ? e.message : String(e)}`);
  }
}
