// The public ABI the domain builder needs, as data: domctl sub-ops that make
// and start a domain, memory_op reservations, mmuext_op, event channel and
// grant table ops, and the x86_64 PV guest structures (vcpu_guest_context,
// start_info, shared_info's vcpu_info) that the builder fills in.
//
// From xen-project/xen public headers (domctl.h, memory.h, xen.h, event_channel.h,
// grant_table.h, arch-x86/xen.h, arch-x86/xen-x86_64.h) at RELEASE-4.17.0 and
// RELEASE-4.20.0; createdomain also checked at 4.18, 4.19, 4.21 and 4.22.
// Offsets are pinned in test/unit/privcmd/build-abi.test.ts.

import { archConfigX86 } from './abi.js';
import { defineStruct, type StructLayout } from './layout.js';

/** Hypercalls used only while building (xen.h). */
export const BUILD_HYPERCALL = { mmuext_op: 26, grant_table_op: 20, event_channel_op: 32 } as const;

/** XEN_DOMCTL_* build commands (domctl.h; unchanged 4.17..4.22). */
export const BUILD_DOMCTL = {
  createdomain: 1,
  setvcpucontext: 12,
  hypercall_init: 22,
  gethvmcontext: 33,
  sethvmcontext: 34,
  set_address_size: 35,
  settscinfo: 60,
  set_paging_mempool_size: 86,
} as const;

/** XEN_DOMCTL_CDF_* bits of createdomain.flags. */
export const CDF = {
  hvm: 1 << 0, hap: 1 << 1, s3_integrity: 1 << 2, oos_off: 1 << 3,
  xs_domain: 1 << 4, iommu: 1 << 5, nested_virt: 1 << 6, vpmu: 1 << 7,
} as const;

/** XENMEM_* reservation ops (memory.h). */
export const XENMEM_BUILD = {
  populate_physmap: 6, add_to_physmap: 7, set_memory_map: 13, maximum_gpfn: 14, remove_from_physmap: 15, claim_pages: 24,
} as const;

/** XENMAPSPACE_grant_table: add_to_physmap of a grant table frame. */
export const XENMAPSPACE_grant_table = 1;

/** HVM_PARAM_* the HVM/PVH builder sets (hvm/params.h; unchanged 4.17..4.20). */
export const HVM_BUILD_PARAM = {
  store_pfn: 1, store_evtchn: 2, ioreq_pfn: 5, bufioreq_pfn: 6, timer_mode: 10, ident_pt: 12,
  console_pfn: 17, console_evtchn: 18, paging_ring_pfn: 27, monitor_ring_pfn: 28, sharing_ring_pfn: 29,
  ioreq_server_pfn: 32, nr_ioreq_server_pages: 33, altp2m: 35,
  viridian: 9, hpet_enabled: 11, vpt_align: 16, mca_cap: 38,
} as const;

/** XEN_X86_EMU_* emulation flags of createdomain's arch config (arch-x86/xen.h). */
export const X86_EMU = { lapic: 1 << 0, use_pirq: 1 << 9, all: 0x7ff, vpci: 1 << 10 } as const;

/** MMUEXT_* (xen.h). */
export const MMUEXT = { pin_l1: 0, pin_l2: 1, pin_l3: 2, pin_l4: 3, unpin: 4 } as const;

/** EVTCHNOP_alloc_unbound and GNTTABOP_setup_table. */
export const EVTCHNOP_alloc_unbound = 6;
export const GNTTABOP_setup_table = 2;

/** Grant table v1 reserved entries (grant_table.h) and the flag that shares a frame. */
export const GNTTAB_RESERVED = { console: 0, xenstore: 1 } as const;
export const GTF_permit_access = 1;

// ---------------------------------------------------------------------------
// domctl union members

/**
 * xen_domctl_createdomain. 4.19 on (0x17, 0x18) adds altp2m options after grant_opts (4.19/4.20 a u32
 * altp2m_opts, 4.21 a {u16 opts, u16 nr}; same place and size); up to 4.18 (0x15, 0x16) it has none.
 */
function createdomainLayout(version: string, altp2m: boolean): StructLayout {
  return defineStruct(`xen_domctl_createdomain(${version})`, [
    ['ssidref', 'u32'],
    ['handle', 'u8', 16],
    ['flags', 'u32'],
    ['iommu_opts', 'u32'],
    ['max_vcpus', 'u32'],
    ['max_evtchn_port', 'u32'],
    ['max_grant_frames', 'i32'],
    ['max_maptrack_frames', 'i32'],
    ['grant_opts', 'u32'],
    ...(altp2m ? [['altp2m_opts', 'u32'] as const] : []),
    ['vmtrace_size', 'u32'],
    ['cpupool_id', 'u32'],
    ['arch', archConfigX86],
  ]);
}
const createdomain_0x15 = createdomainLayout('0x15', false);
const createdomain_0x17 = createdomainLayout('0x17', true);

/** createdomain layout (x86_64) per XEN_DOMCTL_INTERFACE_VERSION. */
export const CREATEDOMAIN_X86: Readonly<Record<number, StructLayout>> = {
  0x15: createdomain_0x15,
  0x16: createdomain_0x15,
  0x17: createdomain_0x17,
  0x18: createdomain_0x17,
};

export const DOMCTL_BUILD_STRUCTS = {
  vcpucontext: defineStruct('xen_domctl_vcpucontext', [['vcpu', 'u32'], ['ctxt', 'ptr']]),
  hypercall_init: defineStruct('xen_domctl_hypercall_init', [['gmfn', 'u64']]),
  address_size: defineStruct('xen_domctl_address_size', [['size', 'u32']]),
  hvmcontext: defineStruct('xen_domctl_hvmcontext', [['size', 'u32'], ['buffer', 'ptr']]),
  tsc_info: defineStruct('xen_domctl_tsc_info', [
    ['tsc_mode', 'u32'], ['gtsc_khz', 'u32'], ['incarnation', 'u32'], ['pad', 'u32'], ['elapsed_nsec', 'u64'],
  ]),
  paging_mempool: defineStruct('xen_domctl_paging_mempool', [['size', 'u64']]),
} as const;

// ---------------------------------------------------------------------------
// other hypercall arguments

export const BUILD_STRUCTS = {
  memory_reservation: defineStruct('xen_memory_reservation', [
    ['extent_start', 'ptr'],
    ['nr_extents', 'u64'],
    ['extent_order', 'u32'],
    ['mem_flags', 'u32'],
    ['domid', 'u16'],
  ]),
  mmuext_op: defineStruct('mmuext_op', [['cmd', 'u32'], ['arg1', 'u64'], ['arg2', 'u64']]),
  evtchn_alloc_unbound: defineStruct('evtchn_alloc_unbound', [['dom', 'u16'], ['remote_dom', 'u16'], ['port', 'u32']]),
  gnttab_setup_table: defineStruct('gnttab_setup_table', [
    ['dom', 'u16'], ['nr_frames', 'u32'], ['status', 'u16'], ['frame_list', 'ptr'],
  ]),
  grant_entry_v1: defineStruct('grant_entry_v1', [['flags', 'u16'], ['domid', 'u16'], ['frame', 'u32']]),
  // The embedded xen_memory_map is 8-aligned (its handle), so it starts at offset 8.
  foreign_memory_map: defineStruct('xen_foreign_memory_map', [
    ['domid', 'u16'], ['map', defineStruct('xen_memory_map', [['nr_entries', 'u32'], ['buffer', 'ptr']])],
  ]),
  add_to_physmap: defineStruct('xen_add_to_physmap', [
    ['domid', 'u16'], ['size', 'u16'], ['space', 'u32'], ['idx', 'u64'], ['gpfn', 'u64'],
  ]),
  remove_from_physmap: defineStruct('xen_remove_from_physmap', [['domid', 'u16'], ['gpfn', 'u64']]),
} as const;

/** struct e820entry is packed: u64 addr, u64 size, u32 type. */
export const E820_ENTRY_SIZE = 20;
export const E820 = { ram: 1, reserved: 2, acpi: 3 } as const;

// ---------------------------------------------------------------------------
// x86_64 PV guest structures

const cpu_user_regs = defineStruct('cpu_user_regs(x86_64)', [
  ['r15', 'u64'], ['r14', 'u64'], ['r13', 'u64'], ['r12', 'u64'], ['rbp', 'u64'], ['rbx', 'u64'],
  ['r11', 'u64'], ['r10', 'u64'], ['r9', 'u64'], ['r8', 'u64'], ['rax', 'u64'], ['rcx', 'u64'],
  ['rdx', 'u64'], ['rsi', 'u64'], ['rdi', 'u64'],
  ['error_code', 'u32'], ['entry_vector', 'u32'],
  ['rip', 'u64'],
  ['cs', 'u16'], ['_pad0', 'u16'], ['saved_upcall_mask', 'u8'], ['_pad1', 'u8', 3],
  ['rflags', 'u64'],
  ['rsp', 'u64'],
  ['ss', 'u16'], ['_pad2', 'u16', 3],
  ['es', 'u16'], ['_pad3', 'u16', 3],
  ['ds', 'u16'], ['_pad4', 'u16', 3],
  ['fs', 'u16'], ['_pad5', 'u16', 3],
  ['gs', 'u16'], ['_pad6', 'u16', 3],
]);

const trap_info = { bytes: 16, align: 8 } as const;

export const VCPU_GUEST_CONTEXT_X86_64 = defineStruct('vcpu_guest_context(x86_64)', [
  ['fpu_ctxt', { bytes: 512, align: 8 }],
  ['flags', 'u64'],
  ['user_regs', cpu_user_regs],
  ['trap_ctxt', { bytes: 256 * trap_info.bytes, align: trap_info.align }],
  ['ldt_base', 'u64'], ['ldt_ents', 'u64'],
  ['gdt_frames', 'u64', 16], ['gdt_ents', 'u64'],
  ['kernel_ss', 'u64'], ['kernel_sp', 'u64'],
  ['ctrlreg', 'u64', 8],
  ['debugreg', 'u64', 8],
  ['event_callback_eip', 'u64'],
  ['failsafe_callback_eip', 'u64'],
  ['syscall_callback_eip', 'u64'],
  ['vm_assist', 'u64'],
  ['fs_base', 'u64'], ['gs_base_kernel', 'u64'], ['gs_base_user', 'u64'],
]);

/** VGCF_* flags, FLAT_KERNEL_* selectors (x86_64) and debug register defaults. */
export const VGCF = { i387_valid: 1 << 0, in_kernel: 1 << 2, online: 1 << 5 } as const;
export const FLAT_KERNEL_X86_64 = { cs: 0xe033, ds: 0x0000, ss: 0xe02b } as const;
export const X86_DR6_DEFAULT = 0xffff0ff0;
export const X86_DR7_DEFAULT = 0x00000400;

export const MAX_GUEST_CMDLINE = 1024;

export const START_INFO_X86_64 = defineStruct('start_info(x86_64)', [
  ['magic', 'char', 32],
  ['nr_pages', 'u64'],
  ['shared_info', 'u64'],
  ['flags', 'u32'],
  ['store_mfn', 'u64'],
  ['store_evtchn', 'u32'],
  ['console_mfn', 'u64'],
  ['console_evtchn', 'u32'],
  ['pt_base', 'u64'],
  ['nr_pt_frames', 'u64'],
  ['mfn_list', 'u64'],
  ['mod_start', 'u64'],
  ['mod_len', 'u64'],
  ['cmd_line', 'char', MAX_GUEST_CMDLINE],
  ['first_p2m_pfn', 'u64'],
  ['nr_p2m_frames', 'u64'],
]);

/** SIF_* start_info flags (xen.h). */
export const SIF = { privileged: 1 << 0, initdomain: 1 << 1, multiboot_mod: 1 << 2, mod_start_pfn: 1 << 3 } as const;

/** shared_info: XEN_LEGACY_MAX_VCPUS vcpu_info slots of 64 bytes; evtchn_upcall_mask is byte 1. */
export const SHARED_INFO_X86_64 = { legacyMaxVcpus: 32, vcpuInfoSize: 64, upcallMaskOffset: 1 } as const;

// ---------------------------------------------------------------------------
// HVM save records (arch-x86/hvm/save.h), as the PVH/HVM builder edits them

/** HVM_SAVE_CODE of the records the builder touches. */
export const HVM_SAVE_CODE = { end: 0, header: 1, cpu: 2, mtrr: 14 } as const;

export const HVM_SAVE_DESCRIPTOR = defineStruct('hvm_save_descriptor', [['typecode', 'u16'], ['instance', 'u16'], ['length', 'u32']]);

export const HVM_SAVE_HEADER = defineStruct('hvm_save_header', [
  ['magic', 'u32'], ['version', 'u32'], ['changeset', 'u64'], ['cpuid', 'u32'], ['gtsc_khz', 'u32'],
]);

const gprs = ['rax', 'rbx', 'rcx', 'rdx', 'rbp', 'rsi', 'rdi', 'rsp', 'r8', 'r9', 'r10', 'r11', 'r12', 'r13', 'r14', 'r15'];
const segs = ['cs', 'ds', 'es', 'fs', 'gs', 'ss', 'tr', 'ldtr'];
export const HVM_HW_CPU = defineStruct('hvm_hw_cpu', [
  ['fpu_regs', 'u8', 512],
  ...gprs.map((r) => [r, 'u64'] as const),
  ['rip', 'u64'], ['rflags', 'u64'],
  ['cr0', 'u64'], ['cr2', 'u64'], ['cr3', 'u64'], ['cr4', 'u64'],
  ['dr0', 'u64'], ['dr1', 'u64'], ['dr2', 'u64'], ['dr3', 'u64'], ['dr6', 'u64'], ['dr7', 'u64'],
  ...segs.map((r) => [`${r}_sel`, 'u32'] as const),
  ...[...segs, 'idtr', 'gdtr'].map((r) => [`${r}_limit`, 'u32'] as const),
  ...[...segs, 'idtr', 'gdtr'].map((r) => [`${r}_base`, 'u64'] as const),
  ...segs.map((r) => [`${r}_arbytes`, 'u32'] as const),
  ['sysenter_cs', 'u64'], ['sysenter_esp', 'u64'], ['sysenter_eip', 'u64'],
  ['shadow_gs', 'u64'],
  ['msr_flags', 'u64'], ['msr_lstar', 'u64'], ['msr_star', 'u64'], ['msr_cstar', 'u64'], ['msr_syscall_mask', 'u64'],
  ['msr_efer', 'u64'], ['msr_tsc_aux', 'u64'],
  ['tsc', 'u64'],
  ['pending_event', 'u32'], ['error_code', 'u32'],
  ['flags', 'u32'], ['pad0', 'u32'],
]);

export const HVM_HW_MTRR = defineStruct('hvm_hw_mtrr', [
  ['msr_pat_cr', 'u64'], ['msr_mtrr_var', 'u64', 16], ['msr_mtrr_fixed', 'u64', 11], ['msr_mtrr_cap', 'u64'],
  ['msr_mtrr_def_type', 'u64'],
]);

/** struct hvm_start_info and its tables (arch-x86/hvm/start_info.h), version 1. */
export const HVM_START_MAGIC = 0x336ec578;
export const HVM_START_INFO = defineStruct('hvm_start_info', [
  ['magic', 'u32'], ['version', 'u32'], ['flags', 'u32'], ['nr_modules', 'u32'],
  ['modlist_paddr', 'u64'], ['cmdline_paddr', 'u64'], ['rsdp_paddr', 'u64'], ['memmap_paddr', 'u64'],
  ['memmap_entries', 'u32'], ['reserved', 'u32'],
]);
export const HVM_MODLIST_ENTRY = defineStruct('hvm_modlist_entry', [
  ['paddr', 'u64'], ['size', 'u64'], ['cmdline_paddr', 'u64'], ['reserved', 'u64'],
]);
export const HVM_MEMMAP_ENTRY = defineStruct('hvm_memmap_table_entry', [
  ['addr', 'u64'], ['size', 'u64'], ['type', 'u32'], ['reserved', 'u32'],
]);
