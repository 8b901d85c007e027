// Per-OS privcmd facts as data: device paths, ioctl request encodings, the
// ioctl argument structs, libc names and the few libc constants we pass.
//
// Sources (all read for this table):
//   Linux   include/uapi/xen/privcmd.h (torvalds/linux; linux-libc-dev 6.1
//           header compiled with gcc for the request values),
//           include/uapi/asm-generic/ioctl.h bit layout; Xen
//           tools/libs/call/linux.c (RELEASE-4.17.0) for /dev/xen/hypercall.
//   FreeBSD sys/xen/privcmd.h, sys/dev/xen/privcmd/privcmd.c, sys/sys/ioccom.h,
//           sys/sys/mman.h, sys/sys/unistd.h, sys/sys/fcntl.h (freebsd-src).
//   NetBSD  sys/arch/xen/include/xenio.h (rev 1.11.22.1), sys/sys/ioccom.h
//           (rev 1.12), sys/sys/mman.h, sys/sys/fcntl.h, Xen
//           tools/libs/{call,foreignmemory}/netbsd.c.

import { defineStruct, type StructLayout } from './layout.js';

export type OsName = 'linux' | 'freebsd' | 'netbsd';

/** asm-generic/ioctl.h: nr 8 bits @0, type 8 @8, size 14 @16, dir 2 @30. */
export const LINUX_IOC = { NONE: 0, WRITE: 1, READ: 2 } as const;
export function linuxIoc(dir: number, type: string, nr: number, size: number): number {
  if (size >= 1 << 14) throw new RangeError(`ioctl size ${size} does not fit 14 bits`);
  return ((dir << 30) | (size << 16) | (type.charCodeAt(0) << 8) | nr) >>> 0;
}

/** BSD sys/ioccom.h: len 13 bits @16, group @8, num @0, in/out in the top bits. */
export const BSD_IOC = { VOID: 0x20000000, OUT: 0x40000000, IN: 0x80000000 } as const;
export function bsdIoc(inout: number, group: string, num: number, len: number): number {
  return (inout | ((len & 0x1fff) << 16) | (group.charCodeAt(0) << 8) | num) >>> 0;
}

export interface IoctlDef {
  /** Name as spelled in the OS header. */
  readonly name: string;
  readonly request: number;
  readonly arg: StructLayout;
}

/** Ioctls we know, by role. Not every OS has every role. */
export type IoctlRole = 'hypercall' | 'mmap' | 'mmapbatch' | 'mmapbatch_v2' | 'dm_op' | 'restrict' | 'mmap_resource';

export interface SysConstants {
  readonly O_RDWR: number;
  readonly O_CLOEXEC: number;
  readonly PROT_READ: number;
  readonly PROT_WRITE: number;
  readonly MAP_SHARED: number;
  readonly MAP_PRIVATE: number;
  readonly MAP_ANONYMOUS: number;
  /** Linux only: keep buffers out of fork()ed children (libxencall does this). */
  readonly MADV_DONTFORK?: number;
  readonly SC_PAGESIZE: number;
}

export interface OsPrivcmd {
  readonly os: OsName;
  /** Candidate privcmd device nodes, preferred first. */
  readonly devices: readonly string[];
  /** Linux xen-privcmd hypercall buffer device: mmap gives locked pages. */
  readonly hypercallBufDevice?: string;
  readonly ioctls: Partial<Record<IoctlRole, IoctlDef>>;
  /** Linux returns the hypercall result from ioctl(); the BSDs store it in .retval. */
  readonly hypercallResult: 'ioctl-return' | 'retval-field';
  /** Where foreign pages are mapped: an mmap of the privcmd fd, or anonymous memory. */
  readonly foreignMapping: 'privcmd-fd' | 'anonymous';
  readonly libc: string;
  readonly sys: SysConstants;
}

// -- argument structs --------------------------------------------------------

const domid = defineStruct('domid_t', [['dom', 'u16']]);

const hypercallLinux = defineStruct('privcmd_hypercall', [
  ['op', 'u64'],
  ['arg', 'u64', 5],
]);
// FreeBSD ioctl_privcmd_hypercall and NetBSD privcmd_hypercall_t: same shape.
const hypercallBsd = defineStruct('privcmd_hypercall(bsd)', [
  ['op', 'u64'],
  ['arg', 'u64', 5],
  ['retval', 'i64'],
]);

const mmapEntry = defineStruct('privcmd_mmap_entry', [
  ['va', 'u64'],
  ['mfn', 'u64'],
  ['npages', 'u64'],
]);
const mmap = defineStruct('privcmd_mmap', [
  ['num', 'i32'],
  ['dom', 'u16'],
  ['entry', 'ptr'],
]);
const mmapbatch = defineStruct('privcmd_mmapbatch', [
  ['num', 'i32'],
  ['dom', 'u16'],
  ['addr', 'u64'],
  ['arr', 'ptr'],
]);
// Linux declares num unsigned, FreeBSD/NetBSD int: same bytes.
const mmapbatchV2 = defineStruct('privcmd_mmapbatch_v2', [
  ['num', 'u32'],
  ['dom', 'u16'],
  ['addr', 'u64'],
  ['arr', 'ptr'],
  ['err', 'ptr'],
]);
const mmapResource = defineStruct('privcmd_mmap_resource', [
  ['dom', 'u16'],
  ['type', 'u32'],
  ['id', 'u32'],
  ['idx', 'u32'],
  ['num', 'u64'],
  ['addr', 'u64'],
]);
const dmOpLinux = defineStruct('privcmd_dm_op', [
  ['dom', 'u16'],
  ['num', 'u16'],
  ['ubufs', 'ptr'],
]);
const dmOpFreeBsd = defineStruct('ioctl_privcmd_dmop', [
  ['dom', 'u16'],
  ['num', 'u32'],
  ['ubufs', 'ptr'],
]);
export const DM_OP_BUF = defineStruct('privcmd_dm_op_buf', [
  ['uptr', 'ptr'],
  ['size', 'u64'],
]);

export const PRIVCMD_STRUCTS = {
  hypercallLinux, hypercallBsd, mmapEntry, mmap, mmapbatch, mmapbatchV2,
  mmapResource, dmOpLinux, dmOpFreeBsd, dmOpBuf: DM_OP_BUF, domid,
} as const;

// -- the table ---------------------------------------------------------------

const L = (name: string, nr: number, arg: StructLayout): IoctlDef =>
  ({ name, request: linuxIoc(LINUX_IOC.NONE, 'P', nr, arg.size), arg });
const B = (name: string, inout: number, group: string, nr: number, arg: StructLayout): IoctlDef =>
  ({ name, request: bsdIoc(inout, group, nr, arg.size), arg });
const IOW = BSD_IOC.IN;
const IOWR = BSD_IOC.IN | BSD_IOC.OUT;

export const OS_TABLE: Readonly<Record<OsName, OsPrivcmd>> = {
  linux: {
    os: 'linux',
    devices: ['/dev/xen/privcmd', '/proc/xen/privcmd'],
    hypercallBufDevice: '/dev/xen/hypercall',
    ioctls: {
      hypercall: L('IOCTL_PRIVCMD_HYPERCALL', 0, hypercallLinux),
      mmap: L('IOCTL_PRIVCMD_MMAP', 2, mmap),
      mmapbatch: L('IOCTL_PRIVCMD_MMAPBATCH', 3, mmapbatch),
      mmapbatch_v2: L('IOCTL_PRIVCMD_MMAPBATCH_V2', 4, mmapbatchV2),
      dm_op: L('IOCTL_PRIVCMD_DM_OP', 5, dmOpLinux),
      restrict: L('IOCTL_PRIVCMD_RESTRICT', 6, domid),
      mmap_resource: L('IOCTL_PRIVCMD_MMAP_RESOURCE', 7, mmapResource),
    },
    hypercallResult: 'ioctl-return',
    foreignMapping: 'privcmd-fd',
    libc: 'libc.so.6',
    // glibc x86_64/aarch64 (asm-generic values on both).
    sys: {
      O_RDWR: 2, O_CLOEXEC: 0o2000000, PROT_READ: 1, PROT_WRITE: 2,
      MAP_SHARED: 1, MAP_PRIVATE: 2, MAP_ANONYMOUS: 0x20, MADV_DONTFORK: 10,
      SC_PAGESIZE: 30,
    },
  },
  freebsd: {
    os: 'freebsd',
    devices: ['/dev/xen/privcmd'],
    ioctls: {
      hypercall: B('IOCTL_PRIVCMD_HYPERCALL', IOWR, 'E', 0, hypercallBsd),
      // FreeBSD's only batch ioctl already has the v2 per-page err array.
      mmapbatch_v2: B('IOCTL_PRIVCMD_MMAPBATCH', IOWR, 'E', 1, mmapbatchV2),
      mmap_resource: B('IOCTL_PRIVCMD_MMAP_RESOURCE', IOWR, 'E', 2, mmapResource),
      dm_op: B('IOCTL_PRIVCMD_DM_OP', IOW, 'E', 3, dmOpFreeBsd),
      restrict: B('IOCTL_PRIVCMD_RESTRICT', IOW, 'E', 4, domid),
    },
    hypercallResult: 'retval-field',
    foreignMapping: 'privcmd-fd',
    libc: 'libc.so.7',
    sys: {
      O_RDWR: 2, O_CLOEXEC: 0x00100000, PROT_READ: 1, PROT_WRITE: 2,
      MAP_SHARED: 1, MAP_PRIVATE: 2, MAP_ANONYMOUS: 0x1000, SC_PAGESIZE: 47,
    },
  },
  netbsd: {
    os: 'netbsd',
    devices: ['/kern/xen/privcmd'],
    ioctls: {
      hypercall: B('IOCTL_PRIVCMD_HYPERCALL', IOWR, 'P', 0, hypercallBsd),
      mmap: B('IOCTL_PRIVCMD_MMAP', IOW, 'P', 2, mmap),
      mmapbatch: B('IOCTL_PRIVCMD_MMAPBATCH', IOW, 'P', 3, mmapbatch),
      mmapbatch_v2: B('IOCTL_PRIVCMD_MMAPBATCH_V2', IOW, 'P', 6, mmapbatchV2),
      mmap_resource: B('IOCTL_PRIVCMD_MMAP_RESOURCE', IOW, 'P', 7, mmapResource),
    },
    hypercallResult: 'retval-field',
    foreignMapping: 'anonymous',
    libc: 'libc.so.12',
    sys: {
      O_RDWR: 2, O_CLOEXEC: 0x00400000, PROT_READ: 1, PROT_WRITE: 2,
      MAP_SHARED: 1, MAP_PRIVATE: 2, MAP_ANONYMOUS: 0x1000, SC_PAGESIZE: 28,
    },
  },
};

/** Map Node's process.platform to a table row. */
export function osFor(platform: string = process.platform): OsPrivcmd {
  if (platform === 'linux' || platform === 'freebsd' || platform === 'netbsd') return OS_TABLE[platform];
  throw new Error(`privcmd: no Xen privcmd support for platform ${platform}`);
}
