// Hypercall buffers: page-aligned memory that stays resident, because Xen
// reads and writes it by guest-virtual address while the kernel is not
// looking. Every pointer handed to the hypervisor must point into one.
// On Linux the xen-privcmd driver offers /dev/xen/hypercall, whose mmap gives
// such pages directly; elsewhere (or when absent) we mmap anonymous memory and
// mlock it, as Xen's libxencall does.

import type { Native } from './native.js';

export interface HypercallBuffer {
  /** Address the hypervisor sees. */
  readonly addr: bigint;
  /** Zero-copy view; invalid after free(). */
  readonly view: Buffer;
  /** Usable bytes (whole pages). */
  readonly size: number;
}

export interface BufferAllocator {
  readonly pageSize: number;
  /** Zeroed, page-aligned, locked memory of at least `bytes` (min one page). */
  alloc(bytes: number): HypercallBuffer;
  free(buf: HypercallBuffer): void;
  /** Drop cached pages. */
  close(): void;
}

/** Copy bytes into a fresh hypercall buffer. */
export function copyIn(alloc: BufferAllocator, data: Uint8Array): HypercallBuffer {
  const b = alloc.alloc(data.length);
  b.view.set(data);
  return b;
}

/** Copy bytes out of a hypercall buffer into ordinary JS memory. */
export function copyOut(buf: HypercallBuffer, length = buf.size, offset = 0): Buffer {
  return Buffer.from(buf.view.subarray(offset, offset + length));
}

/**
 * Run `fn` with a scoped allocator; everything it allocated is freed after,
 * also when it throws.
 */
export function withBuffers<T>(alloc: BufferAllocator, fn: (get: (bytes: number) => HypercallBuffer) => T): T {
  const held: HypercallBuffer[] = [];
  try {
    return fn((bytes) => {
      const b = alloc.alloc(bytes);
      held.push(b);
      return b;
    });
  } finally {
    for (const b of held.reverse()) alloc.free(b);
  }
}

interface Mapping { addr: bigint; len: number; view: Buffer }

/** Single pages kept for reuse; most hypercalls need one page. */
const CACHE_PAGES = 8;

export class PageAllocator implements BufferAllocator {
  readonly pageSize: number;
  private readonly live = new Map<bigint, Mapping>();
  private readonly cache: Mapping[] = [];

  /**
   * @param bufFd fd of /dev/xen/hypercall, or -1 to use anonymous memory.
   */
  constructor(private readonly native: Native, private readonly bufFd = -1) {
    this.pageSize = native.pageSize();
  }

  /** True when pages come from the hypercall buffer device (never fault). */
  get usesBufferDevice(): boolean { return this.bufFd >= 0; }

  alloc(bytes: number): HypercallBuffer {
    const pages = Math.max(1, Math.ceil(bytes / this.pageSize));
    const len = pages * this.pageSize;
    let m = pages === 1 ? this.cache.pop() : undefined;
    if (m) m.view.fill(0);
    else m = this.map(len);
    this.live.set(m.addr, m);
    return { addr: m.addr, view: m.view, size: m.len };
  }

  free(buf: HypercallBuffer): void {
    const m = this.live.get(buf.addr);
    if (!m) throw new Error(`hypercall buffer 0x${buf.addr.toString(16)} is not live`);
    this.live.delete(buf.addr);
    if (m.len === this.pageSize && this.cache.length < CACHE_PAGES) this.cache.push(m);
    else this.unmap(m);
  }

  close(): void {
    for (const m of this.cache.splice(0)) this.unmap(m);
  }

  private map(len: number): Mapping {
    const n = this.native;
    const s = n.os.sys;
    const prot = s.PROT_READ | s.PROT_WRITE;
    if (this.bufFd >= 0) {
      const addr = n.mmap(0n, len, prot, s.MAP_SHARED, this.bufFd, 0);
      return { addr, len, view: n.view(addr, len) };
    }
    const addr = n.mmap(0n, len, prot, s.MAP_PRIVATE | s.MAP_ANONYMOUS, -1, 0);
    try {
      n.mlock(addr, len);
      // A fork()ed child would make these pages copy-on-write under Xen's feet.
      if (s.MADV_DONTFORK !== undefined) n.madvise(addr, len, s.MADV_DONTFORK);
    } catch (e) {
      n.munmap(addr, len);
      throw e;
    }
    const view = n.view(addr, len);
    view.fill(0); // also faults every page in
    return { addr, len, view };
  }

  private unmap(m: Mapping): void {
    if (this.bufFd < 0) this.native.munlock(m.addr, m.len);
    this.native.munmap(m.addr, m.len);
  }
}
