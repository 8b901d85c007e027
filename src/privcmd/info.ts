// Typed results and their conversion from raw decoded structs. Page counts
// are numbers (a u64 page count beyond 2^53 would be 32 EiB); nanosecond
// times and addresses stay bigint.

import {
  DOMINF_BITS, DOMINF_SHUTDOWN_MASK, DOMINF_SHUTDOWN_SHIFT, PHYSCAP_BITS,
  SHUTDOWN_REASONS, X86_EMU, type Arch,
} from './abi.js';
import type { Decoded } from './layout.js';

export type GuestType = 'pv' | 'hvm' | 'pvh';

export interface DomainInfo {
  domid: number;
  /** Raw XEN_DOMINF_* word. */
  flags: number;
  dying: boolean;
  hvmGuest: boolean;
  shutdown: boolean;
  paused: boolean;
  blocked: boolean;
  running: boolean;
  debugged: boolean;
  xsDomain: boolean;
  hap: boolean;
  /** SHUTDOWN_* code when `shutdown` is set, else null. */
  shutdownReason: number | null;
  shutdownReasonName: string | null;
  /** pv / hvm / pvh, derived from the HVM flag and (x86) emulation flags. */
  guestType: GuestType;
  totPages: number;
  maxPages: number;
  outstandingPages: number;
  shrPages: number;
  pagedPages: number;
  sharedInfoFrame: bigint;
  /** Nanoseconds. */
  cpuTime: bigint;
  nrOnlineVcpus: number;
  /** XEN_INVALID_MAX_VCPU_ID (0xffffffff) when the domain has no vcpus. */
  maxVcpuId: number;
  ssidref: number;
  handle: Uint8Array;
  uuid: string;
  cpupool: number;
  gpaddrBits: number;
  /** struct xen_arch_domainconfig fields as numbers. */
  archConfig: Record<string, number>;
}

export interface PhysInfo {
  threadsPerCore: number;
  coresPerSocket: number;
  nrCpus: number;
  maxCpuId: number;
  nrNodes: number;
  maxNodeId: number;
  cpuKhz: number;
  capabilities: number;
  archCapabilities: number;
  caps: Record<keyof typeof PHYSCAP_BITS, boolean>;
  totalPages: number;
  freePages: number;
  scrubPages: number;
  outstandingPages: number;
  maxMfn: number;
  hwCap: number[];
}

export interface VcpuInfo {
  vcpu: number;
  online: boolean;
  blocked: boolean;
  running: boolean;
  /** Nanoseconds. */
  cpuTime: bigint;
  /** Physical CPU it is on (or last ran on). */
  cpu: number;
}

export interface VersionInfo {
  major: number;
  minor: number;
  extra: string;
  /** "4.17.3" style: major.minor + extra. */
  version: string;
  capabilities: string;
  changeset: string;
  commandline: string;
  compiler: string;
  compileBy: string;
  compileDomain: string;
  compileDate: string;
  pagesize: number;
  virtStart: bigint;
  /** Hex, or null when Xen was built without one. */
  buildId: string | null;
  /** XENVER_get_features submap 0. */
  features: number;
}

const num = (v: unknown): number => Number(v as number | bigint);
const big = (v: unknown): bigint => BigInt(v as number | bigint);
const bit = (flags: number, b: number): boolean => ((flags >>> b) & 1) === 1;

export function formatUuid(h: Uint8Array): string {
  const x = Buffer.from(h).toString('hex');
  return `${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20, 32)}`;
}

function guestTypeOf(hvm: boolean, arch: Arch, archConfig: Record<string, number>): GuestType {
  if (!hvm) return 'pv';
  if (arch === 'arm64') return 'pvh'; // libxl calls every Arm guest PVH
  // libxl builds PVH as an HVM container emulating only the LAPIC (libxl_x86.c).
  const emu = archConfig.emulation_flags ?? 0;
  return (emu & ~(X86_EMU.lapic | X86_EMU.vpci)) === 0 ? 'pvh' : 'hvm';
}

export function toDomainInfo(d: Decoded, arch: Arch): DomainInfo {
  const flags = num(d.flags);
  const shutdown = bit(flags, DOMINF_BITS.shutdown);
  const code = (flags >>> DOMINF_SHUTDOWN_SHIFT) & DOMINF_SHUTDOWN_MASK;
  const archConfig: Record<string, number> = {};
  for (const [k, v] of Object.entries(d.arch_config as Decoded)) archConfig[k] = num(v);
  const hvmGuest = bit(flags, DOMINF_BITS.hvm_guest);
  const handle = d.handle as Uint8Array;
  return {
    domid: num(d.domain),
    flags,
    dying: bit(flags, DOMINF_BITS.dying),
    hvmGuest,
    shutdown,
    paused: bit(flags, DOMINF_BITS.paused),
    blocked: bit(flags, DOMINF_BITS.blocked),
    running: bit(flags, DOMINF_BITS.running),
    debugged: bit(flags, DOMINF_BITS.debugged),
    xsDomain: bit(flags, DOMINF_BITS.xs_domain),
    hap: bit(flags, DOMINF_BITS.hap),
    shutdownReason: shutdown ? code : null,
    shutdownReasonName: shutdown ? (SHUTDOWN_REASONS[code] ?? `unknown(${code})`) : null,
    guestType: guestTypeOf(hvmGuest, arch, archConfig),
    totPages: num(d.tot_pages),
    maxPages: num(d.max_pages),
    outstandingPages: num(d.outstanding_pages),
    shrPages: num(d.shr_pages),
    pagedPages: num(d.paged_pages),
    sharedInfoFrame: big(d.shared_info_frame),
    cpuTime: big(d.cpu_time),
    nrOnlineVcpus: num(d.nr_online_vcpus),
    maxVcpuId: num(d.max_vcpu_id),
    ssidref: num(d.ssidref),
    handle,
    uuid: formatUuid(handle),
    cpupool: num(d.cpupool),
    gpaddrBits: num(d.gpaddr_bits),
    archConfig,
  };
}

export function toPhysInfo(d: Decoded): PhysInfo {
  const capabilities = num(d.capabilities);
  const caps = {} as PhysInfo['caps'];
  for (const [k, b] of Object.entries(PHYSCAP_BITS)) caps[k as keyof typeof PHYSCAP_BITS] = bit(capabilities, b);
  return {
    threadsPerCore: num(d.threads_per_core),
    coresPerSocket: num(d.cores_per_socket),
    nrCpus: num(d.nr_cpus),
    maxCpuId: num(d.max_cpu_id),
    nrNodes: num(d.nr_nodes),
    maxNodeId: num(d.max_node_id),
    cpuKhz: num(d.cpu_khz),
    capabilities,
    archCapabilities: num(d.arch_capabilities),
    caps,
    totalPages: num(d.total_pages),
    freePages: num(d.free_pages),
    scrubPages: num(d.scrub_pages),
    outstandingPages: num(d.outstanding_pages),
    maxMfn: num(d.max_mfn),
    hwCap: (d.hw_cap as number[]).slice(),
  };
}

export function toVcpuInfo(d: Decoded): VcpuInfo {
  return {
    vcpu: num(d.vcpu),
    online: num(d.online) !== 0,
    blocked: num(d.blocked) !== 0,
    running: num(d.running) !== 0,
    cpuTime: big(d.cpu_time),
    cpu: num(d.cpu),
  };
}

/** Bitmap bytes (bit i of byte i/8 = cpu i) to a sorted cpu list. */
export function bitmapToList(map: Uint8Array, nrBits = map.length * 8): number[] {
  const out: number[] = [];
  for (let i = 0; i < nrBits; i++) if ((map[i >> 3] >> (i & 7)) & 1) out.push(i);
  return out;
}

export function listToBitmap(cpus: readonly number[], nrBits: number): Uint8Array {
  const map = new Uint8Array(Math.ceil(nrBits / 8));
  for (const c of cpus) {
    if (c < 0 || c >= nrBits) throw new RangeError(`cpu ${c} outside 0..${nrBits - 1}`);
    map[c >> 3] |= 1 << (c & 7);
  }
  return map;
}
