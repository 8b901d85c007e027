// privcmd — talking to the Xen hypervisor from a dom0 process.
//
// Owns: the privcmd device (Linux /dev/xen/privcmd, FreeBSD /dev/xen/privcmd,
// NetBSD /kern/xen/privcmd) and its ioctl encodings; hypercall buffers
// (locked, page-aligned memory Xen reads by address); foreign page mapping
// (MMAPBATCH_V2 with per-page errors); the Xen public ABI as tables keyed by
// XEN_DOMCTL/SYSCTL_INTERFACE_VERSION; detection of the running hypervisor's
// version; typed wrappers for xen_version, sysctl, domctl and memory_op;
// BuildCalls, the hypercalls that create and start a domain (build-abi.ts).
//
// Lowest layer: imports nothing from src/libxl or src/cli. koffi is loaded
// lazily (native.ts is its only importer), so importing this module is cheap.
//
//   const xc = XenCtrl.open();          // throws XenVersionError if Xen is too new
//   xc.listDomains(); xc.getDomainInfo(7) ?? 'gone'; xc.physinfo();
//   xc.close();
//
// Tests inject a fake Transport (issue(op, args) + buffers) instead of the device.

export {
  XenCtrl, detectVersions,
  type DetectedVersion, type OpenOptions, type ConsoleChunk, type VcpuAffinity,
  type CpuTopology, type NumaNode,
} from './xenctrl.js';
export {
  PrivcmdDevice, XEN_PAGE_SIZE,
  type Transport, type ForeignMapping, type PageError, type Prot,
} from './transport.js';
export {
  PageAllocator, withBuffers, copyIn, copyOut,
  type BufferAllocator, type HypercallBuffer,
} from './buffers.js';
export {
  PrivcmdError, XenVersionError, isPrivcmdError, errnoName, XEN_ERRNO,
} from './errors.js';
export {
  type DomainInfo, type PhysInfo, type VcpuInfo, type VersionInfo, type GuestType,
  toDomainInfo, toPhysInfo, toVcpuInfo, bitmapToList, listToBitmap, formatUuid,
} from './info.js';
export {
  ABI, XEN_RELEASES, DOMCTL_VERSIONS, SYSCTL_VERSIONS, HYPERCALL, XENVER, DOMCTL,
  SYSCTL, XENMEM, DOMINF_BITS, SHUTDOWN_REASONS, PHYSCAP_BITS, SCHEDULERS, SCHEDOP,
  DOMID_FIRST_RESERVED, DOMID_SELF, DOMID_INVALID, XEN_INVALID_MAX_VCPU_ID,
  releaseFor, selectAbi, hostArch,
  type Arch, type AbiSelection, type XenRelease,
} from './abi.js';
export { OS_TABLE, osFor, linuxIoc, bsdIoc, type OsName, type OsPrivcmd } from './os.js';
export { defineStruct, decode, encode, offsetOf, type StructLayout } from './layout.js';
export { getNative, type Native } from './native.js';
export { runProbe, probeToJson, type ProbeOptions } from './probe.js';
export { BuildCalls, type CreateDomainConfig } from './build-calls.js';
export * as buildAbi from './build-abi.js';
