// ELF images with Xen notes: the program headers to load and the
// XEN_ELFNOTE_* values (elfnote.h), turned into the layout parameters libelf
// computes (libelf-dominfo.c elf_xen_addr_calc_check): virt_base,
// virt_kstart/kend, entry, hypercall page, p2m base, unmapped initrd.
// Kernels are ELF64 x86-64; hvmloader is ELF32 i386. One parser reads both,
// the classes differing only in where the header fields sit and how wide they are.

import { closeSync, fstatSync, openSync, readSync } from 'node:fs';

export class KernelFormatError extends Error {}

/**
 * An ELF's bytes: in memory, or a file read on demand, so a cached 57 MB
 * kernel goes from the page cache straight into guest memory (its load
 * segments only) instead of through a buffer of the whole file.
 */
export interface ElfFile {
  readonly length: number;
  /** Copy `len` bytes from `offset` to `dest[at..]`. */
  readInto(offset: number, len: number, dest: Uint8Array, at: number): void;
  close(): void;
}
export type ElfBytes = Uint8Array | ElfFile;

/** An open file as ElfBytes; close() releases it (once). */
export function elfFile(path: string): ElfFile {
  let fd = openSync(path, 'r');
  try {
    const length = fstatSync(fd).size;
    return {
      length,
      readInto(offset, len, dest, at) {
        for (let done = 0; done < len;) {
          // readSync takes a 32-bit length.
          const n = readSync(fd, dest, at + done, Math.min(len - done, 1 << 30), offset + done);
          if (n === 0) throw new KernelFormatError(`${path} ends at ${offset + done} bytes, not ${offset + len}`);
          done += n;
        }
      },
      close() {
        if (fd >= 0) closeSync(fd);
        fd = -1;
      },
    };
  } catch (e) {
    closeSync(fd);
    throw e;
  }
}

function bytesAt(src: ElfBytes, offset: number, len: number): Buffer {
  if (src instanceof Uint8Array) return Buffer.from(src.buffer, src.byteOffset + offset, len);
  const b = Buffer.alloc(len);
  src.readInto(offset, len, b, 0);
  return b;
}

/** XEN_ELFNOTE_* numbers and how each value is stored. */
export const XEN_ELFNOTES = {
  ENTRY: { n: 1, kind: 'num' },
  HYPERCALL_PAGE: { n: 2, kind: 'num' },
  VIRT_BASE: { n: 3, kind: 'num' },
  PADDR_OFFSET: { n: 4, kind: 'num' },
  XEN_VERSION: { n: 5, kind: 'str' },
  GUEST_OS: { n: 6, kind: 'str' },
  GUEST_VERSION: { n: 7, kind: 'str' },
  LOADER: { n: 8, kind: 'str' },
  PAE_MODE: { n: 9, kind: 'str' },
  FEATURES: { n: 10, kind: 'str' },
  BSD_SYMTAB: { n: 11, kind: 'str' },
  HV_START_LOW: { n: 12, kind: 'num' },
  L1_MFN_VALID: { n: 13, kind: 'num' },
  SUSPEND_CANCEL: { n: 14, kind: 'num' },
  INIT_P2M: { n: 15, kind: 'num' },
  MOD_START_PFN: { n: 16, kind: 'num' },
  SUPPORTED_FEATURES: { n: 17, kind: 'num' },
  PHYS32_ENTRY: { n: 18, kind: 'num' },
} as const;
export type NoteName = keyof typeof XEN_ELFNOTES;

const BY_NUMBER = new Map<number, [NoteName, 'num' | 'str']>(
  Object.entries(XEN_ELFNOTES).map(([k, v]) => [v.n, [k as NoteName, v.kind]]));

export interface LoadSegment { paddr: bigint; offset: number; filesz: number; memsz: number }

export interface XenElf {
  /** e_machine: EM_X86_64 from parseElf, EM_386 from parseElf32. */
  machine: number;
  entry: bigint;
  segments: LoadSegment[];
  pstart: bigint;
  pend: bigint;
  notes: Partial<Record<NoteName, bigint | string>>;
}

const PT_LOAD = 1;
const PT_NOTE = 4;
const EM_386 = 3;
const EM_X86_64 = 62;

/**
 * Where each class keeps what we read (elf.h Elf{32,64}_Ehdr/_Phdr): `word` is
 * the width of e_entry, e_phoff and the p_* fields below; e_machine (18) and
 * p_type (0, 4 bytes) sit alike in both. The error texts differ per class.
 */
const ELF_CLASSES = {
  64: {
    ident: 2, machine: EM_X86_64, badClass: 'not a 64-bit little-endian ELF image', arch: 'x86-64',
    word: 8, headerSize: 64, phdrSize: 56, entryAt: 24, phoffAt: 32, phentsizeAt: 54, phnumAt: 56,
    p: { offset: 8, paddr: 24, filesz: 32, memsz: 40 },
  },
  32: {
    ident: 1, machine: EM_386, badClass: 'ELF image is not 32bit', arch: 'i386',
    word: 4, headerSize: 52, phdrSize: 32, entryAt: 24, phoffAt: 28, phentsizeAt: 42, phnumAt: 44,
    p: { offset: 4, paddr: 12, filesz: 16, memsz: 20 },
  },
} as const;
type ElfClass = (typeof ELF_CLASSES)[keyof typeof ELF_CLASSES];

export function isElf(b: Uint8Array): boolean {
  return b.length >= 4 && b[0] === 0x7f && b[1] === 0x45 && b[2] === 0x4c && b[3] === 0x46;
}

function readNum(b: Buffer, off: number, size: number): bigint | undefined {
  switch (size) {
    case 1: return BigInt(b.readUInt8(off));
    case 2: return BigInt(b.readUInt16LE(off));
    case 4: return BigInt(b.readUInt32LE(off));
    case 8: return b.readBigUInt64LE(off);
    default: return undefined; // e.g. L1_MFN_VALID's (mask, value) pair: not used
  }
}

/** Walk one note area, keeping the "Xen" notes we know. */
function readNotes(b: Buffer, start: number, end: number, into: XenElf['notes']): void {
  // Not (n + 3) & ~3: 32-bit arithmetic turns a size near 2^32 negative, and the walk would never move on.
  const al = (n: number) => Math.ceil(n / 4) * 4;
  let off = start;
  while (off + 12 <= end) {
    const namesz = b.readUInt32LE(off);
    const descsz = b.readUInt32LE(off + 4);
    const type = b.readUInt32LE(off + 8);
    const nameOff = off + 12;
    const descOff = nameOff + al(namesz);
    if (descOff + descsz > end) break;
    const name = b.subarray(nameOff, nameOff + namesz).toString('latin1').replace(/\0+$/, '');
    if (name === 'Xen') {
      const known = BY_NUMBER.get(type);
      if (known) {
        const [key, kind] = known;
        const v = kind === 'num'
          ? readNum(b, descOff, descsz)
          : b.subarray(descOff, descOff + descsz).toString('latin1').replace(/\0.*$/s, '');
        if (v !== undefined) into[key] = v;
      }
    }
    off = descOff + al(descsz);
  }
}

function parseElfClass(input: ElfBytes, c: ElfClass): XenElf {
  const size = input.length;
  // The header, then the program headers and notes where they say they are.
  const b = bytesAt(input, 0, Math.min(size, 64));
  if (!isElf(b)) throw new KernelFormatError('not an ELF image');
  if (b[4] !== c.ident || b[5] !== 1) throw new KernelFormatError(c.badClass);
  if (b.length < c.headerSize) throw new KernelFormatError('ELF header is truncated');
  const machine = b.readUInt16LE(18);
  if (machine !== c.machine) throw new KernelFormatError(`ELF machine ${machine} is not ${c.arch}`);
  const word = (h: Buffer, off: number): bigint => (c.word === 8 ? h.readBigUInt64LE(off) : BigInt(h.readUInt32LE(off)));
  const entry = word(b, c.entryAt);
  const phoff = Number(word(b, c.phoffAt));
  const phentsize = b.readUInt16LE(c.phentsizeAt);
  const phnum = b.readUInt16LE(c.phnumAt);
  // The last entry is read whole whatever e_phentsize says (libelf reads a short or zero stride so too).
  const span = phnum === 0 ? 0 : Math.max(phnum * phentsize, (phnum - 1) * phentsize + c.phdrSize);
  if (phoff + span > size) throw new KernelFormatError('ELF program headers are truncated');
  const ph = bytesAt(input, phoff, span);
  const segments: LoadSegment[] = [];
  const notes: XenElf['notes'] = {};
  for (let i = 0; i < phnum; i++) {
    const p = i * phentsize;
    const type = ph.readUInt32LE(p);
    const offset = Number(word(ph, p + c.p.offset));
    const paddr = word(ph, p + c.p.paddr);
    const filesz = Number(word(ph, p + c.p.filesz));
    const memsz = Number(word(ph, p + c.p.memsz));
    if (offset + filesz > size) throw new KernelFormatError('ELF segment runs past the end of the file');
    if (type === PT_LOAD && memsz > 0) segments.push({ paddr, offset, filesz, memsz });
    if (type === PT_NOTE) readNotes(bytesAt(input, offset, filesz), 0, filesz, notes);
  }
  if (segments.length === 0) throw new KernelFormatError('ELF image has nothing to load');
  const pstart = segments.reduce((m, s) => (s.paddr < m ? s.paddr : m), segments[0].paddr);
  const pend = segments.reduce((m, s) => (s.paddr + BigInt(s.memsz) > m ? s.paddr + BigInt(s.memsz) : m), 0n);
  return { machine, entry, segments, pstart, pend, notes };
}

/** A 64-bit x86-64 kernel. */
export function parseElf(input: ElfBytes): XenElf {
  return parseElfClass(input, ELF_CLASSES[64]);
}

/**
 * A 32-bit x86 ELF such as hvmloader: the loadable segments at their
 * physical addresses and the entry point (xg_dom_hvmloader.c loads it so,
 * notes or not).
 */
export function parseElf32(input: ElfBytes): XenElf {
  return parseElfClass(input, ELF_CLASSES[32]);
}

export const UNSET = -1n;

export interface PvParams {
  virtBase: bigint;
  virtOffset: bigint;
  virtKstart: bigint;
  virtKend: bigint;
  virtEntry: bigint;
  /** UNSET when the kernel has no hypercall page note. */
  virtHypercall: bigint;
  /** UNSET when the p2m goes into the initial mapping. */
  p2mBase: bigint;
  unmappedInitrd: boolean;
  features: string;
  loader: string;
  paeMode: string;
}

/** The layout parameters of a 64-bit PV kernel; throws KernelFormatError when it is not one. */
export function pvParams(elf: XenElf): PvParams {
  const n = elf.notes;
  if (n.ENTRY === undefined) throw new KernelFormatError('no XEN_ELFNOTE_ENTRY');
  const loader = typeof n.LOADER === 'string' ? n.LOADER : '';
  if (loader && loader !== 'generic') throw new KernelFormatError(`XEN_ELFNOTE_LOADER "${loader}" is not "generic"`);
  const num = (v: bigint | string | undefined): bigint | undefined => (typeof v === 'bigint' ? v : undefined);
  const virtBase = num(n.VIRT_BASE) ?? 0n;
  // Notes present: PADDR_OFFSET defaults to 0 (the legacy __xen_guest default does not apply).
  const paddrOffset = num(n.PADDR_OFFSET) ?? 0n;
  const virtOffset = virtBase - paddrOffset;
  const virtKstart = elf.pstart + virtOffset;
  const virtKend = elf.pend + virtOffset;
  const virtEntry = num(n.ENTRY) ?? elf.entry;
  if (virtKstart > virtKend || virtEntry < virtKstart || virtEntry > virtKend || virtBase > virtKstart) {
    throw new KernelFormatError('ELF start or entry is out of bounds');
  }
  const features = typeof n.FEATURES === 'string' ? n.FEATURES : '';
  // A leading '!' marks a feature the kernel requires.
  if (/(^|\|)!auto_translated_physmap/.test(features)) {
    throw new KernelFormatError('kernel requires auto_translated_physmap (PV autotranslate is not supported)');
  }
  return {
    virtBase, virtOffset, virtKstart, virtKend, virtEntry,
    virtHypercall: num(n.HYPERCALL_PAGE) ?? UNSET,
    p2mBase: num(n.INIT_P2M) ?? UNSET,
    unmappedInitrd: (num(n.MOD_START_PFN) ?? 0n) !== 0n,
    features, loader,
    paeMode: typeof n.PAE_MODE === 'string' ? n.PAE_MODE : '',
  };
}

/** The byte ranges of a `length`-byte load area no segment covers (loadSegments leaves them as they were). */
export function uncoveredRanges(elf: XenElf, length: number): [number, number][] {
  const spans = elf.segments.map((s) => [Number(s.paddr - elf.pstart), Number(s.paddr - elf.pstart) + s.memsz] as const)
    .sort((a, b) => a[0] - b[0]);
  const gaps: [number, number][] = [];
  let at = 0;
  for (const [start, end] of spans) {
    if (start > at) gaps.push([at, Math.min(start, length)]);
    at = Math.max(at, end);
  }
  if (at < length) gaps.push([at, length]);
  return gaps.filter(([a, b]) => b > a);
}

/** Copy the loadable segments into `dest`, which starts at physical address pstart (memsz past filesz is zeroed). */
export function loadSegments(elf: XenElf, image: ElfBytes, dest: Buffer): void {
  for (const s of elf.segments) {
    const at = Number(s.paddr - elf.pstart);
    if (image instanceof Uint8Array) dest.set(image.subarray(s.offset, s.offset + s.filesz), at);
    else image.readInto(s.offset, s.filesz, dest, at);
    dest.fill(0, at + s.filesz, at + s.memsz);
  }
}
