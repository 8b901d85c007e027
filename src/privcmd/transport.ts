// The privcmd device: issues raw hypercalls and maps foreign pages. The
// Transport interface is the seam tests replace with a fake hypervisor.

import { PageAllocator, type BufferAllocator, type HypercallBuffer } from './buffers.js';
import { PrivcmdError, errnoName } from './errors.js';
import { encode } from './layout.js';
import { getNative, type Native } from './native.js';

export interface PageError { readonly errno: number; readonly code: string }

export interface ForeignMapping {
  readonly addr: bigint;
  /** Zero-copy view of all pages; pages with an error must not be touched. */
  readonly buffer: Buffer;
  readonly pages: number;
  /** Per page: null when mapped, else why not. */
  readonly errors: readonly (PageError | null)[];
  unmap(): void;
}

export type Prot = 'r' | 'rw';

export interface Transport {
  readonly buffers: BufferAllocator;
  /** Issue hypercall `op`; returns its non-negative result or throws PrivcmdError. */
  issue(op: number, args: readonly bigint[], what: string): number;
  mapForeignPages(domid: number, gfns: readonly bigint[], prot: Prot): ForeignMapping;
  close(): void;
}

const sleepMs = (ms: number): void => {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
};

export const XEN_PAGE_SIZE = 4096;

/** How long to keep retrying pages Xen reports as paged out (ENOENT). */
const PAGED_RETRY_MS = 2000;

export class PrivcmdDevice implements Transport {
  readonly buffers: PageAllocator;
  readonly path: string;
  private readonly fd: number;
  private readonly bufFd: number;
  /** One page for ioctl argument structs; calls are synchronous, so one suffices. */
  private readonly scratch: HypercallBuffer;
  private closed = false;

  private constructor(private readonly native: Native, fd: number, path: string, bufFd: number) {
    this.fd = fd;
    this.path = path;
    this.bufFd = bufFd;
    this.buffers = new PageAllocator(native, bufFd);
    this.scratch = this.buffers.alloc(1);
  }

  /** Open the OS's privcmd node (and Linux's hypercall buffer device if present). */
  static open(native: Native = getNative()): PrivcmdDevice {
    const os = native.os;
    const flags = os.sys.O_RDWR | os.sys.O_CLOEXEC;
    let fd = -1;
    let path = '';
    let firstErr: unknown;
    for (const p of os.devices) {
      try {
        fd = native.open(p, flags);
        path = p;
        break;
      } catch (e) {
        firstErr ??= e;
        // Only fall through to the next node if this one does not exist.
        if (!(e instanceof PrivcmdError && ['ENOENT', 'ENXIO', 'ENODEV'].includes(e.code))) throw e;
      }
    }
    if (fd < 0) throw firstErr;
    let bufFd = -1;
    if (os.hypercallBufDevice) {
      try {
        bufFd = native.open(os.hypercallBufDevice, flags);
      } catch (e) {
        if (!(e instanceof PrivcmdError && e.code === 'ENOENT')) {
          native.close(fd);
          throw e;
        }
      }
    }
    return new PrivcmdDevice(native, fd, path, bufFd);
  }

  get usesBufferDevice(): boolean { return this.bufFd >= 0; }

  issue(op: number, args: readonly bigint[], what: string): number {
    this.assertOpen();
    const ioc = this.native.os.ioctls.hypercall;
    if (!ioc) throw new Error(`${this.native.os.os}: no hypercall ioctl`);
    if (args.length > 5) throw new RangeError('a hypercall takes at most 5 arguments');
    const v = this.scratch.view;
    v.fill(0, 0, ioc.arg.size);
    encode(ioc.arg, { op: BigInt(op), arg: args }, v);
    const r = this.native.ioctl(this.fd, ioc.request, this.scratch.addr, what);
    if (this.native.os.hypercallResult === 'retval-field') {
      return Number(v.readBigInt64LE(ioc.arg.fields.retval.offset));
    }
    return r;
  }

  mapForeignPages(domid: number, gfns: readonly bigint[], prot: Prot): ForeignMapping {
    this.assertOpen();
    const n = this.native;
    const os = n.os;
    const ioc = os.ioctls.mmapbatch_v2;
    if (!ioc) throw new Error(`${os.os}: no batch foreign-map ioctl`);
    const count = gfns.length;
    if (count === 0) throw new RangeError('mapForeignPages: no pages');
    // One Xen frame (4 KiB on x86 and Arm) per gfn; the mapping is whole OS pages.
    const ps = XEN_PAGE_SIZE;
    const osPage = this.buffers.pageSize;
    const len = Math.ceil((count * ps) / osPage) * osPage;
    const protBits = os.sys.PROT_READ | (prot === 'rw' ? os.sys.PROT_WRITE : 0);
    const addr = os.foreignMapping === 'privcmd-fd'
      ? n.mmap(0n, len, protBits, os.sys.MAP_SHARED, this.fd, 0)
      : n.mmap(0n, len, protBits, os.sys.MAP_SHARED | os.sys.MAP_ANONYMOUS, -1, 0);

    const arr = this.buffers.alloc(count * 8);
    const err = this.buffers.alloc(count * 4);
    try {
      gfns.forEach((g, i) => arr.view.writeBigUInt64LE(BigInt(g), i * 8));
      const batch = (first: number, num: number): void => {
        const v = this.scratch.view;
        v.fill(0, 0, ioc.arg.size);
        encode(ioc.arg, {
          num, dom: domid,
          addr: addr + BigInt(first * ps),
          arr: arr.addr + BigInt(first * 8),
          err: err.addr + BigInt(first * 4),
        }, v);
        n.ioctl(this.fd, ioc.request, this.scratch.addr, `${ioc.name} dom${domid}`);
      };
      try {
        batch(0, count);
      } catch (e) {
        // Linux: ENOENT means "ran, but some frames are paged out": retry them.
        if (!(e instanceof PrivcmdError && e.code === 'ENOENT' && os.os === 'linux')) throw e;
        this.retryPaged(err, count, batch);
      }
      const errors = Array.from({ length: count }, (_, i): PageError | null => {
        const v = err.view.readInt32LE(i * 4);
        if (v === 0) return null;
        // Linux reports -errno; FreeBSD stores positive native errno.
        return { errno: Math.abs(v), code: errnoName(Math.abs(v)) };
      });
      const buffer = n.view(addr, count * ps);
      let mapped = true;
      return {
        addr, buffer, pages: count, errors,
        unmap: () => {
          if (!mapped) return;
          mapped = false;
          n.munmap(addr, len);
        },
      };
    } catch (e) {
      n.munmap(addr, len);
      throw e;
    } finally {
      this.buffers.free(err);
      this.buffers.free(arr);
    }
  }

  private retryPaged(err: HypercallBuffer, count: number, batch: (first: number, num: number) => void): void {
    const deadline = Date.now() + PAGED_RETRY_MS;
    for (;;) {
      let pending = 0;
      for (let i = 0; i < count; i++) {
        if (err.view.readInt32LE(i * 4) !== -2) continue;
        try {
          batch(i, 1);
        } catch (e) {
          if (!(e instanceof PrivcmdError && e.code === 'ENOENT')) throw e;
          pending++;
        }
      }
      if (pending === 0 || Date.now() > deadline) return;
      sleepMs(1);
    }
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.buffers.free(this.scratch);
    this.buffers.close();
    if (this.bufFd >= 0) this.native.close(this.bufFd);
    this.native.close(this.fd);
  }

  private assertOpen(): void {
    if (this.closed) throw new Error('privcmd device is closed');
  }
}
