// Test doubles: fake memory, a fake libc (Native) and a fake hypervisor.
// The fake hypervisor reads and writes structs at LITERAL offsets taken from
// gcc offsetof() on the Xen headers (x86_64), not from src/privcmd's tables,
// so a wrong table entry makes tests fail.

import type { BufferAllocator, HypercallBuffer } from '../../../src/privcmd/buffers.js';
import { PrivcmdError } from '../../../src/privcmd/errors.js';
import type { Native } from '../../../src/privcmd/native.js';
import type { OsPrivcmd } from '../../../src/privcmd/os.js';
import type { ForeignMapping, Prot, Transport } from '../../../src/privcmd/transport.js';

export const PAGE = 4096;

/** Address space made of JS Buffers. */
export class FakeMemory {
  private next = 0x7000_0000_0000n;
  readonly regions = new Map<bigint, Buffer>();

  map(len: number): bigint {
    const addr = this.next;
    this.next += BigInt(Math.ceil(len / PAGE) * PAGE + PAGE); // guard gap
    this.regions.set(addr, Buffer.alloc(len));
    return addr;
  }

  unmap(addr: bigint): void {
    if (!this.regions.delete(addr)) throw new Error(`unmap of unknown 0x${addr.toString(16)}`);
  }

  /** Bytes at [addr, addr+len); throws like a fault if not mapped. */
  at(addr: bigint, len: number): Buffer {
    for (const [base, buf] of this.regions) {
      if (addr >= base && addr + BigInt(len) <= base + BigInt(buf.length)) {
        const off = Number(addr - base);
        return buf.subarray(off, off + len);
      }
    }
    throw new PrivcmdError(14, 'fake memory', `0x${addr.toString(16)}+${len}`);
  }
}

export class FakeAllocator implements BufferAllocator {
  readonly pageSize = PAGE;
  live = 0;
  constructor(readonly mem: FakeMemory) {}
  alloc(bytes: number): HypercallBuffer {
    const size = Math.max(1, Math.ceil(bytes / PAGE)) * PAGE;
    const addr = this.mem.map(size);
    this.live++;
    return { addr, view: this.mem.at(addr, size), size };
  }
  free(buf: HypercallBuffer): void {
    this.mem.unmap(buf.addr);
    this.live--;
  }
  close(): void {}
}

// ---------------------------------------------------------------------------

export interface FakeDomain {
  domid: number;
  flags?: number;
  totPages?: bigint;
  maxPages?: bigint;
  cpuTime?: bigint;
  onlineVcpus?: number;
  maxVcpuId?: number;
  handle?: Uint8Array;
  cpupool?: number;
  emulationFlags?: number;
  /** Credit/credit2 weight and cap, as scheduler_op getinfo reports them. */
  sched?: { weight: number; cap: number };
  vcpus?: { online: number; blocked: number; running: number; cpuTime: bigint; cpu: number; hard: number[]; soft: number[] }[];
}

export interface FakeXenConfig {
  major: number;
  minor: number;
  domctlVersion: number;
  sysctlVersion: number;
  /** Make XENVER_version fail with this errno. */
  xenVersionErrno?: number;
  /** Pre-4.18 getdomaininfo: answer with the next domain up instead of ESRCH. */
  nextDomainSemantics?: boolean;
  domains?: FakeDomain[];
  console?: string;
  extra?: string;
  /** Xen >= 4.20 varbuf XENVER ops. */
  varbuf?: boolean;
  maxCpuId?: number;
  buildId?: Uint8Array | null;
  sharingErrno?: number;
}

const E = { EPERM: 1, ENOENT: 2, ESRCH: 3, EFAULT: 14, EACCES: 13, EINVAL: 22, ENOSYS: 38, ENODATA: 61, ENOBUFS: 105 };

export interface Call { op: number; cmd?: number; version?: number; domain?: number }

/** A hypervisor that implements the calls XenCtrl makes, over FakeMemory. */
export class FakeXen implements Transport {
  readonly mem = new FakeMemory();
  readonly buffers: FakeAllocator;
  readonly calls: Call[] = [];
  consoleCleared = 0;
  paused = new Set<number>();
  destroyed: number[] = [];
  maxMem = new Map<number, bigint>();

  constructor(readonly cfg: FakeXenConfig) {
    this.buffers = new FakeAllocator(this.mem);
  }

  close(): void {}

  mapForeignPages(_domid: number, _gfns: readonly bigint[], _prot: Prot): ForeignMapping {
    throw new Error('not in this fake');
  }

  private fail(errno: number, what: string): never {
    throw new PrivcmdError(errno, what);
  }

  issue(op: number, args: readonly bigint[], what: string): number {
    switch (op) {
      case 17: return this.xenVersion(Number(args[0]), args[1], what);
      case 35: return this.sysctl(args[0], what);
      case 36: return this.domctl(args[0], what);
      case 12: return this.memoryOp(Number(args[0]), args[1], what);
      default: return this.fail(E.ENOSYS, what);
    }
  }

  // -- xen_version ------------------------------------------------------------

  private xenVersion(cmd: number, arg: bigint, what: string): number {
    this.calls.push({ op: 17, cmd });
    const c = this.cfg;
    const str = (s: string, size: number): number => {
      const b = this.mem.at(arg, size);
      b.fill(0);
      b.write(s.slice(0, size - 1), 'latin1');
      return 0;
    };
    const varbuf = (data: Buffer): number => {
      if (arg === 0n) return data.length;
      const len = this.mem.at(arg, 4).readUInt32LE(0);
      if (len < data.length) this.fail(E.ENOBUFS, what);
      data.copy(this.mem.at(arg + 4n, data.length));
      return data.length;
    };
    switch (cmd) {
      case 0:
        if (c.xenVersionErrno) this.fail(c.xenVersionErrno, what);
        return (c.major << 16) | c.minor;
      case 1: return str(c.extra ?? '.0', 16);
      case 2: { // compile_info: compiler@0[64] by@64[16] domain@80[32] date@112[32]
        const b = this.mem.at(arg, 144);
        b.write('gcc (fake) 12', 0, 'latin1');
        b.write('builder', 64, 'latin1');
        b.write('example.org', 80, 'latin1');
        b.write('Mon Jan  1 2024', 112, 'latin1');
        return 0;
      }
      case 3: return str('xen-3.0-x86_64 hvm-3.0-x86_32', 1024);
      case 4: return str('abcdef123456', 64);
      case 5: this.mem.at(arg, 8).writeBigUInt64LE(0xffff800000000000n, 0); return 0;
      case 6: this.mem.at(arg, 8).writeUInt32LE(0x2705, 4); return 0;
      case 7: return PAGE;
      case 9: return str('console=com1 dom0_mem=1024M', 1024);
      case 10:
        if (c.buildId === null) this.fail(E.ENODATA, what);
        return varbuf(Buffer.from(c.buildId ?? [0xde, 0xad, 0xbe, 0xef]));
      case 11: case 12: case 13: case 14: {
        if (!c.varbuf) this.fail(E.ENOSYS, what);
        const s = { 11: c.extra ?? '.0', 12: 'xen-3.0-x86_64 hvm-3.0-x86_32', 13: 'abcdef123456', 14: 'console=com1 dom0_mem=1024M' }[cmd]!;
        return varbuf(Buffer.from(`${s}*`, 'latin1')); // '*' marks the varbuf path
      }
      default: return this.fail(E.ENOSYS, what);
    }
  }

  // -- domctl (struct xen_domctl: cmd@0 iv@4 domain@8 u@16, 144 bytes) ---------

  private domctl(addr: bigint, what: string): number {
    const b = this.mem.at(addr, 144);
    const cmd = b.readUInt32LE(0);
    const version = b.readUInt32LE(4);
    const domid = b.readUInt16LE(8);
    this.calls.push({ op: 36, cmd, version, domain: domid });
    if (version !== this.cfg.domctlVersion) this.fail(E.EACCES, what);
    const u = b.subarray(16);
    const doms = this.cfg.domains ?? [];
    const find = (id: number): FakeDomain => doms.find((d) => d.domid === id) ?? this.fail(E.ESRCH, what);
    switch (cmd) {
      case 5: { // getdomaininfo
        let d: FakeDomain | undefined;
        if (this.cfg.nextDomainSemantics) {
          d = [...doms].sort((a, x) => a.domid - x.domid).find((x) => x.domid >= domid);
          if (!d) this.fail(E.ESRCH, what);
        } else {
          d = find(domid);
        }
        writeDomInfo(u, d);
        b.writeUInt16LE(d.domid, 8);
        return 0;
      }
      case 3: find(domid); this.paused.add(domid); return 0;
      case 4: find(domid); this.paused.delete(domid); return 0;
      case 2: find(domid); this.destroyed.push(domid); return 0;
      case 11: find(domid); this.maxMem.set(domid, u.readBigUInt64LE(0)); return 0;
      case 69: { // getnodeaffinity: nodemap{bitmap@0 nr_bits@8}: node 0
        find(domid);
        const map = this.mem.at(u.readBigUInt64LE(0), Math.ceil(u.readUInt32LE(8) / 8));
        map.fill(0);
        map[0] = 1;
        return 0;
      }
      case 16: { // scheduler_op: sched_id@0 cmd@4 u@8 (credit: weight u16, cap u16)
        const d = find(domid);
        if (u.readUInt32LE(0) !== 6 || u.readUInt32LE(4) !== 1) this.fail(E.EINVAL, what);
        u.writeUInt16LE(d.sched?.weight ?? 256, 8);
        u.writeUInt16LE(d.sched?.cap ?? 0, 10);
        return 0;
      }
      case 14: { // getvcpuinfo: vcpu@0 online@4 blocked@5 running@6 cpu_time@8 cpu@16
        const v = find(domid).vcpus?.[u.readUInt32LE(0)] ?? this.fail(E.EINVAL, what);
        u.writeUInt8(v.online, 4);
        u.writeUInt8(v.blocked, 5);
        u.writeUInt8(v.running, 6);
        u.writeBigUInt64LE(v.cpuTime, 8);
        u.writeUInt32LE(v.cpu, 16);
        return 0;
      }
      case 25: { // getvcpuaffinity: vcpu@0 flags@4 hard{bitmap@8 nr_bits@16} soft{@24 @32}
        const v = find(domid).vcpus?.[u.readUInt32LE(0)] ?? this.fail(E.EINVAL, what);
        const flags = u.readUInt32LE(4);
        const put = (ptrOff: number, cpus: number[]): void => {
          const nrBits = u.readUInt32LE(ptrOff + 8);
          const map = this.mem.at(u.readBigUInt64LE(ptrOff), Math.ceil(nrBits / 8));
          map.fill(0);
          for (const c of cpus) if (c < nrBits) map[c >> 3] |= 1 << (c & 7);
        };
        if (flags & 1) put(8, v.hard);
        if (flags & 2) put(24, v.soft);
        return 0;
      }
      default: return this.fail(E.ENOSYS, what);
    }
  }

  // -- sysctl (struct xen_sysctl: cmd@0 iv@4 u@8, 136 bytes) ---------------------

  private sysctl(addr: bigint, what: string): number {
    const b = this.mem.at(addr, 136);
    const cmd = b.readUInt32LE(0);
    const version = b.readUInt32LE(4);
    this.calls.push({ op: 35, cmd, version });
    if (version !== this.cfg.sysctlVersion) this.fail(E.EACCES, what);
    const u = b.subarray(8);
    switch (cmd) {
      case 3: { // physinfo
        u.writeUInt32LE(2, 0); // threads_per_core
        u.writeUInt32LE(4, 4); // cores_per_socket
        u.writeUInt32LE(8, 8); // nr_cpus
        u.writeUInt32LE(this.cfg.maxCpuId ?? 7, 12);
        u.writeUInt32LE(1, 16); // nr_nodes
        u.writeUInt32LE(0, 20);
        u.writeUInt32LE(2400123, 24); // cpu_khz
        u.writeUInt32LE(0b1100001011, 28); // hvm pv hap gnttab_v1 gnttab_v2
        u.writeBigUInt64LE(1048576n, 40); // total_pages
        u.writeBigUInt64LE(524288n, 48); // free_pages
        u.writeBigUInt64LE(0n, 56);
        u.writeBigUInt64LE(256n, 64); // outstanding
        u.writeBigUInt64LE(0x13ffffn, 72); // max_mfn
        for (let i = 0; i < 8; i++) u.writeUInt32LE(0x11111111 * i, 80 + 4 * i);
        return 0;
      }
      case 4: u.writeUInt32LE(6, 0); return 0; // credit2
      case 6: { // getdomaininfolist: first@0 max@4 buffer@8 num@16; elements 112 bytes
        const first = u.readUInt16LE(0);
        const max = u.readUInt32LE(4);
        const buf = u.readBigUInt64LE(8);
        const sel = [...(this.cfg.domains ?? [])].sort((a, x) => a.domid - x.domid)
          .filter((d) => d.domid >= first).slice(0, max);
        sel.forEach((d, i) => writeDomInfo(this.mem.at(buf + BigInt(i * 112), 112), d));
        u.writeUInt32LE(sel.length, 16);
        return 0;
      }
      case 1: { // readconsole: clear@0 incr@1 index@4 buffer@8 count@16
        const text = Buffer.from(this.cfg.console ?? '', 'latin1');
        const clear = u.readUInt8(0);
        const incr = u.readUInt8(1);
        let idx = incr ? u.readUInt32LE(4) : 0;
        if (idx > text.length) idx = 0;
        const count = u.readUInt32LE(16);
        const n = Math.min(count, text.length - idx);
        text.copy(this.mem.at(u.readBigUInt64LE(8), Math.max(n, 1)), 0, idx, idx + n);
        if (clear) this.consoleCleared++;
        u.writeUInt32LE(idx + n, 4);
        u.writeUInt32LE(n, 16);
        return 0;
      }
      case 18: { // cpupool_op: op@0 cpupool_id@4 sched_id@8 ... cpumap{bitmap@24 nr_bits@32}
        if (u.readUInt32LE(0) === 3) { // info: only Pool-0 (credit2) exists
          if (u.readUInt32LE(4) > 0) this.fail(E.ENOENT, what);
          u.writeUInt32LE(0, 4);
          u.writeUInt32LE(6, 8);
          return 0;
        }
        if (u.readUInt32LE(0) !== 7) this.fail(E.EINVAL, what);
        const nrBits = u.readUInt32LE(32);
        const map = this.mem.at(u.readBigUInt64LE(24), Math.ceil(nrBits / 8));
        map.fill(0);
        map[0] = 0b1100_0000; // cpus 6, 7 free
        return 0;
      }
      default: return this.fail(E.ENOSYS, what);
    }
  }

  // -- memory_op ---------------------------------------------------------------

  private memoryOp(cmd: number, arg: bigint, what: string): number {
    this.calls.push({ op: 12, cmd });
    switch (cmd) {
      case 2: return 0x13ffff;
      case 3: case 4: {
        const domid = this.mem.at(arg, 2).readUInt16LE(0);
        const d = (this.cfg.domains ?? []).find((x) => x.domid === domid) ?? this.fail(E.ESRCH, what);
        return Number(cmd === 3 ? d.totPages ?? 0n : d.maxPages ?? 0n);
      }
      case 18: case 19:
        if (this.cfg.sharingErrno) this.fail(this.cfg.sharingErrno, what);
        return cmd === 18 ? 512 : 256;
      default: return this.fail(E.ENOSYS, what);
    }
  }
}

/** struct xen_domctl_getdomaininfo at gcc offsets (112 bytes on x86_64). */
export function writeDomInfo(b: Buffer, d: FakeDomain): void {
  b.fill(0, 0, 112);
  b.writeUInt16LE(d.domid, 0);
  b.writeUInt32LE(d.flags ?? 0, 4);
  b.writeBigUInt64LE(d.totPages ?? 0n, 8);
  b.writeBigUInt64LE(d.maxPages ?? 0n, 16);
  b.writeBigUInt64LE(3n, 24); // outstanding
  b.writeBigUInt64LE(4n, 32); // shr
  b.writeBigUInt64LE(5n, 40); // paged
  b.writeBigUInt64LE(0xabcdn, 48); // shared_info_frame
  b.writeBigUInt64LE(d.cpuTime ?? 0n, 56);
  b.writeUInt32LE(d.onlineVcpus ?? 1, 64);
  b.writeUInt32LE(d.maxVcpuId ?? 0, 68);
  b.writeUInt32LE(0x11, 72); // ssidref
  if (d.handle) Buffer.from(d.handle).copy(b, 76);
  b.writeUInt32LE(d.cpupool ?? 0, 92);
  b.writeUInt8(48, 96); // gpaddr_bits
  b.writeUInt32LE(d.emulationFlags ?? 0, 104);
  b.writeUInt32LE(0, 108);
}

// ---------------------------------------------------------------------------

export interface IoctlCall { fd: number; request: number; arg: bigint }

/**
 * A libc double for PrivcmdDevice/PageAllocator: files are a name->fd map,
 * mmap hands out FakeMemory, ioctl calls `onIoctl`.
 */
export class FakeNative implements Native {
  readonly mem = new FakeMemory();
  readonly opened: string[] = [];
  readonly ioctls: IoctlCall[] = [];
  readonly mmaps: { addr: bigint; len: number; prot: number; flags: number; fd: number }[] = [];
  readonly locked = new Set<bigint>();
  readonly advised: { addr: bigint; advice: number }[] = [];
  private nextFd = 10;
  private readonly fds = new Map<number, string>();

  constructor(
    readonly os: OsPrivcmd,
    readonly files: readonly string[],
    readonly onIoctl: (call: IoctlCall, mem: FakeMemory) => number,
  ) {}

  open(path: string): number {
    if (!this.files.includes(path)) throw new PrivcmdError(2, `open ${path}`);
    const fd = this.nextFd++;
    this.fds.set(fd, path);
    this.opened.push(path);
    return fd;
  }
  close(fd: number): void {
    if (!this.fds.delete(fd)) throw new PrivcmdError(9, 'close');
  }
  pathOf(fd: number): string | undefined { return this.fds.get(fd); }
  ioctl(fd: number, request: number, arg: bigint, what: string): number {
    const call = { fd, request, arg };
    this.ioctls.push(call);
    const r = this.onIoctl(call, this.mem);
    if (r < 0) throw new PrivcmdError(-r, what);
    return r;
  }
  mmap(_addr: bigint, len: number, prot: number, flags: number, fd: number): bigint {
    const addr = this.mem.map(len);
    this.mmaps.push({ addr, len, prot, flags, fd });
    return addr;
  }
  munmap(addr: bigint): void { this.mem.unmap(addr); }
  mlock(addr: bigint): void { this.locked.add(addr); }
  munlock(addr: bigint): void { this.locked.delete(addr); }
  madvise(addr: bigint, _len: number, advice: number): void { this.advised.push({ addr, advice }); }
  errno(): number { return 0; }
  pageSize(): number { return PAGE; }
  view(addr: bigint, len: number): Buffer { return this.mem.at(addr, len); }
}
