// The module that touches koffi for the hypercalls (fd-passing.ts is the
// other one: sendmsg for QMP's add-fd). It is loaded on first use so that
// commands which never reach the hypervisor (xl help) do not pay for it.
// Addresses cross this boundary as bigint; libc is declared with uintptr_t
// rather than pointer types so no koffi objects leak out.

import { PrivcmdError } from './errors.js';
import { loadKoffi } from './koffi-loader.js';
import { osFor, type OsPrivcmd } from './os.js';

export interface Native {
  readonly os: OsPrivcmd;
  /** open(2); throws PrivcmdError on failure. */
  open(path: string, flags: number): number;
  close(fd: number): void;
  /** ioctl(2) with a pointer argument; returns the (non-negative) result or throws. */
  ioctl(fd: number, request: number, arg: bigint, what: string): number;
  mmap(addr: bigint, len: number, prot: number, flags: number, fd: number, offset: number): bigint;
  munmap(addr: bigint, len: number): void;
  mlock(addr: bigint, len: number): void;
  munlock(addr: bigint, len: number): void;
  madvise(addr: bigint, len: number, advice: number): void;
  errno(): number;
  pageSize(): number;
  /** A zero-copy Buffer over native memory. Do not touch it after munmap. */
  view(addr: bigint, len: number): Buffer;
}

type Fn = (...args: unknown[]) => unknown;
interface Koffi {
  load(path: string): { func(decl: string): Fn };
  errno(): number;
  view(ptr: unknown, len: number): ArrayBuffer;
}

const MAP_FAILED = (1n << 64n) - 1n;

let cached: Native | undefined;

/** The process-wide native binding, created on first call. */
export function getNative(): Native {
  if (!cached) cached = createNative(osFor());
  return cached;
}

function loadLibc(koffi: Koffi, os: OsPrivcmd): { func(decl: string): Fn } {
  const names = [os.libc, 'libc.so'];
  let last: unknown;
  for (const n of names) {
    try { return koffi.load(n); } catch (e) { last = e; }
  }
  throw new Error(`privcmd: cannot load libc (${names.join(', ')}): ${String(last)}`);
}

function createNative(os: OsPrivcmd): Native {
  const koffi = loadKoffi<Koffi>(import.meta.url);
  const libc = loadLibc(koffi, os);

  const c = {
    open: libc.func('int open(const char *path, int flags, ...)'),
    close: libc.func('int close(int fd)'),
    ioctl: libc.func('int ioctl(int fd, unsigned long request, ...)'),
    mmap: libc.func('uintptr_t mmap(uintptr_t addr, size_t len, int prot, int flags, int fd, int64_t off)'),
    munmap: libc.func('int munmap(uintptr_t addr, size_t len)'),
    mlock: libc.func('int mlock(uintptr_t addr, size_t len)'),
    munlock: libc.func('int munlock(uintptr_t addr, size_t len)'),
    madvise: libc.func('int madvise(uintptr_t addr, size_t len, int advice)'),
    sysconf: libc.func('long sysconf(int name)'),
  };

  // errno must be read right after the failing call, before anything else runs.
  const check = (ret: unknown, what: string): number => {
    const n = Number(ret);
    if (n === -1) throw new PrivcmdError(koffi.errno(), what);
    return n;
  };

  let pageSize: number | undefined;

  return {
    os,
    open: (path, flags) => check(c.open(path, flags), `open ${path}`),
    close: (fd) => { check(c.close(fd), 'close'); },
    ioctl: (fd, request, arg, what) => check(c.ioctl(fd, request, 'uintptr_t', arg), what),
    mmap: (addr, len, prot, flags, fd, offset) => {
      const p = BigInt(c.mmap(addr, len, prot, flags, fd, offset) as number | bigint);
      if (p === MAP_FAILED) throw new PrivcmdError(koffi.errno(), 'mmap', `${len} bytes`);
      return p;
    },
    munmap: (addr, len) => { check(c.munmap(addr, len), 'munmap'); },
    mlock: (addr, len) => { check(c.mlock(addr, len), 'mlock'); },
    munlock: (addr, len) => { check(c.munlock(addr, len), 'munlock'); },
    madvise: (addr, len, advice) => { check(c.madvise(addr, len, advice), 'madvise'); },
    errno: () => koffi.errno(),
    pageSize: () => {
      if (pageSize === undefined) {
        const v = Number(c.sysconf(os.sys.SC_PAGESIZE));
        pageSize = v > 0 ? v : 4096;
      }
      return pageSize;
    },
    view: (addr, len) => Buffer.from(koffi.view(addr, len)),
  };
}
