// Xen public ABI as data: hypercall and sub-op numbers, flag bits, and the
// struct layouts of the domctl/sysctl ops we use, keyed by interface version.
//
// Checked against xen-project/xen public headers (xen/include/public/*.h) at
// tags RELEASE-4.17.0, RELEASE-4.18.0, RELEASE-4.19.0, RELEASE-4.20.0,
// RELEASE-4.21.0 and RELEASE-4.22.0 (d45d5687f144). Offsets and sizes were
// confirmed by compiling offsetof()/sizeof() against each tag's headers with
// gcc 12 for x86_64, and for aarch64 by preprocessing with __aarch64__.
// The numbers are pinned in test/unit/privcmd/abi.test.ts.

import { defineStruct, type StructLayout } from './layout.js';
import { XenVersionError } from './errors.js';

/** __HYPERVISOR_* (xen.h; unchanged 4.17..4.22). */
export const HYPERCALL = {
  memory_op: 12,
  xen_version: 17,
  console_io: 18,
  grant_table_op: 20,
  vcpu_op: 24,
  sched_op: 29,
  event_channel_op: 32,
  physdev_op: 33,
  hvm_op: 34,
  sysctl: 35,
  domctl: 36,
  dm_op: 41,
} as const;

/** XENVER_* (version.h). The *2 varbuf ops exist from 4.20. */
export const XENVER = {
  version: 0,
  extraversion: 1,
  compile_info: 2,
  capabilities: 3,
  changeset: 4,
  platform_parameters: 5,
  get_features: 6,
  pagesize: 7,
  guest_handle: 8,
  commandline: 9,
  build_id: 10,
  extraversion2: 11,
  capabilities2: 12,
  changeset2: 13,
  commandline2: 14,
} as const;

/** Fixed buffer sizes of the classic XENVER string ops (version.h). */
export const XENVER_SIZES = {
  extraversion: 16,
  capabilities: 1024,
  changeset: 64,
  commandline: 1024,
} as const;

/** XEN_DOMCTL_* commands (domctl.h). */
export const DOMCTL = {
  createdomain: 1,
  destroydomain: 2,
  pausedomain: 3,
  unpausedomain: 4,
  getdomaininfo: 5,
  setvcpuaffinity: 9,
  max_mem: 11,
  getvcpuinfo: 14,
  max_vcpus: 15,
  scheduler_op: 16,
  getvcpuaffinity: 25,
  sendtrigger: 28,
  getnodeaffinity: 69,
} as const;

/** XEN_DOMCTL_SENDTRIGGER_* (domctl.h). */
export const SENDTRIGGER = { nmi: 0, reset: 1, init: 2, power: 3, sleep: 4 } as const;

/** HVMOP_* sub-ops of __HYPERVISOR_hvm_op and the HVM_PARAM_* indexes we read (hvm_op.h, params.h). */
export const HVMOP = { set_param: 0, get_param: 1 } as const;
export const HVM_PARAM = { callback_irq: 0 } as const;

/** struct xen_hvm_param (hvm_op.h; not versioned). */
export const xen_hvm_param = defineStruct('xen_hvm_param', [['domid', 'u16'], ['pad', 'u16'], ['index', 'u32'], ['value', 'u64']]);

/** XEN_DOMCTL_SCHEDOP_* (domctl.h). */
export const SCHEDOP = { putinfo: 0, getinfo: 1, putvcpuinfo: 2, getvcpuinfo: 3 } as const;

/** XEN_SYSCTL_* commands (sysctl.h). */
export const SYSCTL = {
  readconsole: 1,
  physinfo: 3,
  sched_id: 4,
  getdomaininfolist: 6,
  cputopoinfo: 16,
  numainfo: 17,
  cpupool_op: 18,
} as const;

/** XEN_SYSCTL_CPUPOOL_OP_* (sysctl.h). */
export const CPUPOOL_OP = { create: 1, destroy: 2, info: 3, addcpu: 4, rmcpu: 5, movedomain: 6, freeinfo: 7 } as const;

/** XENMEM_* (memory.h). */
export const XENMEM = {
  maximum_ram_page: 2,
  current_reservation: 3,
  maximum_reservation: 4,
  maximum_gpfn: 14,
  get_sharing_freed_pages: 18,
  get_sharing_shared_pages: 19,
} as const;

/** _XEN_DOMINF_* bit numbers (domctl.h); the shutdown code sits in bits 16..23. */
export const DOMINF_BITS = {
  dying: 0, hvm_guest: 1, shutdown: 2, paused: 3, blocked: 4,
  running: 5, debugged: 6, xs_domain: 7, hap: 8,
} as const;
export const DOMINF_SHUTDOWN_SHIFT = 16;
export const DOMINF_SHUTDOWN_MASK = 0xff;

/** SHUTDOWN_* (sched.h). */
export const SHUTDOWN_REASONS = ['poweroff', 'reboot', 'suspend', 'crash', 'watchdog', 'soft_reset'] as const;

/** XEN_SYSCTL_PHYSCAP_* bit numbers (sysctl.h, 4.17..4.22). */
export const PHYSCAP_BITS = {
  hvm: 0, pv: 1, directio: 2, hap: 3, shadow: 4, iommu_hap_pt_share: 5,
  vmtrace: 6, vpmu: 7, gnttab_v1: 8, gnttab_v2: 9,
} as const;

/** XEN_SCHEDULER_* (domctl.h) with libxl's names. 4 (sedf) was removed. */
export const SCHEDULERS: Readonly<Record<number, string>> = {
  4: 'sedf', 5: 'credit', 6: 'credit2', 7: 'arinc653', 8: 'rtds', 9: 'null',
};

/** XEN_VCPUAFFINITY_* (domctl.h). */
export const VCPUAFFINITY = { hard: 1, soft: 2, force: 4 } as const;

/** XEN_X86_EMU_* bits used to tell PVH from HVM (arch-x86/xen.h). */
export const X86_EMU = { lapic: 1 << 0, vpci: 1 << 10 } as const;

export const DOMID_FIRST_RESERVED = 0x7ff0;
export const DOMID_SELF = 0x7ff0;
export const DOMID_INVALID = 0x7ff4;
export const XEN_INVALID_MAX_VCPU_ID = 0xffffffff;
export const XEN_INVALID_ID = 0xffffffff; // XEN_INVALID_{CORE,SOCKET,NODE}_ID, _MEM_SZ, _NODE_DIST

// ---------------------------------------------------------------------------
// Struct layouts. All LP64; guest handles (XEN_GUEST_HANDLE_64) are 8 bytes.

const xenctl_bitmap = defineStruct('xenctl_bitmap', [
  ['bitmap', 'ptr'],
  ['nr_bits', 'u32'],
]);

/** struct xen_arch_domainconfig, x86 (arch-x86/xen.h, unchanged 4.17..4.22). */
export const archConfigX86 = defineStruct('xen_arch_domainconfig(x86)', [
  ['emulation_flags', 'u32'],
  ['misc_flags', 'u32'],
]);

/** struct xen_arch_domainconfig, Arm (arch-arm.h) per release. */
const archConfigArm417 = defineStruct('xen_arch_domainconfig(arm,4.17)', [
  ['gic_version', 'u8'],
  ['tee_type', 'u16'],
  ['nr_spis', 'u32'],
  ['clock_frequency', 'u32'],
]);
const archConfigArm418 = defineStruct('xen_arch_domainconfig(arm,4.18)', [
  ['gic_version', 'u8'],
  ['sve_vl', 'u8'],
  ['tee_type', 'u16'],
  ['nr_spis', 'u32'],
  ['clock_frequency', 'u32'],
]);
// 4.21 added arm_sci_type in former tail padding without a domctl bump, so
// the 0x17 row uses this superset (reads 0 on 4.19/4.20).
const archConfigArm421 = defineStruct('xen_arch_domainconfig(arm,4.21)', [
  ['gic_version', 'u8'],
  ['sve_vl', 'u8'],
  ['tee_type', 'u16'],
  ['nr_spis', 'u32'],
  ['clock_frequency', 'u32'],
  ['arm_sci_type', 'u8'],
]);
const archConfigArm422 = defineStruct('xen_arch_domainconfig(arm,4.22)', [
  ['gic_version', 'u8'],
  ['sve_vl', 'u8'],
  ['tee_type', 'u16'],
  ['nr_spis', 'u32'],
  ['clock_frequency', 'u32'],
  ['arm_sci_type', 'u8'],
  ['v8r_el1_msa', 'u8'],
  ['pad', 'u16'],
]);

const getdomaininfo = (arch: StructLayout): StructLayout => defineStruct('xen_domctl_getdomaininfo', [
  ['domain', 'u16'],
  ['pad1', 'u16'],
  ['flags', 'u32'],
  ['tot_pages', 'u64'],
  ['max_pages', 'u64'],
  ['outstanding_pages', 'u64'],
  ['shr_pages', 'u64'],
  ['paged_pages', 'u64'],
  ['shared_info_frame', 'u64'],
  ['cpu_time', 'u64'],
  ['nr_online_vcpus', 'u32'],
  ['max_vcpu_id', 'u32'],
  ['ssidref', 'u32'],
  ['handle', 'u8', 16],
  ['cpupool', 'u32'],
  ['gpaddr_bits', 'u8'],
  ['pad2', 'u8', 7],
  ['arch_config', arch],
]);

const getvcpuinfo = defineStruct('xen_domctl_getvcpuinfo', [
  ['vcpu', 'u32'],
  ['online', 'u8'],
  ['blocked', 'u8'],
  ['running', 'u8'],
  ['cpu_time', 'u64'],
  ['cpu', 'u32'],
]);

const vcpuaffinity = defineStruct('xen_domctl_vcpuaffinity', [
  ['vcpu', 'u32'],
  ['flags', 'u32'],
  ['cpumap_hard', xenctl_bitmap],
  ['cpumap_soft', xenctl_bitmap],
]);

const max_mem = defineStruct('xen_domctl_max_mem', [['max_memkb', 'u64']]);

// xen_domctl_scheduler_op with its union read as the credit/credit2 member
// (u16 weight, cap) or the rtds one (u32 period, budget, flags); the union
// is 8-aligned (it also holds a 64-bit handle).
const sched_credit = defineStruct('xen_domctl_scheduler_op_credit', [
  ['sched_id', 'u32'], ['cmd', 'u32'], ['weight', 'u16'], ['cap', 'u16'],
]);
const nodeaffinity = defineStruct('xen_domctl_nodeaffinity', [['nodemap', xenctl_bitmap]]);
const sched_rtds = defineStruct('xen_domctl_scheduler_op_rtds', [
  ['sched_id', 'u32'], ['cmd', 'u32'], ['period', 'u32'], ['budget', 'u32'], ['flags', 'u32'],
]);
const max_vcpus = defineStruct('xen_domctl_max_vcpus', [['max', 'u32']]);
const sendtrigger = defineStruct('xen_domctl_sendtrigger', [['trigger', 'u32'], ['vcpu', 'u32']]);

/** The union in struct xen_domctl/xen_sysctl is padded to 128 bytes, 8-aligned. */
const UNION128 = { bytes: 128, align: 8 } as const;

const xen_domctl = defineStruct('xen_domctl', [
  ['cmd', 'u32'],
  ['interface_version', 'u32'],
  ['domain', 'u16'],
  ['_pad', 'u16', 3],
  ['u', UNION128],
]);

const xen_sysctl = defineStruct('xen_sysctl', [
  ['cmd', 'u32'],
  ['interface_version', 'u32'],
  ['u', UNION128],
]);

const readconsole = defineStruct('xen_sysctl_readconsole', [
  ['clear', 'u8'],
  ['incremental', 'u8'],
  ['pad0', 'u8'],
  ['pad1', 'u8'],
  ['index', 'u32'],
  ['buffer', 'ptr'],
  ['count', 'u32'],
]);

const physinfo = defineStruct('xen_sysctl_physinfo', [
  ['threads_per_core', 'u32'],
  ['cores_per_socket', 'u32'],
  ['nr_cpus', 'u32'],
  ['max_cpu_id', 'u32'],
  ['nr_nodes', 'u32'],
  ['max_node_id', 'u32'],
  ['cpu_khz', 'u32'],
  ['capabilities', 'u32'],
  ['arch_capabilities', 'u32'],
  ['pad', 'u32'],
  ['total_pages', 'u64'],
  ['free_pages', 'u64'],
  ['scrub_pages', 'u64'],
  ['outstanding_pages', 'u64'],
  ['max_mfn', 'u64'],
  ['hw_cap', 'u32', 8],
]);

const sched_id = defineStruct('xen_sysctl_sched_id', [['sched_id', 'u32']]);

const getdomaininfolist = defineStruct('xen_sysctl_getdomaininfolist', [
  ['first_domain', 'u16'],
  ['max_domains', 'u32'],
  ['buffer', 'ptr'],
  ['num_domains', 'u32'],
]);

const cputopo = defineStruct('xen_sysctl_cputopo', [
  ['core', 'u32'],
  ['socket', 'u32'],
  ['node', 'u32'],
]);
const cputopoinfo = defineStruct('xen_sysctl_cputopoinfo', [
  ['num_cpus', 'u32'],
  ['cputopo', 'ptr'],
]);
const meminfo = defineStruct('xen_sysctl_meminfo', [
  ['memsize', 'u64'],
  ['memfree', 'u64'],
]);
const numainfo = defineStruct('xen_sysctl_numainfo', [
  ['num_nodes', 'u32'],
  ['meminfo', 'ptr'],
  ['distance', 'ptr'],
]);
const cpupool_op = defineStruct('xen_sysctl_cpupool_op', [
  ['op', 'u32'],
  ['cpupool_id', 'u32'],
  ['sched_id', 'u32'],
  ['domid', 'u32'],
  ['cpu', 'u32'],
  ['n_dom', 'u32'],
  ['cpumap', xenctl_bitmap],
]);

/** version.h / memory.h argument structs (not interface-versioned). */
export const VERSION_STRUCTS = {
  compile_info: defineStruct('xen_compile_info', [
    ['compiler', 'char', 64],
    ['compile_by', 'char', 16],
    ['compile_domain', 'char', 32],
    ['compile_date', 'char', 32],
  ]),
  platform_parameters: defineStruct('xen_platform_parameters', [['virt_start', 'u64']]),
  feature_info: defineStruct('xen_feature_info', [['submap_idx', 'u32'], ['submap', 'u32']]),
  /** xen_build_id / xen_varbuf header: u32 len, then the bytes. */
  varbuf: defineStruct('xen_varbuf', [['len', 'u32']]),
  memory_domain: defineStruct('xen_memory_domain', [['domid', 'u16']]),
} as const;

export type Arch = 'x64' | 'arm64';

export interface DomctlStructs {
  readonly domctl: StructLayout;
  readonly getdomaininfo: StructLayout;
  readonly getvcpuinfo: StructLayout;
  readonly vcpuaffinity: StructLayout;
  readonly max_mem: StructLayout;
  readonly max_vcpus: StructLayout;
  readonly sched_credit: StructLayout;
  readonly sched_rtds: StructLayout;
  readonly nodeaffinity: StructLayout;
  readonly sendtrigger: StructLayout;
}

export interface SysctlStructs {
  readonly sysctl: StructLayout;
  readonly readconsole: StructLayout;
  readonly physinfo: StructLayout;
  readonly sched_id: StructLayout;
  readonly getdomaininfolist: StructLayout;
  /** Element type of getdomaininfolist's buffer; same struct as the domctl. */
  readonly getdomaininfo: StructLayout;
  readonly cputopo: StructLayout;
  readonly cputopoinfo: StructLayout;
  readonly meminfo: StructLayout;
  readonly numainfo: StructLayout;
  readonly cpupool_op: StructLayout;
}

const domctlStructs = (arch: StructLayout): DomctlStructs => ({
  domctl: xen_domctl,
  getdomaininfo: getdomaininfo(arch),
  getvcpuinfo, vcpuaffinity, max_mem, max_vcpus, sched_credit, sched_rtds, nodeaffinity, sendtrigger,
});

const sysctlStructs = (arch: StructLayout): SysctlStructs => ({
  sysctl: xen_sysctl,
  readconsole, physinfo, sched_id, getdomaininfolist,
  getdomaininfo: getdomaininfo(arch),
  cputopo, cputopoinfo, meminfo, numainfo, cpupool_op,
});

/**
 * THE table: struct layouts per XEN_DOMCTL_INTERFACE_VERSION and
 * XEN_SYSCTL_INTERFACE_VERSION. The x86_64 layouts of the ops we use did not
 * move between 4.17 and 4.22 (the bumps were for other ops), but rows stay
 * separate so a future change is a one-row edit.
 */
export const ABI = {
  domctl: {
    0x15: { tags: ['RELEASE-4.17.0'], x64: domctlStructs(archConfigX86), arm64: domctlStructs(archConfigArm417) },
    0x16: { tags: ['RELEASE-4.18.0'], x64: domctlStructs(archConfigX86), arm64: domctlStructs(archConfigArm418) },
    0x17: {
      tags: ['RELEASE-4.19.0', 'RELEASE-4.20.0', 'RELEASE-4.21.0'],
      x64: domctlStructs(archConfigX86), arm64: domctlStructs(archConfigArm421),
    },
    0x18: { tags: ['RELEASE-4.22.0'], x64: domctlStructs(archConfigX86), arm64: domctlStructs(archConfigArm422) },
  },
  sysctl: {
    // getdomaininfolist embeds the domctl struct; its arch tail follows the
    // newest domctl row sharing this sysctl version (sizes agree throughout).
    0x15: {
      tags: ['RELEASE-4.17.0', 'RELEASE-4.18.0', 'RELEASE-4.19.0', 'RELEASE-4.20.0'],
      x64: sysctlStructs(archConfigX86), arm64: sysctlStructs(archConfigArm418),
    },
    0x16: {
      tags: ['RELEASE-4.21.0', 'RELEASE-4.22.0'],
      x64: sysctlStructs(archConfigX86), arm64: sysctlStructs(archConfigArm422),
    },
  },
} as const satisfies {
  domctl: Record<number, { tags: readonly string[]; x64: DomctlStructs; arm64: DomctlStructs }>;
  sysctl: Record<number, { tags: readonly string[]; x64: SysctlStructs; arm64: SysctlStructs }>;
};

/** Xen release -> interface versions (from each tag's domctl.h / sysctl.h). */
export interface XenRelease { readonly major: number; readonly minor: number; readonly domctl: number; readonly sysctl: number }
export const XEN_RELEASES: readonly XenRelease[] = [
  { major: 4, minor: 17, domctl: 0x15, sysctl: 0x15 },
  { major: 4, minor: 18, domctl: 0x16, sysctl: 0x15 },
  { major: 4, minor: 19, domctl: 0x17, sysctl: 0x15 },
  { major: 4, minor: 20, domctl: 0x17, sysctl: 0x15 },
  { major: 4, minor: 21, domctl: 0x17, sysctl: 0x16 },
  { major: 4, minor: 22, domctl: 0x18, sysctl: 0x16 },
];

/** Known interface versions, newest first (probe order). */
export const DOMCTL_VERSIONS: readonly number[] = Object.keys(ABI.domctl).map(Number).sort((a, b) => b - a);
export const SYSCTL_VERSIONS: readonly number[] = Object.keys(ABI.sysctl).map(Number).sort((a, b) => b - a);

const fmt = (r: { major: number; minor: number }): string => `${r.major}.${r.minor}`;

/** Map a running hypervisor version to our table, or explain why not. */
export function releaseFor(major: number, minor: number): XenRelease {
  const hit = XEN_RELEASES.find((r) => r.major === major && r.minor === minor);
  if (hit) return hit;
  const newest = XEN_RELEASES[XEN_RELEASES.length - 1];
  const oldest = XEN_RELEASES[0];
  const key = (r: { major: number; minor: number }): number => r.major * 1000 + r.minor;
  const v = { major, minor };
  if (key(v) > key(newest)) {
    throw new XenVersionError(
      `Xen ${fmt(v)} is newer than this xl knows (up to ${fmt(newest)})`, v, 'too-new');
  }
  throw new XenVersionError(
    `Xen ${fmt(v)} is older than this xl supports (${fmt(oldest)} to ${fmt(newest)})`, v, 'too-old');
}

export interface AbiSelection {
  readonly arch: Arch;
  readonly domctlVersion: number;
  readonly sysctlVersion: number;
  readonly domctl: DomctlStructs;
  readonly sysctl: SysctlStructs;
}

export function selectAbi(arch: Arch, domctlVersion: number, sysctlVersion: number): AbiSelection {
  const d = (ABI.domctl as Record<number, { x64: DomctlStructs; arm64: DomctlStructs }>)[domctlVersion];
  const s = (ABI.sysctl as Record<number, { x64: SysctlStructs; arm64: SysctlStructs }>)[sysctlVersion];
  if (!d) throw new Error(`no layouts for XEN_DOMCTL_INTERFACE_VERSION 0x${domctlVersion.toString(16)}`);
  if (!s) throw new Error(`no layouts for XEN_SYSCTL_INTERFACE_VERSION 0x${sysctlVersion.toString(16)}`);
  return { arch, domctlVersion, sysctlVersion, domctl: d[arch], sysctl: s[arch] };
}

/** Map Node's process.arch to our table key. */
export function hostArch(nodeArch: string = process.arch): Arch {
  if (nodeArch === 'x64') return 'x64';
  if (nodeArch === 'arm64') return 'arm64';
  throw new Error(`privcmd: unsupported CPU architecture ${nodeArch} (need x64 or arm64)`);
}
