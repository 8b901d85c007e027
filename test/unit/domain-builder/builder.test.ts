// Domain builder without Xen: ELF notes, bzImage unwrapping, decompression
// table, and the x86_64 PV layout and page tables checked against the rules
// of xg_dom_x86.c (what must be mapped, read-only page tables, 4 MiB end).
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import {
  KernelFormatError, LayoutError, buildPageTables, bzImagePayload, detectCompression, loadPvKernel, parseElf,
  planLayout, pvParams, uncoveredRanges, unwrapBzImage, UnpackError,
} from '../../../src/domain-builder/index.js';

import { ZSTD_DECODERS } from '../../../src/domain-builder/decompress.js';
import { LINUX_NOTES, VIRT_BASE, makeBzImage, makeElf, u64 } from '../../helpers/kernel-images.js';

describe('ELF and Xen notes', () => {
  it('reads the notes a Linux kernel carries and computes the PV parameters', () => {
    const elf = parseElf(makeElf({ notes: LINUX_NOTES, memsz: 0x3000 }));
    expect(elf.notes).toMatchObject({ GUEST_OS: 'linux', VIRT_BASE, LOADER: 'generic', MOD_START_PFN: 1n });
    expect(elf.notes.L1_MFN_VALID).toBeUndefined();
    const p = pvParams(elf);
    expect(p.virtKstart).toBe(VIRT_BASE + 0x1000000n);
    expect(p.virtKend).toBe(VIRT_BASE + 0x1003000n);
    expect(p.virtEntry).toBe(VIRT_BASE + 0x1000000n);
    expect(p.unmappedInitrd).toBe(true);
    expect(p.virtHypercall).toBe(-1n);
  });
  it('refuses a kernel without XEN_ELFNOTE_ENTRY, and non-ELF files', async () => {
    expect(() => pvParams(parseElf(makeElf({ notes: [[3, u64(VIRT_BASE)]] })))).toThrow(/no XEN_ELFNOTE_ENTRY/);
    await expect(loadPvKernel(Buffer.from('#!/bin/sh\necho not a kernel\n'))).rejects.toThrow(KernelFormatError);
    await expect(loadPvKernel(Buffer.alloc(4096))).rejects.toThrow(/not an ELF or bzImage kernel/);
  });
  it('refuses an entry point outside the image', () => {
    const notes = LINUX_NOTES.map(([t, d]): [number, Buffer] => (t === 1 ? [1, u64(VIRT_BASE + 0x9000000n)] : [t, d]));
    expect(() => pvParams(parseElf(makeElf({ notes })))).toThrow(/out of bounds/);
  });
});

describe('bzImage', () => {
  it('finds the payload from the setup header and unwraps a gzip vmlinux', async () => {
    const elf = makeElf({ notes: LINUX_NOTES });
    const bz = makeBzImage(gzipSync(elf));
    expect(detectCompression(bzImagePayload(bz))).toBe('gzip');
    expect((await unwrapBzImage(bz)).equals(elf)).toBe(true);
    expect((await loadPvKernel(bz)).params.virtEntry).toBe(VIRT_BASE + 0x1000000n);
  });
  it('loads a gzipped ELF or bzImage kernel file, as xc_dom_kernel_file does', async () => {
    const elf = makeElf({ notes: LINUX_NOTES });
    expect(Buffer.from((await loadPvKernel(gzipSync(elf))).image).equals(elf)).toBe(true);
    expect((await loadPvKernel(gzipSync(makeBzImage(gzipSync(elf))))).params.virtEntry).toBe(VIRT_BASE + 0x1000000n);
    await expect(loadPvKernel(gzipSync(elf).subarray(0, 100))).rejects.toThrow(/gzipped kernel: corrupt gzip data/);
  });
  // As the kernel's Makefile packs them: xz with the x86 BCJ filter, zstd -22 --ultra, each followed by the size.
  const packers: [string, string, string[]][] = [
    ['xz', 'xz', ['--format=xz', '--check=crc32', '--x86', '--lzma2=dict=1MiB', '-c']],
    ['zstd', 'zstd', ['-22', '--ultra', '-c', '-q']],
    ['lzma', 'xz', ['--format=lzma', '-c']],
  ];
  for (const [kind, prog, args] of packers) {
    it(`unwraps a ${kind} vmlinux with the size trailer, and names a corrupt one`, async () => {
      const elf = Buffer.concat([makeElf({ notes: LINUX_NOTES }), randomBytes(70000), Buffer.alloc(300000, 0x90)]);
      const packed = spawnSync(prog, args, { input: elf });
      expect(packed.status, packed.stderr?.toString()).toBe(0);
      const size = Buffer.alloc(4);
      size.writeUInt32LE(elf.length);
      const bz = makeBzImage(Buffer.concat([packed.stdout, size]));
      expect(detectCompression(bzImagePayload(bz))).toBe(kind);
      expect((await unwrapBzImage(bz)).equals(elf)).toBe(true);
      const bad = Buffer.from(packed.stdout);
      bad.fill(0x55, 40, 200);
      await expect(unwrapBzImage(makeBzImage(Buffer.concat([bad, size])))).rejects.toThrow(new RegExp(`bzImage: corrupt ${kind} data`));
      size.writeUInt32LE(elf.length + 1);
      await expect(unwrapBzImage(makeBzImage(Buffer.concat([packed.stdout, size])))).rejects.toThrow(/header says/);
    });
  }
  it('each zstd decoder this host has unpacks the same data, names a corrupt frame, and needs a size only where the frame lacks one', async () => {
    const data = Buffer.concat([randomBytes(50000), Buffer.alloc(200000, 0x90)]);
    const packed = spawnSync('zstd', ['-19', '-c', '-q'], { input: data }).stdout; // from a pipe: no content size in the frame
    const sized = spawnSync('sh', ['-c', `f=$(mktemp); cat > $f; zstd -q -c $f; rm $f`], { input: data }).stdout;
    const bad = Buffer.from(packed);
    bad.fill(0x55, 40, 200);
    const present: string[] = [];
    for (const [name, make] of ZSTD_DECODERS) {
      const dec = await make();
      if (!dec) continue;
      present.push(name);
      expect((await dec(packed, data.length)).equals(data), name).toBe(true);
      expect((await dec(sized)).equals(data), name).toBe(true);
      await expect(dec(bad, data.length), name).rejects.toThrow();
      if (name === 'libzstd') await expect(dec(packed)).rejects.toThrow(/does not say its size/);
    }
    // The lab's dom0s and this machine have libzstd; Node 20 has no zstd in zlib.
    expect(present).toContain('libzstd');
    expect(present).toContain('zstddec');
  });
  it('names an unknown payload format and refuses old boot protocols', async () => {
    await expect(unwrapBzImage(makeBzImage(Buffer.from('garbage-payload')))).rejects.toThrow(/unknown compression/);
    const old = makeBzImage(gzipSync(Buffer.from('x')));
    old.writeUInt16LE(0x206, 0x206);
    await expect(unwrapBzImage(old)).rejects.toThrow(/too old/);
  });
  it('a format this xl has no decoder for is an UnpackError, not a bad kernel', async () => {
    const lz4 = Buffer.concat([Buffer.from([0x02, 0x21, 0x4c, 0x18]), Buffer.alloc(20), Buffer.from([1, 0, 0, 0])]);
    await expect(unwrapBzImage(makeBzImage(lz4))).rejects.toThrow(UnpackError);
    await expect(unwrapBzImage(makeBzImage(lz4))).rejects.toThrow(/lz4-compressed bzImage: cannot unpack lz4 data \(xl decodes gzip, xz, lzma and zstd\)/);
  });

  it('recognises every format by magic', () => {
    expect(detectCompression(Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]))).toBe('xz');
    expect(detectCompression(Buffer.from([0x28, 0xb5, 0x2f, 0xfd]))).toBe('zstd');
    expect(detectCompression(Buffer.from('BZh9'))).toBe('bzip2');
    expect(detectCompression(Buffer.from([0x02, 0x21, 0x4c, 0x18]))).toBe('lz4');
  });
});

describe('x86_64 PV layout (numbers of the lab Debian 6.1 kernel, 128 MiB)', () => {
  // virt_kstart/kend as parsed from /lab/guests/vmlinuz.
  const params = pvParams(parseElf(makeElf({ notes: LINUX_NOTES, memsz: 0x3a00000 })));
  const lay = planLayout({ params, totalPages: 32768, ramdiskBytes: 3_000_000 });

  it('allocates segments in libxc order after the kernel, ramdisk last when unmapped', () => {
    expect(lay.kernel.pfn).toBe(0x1000);
    expect(lay.p2m.pfn).toBe(lay.kernel.pfn + lay.kernel.pages);
    expect(lay.p2m.pages).toBe(64); // 32768 * 8 bytes
    expect([lay.startInfoPfn, lay.xenstorePfn, lay.consolePfn]).toEqual([lay.p2m.pfn + 64, lay.p2m.pfn + 65, lay.p2m.pfn + 66]);
    expect(lay.pgtables.pfn).toBe(lay.consolePfn + 1);
    expect(lay.bootstackPfn).toBe(lay.pgtables.pfn + lay.pgtables.pages);
    expect(lay.ramdiskUnmapped).toBe(true);
    expect(lay.ramdisk!.vstart).toBe(lay.virtPgtabEnd);
  });

  it('maps everything up to a 4 MiB boundary with 512 KiB to spare', () => {
    expect(lay.virtPgtabEnd % (4n << 20n)).toBe(0n);
    expect(lay.virtPgtabEnd - (params.virtBase + BigInt((lay.bootstackPfn + 1) * 4096))).toBeGreaterThanOrEqual(512n * 1024n);
    // one L4, one L3, one L2, one L1 per 2 MiB
    const mapped = Number((lay.virtPgtabEnd - params.virtBase) / 4096n);
    expect(lay.pgtables.pages).toBe(3 + Math.ceil(mapped / 512));
  });

  it('writes entries that walk to the right frames, page tables read-only', () => {
    const p2m = Array.from({ length: 32768 }, (_, i) => BigInt(0x40000 + i));
    const pt = buildPageTables(lay, p2m);
    const entry = (table: number, idx: number) => pt.readBigUInt64LE(table * 4096 + idx * 8);
    // L4[511] -> L3 page, L3[510] -> L2 page (virt_base 0xffffffff80000000)
    expect(entry(0, 511)).toBe((p2m[lay.pgtables.pfn + 1] << 12n) | 0x67n);
    expect(entry(1, 510)).toBe((p2m[lay.pgtables.pfn + 2] << 12n) | 0x67n);
    expect(entry(2, 0)).toBe((p2m[lay.pgtables.pfn + 3] << 12n) | 0x67n);
    // L1: pfn 0 at virt_base, writable; a page-table page read-only
    expect(entry(3, 0)).toBe((p2m[0] << 12n) | 0x23n);
    const ptPfn = lay.pgtables.pfn;
    expect(entry(3 + (ptPfn >> 9), ptPfn & 511)).toBe((p2m[ptPfn] << 12n) | 0x21n);
    // the last L1 table ends exactly at the end of the initial mapping
    const last = Number((lay.virtPgtabEnd - params.virtBase) / 4096n) - 1;
    expect(3 + (last >> 9)).toBe(lay.pgtables.pages - 1);
    expect(entry(3 + (last >> 9), last & 511)).toBe((p2m[last] << 12n) | 0x23n);
  });

  it('too little memory is a LayoutError', () => {
    expect(() => planLayout({ params, totalPages: 8192, ramdiskBytes: null })).toThrow(LayoutError);
  });
});

describe('uncoveredRanges (what loadSegments leaves for the builder to zero)', () => {
  const elf = (segs: [number, number][]) => ({
    machine: 62, entry: 0n, pstart: 0x1000n, pend: 0n, notes: {},
    segments: segs.map(([paddr, memsz]) => ({ paddr: BigInt(paddr), memsz, filesz: memsz, offset: 0, vaddr: 0n, flags: 0 })),
  }) as unknown as Parameters<typeof uncoveredRanges>[0];

  it('gives the holes between segments and the tail, in order, clipped to the area', () => {
    expect(uncoveredRanges(elf([[0x1000, 0x100], [0x1400, 0x200]]), 0x1000)).toEqual([[0x100, 0x400], [0x600, 0x1000]]);
    // overlapping and out of order
    expect(uncoveredRanges(elf([[0x1400, 0x200], [0x1000, 0x500]]), 0x700)).toEqual([[0x600, 0x700]]);
  });

  it('nothing when the segments fill the area; everything when there are none', () => {
    expect(uncoveredRanges(elf([[0x1000, 0x800]]), 0x800)).toEqual([]);
    expect(uncoveredRanges(elf([]), 0x300)).toEqual([[0, 0x300]]);
  });
});
