// Hypercalls that create and start a domain, over an open XenCtrl's
// transport and detected ABI: createdomain, address size, populate_physmap,
// claims, vcpu context, hypercall page, event channels, grant table set-up,
// page-table pinning. Kept apart from XenCtrl's query calls because only the
// domain builder uses them.

import { DOMCTL, HYPERCALL } from './abi.js';
import {
  BUILD_DOMCTL, BUILD_HYPERCALL, BUILD_STRUCTS, CREATEDOMAIN_X86, DOMCTL_BUILD_STRUCTS, E820_ENTRY_SIZE,
  EVTCHNOP_alloc_unbound, GNTTABOP_setup_table, XENMEM_BUILD,
} from './build-abi.js';
import { HVMOP, xen_hvm_param } from './abi.js';
import { withBuffers, type HypercallBuffer } from './buffers.js';
import { PrivcmdError, isPrivcmdError } from './errors.js';
import { decode, encode, type StructLayout } from './layout.js';
import type { XenCtrl } from './xenctrl.js';

export interface CreateDomainConfig {
  /** 16 bytes: the UUID. */
  handle: Uint8Array;
  flags: number;
  maxVcpus: number;
  maxEvtchnPort: number;
  maxGrantFrames: number;
  maxMaptrackFrames: number;
  /** XEN_DOMCTL_GRANT_version(v) and friends. */
  grantOpts: number;
  emulationFlags?: number;
  miscFlags?: number;
  ssidref?: number;
  iommuOpts?: number;
  vmtraceSize?: number;
  cpupoolId?: number;
  altp2mOpts?: number;
  /** 0 (or DOMID_INVALID) lets Xen pick. */
  domid?: number;
}

/** Extents handed to one populate_physmap call at most (libxc uses 1 Mi pages). */
const POPULATE_BATCH = 1 << 16;

export class BuildCalls {
  constructor(readonly xc: XenCtrl) {}

  private scoped<T>(fn: (get: (bytes: number) => HypercallBuffer) => T): T {
    return withBuffers(this.xc.transport.buffers, fn);
  }

  private domctl(cmd: number, domid: number, name: string, sub: StructLayout | null, input: Record<string, unknown>,
    extra?: (get: (bytes: number) => HypercallBuffer) => Record<string, unknown>): number {
    return this.scoped((get) => {
      const L = this.xc.abi.domctl.domctl;
      const b = get(L.size);
      encode(L, { cmd, interface_version: this.xc.abi.domctlVersion, domain: domid }, b.view);
      if (sub) encode(sub, { ...input, ...(extra ? extra(get) : {}) }, b.view, L.fields.u.offset);
      this.xc.transport.issue(HYPERCALL.domctl, [b.addr], `domctl ${name} (domid ${domid})`);
      return b.view.readUInt16LE(L.fields.domain.offset);
    });
  }

  /** A domctl whose sub-struct Xen writes back; returns it decoded. */
  private domctlOut(cmd: number, domid: number, name: string, sub: StructLayout, input: Record<string, unknown>,
    extra?: (get: (bytes: number) => HypercallBuffer) => Record<string, unknown>): Record<string, unknown> {
    return this.scoped((get) => {
      const L = this.xc.abi.domctl.domctl;
      const b = get(L.size);
      encode(L, { cmd, interface_version: this.xc.abi.domctlVersion, domain: domid }, b.view);
      encode(sub, { ...input, ...(extra ? extra(get) : {}) }, b.view, L.fields.u.offset);
      this.xc.transport.issue(HYPERCALL.domctl, [b.addr], `domctl ${name} (domid ${domid})`);
      return decode(sub, b.view, L.fields.u.offset);
    });
  }

  /** XEN_DOMCTL_createdomain; returns the new domid. */
  createDomain(c: CreateDomainConfig): number {
    const L = CREATEDOMAIN_X86[this.xc.abi.domctlVersion];
    if (!L || this.xc.abi.arch !== 'x64') {
      throw new Error(`createdomain: no layout for ${this.xc.abi.arch} domctl 0x${this.xc.abi.domctlVersion.toString(16)}`);
    }
    const input: Record<string, unknown> = {
      ssidref: c.ssidref ?? 0,
      handle: c.handle,
      flags: c.flags,
      iommu_opts: c.iommuOpts ?? 0,
      max_vcpus: c.maxVcpus,
      max_evtchn_port: c.maxEvtchnPort,
      max_grant_frames: c.maxGrantFrames,
      max_maptrack_frames: c.maxMaptrackFrames,
      grant_opts: c.grantOpts,
      vmtrace_size: c.vmtraceSize ?? 0,
      cpupool_id: c.cpupoolId ?? 0,
      arch: { emulation_flags: c.emulationFlags ?? 0, misc_flags: c.miscFlags ?? 0 },
    };
    if (L.fields.altp2m_opts) input.altp2m_opts = c.altp2mOpts ?? 0;
    return this.domctl(BUILD_DOMCTL.createdomain, c.domid ?? 0, 'createdomain', L, input);
  }

  /** XEN_DOMCTL_set_address_size (64 for x86_64 PV guests). */
  setAddressSize(domid: number, bits: number): void {
    this.domctl(BUILD_DOMCTL.set_address_size, domid, 'set_address_size', DOMCTL_BUILD_STRUCTS.address_size, { size: bits });
  }

  /** XEN_DOMCTL_max_vcpus: creates the vcpus (libxl__build_pre still calls it). */
  setMaxVcpus(domid: number, max: number): void {
    this.domctl(DOMCTL.max_vcpus, domid, 'max_vcpus', this.xc.abi.domctl.max_vcpus, { max });
  }

  setMaxMem(domid: number, kb: bigint | number): void {
    this.domctl(DOMCTL.max_mem, domid, 'max_mem', this.xc.abi.domctl.max_mem, { max_memkb: BigInt(kb) });
  }

  /** XEN_DOMCTL_hypercall_init: Xen writes its hypercall stubs into frame `gmfn`. */
  hypercallInit(domid: number, gmfn: bigint): void {
    this.domctl(BUILD_DOMCTL.hypercall_init, domid, 'hypercall_init', DOMCTL_BUILD_STRUCTS.hypercall_init, { gmfn });
  }

  /** XEN_DOMCTL_setvcpucontext with an encoded vcpu_guest_context. */
  setVcpuContext(domid: number, vcpu: number, ctxt: Buffer): void {
    this.domctl(BUILD_DOMCTL.setvcpucontext, domid, 'setvcpucontext', DOMCTL_BUILD_STRUCTS.vcpucontext, { vcpu },
      (get) => {
        const b = get(ctxt.length);
        ctxt.copy(b.view);
        return { ctxt: b.addr };
      });
  }

  /** XEN_DOMCTL_gethvmcontext: the whole HVM save image (size query, then the records). */
  getHvmContext(domid: number): Buffer {
    const S = DOMCTL_BUILD_STRUCTS.hvmcontext;
    const size = Number(this.domctlOut(BUILD_DOMCTL.gethvmcontext, domid, 'gethvmcontext', S, { size: 0, buffer: 0n }).size);
    return this.scoped((get) => {
      const buf = get(size);
      const got = Number(this.domctlOut(BUILD_DOMCTL.gethvmcontext, domid, 'gethvmcontext', S, { size, buffer: buf.addr }).size);
      return Buffer.from(buf.view.subarray(0, got));
    });
  }

  /** XEN_DOMCTL_sethvmcontext: load save records (each call puts all vcpus down). */
  setHvmContext(domid: number, records: Buffer): void {
    this.domctl(BUILD_DOMCTL.sethvmcontext, domid, 'sethvmcontext', DOMCTL_BUILD_STRUCTS.hvmcontext, { size: records.length },
      (get) => {
        const b = get(records.length);
        records.copy(b.view);
        return { buffer: b.addr };
      });
  }

  /** XEN_DOMCTL_settscinfo (libxl: mode only, the rest 0). */
  setTscInfo(domid: number, mode: number): void {
    this.domctl(BUILD_DOMCTL.settscinfo, domid, 'settscinfo', DOMCTL_BUILD_STRUCTS.tsc_info, { tsc_mode: mode });
  }

  /** XEN_DOMCTL_set_paging_mempool_size, in bytes (HAP/shadow pool). */
  setPagingMempoolSize(domid: number, bytes: bigint): void {
    this.domctl(BUILD_DOMCTL.set_paging_mempool_size, domid, 'set_paging_mempool_size', DOMCTL_BUILD_STRUCTS.paging_mempool, { size: bytes });
  }

  /** HVMOP_set_param on behalf of an HVM/PVH domain. */
  hvmSetParam(domid: number, index: number, value: bigint | number): void {
    this.scoped((get) => {
      const b = get(xen_hvm_param.size);
      encode(xen_hvm_param, { domid, index, value: BigInt(value) }, b.view);
      this.xc.transport.issue(HYPERCALL.hvm_op, [BigInt(HVMOP.set_param), b.addr], `hvm_op set_param ${index} (domid ${domid})`);
    });
  }

  /** XENMEM_set_memory_map: the guest's e820 (packed 20-byte entries). */
  setMemoryMap(domid: number, entries: readonly { addr: bigint; size: bigint; type: number }[]): void {
    this.scoped((get) => {
      const arr = get(Math.max(1, entries.length) * E820_ENTRY_SIZE);
      entries.forEach((e, i) => {
        arr.view.writeBigUInt64LE(e.addr, i * E820_ENTRY_SIZE);
        arr.view.writeBigUInt64LE(e.size, i * E820_ENTRY_SIZE + 8);
        arr.view.writeUInt32LE(e.type, i * E820_ENTRY_SIZE + 16);
      });
      const L = BUILD_STRUCTS.foreign_memory_map;
      const b = get(L.size);
      encode(L, { domid, map: { nr_entries: entries.length, buffer: arr.addr } }, b.view);
      this.memop(XENMEM_BUILD.set_memory_map, b.addr, `set_memory_map (domid ${domid})`);
    });
  }

  /** XENMEM_maximum_gpfn: the highest gfn the domain has populated. */
  maximumGpfn(domid: number): bigint {
    return this.scoped((get) => {
      const b = get(2);
      b.view.writeUInt16LE(domid, 0);
      return BigInt(this.memop(XENMEM_BUILD.maximum_gpfn, b.addr, `maximum_gpfn (domid ${domid})`));
    });
  }

  /** XENMEM_add_to_physmap: map frame `idx` of `space` at `gpfn` in the domain. */
  addToPhysmap(domid: number, space: number, idx: bigint, gpfn: bigint): void {
    this.scoped((get) => {
      const L = BUILD_STRUCTS.add_to_physmap;
      const b = get(L.size);
      encode(L, { domid, size: 0, space, idx, gpfn }, b.view);
      this.memop(XENMEM_BUILD.add_to_physmap, b.addr, `add_to_physmap (domid ${domid})`);
    });
  }

  /** XENMEM_remove_from_physmap. */
  removeFromPhysmap(domid: number, gpfn: bigint): void {
    this.scoped((get) => {
      const L = BUILD_STRUCTS.remove_from_physmap;
      const b = get(L.size);
      encode(L, { domid, gpfn }, b.view);
      this.memop(XENMEM_BUILD.remove_from_physmap, b.addr, `remove_from_physmap (domid ${domid})`);
    });
  }

  private memop(cmd: number, arg: bigint, name: string): number {
    return this.xc.transport.issue(HYPERCALL.memory_op, [BigInt(cmd), arg], `memory_op ${name}`);
  }

  /** XENMEM_claim_pages; 0 pages cancels a claim. */
  claimPages(domid: number, pages: number): void {
    this.scoped((get) => {
      const L = BUILD_STRUCTS.memory_reservation;
      const b = get(L.size);
      encode(L, { extent_start: 0n, nr_extents: BigInt(pages), extent_order: 0, mem_flags: 0, domid }, b.view);
      this.memop(XENMEM_BUILD.claim_pages, b.addr, `claim_pages (domid ${domid})`);
    });
  }

  /**
   * XENMEM_populate_physmap of `gpfns` (extents of 2^order pages). For a PV
   * guest Xen writes each extent's first MFN back; returns them. Throws when
   * Xen gives fewer extents than asked (out of memory), unless `partial`
   * (superpages: take what Xen has, the caller fills the rest with 4k pages).
   */
  populatePhysmap(domid: number, gpfns: readonly bigint[], order = 0, memFlags = 0, opts: { partial?: boolean } = {}): bigint[] {
    const out: bigint[] = [];
    for (let first = 0; first < gpfns.length; first += POPULATE_BATCH) {
      const chunk = gpfns.slice(first, first + POPULATE_BATCH);
      this.scoped((get) => {
        const arr = get(chunk.length * 8);
        chunk.forEach((g, i) => arr.view.writeBigUInt64LE(g, i * 8));
        const L = BUILD_STRUCTS.memory_reservation;
        const b = get(L.size);
        encode(L, { extent_start: arr.addr, nr_extents: BigInt(chunk.length), extent_order: order, mem_flags: memFlags, domid }, b.view);
        const done = this.memop(XENMEM_BUILD.populate_physmap, b.addr, `populate_physmap (domid ${domid})`);
        if (done !== chunk.length && !opts.partial) {
          throw new PrivcmdError(12, 'populate_physmap', `domid ${domid}: got ${done} of ${chunk.length} extents`, 'xen');
        }
        for (let i = 0; i < done; i++) out.push(arr.view.readBigUInt64LE(i * 8));
        return done;
      });
      if (out.length < first + chunk.length) break; // partial: Xen ran out of such extents
    }
    return out;
  }

  /** MMUEXT_PIN_L*_TABLE (or another mmuext cmd on one frame) on behalf of `domid`. */
  mmuextOp(domid: number, cmd: number, mfn: bigint): void {
    this.scoped((get) => {
      const L = BUILD_STRUCTS.mmuext_op;
      const b = get(L.size);
      encode(L, { cmd, arg1: mfn, arg2: 0n }, b.view);
      this.xc.transport.issue(BUILD_HYPERCALL.mmuext_op, [b.addr, 1n, 0n, BigInt(domid)], `mmuext_op ${cmd} (domid ${domid})`);
    });
  }

  /** EVTCHNOP_alloc_unbound: a port in `domid` that `remote` may bind; returns the port. */
  evtchnAllocUnbound(domid: number, remote: number): number {
    return this.scoped((get) => {
      const L = BUILD_STRUCTS.evtchn_alloc_unbound;
      const b = get(L.size);
      encode(L, { dom: domid, remote_dom: remote }, b.view);
      this.xc.transport.issue(BUILD_HYPERCALL.event_channel_op, [BigInt(EVTCHNOP_alloc_unbound), b.addr],
        `evtchn alloc_unbound (domid ${domid})`);
      return Number(decode(L, b.view).port);
    });
  }

  /** GNTTABOP_setup_table for `frames` frames of `domid`'s table; returns their frame numbers. */
  gnttabSetupTable(domid: number, frames = 1): bigint[] {
    return this.scoped((get) => {
      const list = get(frames * 8);
      const L = BUILD_STRUCTS.gnttab_setup_table;
      const b = get(L.size);
      encode(L, { dom: domid, nr_frames: frames, status: 0, frame_list: list.addr }, b.view);
      this.xc.transport.issue(BUILD_HYPERCALL.grant_table_op, [BigInt(GNTTABOP_setup_table), b.addr, 1n],
        `gnttab setup_table (domid ${domid})`);
      const status = b.view.readInt16LE(L.fields.status.offset);
      if (status !== 0) throw new PrivcmdError(22, 'gnttab setup_table', `domid ${domid}: status ${status}`, 'xen');
      return Array.from({ length: frames }, (_, i) => list.view.readBigUInt64LE(i * 8));
    });
  }
}

export { isPrivcmdError };
