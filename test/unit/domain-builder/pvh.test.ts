// The PVH builder without Xen: the layout and e820 libxl/libxc compute for a
// PVH guest, the save-record layouts pinned to the public header's offsets,
// and a whole buildPvh against a fake that keeps guest memory and records
// the hypercalls, checked against what xg_dom_x86.c writes for a PVH guest.
import { describe, expect, it } from 'vitest';
import { KernelFormatError, buildPvh, memoryMap, parseElf, planPvhLayout, pvhImage } from '../../../src/domain-builder/index.js';
import {
  HVM_BUILD_PARAM, HVM_HW_CPU, HVM_HW_MTRR, HVM_MEMMAP_ENTRY, HVM_MODLIST_ENTRY, HVM_SAVE_CODE, HVM_START_INFO, HVM_START_MAGIC,
} from '../../../src/privcmd/build-abi.js';
import { decode } from '../../../src/privcmd/layout.js';
import type { BuildCalls } from '../../../src/privcmd/build-calls.js';
import { LINUX_NOTES, makeElf, u64 } from '../../helpers/kernel-images.js';

const PHYS32_ENTRY = 0x1000400n;
/** A Linux-like ELF with the PVH entry note and XENFEAT_linux_rsdp_unrestricted among its supported features. */
const pvhElf = (extraNotes: [number, Buffer][] = [[18, u64(PHYS32_ENTRY).subarray(0, 4)], [17, Buffer.from([0, 0, 8, 0])]]) =>
  makeElf({ notes: [...LINUX_NOTES, ...extraNotes], code: Buffer.from('PVH-KERNEL'), memsz: 0x5000 });

describe('PVH layout', () => {
  it('hvm_hw_cpu and hvm_hw_mtrr match the offsets of arch-x86/hvm/save.h', () => {
    const f = HVM_HW_CPU.fields;
    expect([f.rax.offset, f.rbx.offset, f.rip.offset, f.cr0.offset, f.dr6.offset, f.dr7.offset]).toEqual([512, 520, 640, 656, 720, 728]);
    expect([f.cs_sel.offset, f.cs_limit.offset, f.gdtr_limit.offset, f.cs_base.offset, f.gdtr_base.offset]).toEqual([736, 768, 804, 808, 880]);
    expect([f.cs_arbytes.offset, f.tr_arbytes.offset, f.msr_efer.offset, f.tsc.offset, f.flags.offset, HVM_HW_CPU.size])
      .toEqual([888, 912, 992, 1008, 1024, 1032]);
    expect([HVM_HW_MTRR.fields.msr_mtrr_def_type.offset, HVM_HW_MTRR.size]).toEqual([232, 240]);
    expect([HVM_START_INFO.size, HVM_MODLIST_ENTRY.size, HVM_MEMMAP_ENTRY.size]).toEqual([56, 32, 24]);
  });

  it('refuses a kernel without the PVH entry note', () => {
    expect(() => pvhImage(parseElf(makeElf({ notes: LINUX_NOTES })), new Uint8Array())).toThrow(KernelFormatError);
    const img = pvhImage(parseElf(pvhElf()), new Uint8Array());
    expect(img).toMatchObject({ physEntry: PHYS32_ENTRY, guestOs: 'linux', rsdpUnrestricted: true });
  });

  it('256 MiB: RAM from 0, kernel at its physical address, ramdisk and start info after it; e820 as libxl builds it', () => {
    const elf = parseElf(pvhElf());
    const acpi = [
      { name: 'rsdp' as const, paddr: 0xfc003000n, data: Buffer.alloc(64) },
      { name: 'info' as const, paddr: 0xfc000000n, data: Buffer.alloc(4096) },
      { name: 'tables' as const, paddr: 0xfc001000n, data: Buffer.alloc(8192) },
    ];
    const l = planPvhLayout({ memKb: 256 * 1024, elf, ramdiskBytes: 10000, cmdline: 'console=hvc0', acpi });
    expect(l.lowmemEnd).toBe(256n << 20n);
    expect(l.highmemEnd).toBe(0n);
    expect(l.kernel).toEqual({ pfn: 0x1000, pages: 5 });
    expect(l.ramdisk).toEqual({ pfn: 0x1005, pages: 3, bytes: 10000 });
    expect(l.startInfo.pfn).toBe(0x1008);
    expect(l.startInfo.cmdlineSize).toBe(16);
    expect(l.e820).toEqual([
      { addr: 0n, size: 256n << 20n, type: 1 },
      { addr: 0xfeff8000n, size: 0x8000n, type: 2 },
      { addr: 0xfc003000n, size: 64n, type: 3 },
      { addr: 0xfc000000n, size: 4096n, type: 3 },
      { addr: 0xfc001000n, size: 8192n, type: 3 },
    ]);
  });

  it('memory above the hole goes above 4 GiB; an RSDP in the BIOS area keeps its offset', () => {
    const map = memoryMap(0xfc000000n, (1n << 32n) + (1n << 30n), [{ name: 'rsdp', paddr: 0xfffc0n, data: Buffer.alloc(64) }]);
    expect(map[2]).toEqual({ addr: 0xff000n, size: 64n + 0xfc0n, type: 3 });
    expect(map[3]).toEqual({ addr: 1n << 32n, size: 1n << 30n, type: 1 });
    const elf = parseElf(pvhElf());
    expect(planPvhLayout({ memKb: 5 * 1024 * 1024, elf, ramdiskBytes: null, cmdline: '', acpi: [] }))
      .toMatchObject({ lowmemEnd: 0xfc000000n, highmemEnd: (1n << 32n) + (5n << 30n) - 0xfc000000n });
  });

  it('too little memory for the kernel: a layout error', () => {
    expect(() => planPvhLayout({ memKb: 8 * 1024, elf: parseElf(pvhElf()), ramdiskBytes: null, cmdline: '', acpi: [] }))
      .toThrow(/not enough memory/);
  });
});

/** Guest memory by gfn, and the calls buildPvh makes. */
function fakeBuildCalls() {
  const pages = new Map<bigint, Buffer>();
  const calls: string[] = [];
  const params = new Map<number, bigint>();
  const contexts: Buffer[] = [];
  let grantFrameAt: bigint | null = null;
  const grantFrame = Buffer.alloc(4096);
  const mtrr = Buffer.alloc(HVM_HW_MTRR.size);
  // Xen's full context: header, one CPU and one MTRR record, end.
  const rec = (code: number, inst: number, body: Buffer) => {
    const d = Buffer.alloc(8); d.writeUInt16LE(code, 0); d.writeUInt16LE(inst, 2); d.writeUInt32LE(body.length, 4);
    return Buffer.concat([d, body]);
  };
  const header = Buffer.alloc(24); header.writeUInt32LE(0x54381286, 0);
  const full = Buffer.concat([rec(1, 0, header), rec(2, 0, Buffer.alloc(HVM_HW_CPU.size)), rec(14, 0, mtrr), rec(0, 0, Buffer.alloc(0))]);
  const xc = {
    mapForeignPages(_d: number, gfns: bigint[]) {
      const buf = Buffer.alloc(gfns.length * 4096);
      gfns.forEach((g, i) => (g === grantFrameAt ? grantFrame : pages.get(g))?.copy(buf, i * 4096));
      return {
        buffer: buf,
        errors: gfns.map((g) => (g === grantFrameAt || pages.has(g) ? null : { code: 'EFAULT' })),
        unmap() { gfns.forEach((g, i) => { const t = g === grantFrameAt ? grantFrame : pages.get(g); buf.copy(t!, 0, i * 4096, (i + 1) * 4096); }); },
      };
    },
  };
  const bc = {
    xc,
    claimPages: (_d: number, n: number) => calls.push(`claim ${n}`),
    populatePhysmap(_d: number, gfns: bigint[], order = 0) {
      calls.push(`populate ${gfns.length}x${order}`);
      for (const g of gfns) for (let i = 0n; i < 1n << BigInt(order); i++) pages.set(g + i, Buffer.alloc(4096));
      return gfns;
    },
    setMemoryMap: (_d: number, e: unknown[]) => calls.push(`memory map ${e.length}`),
    hvmSetParam: (_d: number, i: number, v: bigint | number) => params.set(i, BigInt(v)),
    getHvmContext: () => full,
    setHvmContext: (_d: number, b: Buffer) => contexts.push(Buffer.from(b)),
    maximumGpfn: () => 0xfefffn,
    addToPhysmap: (_d: number, _s: number, _i: bigint, g: bigint) => { grantFrameAt = g; calls.push(`add gnttab at ${g.toString(16)}`); },
    removeFromPhysmap: (_d: number, g: bigint) => { calls.push(`remove ${g.toString(16)}`); grantFrameAt = null; },
  };
  return { bc: bc as unknown as BuildCalls, pages, calls, params, contexts, grantFrame };
}

describe('buildPvh against a fake hypervisor', () => {
  it('writes the kernel, ramdisk, start info, special pages, params, vcpu records and grant entries', async () => {
    const f = fakeBuildCalls();
    const elfBytes = pvhElf();
    const image = pvhImage(parseElf(elfBytes), elfBytes);
    const ramdisk = Buffer.from('RAMDISK-BYTES');
    const r = await buildPvh(f.bc, {
      domid: 7, image, ramdisk, cmdline: 'console=hvc0', memKb: 64 * 1024, targetKb: 64 * 1024, maxVcpus: 2, apic: true,
      storeEvtchn: 1, consoleEvtchn: 2, claim: true,
    });
    expect(f.calls[0]).toBe('claim 16384');
    expect(f.calls).toContain('populate 32x9');
    expect(f.calls).toContain('claim 0');
    expect(f.calls.filter((c) => c.startsWith('memory map'))).toEqual([`memory map ${r.layout.e820.length}`]);
    // Kernel bytes at the ELF's physical address.
    expect(f.pages.get(0x1000n)!.subarray(0, 10).toString()).toBe('PVH-KERNEL');
    // The ramdisk's page after the kernel.
    expect(f.pages.get(BigInt(r.layout.ramdisk!.pfn))!.subarray(0, ramdisk.length).toString()).toBe('RAMDISK-BYTES');
    // hvm_start_info: magic, version, the command line right after it, one module, the memory map.
    const si = f.pages.get(BigInt(r.layout.startInfo.pfn))!;
    const info = decode(HVM_START_INFO, si);
    const base = BigInt(r.layout.startInfo.pfn) << 12n;
    expect(info).toMatchObject({ magic: HVM_START_MAGIC, version: 1, nr_modules: 1, cmdline_paddr: base + 56n, memmap_entries: r.layout.e820.length });
    expect(si.subarray(56, 68).toString()).toBe('console=hvc0');
    const mod = decode(HVM_MODLIST_ENTRY, si, Number(info.modlist_paddr as bigint - base));
    expect(mod).toMatchObject({ paddr: BigInt(r.layout.ramdisk!.pfn) << 12n, size: 4096n, cmdline_paddr: 0n });
    const m0 = decode(HVM_MEMMAP_ENTRY, si, Number(info.memmap_paddr as bigint - base));
    expect(m0).toMatchObject({ addr: 0n, size: 64n << 20n, type: 1 });
    expect(info.rsdp_paddr).toBe(r.layout.acpi.find((m) => m.name === 'rsdp')!.paddr);
    // Special pages and params.
    expect(r.storePfn).toBe(0xfeffcn);
    expect(r.consolePfn).toBe(0xfefffn);
    expect(f.params.get(HVM_BUILD_PARAM.store_pfn)).toBe(0xfeffcn);
    expect(f.params.get(HVM_BUILD_PARAM.console_pfn)).toBe(0xfefffn);
    expect(f.params.get(HVM_BUILD_PARAM.ident_pt)).toBe(0xfeffen << 12n);
    expect(f.params.get(HVM_BUILD_PARAM.store_evtchn)).toBe(1n);
    expect(f.params.get(HVM_BUILD_PARAM.console_evtchn)).toBe(2n);
    expect(f.pages.get(0xfeffen)!.readUInt32LE(4)).toBe((1 << 22) | 0xe7);
    // Two MTRR loads (one per vcpu), then the boot vcpu last.
    expect(f.contexts).toHaveLength(3);
    const codeOf = (b: Buffer) => b.readUInt16LE(32);
    expect(f.contexts.map(codeOf)).toEqual([HVM_SAVE_CODE.mtrr, HVM_SAVE_CODE.mtrr, HVM_SAVE_CODE.cpu]);
    expect(f.contexts.map((b) => b.readUInt16LE(34))).toEqual([0, 1, 0]);
    expect(f.contexts[0].readBigUInt64LE(40 + HVM_HW_MTRR.fields.msr_mtrr_def_type.offset)).toBe(0x806n);
    const cpu = decode(HVM_HW_CPU, f.contexts[2], 40);
    expect(cpu).toMatchObject({ rip: PHYS32_ENTRY, rbx: base, cr0: 0x11n, cs_limit: 0xffffffff, tr_limit: 0x67, cs_arbytes: 0xc9b, ss_arbytes: 0xc93 });
    // Grant entries 0 (console) and 1 (xenstore) for dom0, then the scratch frame is removed.
    expect(f.calls.slice(-2)).toEqual(['add gnttab at ff000', 'remove ff000']);
    expect([f.grantFrame.readUInt16LE(0), f.grantFrame.readUInt16LE(2), f.grantFrame.readUInt32LE(4)]).toEqual([1, 0, 0xfefff]);
    expect(f.grantFrame.readUInt32LE(12)).toBe(0xfeffc);
  });

  it('refuses populate-on-demand (maxmem above memory) before touching the domain', async () => {
    const f = fakeBuildCalls();
    const elfBytes = pvhElf();
    await expect(buildPvh(f.bc, {
      domid: 7, image: pvhImage(parseElf(elfBytes), elfBytes), ramdisk: null, cmdline: '', memKb: 128 * 1024, targetKb: 64 * 1024,
      maxVcpus: 1, apic: true, storeEvtchn: 1, consoleEvtchn: 2,
    })).rejects.toThrow(/populate-on-demand/);
    expect(f.calls).toEqual([]);
  });
});

describe('HVM build hypercall layouts', () => {
  it('xen_foreign_memory_map nests an 8-aligned xen_memory_map; add/remove_from_physmap as memory.h lays them out', async () => {
    const { BUILD_STRUCTS, DOMCTL_BUILD_STRUCTS } = await import('../../../src/privcmd/build-abi.js');
    const { offsetOf } = await import('../../../src/privcmd/layout.js');
    const m = BUILD_STRUCTS.foreign_memory_map;
    expect([offsetOf(m, 'map.nr_entries'), offsetOf(m, 'map.buffer'), m.size]).toEqual([8, 16, 24]);
    const a = BUILD_STRUCTS.add_to_physmap.fields;
    expect([a.size.offset, a.space.offset, a.idx.offset, a.gpfn.offset, BUILD_STRUCTS.add_to_physmap.size]).toEqual([2, 4, 8, 16, 24]);
    expect(BUILD_STRUCTS.remove_from_physmap.fields.gpfn.offset).toBe(8);
    expect([DOMCTL_BUILD_STRUCTS.hvmcontext.fields.buffer.offset, DOMCTL_BUILD_STRUCTS.tsc_info.size]).toEqual([8, 24]);
  });
});

/** A 32-bit ELF like hvmloader: one PT_LOAD at 1 MiB, entry at its start, no notes. */
function makeElf32(code: Buffer, memsz: number): Buffer {
  const eh = Buffer.alloc(52);
  Buffer.from([0x7f, 0x45, 0x4c, 0x46, 1, 1, 1]).copy(eh);
  eh.writeUInt16LE(2, 16); eh.writeUInt16LE(3, 18); eh.writeUInt32LE(0x100000, 24); eh.writeUInt32LE(52, 28);
  eh.writeUInt16LE(32, 42); eh.writeUInt16LE(1, 44);
  const ph = Buffer.alloc(32);
  ph.writeUInt32LE(1, 0); ph.writeUInt32LE(84, 4); ph.writeUInt32LE(0x100000, 8); ph.writeUInt32LE(0x100000, 12);
  ph.writeUInt32LE(code.length, 16); ph.writeUInt32LE(memsz, 20);
  return Buffer.concat([eh, ph, code]);
}

describe('HVM image for the device model (hvmloader + SeaBIOS)', () => {
  it('parses hvmloader as a 32-bit ELF and refuses a 64-bit one', async () => {
    const { parseElf32 } = await import('../../../src/domain-builder/index.js');
    const elf = parseElf32(makeElf32(Buffer.from('HVMLOADER'), 0x3000));
    expect([elf.entry, elf.pstart, elf.pend]).toEqual([0x100000n, 0x100000n, 0x103000n]);
    expect(() => parseElf32(pvhElf())).toThrow(/not 32bit/);
  });

  it('layout: hole at 0xF0000000, e820 RAM from 1 MiB, firmware then SeaBIOS then start info', async () => {
    const { planHvmLayout, parseElf32 } = await import('../../../src/domain-builder/index.js');
    const fw = parseElf32(makeElf32(Buffer.from('HVMLOADER'), 0x3000));
    const l = planHvmLayout({ memKb: 256 * 1024, firmware: fw, systemFirmwareBytes: 0x40000 });
    expect(l.mmioStart).toBe(0xf0000000n);
    expect(l.firmware).toEqual({ pfn: 0x100, pages: 3 });
    expect(l.systemFirmware).toEqual({ pfn: 0x103, pages: 0x40, bytes: 0x40000 });
    expect(l.startInfo.pfn).toBe(0x143);
    expect(l.e820).toEqual([{ addr: 0x100000n, size: (256n << 20n) - 0x100000n, type: 1 }]);
    const big = planHvmLayout({ memKb: 4 * 1024 * 1024, firmware: fw, systemFirmwareBytes: null });
    expect([big.lowmemEnd, big.highmemEnd]).toEqual([0xf0000000n, (1n << 32n) + 0x10000000n]);
  });

  it('hvm_info: the table libxl leaves (apic mode, vcpus, online bitmap, memory ends), checksummed to 0', async () => {
    const { hvmInfoTable, HVM_INFO_TABLE } = await import('../../../src/domain-builder/index.js');
    const t = hvmInfoTable({ lowmemEnd: 256n << 20n, highmemEnd: 0n, apic: true, maxVcpus: 4, onlineVcpus: [0, 1, 3] });
    expect(t.length).toBe(48);
    expect(t.subarray(0, 8).toString()).toBe('HVM INFO');
    expect(decode(HVM_INFO_TABLE, t)).toMatchObject({ length: 48, apic_mode: 1, nr_vcpus: 4, low_mem_pgend: 0x10000, reserved_mem_pgstart: 0xfeff0, high_mem_pgend: 0 });
    expect(t[32]).toBe(0b1011);
    expect(t.reduce((a, b) => (a + b) & 0xff, 0)).toBe(0);
  });

  it('buildHvm: VGA hole left out, firmware and SeaBIOS loaded, firmware module listed, hvm_info written, no MTRR records', async () => {
    const { buildHvm, parseElf32 } = await import('../../../src/domain-builder/index.js');
    const f = fakeBuildCalls();
    const image = makeElf32(Buffer.from('HVMLOADER'), 0x3000);
    const bios = Buffer.alloc(0x20000, 0x5a);
    const r = await buildHvm(f.bc, {
      domid: 9, firmware: { elf: parseElf32(image), image }, systemFirmware: bios, memKb: 64 * 1024, targetKb: 64 * 1024,
      maxVcpus: 1, onlineVcpus: [0], apic: true, storeEvtchn: 3, consoleEvtchn: 4, claim: true,
    });
    expect(f.calls[0]).toBe('claim 16352');
    expect(f.pages.has(0x9fn)).toBe(true);
    expect(f.pages.has(0xa0n) || f.pages.has(0xbfn)).toBe(false);
    expect(f.pages.has(0xc0n)).toBe(true);
    expect(f.pages.get(0x100n)!.subarray(0, 9).toString()).toBe('HVMLOADER');
    expect(f.pages.get(0x103n)![0]).toBe(0x5a);
    const si = f.pages.get(BigInt(r.layout.startInfo.pfn))!;
    const base = BigInt(r.layout.startInfo.pfn) << 12n;
    const info = decode(HVM_START_INFO, si);
    expect(info).toMatchObject({ magic: HVM_START_MAGIC, nr_modules: 1, cmdline_paddr: 0n, rsdp_paddr: 0n, modlist_paddr: base + 56n });
    const mod = decode(HVM_MODLIST_ENTRY, si, 56);
    expect(mod).toMatchObject({ paddr: 0x103000n, size: 0x20000n });
    const cmd = Number((mod.cmdline_paddr as bigint) - base);
    expect(si.subarray(cmd, cmd + 9).toString('latin1')).toBe('firmware\0');
    expect(f.pages.get(0x9fn)!.subarray(0x800, 0x808).toString()).toBe('HVM INFO');
    expect(f.params.get(HVM_BUILD_PARAM.nr_ioreq_server_pages)).toBe(8n);
    expect(f.params.get(HVM_BUILD_PARAM.ioreq_server_pfn)).toBe(0xfeff0n);
    expect(f.contexts).toHaveLength(1);
    expect(decode(HVM_HW_CPU, f.contexts[0], 40)).toMatchObject({ rip: 0x100000n, rbx: base });
  });
});
