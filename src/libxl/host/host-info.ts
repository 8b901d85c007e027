// Host facts as libxl hands them to `xl info`: libxl_get_physinfo (physinfo
// plus the sharing counters), libxl_get_version_info, libxl_get_scheduler,
// libxl_get_freecpus, and for -n the cpu, PCI and NUMA topology. Page counts
// become MiB the way xl does it (integer division by 1 MiB / pagesize).
import { opendirSync } from 'node:fs';
import { hostname, machine, release, version } from 'node:os';
import { SCHEDULERS, HYPERCALL, XEN_INVALID_ID } from '../../privcmd/abi.js';
import { withBuffers } from '../../privcmd/buffers.js';
import type { PhysInfo, VersionInfo } from '../../privcmd/info.js';
import { decode, defineStruct, encode } from '../../privcmd/layout.js';
import type { CpuTopology, NumaNode, XenCtrl } from '../../privcmd/xenctrl.js';

/** The XenCtrl calls made here; tests pass fakes. */
export type HostXc = Pick<
  XenCtrl,
  'physinfo' | 'sharingFreedPages' | 'sharingSharedPages' | 'versionInfo' | 'schedId' | 'freeCpus' |
  'cpuTopology' | 'numaInfo'
> & Partial<Pick<XenCtrl, 'transport' | 'abi'>>;

/** uname(2) as `xl info` prints it first. */
export interface NodeInfo { host: string; release: string; version: string; machine: string }

export function nodeInfo(): NodeInfo {
  return { host: hostname(), release: release(), version: version(), machine: machine() };
}

/** libxl_physinfo: Xen's physinfo plus the page-sharing counters. */
export interface HostPhysInfo extends PhysInfo {
  sharingFreedPages: number;
  sharingUsedFrames: number;
}

export function getPhysInfo(xc: HostXc): HostPhysInfo {
  // Both counters read 0 on a Xen without mem-sharing (ENOSYS), as in libxl.
  return { ...xc.physinfo(), sharingFreedPages: xc.sharingFreedPages(), sharingUsedFrames: xc.sharingSharedPages() };
}

/**
 * virt_caps words in xl's order, each with the capability test xl applies
 * (directio is listed once per guest kind that has it).
 */
export const VIRT_CAPS: readonly (readonly [word: string, has: (c: PhysInfo['caps']) => boolean])[] = [
  ['pv', (c) => c.pv],
  ['hvm', (c) => c.hvm],
  ['hvm_directio', (c) => c.hvm && c.directio],
  ['pv_directio', (c) => c.pv && c.directio],
  ['hap', (c) => c.hap],
  ['shadow', (c) => c.shadow],
  ['iommu_hap_pt_share', (c) => c.iommu_hap_pt_share],
  ['vmtrace', (c) => c.vmtrace],
  ['vpmu', (c) => c.vpmu],
  ['gnttab-v1', (c) => c.gnttab_v1],
  ['gnttab-v2', (c) => c.gnttab_v2],
];

export function virtCaps(p: Pick<PhysInfo, 'caps'>): string[] {
  return VIRT_CAPS.filter(([, has]) => has(p.caps)).map(([word]) => word);
}

/** XEN_SYSCTL_PHYSCAP_ARM_SVE_MASK: SVE vector length / 128 (Arm, 4.18+). */
export function armSveVectorLength(archCapabilities: number): number {
  return (archCapabilities & 0x1f) * 128;
}

const U64 = (1n << 64n) - 1n;

/** Memory figures `xl info` prints, in MiB (uint64 arithmetic, as in C). */
export interface MemoryMiB {
  total: bigint;
  free: bigint;
  sharingFreed: bigint;
  sharingUsed: bigint;
  outstandingClaims: bigint;
}

export function memoryMiB(p: HostPhysInfo, pagesize: number): MemoryMiB {
  // xl: i = (1 << 20) / pagesize, an unsigned int; a zero would trap in C.
  const per = BigInt(Math.max(1, Math.trunc((1 << 20) / pagesize)));
  const mib = (pages: bigint) => (pages & U64) / per;
  return {
    total: mib(BigInt(p.totalPages)),
    // free_pages - outstanding_pages wraps like the C uint64_t would.
    free: mib(BigInt(p.freePages) - BigInt(p.outstandingPages)),
    sharingFreed: mib(BigInt(p.sharingFreedPages)),
    sharingUsed: mib(BigInt(p.sharingUsedFrames)),
    outstandingClaims: mib(BigInt(p.outstandingPages)),
  };
}

export function getVersionInfo(xc: HostXc): VersionInfo {
  return xc.versionInfo();
}

/** libxl_scheduler_to_string of the running scheduler; null for an id libxl has no name for. */
export function getSchedulerName(xc: HostXc): string | null {
  return SCHEDULERS[xc.schedId()] ?? null;
}

export function getFreeCpus(xc: HostXc): number[] {
  return xc.freeCpus();
}

export function getCpuTopology(xc: HostXc): CpuTopology[] {
  return xc.cpuTopology();
}

export function getNumaInfo(xc: HostXc): NumaNode[] {
  return xc.numaInfo();
}

// -- PCI topology ------------------------------------------------------------

export interface PciDevice { seg: number; bus: number; devfn: number }
export interface PciTopology extends PciDevice {
  /** NUMA node, or null when Xen has none for it (or does not know it). */
  node: number | null;
}

/** XEN_SYSCTL_pcitopoinfo, not among src/privcmd's ops (sysctl.h, 4.17..4.22). */
const SYSCTL_PCITOPOINFO = 22;
const XEN_INVALID_DEV = XEN_INVALID_ID - 1;
const pcitopoinfo = defineStruct('xen_sysctl_pcitopoinfo', [
  ['num_devs', 'u32'],
  ['devs', 'ptr'],
  ['nodes', 'ptr'],
]);
/** physdev_pci_device_t: seg, bus, devfn. */
const PCI_DEV_SIZE = 4;

/**
 * The PCI devices dom0 sees, in directory order as libxl's Linux code reads
 * /sys/bus/pci/devices; null where there is no such directory (the BSDs,
 * where libxl has no PCI topology either).
 */
export function listPciDevices(dir = '/sys/bus/pci/devices'): PciDevice[] | null {
  let d;
  try {
    d = opendirSync(dir);
  } catch {
    return null;
  }
  const devs: PciDevice[] = [];
  try {
    for (let e = d.readSync(); e; e = d.readSync()) {
      if (e.name.startsWith('.')) continue;
      const m = /^([0-9a-fA-F]+):([0-9a-fA-F]+):([0-9a-fA-F]+)\.(\d+)/.exec(e.name);
      if (!m) return null;
      const dev = parseInt(m[3], 16);
      const fn = parseInt(m[4], 10);
      devs.push({ seg: parseInt(m[1], 16) & 0xffff, bus: parseInt(m[2], 16) & 0xff, devfn: ((dev & 0x1f) << 3) | (fn & 7) });
    }
  } finally {
    d.closeSync();
  }
  return devs;
}

/** libxl_get_pci_topology: each device with the node Xen has for it; null if devices cannot be listed. */
export function getPciTopology(xc: HostXc, devices: PciDevice[] | null = listPciDevices()): PciTopology[] | null {
  if (!devices) return null;
  if (devices.length === 0) return [];
  const t = xc.transport;
  const abi = xc.abi;
  if (!t || !abi) throw new Error('PCI topology needs a privcmd transport');
  const nodes = withBuffers(t.buffers, (get) => {
    const devBuf = get(devices.length * PCI_DEV_SIZE);
    const nodeBuf = get(devices.length * 4);
    devices.forEach((d, i) => {
      devBuf.view.writeUInt16LE(d.seg, i * PCI_DEV_SIZE);
      devBuf.view.writeUInt8(d.bus, i * PCI_DEV_SIZE + 2);
      devBuf.view.writeUInt8(d.devfn, i * PCI_DEV_SIZE + 3);
    });
    const L = abi.sysctl.sysctl;
    const hdr = get(L.size);
    // Xen may stop early (preemption) and says how many it did; go on from there.
    for (let done = 0; done < devices.length;) {
      hdr.view.fill(0);
      encode(L, { cmd: SYSCTL_PCITOPOINFO, interface_version: abi.sysctlVersion }, hdr.view);
      const uOff = L.fields.u.offset;
      encode(pcitopoinfo, {
        num_devs: devices.length - done,
        devs: devBuf.addr + BigInt(done * PCI_DEV_SIZE),
        nodes: nodeBuf.addr + BigInt(done * 4),
      }, hdr.view, uOff);
      t.issue(HYPERCALL.sysctl, [hdr.addr], 'sysctl pcitopoinfo');
      const n = Number(decode(pcitopoinfo, hdr.view, uOff).num_devs);
      if (n === 0) break;
      done += n;
    }
    return Array.from({ length: devices.length }, (_, i) => nodeBuf.view.readUInt32LE(i * 4));
  });
  return devices.map((d, i) => ({
    ...d,
    node: nodes[i] === XEN_INVALID_ID || nodes[i] === XEN_INVALID_DEV ? null : nodes[i],
  }));
}
