// Passing an open file to another process over a connected unix socket:
// sendmsg(2) with one SCM_RIGHTS control message, as libxl__sendmsg_fds does
// for QMP's add-fd. Node's net module cannot attach descriptors to a write,
// so this one call goes through libc (koffi, loaded on first use, as
// src/privcmd/native.ts loads it for the hypercalls).
//
// The layouts are the x86_64 ones: struct msghdr, struct iovec and the
// cmsghdr that CMSG_SPACE(sizeof(int)) bytes hold (Linux <bits/socket.h>,
// FreeBSD/NetBSD <sys/socket.h>).

import { errnoName } from './errors.js';
import { loadKoffi } from './koffi-loader.js';
import { osFor, type OsName } from './os.js';

interface CmsgLayout {
  SOL_SOCKET: number;
  SCM_RIGHTS: number;
  /** cmsg_len: size_t on Linux, socklen_t on the BSDs. */
  cmsgLen: 'u64' | 'u32';
  /** msg_iovlen / msg_controllen types in struct msghdr. */
  iovlen: 'size_t' | 'int';
  controllen: 'size_t' | 'uint32_t';
}

/** CMSG_DATA offset, CMSG_LEN(sizeof(int)) and CMSG_SPACE(sizeof(int)): the same on all three. */
const DATA_OFFSET = 16;
const CMSG_LEN_INT = DATA_OFFSET + 4;
const CMSG_SPACE_INT = 24;

const BSD: CmsgLayout = { SOL_SOCKET: 0xffff, SCM_RIGHTS: 1, cmsgLen: 'u32', iovlen: 'int', controllen: 'uint32_t' };
const LAYOUTS: Readonly<Record<OsName, CmsgLayout>> = {
  linux: { SOL_SOCKET: 1, SCM_RIGHTS: 1, cmsgLen: 'u64', iovlen: 'size_t', controllen: 'size_t' },
  freebsd: BSD,
  netbsd: BSD,
};

/** The control message carrying `fd`, CMSG_SPACE bytes. */
export function rightsControl(fd: number, os: OsName): Buffer {
  const l = LAYOUTS[os];
  const b = Buffer.alloc(CMSG_SPACE_INT);
  if (l.cmsgLen === 'u64') b.writeBigUInt64LE(BigInt(CMSG_LEN_INT), 0);
  else b.writeUInt32LE(CMSG_LEN_INT, 0);
  const at = l.cmsgLen === 'u64' ? 8 : 4;
  b.writeInt32LE(l.SOL_SOCKET, at);
  b.writeInt32LE(l.SCM_RIGHTS, at + 4);
  b.writeInt32LE(fd, DATA_OFFSET);
  return b;
}

/** Sends `data` on the socket `sockFd` with `fd` attached; returns the bytes written. Errors carry an errno `code`. */
export type SendWithFd = (sockFd: number, data: Buffer, fd: number) => number;

type Fn = (...args: unknown[]) => unknown;
interface Koffi {
  load(path: string): { func(decl: string): Fn };
  struct(name: string, def: Record<string, unknown>): unknown;
  errno(): number;
}

let sendmsg: ((sockFd: number, data: Buffer, control: Buffer) => number) | undefined;

function binding(): (sockFd: number, data: Buffer, control: Buffer) => number {
  if (sendmsg) return sendmsg;
  const os = osFor();
  const l = LAYOUTS[os.os];
  const koffi = loadKoffi<Koffi>(import.meta.url);
  let libc: { func(decl: string): Fn } | undefined;
  let last: unknown;
  for (const n of [os.libc, 'libc.so']) {
    try {
      libc = koffi.load(n);
      break;
    } catch (e) {
      last = e;
    }
  }
  if (!libc) throw new Error(`cannot load libc for sendmsg: ${String(last)}`);
  koffi.struct('xl_iovec', { iov_base: 'void *', iov_len: 'size_t' });
  koffi.struct('xl_msghdr', {
    msg_name: 'void *', msg_namelen: 'uint32_t', msg_iov: 'xl_iovec *', msg_iovlen: l.iovlen,
    msg_control: 'void *', msg_controllen: l.controllen, msg_flags: 'int',
  });
  const fn = libc.func('intptr_t sendmsg(int fd, const xl_msghdr *msg, int flags)');
  sendmsg = (sockFd, data, control) => {
    const r = Number(fn(sockFd, {
      msg_name: null, msg_namelen: 0, msg_iov: [{ iov_base: data, iov_len: data.length }], msg_iovlen: 1,
      msg_control: control, msg_controllen: control.length, msg_flags: 0,
    }, 0));
    if (r < 0) {
      const code = errnoName(koffi.errno());
      throw Object.assign(new Error(`sendmsg: ${code}`), { code });
    }
    return r;
  };
  return sendmsg;
}

/** sendmsg(sockFd, {data}, SCM_RIGHTS [fd]) through libc. */
export const sendWithFd: SendWithFd = (sockFd, data, fd) => binding()(sockFd, data, rightsControl(fd, osFor().os));
