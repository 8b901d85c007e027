// Typed hypercalls over a Transport: version detection, xen_version, sysctl,
// domctl and memory_op. Struct layouts come from the ABI table row matching
// the running hypervisor; nothing here hard-codes an offset.

import {
  ABI, CPUPOOL_OP, DOMCTL, HVMOP, SENDTRIGGER, xen_hvm_param, DOMCTL_VERSIONS, HYPERCALL, SCHEDOP, SCHEDULERS, SYSCTL,
  SYSCTL_VERSIONS, VCPUAFFINITY, VERSION_STRUCTS, XENMEM, XENVER, XENVER_SIZES,
  XEN_INVALID_ID, hostArch, releaseFor, selectAbi,
  type AbiSelection, type Arch,
} from './abi.js';
import { withBuffers, type HypercallBuffer } from './buffers.js';
import { PrivcmdError, XenVersionError, isPrivcmdError } from './errors.js';
import {
  bitmapToList, toDomainInfo, toPhysInfo, toVcpuInfo,
  type DomainInfo, type PhysInfo, type VcpuInfo, type VersionInfo,
} from './info.js';
import { decode, encode, type Decoded, type StructLayout } from './layout.js';
import { PrivcmdDevice, type ForeignMapping, type Prot, type Transport } from './transport.js';

export interface DetectedVersion {
  /** From XENVER_version; null when only probing worked. */
  readonly xen: { readonly major: number; readonly minor: number } | null;
  readonly domctlVersion: number;
  readonly sysctlVersion: number;
  readonly how: 'xen_version' | 'probe' | 'assumed';
}

export interface OpenOptions {
  /** Use this transport instead of opening the privcmd device (tests). */
  transport?: Transport;
  arch?: Arch;
  /**
   * Skip detection and use the table row of this release, e.g. "4.22".
   * For hypervisors newer than our table whose ABI is known to match.
   */
  assumeRelease?: string;
}

export interface ConsoleChunk {
  text: string;
  /** Ring index after this read; pass back with incremental to continue. */
  index: number;
}

export interface VcpuAffinity {
  hard: number[];
  soft: number[];
}

export interface CpuTopology { cpu: number; core: number | null; socket: number | null; node: number | null }
export interface NumaNode { node: number; memsize: bigint | null; memfree: bigint | null; distances: (number | null)[] }

/** Errors that mean "we cannot talk to Xen at all", not "wrong interface version". */
const FATAL_FOR_PROBE = new Set(['EPERM', 'EFAULT', 'ENOTTY', 'ENOSYS', 'EBADF', 'ENXIO', 'ENODEV']);

/** Domains fetched per getdomaininfolist call. */
const LIST_BATCH = 256;
const CONSOLE_CHUNK = 16384;
/** xc retries EFAULT on buffers that may fault; ours are locked, but be as tolerant. */
const EFAULT_RETRIES = 2;

function xenVersionWord(t: Transport): { major: number; minor: number } {
  const v = t.issue(HYPERCALL.xen_version, [BigInt(XENVER.version), 0n], 'xen_version version');
  return { major: v >>> 16, minor: v & 0xffff };
}

/** Issue a domctl/sysctl header-only call with `version`; true unless EACCES. */
function acceptsVersion(t: Transport, hypercall: number, layout: StructLayout, fields: Record<string, unknown>): boolean {
  return withBuffers(t.buffers, (get) => {
    const b = get(layout.size);
    encode(layout, fields, b.view);
    try {
      t.issue(hypercall, [b.addr], 'interface version probe');
      return true;
    } catch (e) {
      if (!(e instanceof PrivcmdError)) throw e;
      if (e.code === 'EACCES') return false;
      if (FATAL_FOR_PROBE.has(e.code)) throw e;
      return true; // e.g. ESRCH: the version check (first) passed
    }
  });
}

function probe(t: Transport): { domctlVersion: number; sysctlVersion: number } {
  const domctlVersion = DOMCTL_VERSIONS.find((v) => acceptsVersion(t, HYPERCALL.domctl,
    ABI.domctl[v as keyof typeof ABI.domctl].x64.domctl,
    { cmd: DOMCTL.getdomaininfo, interface_version: v, domain: 0 }));
  const sysctlVersion = SYSCTL_VERSIONS.find((v) => acceptsVersion(t, HYPERCALL.sysctl,
    ABI.sysctl[v as keyof typeof ABI.sysctl].x64.sysctl,
    { cmd: SYSCTL.sched_id, interface_version: v }));
  if (domctlVersion === undefined || sysctlVersion === undefined) {
    const hex = (vs: readonly number[]): string => vs.map((v) => `0x${v.toString(16)}`).join(', ');
    throw new XenVersionError(
      'cannot tell which Xen this is: XENVER_version failed and the hypervisor rejected every known ' +
      `interface version (domctl ${hex(DOMCTL_VERSIONS)}; sysctl ${hex(SYSCTL_VERSIONS)}); ` +
      'it is probably newer than this xl knows',
      null, 'undetected');
  }
  return { domctlVersion, sysctlVersion };
}

/**
 * Work out which interface versions the running hypervisor speaks: from
 * XENVER_version when allowed, else by probing newest-first.
 */
export function detectVersions(t: Transport, assumeRelease?: string): DetectedVersion {
  if (assumeRelease) {
    const m = /^(\d+)\.(\d+)$/.exec(assumeRelease);
    if (!m) throw new Error(`assumeRelease: expected "major.minor", got "${assumeRelease}"`);
    const r = releaseFor(Number(m[1]), Number(m[2]));
    return { xen: null, domctlVersion: r.domctl, sysctlVersion: r.sysctl, how: 'assumed' };
  }
  let xen: { major: number; minor: number };
  try {
    xen = xenVersionWord(t);
  } catch (e) {
    if (!(e instanceof PrivcmdError)) throw e;
    return { xen: null, ...probe(t), how: 'probe' };
  }
  const r = releaseFor(xen.major, xen.minor); // throws a clear "newer than" error
  return { xen, domctlVersion: r.domctl, sysctlVersion: r.sysctl, how: 'xen_version' };
}

const decodeString = (buf: Buffer, len: number): string => {
  const raw = buf.subarray(0, len);
  const nul = raw.indexOf(0);
  return raw.subarray(0, nul < 0 ? raw.length : nul).toString('utf8');
};

export class XenCtrl {
  readonly transport: Transport;
  readonly abi: AbiSelection;
  readonly detected: DetectedVersion;
  private maxCpusCache: number | undefined;

  constructor(transport: Transport, detected: DetectedVersion, arch: Arch = hostArch()) {
    this.transport = transport;
    this.detected = detected;
    this.abi = selectAbi(arch, detected.domctlVersion, detected.sysctlVersion);
  }

  /** Open privcmd (unless a transport is given) and detect the hypervisor's ABI. */
  static open(opts: OpenOptions = {}): XenCtrl {
    const t = opts.transport ?? PrivcmdDevice.open();
    try {
      return new XenCtrl(t, detectVersions(t, opts.assumeRelease), opts.arch ?? hostArch());
    } catch (e) {
      if (!opts.transport) t.close();
      throw e;
    }
  }

  close(): void { this.transport.close(); }

  private scoped<T>(fn: (get: (bytes: number) => HypercallBuffer) => T): T {
    return withBuffers(this.transport.buffers, fn);
  }

  private issueRetry(op: number, args: readonly bigint[], what: string): number {
    for (let i = 0; ; i++) {
      try {
        return this.transport.issue(op, args, what);
      } catch (e) {
        if (isPrivcmdError(e, 'EFAULT') && i < EFAULT_RETRIES) continue;
        if (isPrivcmdError(e, 'EACCES')) {
          const d = this.detected;
          const xen = d.xen ? `Xen ${d.xen.major}.${d.xen.minor}` : 'this Xen';
          e.message += ` [domctl 0x${d.domctlVersion.toString(16)}/sysctl 0x${d.sysctlVersion.toString(16)} ` +
            `${d.how === 'assumed' ? 'assumed' : 'detected'} for ${xen}; EACCES may mean an interface mismatch]`;
        }
        throw e;
      }
    }
  }

  // -- domctl / sysctl plumbing ---------------------------------------------

  /** Run a domctl: `sub` is the union member layout; returns it decoded and the echoed domain. */
  private domctl(
    get: (bytes: number) => HypercallBuffer, cmd: number, domid: number, name: string,
    sub?: StructLayout, input: Record<string, unknown> = {},
  ): { domain: number; out: Decoded } {
    const L = this.abi.domctl.domctl;
    const b = get(L.size);
    encode(L, { cmd, interface_version: this.abi.domctlVersion, domain: domid }, b.view);
    const uOff = L.fields.u.offset;
    if (sub) encode(sub, input, b.view, uOff);
    this.issueRetry(HYPERCALL.domctl, [b.addr], `domctl ${name} (domid ${domid})`);
    return {
      domain: b.view.readUInt16LE(L.fields.domain.offset),
      out: sub ? decode(sub, b.view, uOff) : {},
    };
  }

  private sysctl(
    get: (bytes: number) => HypercallBuffer, cmd: number, name: string,
    sub: StructLayout, input: Record<string, unknown> = {},
  ): Decoded {
    const L = this.abi.sysctl.sysctl;
    const b = get(L.size);
    encode(L, { cmd, interface_version: this.abi.sysctlVersion }, b.view);
    const uOff = L.fields.u.offset;
    encode(sub, input, b.view, uOff);
    this.issueRetry(HYPERCALL.sysctl, [b.addr], `sysctl ${name}`);
    return decode(sub, b.view, uOff);
  }

  // -- xen_version -----------------------------------------------------------

  private xenver(cmd: number, arg: bigint, name: string): number {
    return this.issueRetry(HYPERCALL.xen_version, [BigInt(cmd), arg], `xen_version ${name}`);
  }

  /** XENVER_version as {major, minor}. */
  xenVersion(): { major: number; minor: number } {
    return xenVersionWord(this.transport);
  }

  /** Fixed-size classic string op (truncates; pre-4.20 only option). */
  private xenverFixed(cmd: number, size: number, name: string): string {
    return this.scoped((get) => {
      const b = get(size);
      this.xenver(cmd, b.addr, name);
      return decodeString(b.view, size);
    });
  }

  /** 4.20+ varbuf op: ask the size with a NULL arg, then fetch. Returns raw bytes. */
  private xenverVarbuf(cmd: number, name: string): Buffer {
    const size = this.xenver(cmd, 0n, `${name} size`);
    const hdr = VERSION_STRUCTS.varbuf.size;
    return this.scoped((get) => {
      const b = get(hdr + Math.max(size, 1));
      encode(VERSION_STRUCTS.varbuf, { len: size }, b.view);
      const got = this.xenver(cmd, b.addr, name);
      return Buffer.from(b.view.subarray(hdr, hdr + Math.min(got, size)));
    });
  }

  /** Prefer the non-truncating varbuf op; fall back to the classic one. */
  private xenverString(cmd2: number, cmd: number, size: number, name: string): string {
    try {
      return this.xenverVarbuf(cmd2, name).toString('utf8');
    } catch (e) {
      // Pre-4.20 Xen answers ENOSYS; an XSM policy may deny the new op only.
      if (!(e instanceof PrivcmdError) || !['ENOSYS', 'EINVAL', 'EOPNOTSUPP', 'EPERM', 'EACCES'].includes(e.code)) throw e;
    }
    return this.xenverFixed(cmd, size, name);
  }

  buildId(): string | null {
    try {
      return this.xenverVarbuf(XENVER.build_id, 'build_id').toString('hex');
    } catch (e) {
      if (e instanceof PrivcmdError && ['ENODATA', 'ENOSYS', 'EPERM'].includes(e.code)) return null;
      throw e;
    }
  }

  features(submap = 0): number {
    return this.scoped((get) => {
      const L = VERSION_STRUCTS.feature_info;
      const b = get(L.size);
      encode(L, { submap_idx: submap }, b.view);
      this.xenver(XENVER.get_features, b.addr, 'get_features');
      return Number(decode(L, b.view).submap);
    });
  }

  /** Everything `xl info` prints from xen_version. */
  versionInfo(): VersionInfo {
    const { major, minor } = this.xenVersion();
    const extra = this.xenverString(XENVER.extraversion2, XENVER.extraversion, XENVER_SIZES.extraversion, 'extraversion');
    const cc = this.scoped((get) => {
      const L = VERSION_STRUCTS.compile_info;
      const b = get(L.size);
      this.xenver(XENVER.compile_info, b.addr, 'compile_info');
      return decode(L, b.view);
    });
    const pp = this.scoped((get) => {
      const L = VERSION_STRUCTS.platform_parameters;
      const b = get(L.size);
      this.xenver(XENVER.platform_parameters, b.addr, 'platform_parameters');
      return decode(L, b.view);
    });
    return {
      major, minor, extra,
      version: `${major}.${minor}${extra}`,
      capabilities: this.xenverString(XENVER.capabilities2, XENVER.capabilities, XENVER_SIZES.capabilities, 'capabilities'),
      changeset: this.xenverString(XENVER.changeset2, XENVER.changeset, XENVER_SIZES.changeset, 'changeset'),
      commandline: this.xenverString(XENVER.commandline2, XENVER.commandline, XENVER_SIZES.commandline, 'commandline'),
      compiler: cc.compiler as string,
      compileBy: cc.compile_by as string,
      compileDomain: cc.compile_domain as string,
      compileDate: cc.compile_date as string,
      pagesize: this.xenver(XENVER.pagesize, 0n, 'pagesize'),
      virtStart: pp.virt_start as bigint,
      buildId: this.buildId(),
      features: this.features(0),
    };
  }

  // -- sysctl ----------------------------------------------------------------

  physinfo(): PhysInfo {
    const info = toPhysInfo(this.scoped((get) =>
      this.sysctl(get, SYSCTL.physinfo, 'physinfo', this.abi.sysctl.physinfo)));
    this.maxCpusCache = info.maxCpuId + 1;
    return info;
  }

  /** Possible CPUs (max_cpu_id + 1), the bitmap width Xen expects. */
  maxCpus(): number {
    return this.maxCpusCache ?? this.physinfo().maxCpuId + 1;
  }

  schedId(): number {
    return Number(this.scoped((get) =>
      this.sysctl(get, SYSCTL.sched_id, 'sched_id', this.abi.sysctl.sched_id)).sched_id);
  }

  /** libxl's name for the running scheduler ("credit", "credit2", ...). */
  schedulerName(): string {
    const id = this.schedId();
    return SCHEDULERS[id] ?? `unknown(${id})`;
  }

  /** Up to `max` domains with id >= `first`, in id order. */
  getDomainInfoList(first: number, max: number): DomainInfo[] {
    const el = this.abi.sysctl.getdomaininfo;
    return this.scoped((get) => {
      const buf = get(el.size * max);
      const out = this.sysctl(get, SYSCTL.getdomaininfolist, 'getdomaininfolist',
        this.abi.sysctl.getdomaininfolist, { first_domain: first, max_domains: max, buffer: buf.addr });
      const n = Number(out.num_domains);
      const res: DomainInfo[] = [];
      for (let i = 0; i < n; i++) res.push(toDomainInfo(decode(el, buf.view, i * el.size), this.abi.arch));
      return res;
    });
  }

  /** All domains, in id order. */
  listDomains(): DomainInfo[] {
    const all: DomainInfo[] = [];
    let next = 0;
    for (;;) {
      const batch = this.getDomainInfoList(next, LIST_BATCH);
      all.push(...batch);
      if (batch.length < LIST_BATCH) return all;
      next = batch[batch.length - 1].domid + 1;
    }
  }

  /**
   * One read of Xen's console ring. With `incremental`, start at `index`
   * (from a previous read); with `clear`, consume what was read.
   */
  readConsole(opts: { clear?: boolean; incremental?: boolean; index?: number; size?: number } = {}): ConsoleChunk {
    const size = opts.size ?? CONSOLE_CHUNK;
    return this.scoped((get) => {
      const buf = get(size);
      const out = this.sysctl(get, SYSCTL.readconsole, 'readconsole', this.abi.sysctl.readconsole, {
        clear: opts.clear ? 1 : 0,
        incremental: opts.incremental ? 1 : 0,
        index: opts.index ?? 0,
        buffer: buf.addr,
        count: size,
      });
      const count = Number(out.count);
      return { text: buf.view.subarray(0, count).toString('latin1'), index: Number(out.index) };
    });
  }

  /** The whole ring, as `xl dmesg` reads it (incremental chunks until empty). */
  readConsoleAll(opts: { clear?: boolean } = {}): string {
    const parts: string[] = [];
    let index = 0;
    for (;;) {
      const c = this.readConsole({ clear: opts.clear, incremental: true, index });
      if (c.text.length === 0) return parts.join('');
      parts.push(c.text);
      index = c.index;
    }
  }

  cpuTopology(): CpuTopology[] {
    const S = this.abi.sysctl;
    const n = this.maxCpus();
    return this.scoped((get) => {
      const buf = get(S.cputopo.size * n);
      const out = this.sysctl(get, SYSCTL.cputopoinfo, 'cputopoinfo', S.cputopoinfo,
        { num_cpus: n, cputopo: buf.addr });
      const got = Math.min(n, Number(out.num_cpus));
      const inv = (v: unknown): number | null => (Number(v) === XEN_INVALID_ID ? null : Number(v));
      return Array.from({ length: got }, (_, i) => {
        const t = decode(S.cputopo, buf.view, i * S.cputopo.size);
        return { cpu: i, core: inv(t.core), socket: inv(t.socket), node: inv(t.node) };
      });
    });
  }

  numaInfo(): NumaNode[] {
    const S = this.abi.sysctl;
    // Ask for the node count first (NULL handles), then fetch.
    const count = Number(this.scoped((get) =>
      this.sysctl(get, SYSCTL.numainfo, 'numainfo', S.numainfo, { num_nodes: 0 })).num_nodes);
    if (count === 0) return [];
    return this.scoped((get) => {
      const mem = get(S.meminfo.size * count);
      const dist = get(4 * count * count);
      const out = this.sysctl(get, SYSCTL.numainfo, 'numainfo', S.numainfo,
        { num_nodes: count, meminfo: mem.addr, distance: dist.addr });
      const n = Math.min(count, Number(out.num_nodes));
      const invMem = (v: unknown): bigint | null => (BigInt(v as bigint) === BigInt(XEN_INVALID_ID) ? null : (v as bigint));
      return Array.from({ length: n }, (_, i) => {
        const m = decode(S.meminfo, mem.view, i * S.meminfo.size);
        const distances = Array.from({ length: n }, (_, j) => {
          const d = dist.view.readUInt32LE((i * n + j) * 4);
          return d === XEN_INVALID_ID ? null : d;
        });
        return { node: i, memsize: invMem(m.memsize), memfree: invMem(m.memfree), distances };
      });
    });
  }

  /** CPUs in no cpupool (xl info's free_cpus counts these). */
  freeCpus(): number[] {
    const S = this.abi.sysctl;
    const bytes = Math.ceil(this.maxCpus() / 8);
    return this.scoped((get) => {
      const map = get(bytes);
      this.sysctl(get, SYSCTL.cpupool_op, 'cpupool_op freeinfo', S.cpupool_op, {
        op: CPUPOOL_OP.freeinfo,
        cpumap: { bitmap: map.addr, nr_bits: bytes * 8 },
      });
      return bitmapToList(map.view.subarray(0, bytes));
    });
  }

  /** The scheduler id of cpupool `poolid` (CPUPOOL_OP info), or null if there is no such pool. */
  cpupoolSchedId(poolid: number): number | null {
    const S = this.abi.sysctl;
    const bytes = Math.ceil(this.maxCpus() / 8);
    try {
      return this.scoped((get) => {
        const map = get(bytes);
        const out = this.sysctl(get, SYSCTL.cpupool_op, 'cpupool_op info', S.cpupool_op, {
          op: CPUPOOL_OP.info,
          cpupool_id: poolid,
          cpumap: { bitmap: map.addr, nr_bits: bytes * 8 },
        });
        // Xen answers with the first pool at or above the id asked for.
        return Number(out.cpupool_id) === poolid ? Number(out.sched_id) : null;
      });
    } catch (e) {
      if (isPrivcmdError(e, 'ENOENT')) return null;
      throw e;
    }
  }

  // -- domctl ----------------------------------------------------------------

  /**
   * Info for exactly `domid`, or null when there is no such domain. Before
   * 4.18 Xen answers with the next domain up; from 4.18 it says ESRCH.
   */
  getDomainInfo(domid: number): DomainInfo | null {
    const L = this.abi.domctl.getdomaininfo;
    try {
      const r = this.scoped((get) => this.domctl(get, DOMCTL.getdomaininfo, domid, 'getdomaininfo', L));
      const info = toDomainInfo(r.out, this.abi.arch);
      return info.domid === domid ? info : null;
    } catch (e) {
      if (isPrivcmdError(e, 'ESRCH')) return null;
      throw e;
    }
  }

  pauseDomain(domid: number): void {
    this.scoped((get) => this.domctl(get, DOMCTL.pausedomain, domid, 'pausedomain'));
  }

  unpauseDomain(domid: number): void {
    this.scoped((get) => this.domctl(get, DOMCTL.unpausedomain, domid, 'unpausedomain'));
  }

  destroyDomain(domid: number): void {
    this.scoped((get) => this.domctl(get, DOMCTL.destroydomain, domid, 'destroydomain'));
  }

  /** XEN_DOMCTL_sendtrigger: a virtual ACPI button or NMI/INIT for an HVM guest's vcpu. */
  sendTrigger(domid: number, trigger: keyof typeof SENDTRIGGER, vcpu = 0): void {
    this.scoped((get) => this.domctl(get, DOMCTL.sendtrigger, domid, `sendtrigger ${trigger}`,
      this.abi.domctl.sendtrigger, { trigger: SENDTRIGGER[trigger], vcpu }));
  }

  /** HVMOP_get_param: one HVM_PARAM_* of an HVM domain. */
  hvmGetParam(domid: number, index: number): bigint {
    return this.scoped((get) => {
      const b = get(xen_hvm_param.size);
      encode(xen_hvm_param, { domid, index }, b.view);
      this.issueRetry(HYPERCALL.hvm_op, [BigInt(HVMOP.get_param), b.addr], `hvm_op get_param ${index} (domid ${domid})`);
      return decode(xen_hvm_param, b.view).value as bigint;
    });
  }

  setMaxMem(domid: number, maxMemKb: bigint | number): void {
    this.scoped((get) => this.domctl(get, DOMCTL.max_mem, domid, 'max_mem',
      this.abi.domctl.max_mem, { max_memkb: BigInt(maxMemKb) }));
  }

  /**
   * A domain's parameters under scheduler `schedId` (SCHEDOP_getinfo):
   * weight and cap for credit/credit2, period and budget (us) for rtds.
   */
  schedulerDomainGet(domid: number, schedId: number): { weight?: number; cap?: number; period?: number; budget?: number; flags?: number } {
    const rtds = SCHEDULERS[schedId] === 'rtds';
    const L = rtds ? this.abi.domctl.sched_rtds : this.abi.domctl.sched_credit;
    const r = this.scoped((get) => this.domctl(get, DOMCTL.scheduler_op, domid, 'scheduler_op getinfo', L,
      { sched_id: schedId, cmd: SCHEDOP.getinfo }));
    const o = r.out;
    return rtds
      ? { period: Number(o.period), budget: Number(o.budget), flags: Number(o.flags) }
      : { weight: Number(o.weight), cap: Number(o.cap) };
  }

  getVcpuInfo(domid: number, vcpu: number): VcpuInfo {
    const r = this.scoped((get) => this.domctl(get, DOMCTL.getvcpuinfo, domid, 'getvcpuinfo',
      this.abi.domctl.getvcpuinfo, { vcpu }));
    return toVcpuInfo(r.out);
  }

  /** Hard and soft affinity of one vcpu as cpu lists. */
  getVcpuAffinity(domid: number, vcpu: number): VcpuAffinity {
    const bytes = Math.ceil(this.maxCpus() / 8);
    return this.scoped((get) => {
      const hard = get(bytes);
      const soft = get(bytes);
      this.domctl(get, DOMCTL.getvcpuaffinity, domid, 'getvcpuaffinity', this.abi.domctl.vcpuaffinity, {
        vcpu,
        flags: VCPUAFFINITY.hard | VCPUAFFINITY.soft,
        cpumap_hard: { bitmap: hard.addr, nr_bits: bytes * 8 },
        cpumap_soft: { bitmap: soft.addr, nr_bits: bytes * 8 },
      });
      return {
        hard: bitmapToList(hard.view.subarray(0, bytes)),
        soft: bitmapToList(soft.view.subarray(0, bytes)),
      };
    });
  }

  /** The NUMA nodes a domain's memory is meant to come from (getnodeaffinity). */
  getNodeAffinity(domid: number): number[] {
    const bytes = Math.ceil((this.physinfo().maxNodeId + 1) / 8);
    return this.scoped((get) => {
      const map = get(bytes);
      this.domctl(get, DOMCTL.getnodeaffinity, domid, 'getnodeaffinity', this.abi.domctl.nodeaffinity, {
        nodemap: { bitmap: map.addr, nr_bits: bytes * 8 },
      });
      return bitmapToList(map.view.subarray(0, bytes));
    });
  }

  /** What `xl vcpu-list` needs for one domain: every vcpu 0..max_vcpu_id. */
  listVcpus(domid: number): (VcpuInfo & VcpuAffinity)[] {
    const d = this.getDomainInfo(domid);
    if (!d) throw new PrivcmdError(3, 'listVcpus', `domid ${domid}`, 'xen');
    if (d.maxVcpuId === XEN_INVALID_ID) return [];
    const out: (VcpuInfo & VcpuAffinity)[] = [];
    for (let v = 0; v <= d.maxVcpuId; v++) out.push({ ...this.getVcpuInfo(domid, v), ...this.getVcpuAffinity(domid, v) });
    return out;
  }

  // -- memory_op -------------------------------------------------------------

  private memop(cmd: number, arg: bigint, name: string): number {
    return this.issueRetry(HYPERCALL.memory_op, [BigInt(cmd), arg], `memory_op ${name}`);
  }

  private memopDomain(cmd: number, domid: number, name: string): number {
    return this.scoped((get) => {
      const L = VERSION_STRUCTS.memory_domain;
      const b = get(L.size);
      encode(L, { domid }, b.view);
      return this.memop(cmd, b.addr, `${name} (domid ${domid})`);
    });
  }

  maximumRamPage(): number { return this.memop(XENMEM.maximum_ram_page, 0n, 'maximum_ram_page'); }
  currentReservation(domid: number): number { return this.memopDomain(XENMEM.current_reservation, domid, 'current_reservation'); }
  maximumReservation(domid: number): number { return this.memopDomain(XENMEM.maximum_reservation, domid, 'maximum_reservation'); }
  maximumGpfn(domid: number): number { return this.memopDomain(XENMEM.maximum_gpfn, domid, 'maximum_gpfn'); }

  /** Pages freed by sharing; 0 when Xen lacks mem-sharing (ENOSYS), as libxl does. */
  sharingFreedPages(): number { return this.memopOrZero(XENMEM.get_sharing_freed_pages, 'get_sharing_freed_pages'); }
  /** Frames in use for shared pages; 0 on ENOSYS. */
  sharingSharedPages(): number { return this.memopOrZero(XENMEM.get_sharing_shared_pages, 'get_sharing_shared_pages'); }

  private memopOrZero(cmd: number, name: string): number {
    try {
      return this.memop(cmd, 0n, name);
    } catch (e) {
      if (isPrivcmdError(e, 'ENOSYS')) return 0;
      throw e;
    }
  }

  // -- foreign memory --------------------------------------------------------

  /** Map guest frames of `domid`; check `errors[i]` before touching page i. */
  mapForeignPages(domid: number, gfns: readonly (bigint | number)[], prot: Prot = 'r'): ForeignMapping {
    return this.transport.mapForeignPages(domid, gfns.map((g) => BigInt(g)), prot);
  }
}
