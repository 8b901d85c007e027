// parseElf (ELF64 x86-64) and parseElf32 (ELF32 i386) share one parser: the
// refusals of each class, pinned to their exact texts, and the 32-bit path
// read end to end (several PT_LOADs, a Xen PT_NOTE).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { describe, expect, it } from 'vitest';
import { KernelFormatError, parseElf, parseElf32 } from '../../../src/domain-builder/index.js';
import { elfFile, loadSegments } from '../../../src/domain-builder/elf.js';
import { LINUX_NOTES, VIRT_BASE, makeElf } from '../../helpers/kernel-images.js';

type Phdr32 = { type: number; offset: number; paddr: number; filesz: number; memsz: number };

/** An ELF32 i386 image: header, program headers, then `body` (offsets in `phdrs` count from the file start). */
function makeElf32(phdrs: Phdr32[], body: Buffer, entry = 0x100000): Buffer {
  const eh = Buffer.alloc(52);
  Buffer.from([0x7f, 0x45, 0x4c, 0x46, 1, 1, 1]).copy(eh);
  eh.writeUInt16LE(2, 16); eh.writeUInt16LE(3, 18); eh.writeUInt32LE(entry, 24); eh.writeUInt32LE(52, 28);
  eh.writeUInt16LE(32, 42); eh.writeUInt16LE(phdrs.length, 44);
  const ph = Buffer.alloc(32 * phdrs.length);
  phdrs.forEach((p, i) => {
    const o = 32 * i;
    ph.writeUInt32LE(p.type, o); ph.writeUInt32LE(p.offset, o + 4); ph.writeUInt32LE(p.paddr, o + 8);
    ph.writeUInt32LE(p.paddr, o + 12); ph.writeUInt32LE(p.filesz, o + 16); ph.writeUInt32LE(p.memsz, o + 20);
  });
  return Buffer.concat([eh, ph, body]);
}

/** One Xen note (namesz 4, "Xen\0"), desc padded to 4 bytes. */
function xenNote(type: number, desc: Buffer): Buffer {
  const h = Buffer.alloc(16);
  h.writeUInt32LE(4, 0); h.writeUInt32LE(desc.length, 4); h.writeUInt32LE(type, 8); h.write('Xen\0', 12, 'latin1');
  return Buffer.concat([h, desc, Buffer.alloc((4 - (desc.length % 4)) % 4)]);
}

const message = (f: () => unknown): string => {
  try { f(); } catch (e) { expect(e).toBeInstanceOf(KernelFormatError); return (e as Error).message; }
  throw new Error('did not throw');
};

describe('parseElf32', () => {
  it('reads every PT_LOAD at its physical address, the Xen notes, and pstart/pend across segments', () => {
    const notes = Buffer.concat([xenNote(6, Buffer.from('hvmloader\0')), xenNote(1, Buffer.from([0x00, 0x10, 0x20, 0x00]))]);
    const body = Buffer.concat([Buffer.from('AAAA'), Buffer.from('BBBBBBBB'), notes]);
    const at = 52 + 32 * 4;
    const elf = parseElf32(makeElf32([
      { type: 1, offset: at + 4, paddr: 0x200000, filesz: 8, memsz: 0x2000 },
      { type: 1, offset: at, paddr: 0x100000, filesz: 4, memsz: 0x1000 },
      { type: 1, offset: at, paddr: 0x300000, filesz: 0, memsz: 0 },
      { type: 4, offset: at + 12, paddr: 0, filesz: notes.length, memsz: 0 },
    ], body, 0x100040));
    expect(elf.machine).toBe(3);
    expect(elf.entry).toBe(0x100040n);
    expect(elf.segments).toEqual([
      { paddr: 0x200000n, offset: at + 4, filesz: 8, memsz: 0x2000 },
      { paddr: 0x100000n, offset: at, filesz: 4, memsz: 0x1000 },
    ]);
    expect([elf.pstart, elf.pend]).toEqual([0x100000n, 0x202000n]);
    expect(elf.notes).toEqual({ GUEST_OS: 'hvmloader', ENTRY: 0x201000n });
  });

  it('refusals, word for word', () => {
    const ok = () => makeElf32([{ type: 1, offset: 84, paddr: 0x100000, filesz: 4, memsz: 4 }], Buffer.from('CODE'));
    expect(message(() => parseElf32(Buffer.from('nope')))).toBe('not an ELF image');
    expect(message(() => parseElf32(makeElf()))).toBe('ELF image is not 32bit');
    const be = ok(); be[5] = 2;
    expect(message(() => parseElf32(be))).toBe('ELF image is not 32bit');
    const arm = ok(); arm.writeUInt16LE(40, 18);
    expect(message(() => parseElf32(arm))).toBe('ELF machine 40 is not i386');
    const many = ok(); many.writeUInt16LE(9, 44);
    expect(message(() => parseElf32(many))).toBe('ELF program headers are truncated');
    const long = ok(); long.writeUInt32LE(5, 52 + 16);
    expect(message(() => parseElf32(long))).toBe('ELF segment runs past the end of the file');
    const empty = makeElf32([{ type: 1, offset: 84, paddr: 0x100000, filesz: 0, memsz: 0 }], Buffer.alloc(0));
    expect(message(() => parseElf32(empty))).toBe('ELF image has nothing to load');
  });
});

describe('parseElf', () => {
  it('reads the x86-64 image the PV tests use', () => {
    const elf = parseElf(makeElf({ notes: LINUX_NOTES, memsz: 0x3000 }));
    expect([elf.machine, elf.entry, elf.pstart, elf.pend]).toEqual([62, VIRT_BASE + 0x1000000n, 0x1000000n, 0x1003000n]);
    expect(elf.segments).toEqual([{ paddr: 0x1000000n, offset: 176, filesz: 11, memsz: 0x3000 }]);
    expect(elf.notes).toMatchObject({ GUEST_OS: 'linux', VIRT_BASE, LOADER: 'generic', MOD_START_PFN: 1n });
  });

  it('refusals, word for word', () => {
    const i386 = makeElf32([{ type: 1, offset: 84, paddr: 0x100000, filesz: 4, memsz: 4 }], Buffer.from('CODE'));
    expect(message(() => parseElf(Buffer.alloc(64)))).toBe('not an ELF image');
    expect(message(() => parseElf(i386))).toBe('not a 64-bit little-endian ELF image');
    const arm = makeElf(); arm.writeUInt16LE(183, 18);
    expect(message(() => parseElf(arm))).toBe('ELF machine 183 is not x86-64');
    const many = makeElf(); many.writeUInt16LE(9, 56);
    expect(message(() => parseElf(many))).toBe('ELF program headers are truncated');
    const long = makeElf(); long.writeBigUInt64LE(1000n, 64 + 32);
    expect(message(() => parseElf(long))).toBe('ELF segment runs past the end of the file');
    const empty = makeElf(); empty.writeBigUInt64LE(0n, 64 + 40);
    expect(message(() => parseElf(empty))).toBe('ELF image has nothing to load');
  });

  it('hostile headers end the parse: a note size near 2^32, a zero program header stride', () => {
    const huge = makeElf({ notes: LINUX_NOTES });
    // The first note (after 11 bytes of code at 176): namesz 2^32 - 12, descsz 0; 32-bit rounding made that a loop.
    huge.writeUInt32LE(0xfffffff4, 176 + 11); huge.writeUInt32LE(0, 176 + 15);
    expect(parseElf(huge).notes).toEqual({});
    // e_phentsize 0: both entries read as the first (the PT_LOAD), as libelf's stride does; no RangeError.
    const zero = makeElf({ notes: LINUX_NOTES }); zero.writeUInt16LE(0, 54);
    expect(parseElf(zero).segments).toHaveLength(2);
    const cut = makeElf(); cut.writeBigUInt64LE(BigInt(cut.length - 40), 32);
    expect(message(() => parseElf(cut))).toBe('ELF program headers are truncated');
  });
});

describe('an ELF read from its file (the kernel cache) instead of memory', () => {
  it('parses to the same headers and notes, loads the same bytes, and says where a shrunk file ends', () => {
    const dir = mkdtempSync(`${tmpdir()}/elf-file-`);
    try {
      const bytes = makeElf({ notes: LINUX_NOTES, memsz: 0x3000 });
      writeFileSync(`${dir}/k.elf`, bytes);
      const file = elfFile(`${dir}/k.elf`);
      try {
        const elf = parseElf(file);
        expect(elf).toEqual(parseElf(bytes));
        const fromMemory = Buffer.alloc(0x3000, 0xaa);
        const fromFile = Buffer.alloc(0x3000, 0x55);
        loadSegments(elf, bytes, fromMemory);
        loadSegments(elf, file, fromFile);
        expect(fromFile.equals(fromMemory)).toBe(true);
        expect(fromFile.subarray(0, 11).toString('latin1')).toBe(bytes.subarray(176, 187).toString('latin1'));
        // The cache file cut short after it was opened: the read says so instead of loading zeros.
        writeFileSync(`${dir}/k.elf`, bytes.subarray(0, 180));
        expect(message(() => loadSegments(elf, file, fromFile))).toBe(`${dir}/k.elf ends at 180 bytes, not 187`);
      } finally {
        file.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
