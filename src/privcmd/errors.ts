// Typed errors for privcmd users: errno numbers become named codes so callers
// match on `err.code === 'ESRCH'` instead of magic numbers.

import { constants as osConstants } from 'node:os';

/**
 * Xen's own errno values (xen/include/public/errno.h, RELEASE-4.17.0 ==
 * RELEASE-4.22.0). Linux passes these through unchanged; the BSD privcmd
 * drivers translate them to native values first.
 */
export const XEN_ERRNO: Readonly<Record<string, number>> = {
  EPERM: 1, ENOENT: 2, ESRCH: 3, EINTR: 4, EIO: 5, ENXIO: 6, E2BIG: 7,
  ENOEXEC: 8, EBADF: 9, ECHILD: 10, EAGAIN: 11, ENOMEM: 12, EACCES: 13,
  EFAULT: 14, EBUSY: 16, EEXIST: 17, EXDEV: 18, ENODEV: 19, ENOTDIR: 20,
  EISDIR: 21, EINVAL: 22, ENFILE: 23, EMFILE: 24, ENOSPC: 28, EROFS: 30,
  EMLINK: 31, EDOM: 33, ERANGE: 34, EDEADLK: 35, ENAMETOOLONG: 36,
  ENOLCK: 37, ENOSYS: 38, ENOTEMPTY: 39, ENODATA: 61, ETIME: 62,
  EBADMSG: 74, EOVERFLOW: 75, EILSEQ: 84, ERESTART: 85, ENOTSOCK: 88,
  EMSGSIZE: 90, EOPNOTSUPP: 95, EADDRINUSE: 98, EADDRNOTAVAIL: 99,
  ENOBUFS: 105, EISCONN: 106, ENOTCONN: 107, ETIMEDOUT: 110,
  ECONNREFUSED: 111,
};

const MESSAGES: Readonly<Record<string, string>> = {
  EPERM: 'Operation not permitted',
  ENOENT: 'No such file or directory',
  ESRCH: 'No such process (domain)',
  EINTR: 'Interrupted system call',
  EIO: 'I/O error',
  ENXIO: 'No such device or address',
  E2BIG: 'Argument list too long',
  EBADF: 'Bad file descriptor',
  EAGAIN: 'Try again',
  ENOMEM: 'Out of memory',
  EACCES: 'Permission denied',
  EFAULT: 'Bad address',
  EBUSY: 'Device or resource busy',
  EEXIST: 'File exists',
  ENODEV: 'No such device',
  EINVAL: 'Invalid argument',
  ENOSPC: 'No space left on device',
  ERANGE: 'Result out of range',
  ENOSYS: 'Function not implemented',
  ENOTTY: 'Inappropriate ioctl for device',
  ENODATA: 'No data available',
  EOVERFLOW: 'Value too large',
  EOPNOTSUPP: 'Operation not supported',
  ENOBUFS: 'No buffer space available',
  ETIMEDOUT: 'Timed out',
};

// Aliases share a number; keep the conventional name.
const PREFERRED = new Set(['EAGAIN', 'EDEADLK', 'EOPNOTSUPP']);

function reverse(table: Readonly<Record<string, number>>): Map<number, string> {
  const m = new Map<number, string>();
  for (const [name, num] of Object.entries(table)) {
    if (!m.has(num) || PREFERRED.has(name)) m.set(num, name);
  }
  return m;
}

const NATIVE_NAMES = reverse(osConstants.errno as Record<string, number>);
const XEN_NAMES = reverse(XEN_ERRNO);

/** Name of a (positive) errno value as seen by this process. */
export function errnoName(errno: number, table: 'native' | 'xen' = 'native'): string {
  const n = Math.abs(errno);
  const primary = table === 'native' ? NATIVE_NAMES : XEN_NAMES;
  return primary.get(n) ?? XEN_NAMES.get(n) ?? `E#${n}`;
}

export function errnoMessage(code: string): string {
  return MESSAGES[code] ?? code;
}

/** A failed privcmd ioctl or hypercall. `errno` is positive. */
export class PrivcmdError extends Error {
  readonly errno: number;
  readonly code: string;
  /** What was being done, e.g. "domctl getdomaininfo". */
  readonly op: string;

  constructor(errno: number, op: string, detail?: string, table: 'native' | 'xen' = 'native') {
    const code = errnoName(errno, table);
    super(`${op}${detail ? ` (${detail})` : ''}: ${code} (${errnoMessage(code)})`);
    this.name = 'PrivcmdError';
    this.errno = Math.abs(errno);
    this.code = code;
    this.op = op;
  }
}

/** The hypervisor's version is outside our ABI table, or could not be found. */
export class XenVersionError extends Error {
  readonly xen: { major: number; minor: number } | null;
  readonly reason: 'too-new' | 'too-old' | 'undetected';

  constructor(message: string, xen: { major: number; minor: number } | null, reason: XenVersionError['reason']) {
    super(message);
    this.name = 'XenVersionError';
    this.xen = xen;
    this.reason = reason;
  }
}

export function isPrivcmdError(e: unknown, code?: string): e is PrivcmdError {
  return e instanceof PrivcmdError && (code === undefined || e.code === code);
}
