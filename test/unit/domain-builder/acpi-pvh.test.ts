// PVH ACPI tables without Xen: the structure a guest walks (RSDP -> XSDT/RSDT
// -> FADT/MADT -> FACS/DSDT), checksums, the acpi_info page, placement, and
// byte-for-byte pins against what the C toolstack produces.
//
// Where the pinned values come from (development time only, nothing here runs them):
// - DSDT_SHA256: the dsdt_pvh table embedded in Debian's libxenlight.so
//   (xen 4.17.7+13 in Debian 12, built with iasl 20200925; xen 4.20.4+63 in
//   Debian 13, iasl 20250404), cut out at its "DSDT" signature. Recompiling
//   `mk_dsdt --maxcpu any --dm-version none` output from those tags with
//   acpica-tools 20200925 gave the same bytes (bar the iasl version and
//   checksum for 4.20); the PR01 and \_GPE byte strings are from iasl's listing.
// - ALL_MODULES_SHA256: libacpi's build.c and static_tables.c from
//   RELEASE-4.17.7 / RELEASE-4.20.4 compiled with a harness that mirrors
//   libxl_x86_acpi.c's allocator and config (zeroed buffers, acpi_revision 5,
//   lapic_id = 2 * cpu, no table flags), fed the DSDTs above: sha256 of
//   rsdp (64) + info (4096) + tables.
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  ACPI_HEADER, ACPI_INFO, ACPI_INFO_PHYSICAL_ADDRESS, FACS, FADT, FADT_BOOT_ARCH, FADT_FLAGS, FADT_V1,
  LAPIC_BASE_ADDRESS, MADT, MADT_LAPIC, PVH_DSDT_FLAVOURS, RSDP, RSDP_BIOS_ADDRESS, buildPvhAcpi, buildPvhDsdt,
  type PvhAcpi, type PvhAcpiInput,
} from '../../../src/domain-builder/acpi-pvh.js';
import { decode, type Decoded } from '../../../src/privcmd/layout.js';

const DSDT_SHA256 = {
  '4.17': 'e360245af922701106b6c2585f6e7a97a709b8fd8539c50bd5e69184d8830b20', // 27803 bytes
  '4.20': '424a2d320e38aff474aaf67175d8a5b05fcf292c1becec588dd0be34469da9d0', // 17945 bytes
};
const ALL_MODULES_SHA256 = {
  '4.17, 2 vcpus': '4d01013e5b849881d0ed6c7dffa170738503899aa40f04acdd6777ee3fb5c3f3',
  '4.20, 2 vcpus': '2d44ac921b02c7fbf2f3e0592562886d17c5f9ce633b867dfe828195ea27de40',
  '4.17, 1 vcpu, no apic': '78c028e7f7b43775e3208994f47da03d6c4f3076094dbe0dcc719000d53b6873',
};
// Processor (PR01, 1, 0xb010, 6) with _HID, _UID, MATR region and fields, _MAT, _STA, _EJ0.
const PR01_AML = '5b834508505230310110b0000006085f4849440d414350493030303700085f554944015b804d41545200724d4150410a08000a08'
  + '5b810c4d415452014d41545f40045b810d4d415452010020464c475f0114105f4d415400a4504d4154014d41545f14195f53544100a0109501'
  + '4e435055a008464c475fa40a0fa400140a5f454a30015b220ac8';
// Scope (\_GPE) { Method (_E02) { \_SB.PRSC () } }: the last bytes of the 4.17 DSDT.
const GPE_AML = '10165f47504514105f453032005c2e5f53425f50525343';

const sha256 = (...bufs: Buffer[]) => createHash('sha256').update(Buffer.concat(bufs)).digest('hex');
const build = (over: Partial<PvhAcpiInput> = {}) => buildPvhAcpi({ nrVcpus: 2, apic: true, rsdpInBiosArea: false, ...over });

/** The guest's view: physical memory holding the three modules. */
function memory(acpi: PvhAcpi) {
  const at = (paddr: bigint | number, len: number): Buffer => {
    const p = BigInt(paddr);
    for (const m of acpi.modules) {
      if (p >= m.paddr && p + BigInt(len) <= m.paddr + BigInt(m.data.length)) {
        const off = Number(p - m.paddr);
        return m.data.subarray(off, off + len);
      }
    }
    throw new Error(`0x${p.toString(16)}+${len} is in no module`);
  };
  const sum = (b: Buffer) => b.reduce((s, x) => (s + x) & 0xff, 0);
  /** A table by address: its header, whole bytes, and the byte sum (0 when the checksum is right). */
  const table = (paddr: bigint | number) => {
    const header = decode(ACPI_HEADER, at(paddr, ACPI_HEADER.size));
    const bytes = at(paddr, header.length as number);
    return { header, bytes, sum: sum(bytes) };
  };
  return { at, sum, table };
}

function walk(acpi: PvhAcpi) {
  const mem = memory(acpi);
  const rsdp = decode(RSDP, mem.at(acpi.rsdpPaddr, RSDP.size));
  const xsdt = mem.table(rsdp.xsdt_address as bigint);
  const rsdt = mem.table(rsdp.rsdt_address as number);
  const xEntries = Array.from({ length: ((xsdt.header.length as number) - ACPI_HEADER.size) / 8 },
    (_, i) => xsdt.bytes.readBigUInt64LE(ACPI_HEADER.size + 8 * i));
  const rEntries = Array.from({ length: ((rsdt.header.length as number) - ACPI_HEADER.size) / 4 },
    (_, i) => rsdt.bytes.readUInt32LE(ACPI_HEADER.size + 4 * i));
  return { mem, rsdp, xsdt, rsdt, xEntries, rEntries };
}

describe('buildPvhAcpi structure', () => {
  it('returns rsdp, info and tables in libxl order with libxl sizes and addresses', () => {
    const acpi = build();
    expect(acpi.modules.map((m) => m.name)).toEqual(['rsdp', 'info', 'tables']);
    const [rsdp, info, tables] = acpi.modules;
    expect(rsdp.data.length).toBe(64);
    expect(info.paddr).toBe(ACPI_INFO_PHYSICAL_ADDRESS);
    expect(info.data.length).toBe(4096);
    expect(tables.paddr).toBe(ACPI_INFO_PHYSICAL_ADDRESS + 4096n);
    expect(tables.data.length % 4096).toBe(0);
    // The RSDP goes on the page right after the tables.
    expect(acpi.rsdpPaddr).toBe(tables.paddr + BigInt(tables.data.length));
    expect(rsdp.paddr).toBe(acpi.rsdpPaddr);
    expect(ACPI_INFO_PHYSICAL_ADDRESS).toBe(0xfc000000n);
    expect(LAPIC_BASE_ADDRESS).toBe(0xfee00000n);
  });

  it('puts the RSDP at 0xFFFC0 for Linux kernels that only scan the BIOS area', () => {
    const acpi = build({ rsdpInBiosArea: true });
    expect(acpi.rsdpPaddr).toBe(0xfffc0n);
    expect(RSDP_BIOS_ADDRESS).toBe(0xfffc0n);
    expect(acpi.modules[0].paddr).toBe(0xfffc0n);
    // The rest is unchanged.
    const after = build();
    expect(acpi.modules[2].data.equals(after.modules[2].data)).toBe(true);
    expect(walk(acpi).rsdp.signature).toBe('RSD PTR ');
  });

  it('has a valid RSDP pointing at the XSDT and RSDT, and every table checksums to 0', () => {
    for (const nrVcpus of [1, 2, 7, 128]) {
      const acpi = build({ nrVcpus });
      const { mem, rsdp, xsdt, rsdt, xEntries, rEntries } = walk(acpi);
      const raw = mem.at(acpi.rsdpPaddr, RSDP.size);
      expect(rsdp).toMatchObject({ signature: 'RSD PTR ', oem_id: 'Xen', revision: 2, length: 36 });
      expect(mem.sum(raw.subarray(0, 20))).toBe(0);
      expect(mem.sum(raw)).toBe(0);
      expect(xsdt.header).toMatchObject({ signature: 'XSDT', revision: 1, oem_id: 'Xen', oem_table_id: 'HVM', creator_id: 'HVML' });
      expect(rsdt.header).toMatchObject({ signature: 'RSDT', revision: 1 });
      expect(xsdt.sum).toBe(0);
      expect(rsdt.sum).toBe(0);
      // FADT first, then the MADT: nothing else for PVH.
      expect(xEntries.map((a) => mem.table(a).header.signature)).toEqual(['FACP', 'APIC']);
      expect(rEntries.map((a) => mem.table(a).header.signature)).toEqual(['FACP', 'APIC']);
      expect(BigInt(rEntries[1])).toBe(xEntries[1]);
      for (const a of [...xEntries, ...rEntries]) expect(mem.table(a).sum).toBe(0);
      const fadt = decode(FADT, mem.at(xEntries[0], FADT.size));
      expect(mem.table(fadt.dsdt as number).sum).toBe(0);
      // Every table lies inside the tables module, 16-byte aligned.
      for (const a of [...xEntries, BigInt(fadt.dsdt as number), BigInt(rsdp.xsdt_address as bigint)]) {
        expect(a % 16n).toBe(0n);
        expect(a >= acpi.modules[2].paddr).toBe(true);
      }
    }
  });

  it('builds the revision 5 FADT and a revision 1 copy for the RSDT', () => {
    const { mem, xEntries, rEntries } = walk(build());
    const fadt = decode(FADT, mem.at(xEntries[0], FADT.size));
    const v1 = decode(FADT_V1, mem.at(rEntries[0], FADT_V1.size));
    expect((fadt.header as Decoded).length).toBe(268);
    expect((fadt.header as Decoded).revision).toBe(5);
    expect((v1.header as Decoded).length).toBe(116);
    expect((v1.header as Decoded).revision).toBe(1);
    const want = FADT_FLAGS.wbinvd | FADT_FLAGS.procC1 | FADT_FLAGS.fixRtc | FADT_FLAGS.tmrValExt
      | FADT_FLAGS.usePlatformClock;
    // No ACPI_HAS_BUTTONS: the XSDT's FADT says there are no control-method buttons...
    expect(fadt.flags).toBe(want | FADT_FLAGS.pwrButton | FADT_FLAGS.slpButton);
    expect(fadt.flags).toBe(0x8175);
    // ...and not hardware-reduced: libacpi never sets that flag.
    expect((fadt.flags as number) & FADT_FLAGS.hwReduced).toBe(0);
    expect(fadt.iapc_boot_arch).toBe(FADT_BOOT_ARCH.noVga | FADT_BOOT_ARCH.noCmosRtc);
    // No ACPI_HAS_PMTIMER.
    expect(fadt).toMatchObject({ pm_tmr_blk: 0, pm_tmr_len: 0, sci_int: 9, pm1a_evt_blk: 0xb000, pm1a_cnt_blk: 0xb004, gpe0_blk: 0xafe0 });
    expect(fadt.x_pm_tmr_blk).toMatchObject({ address_space_id: 0, register_bit_width: 0, address: 0n });
    expect(fadt.x_pm1a_evt_blk).toMatchObject({ address_space_id: 1, register_bit_width: 32, address: 0xb000n });
    expect(fadt.reset_reg).toMatchObject({ address_space_id: 1, register_bit_width: 8, address: 0xcf9n });
    expect(fadt.reset_value).toBe(6);
    // The revision 1 copy is taken from the template before those adjustments.
    expect(v1).toMatchObject({ flags: want, pm_tmr_blk: 0xb008, pm_tmr_len: 4, iapc_boot_arch: 0 });
    // Both point at the same FACS and DSDT.
    expect(fadt.dsdt).toBe(v1.dsdt);
    expect(fadt.x_dsdt).toBe(BigInt(fadt.dsdt as number));
    expect(fadt.x_firmware_ctrl).toBe(BigInt(fadt.firmware_ctrl as number));
    expect(v1.firmware_ctrl).toBe(fadt.firmware_ctrl);
    const facs = decode(FACS, mem.at(fadt.firmware_ctrl as number, FACS.size));
    expect(facs).toMatchObject({ signature: 'FACS', length: 64, version: 1 });
    expect((fadt.firmware_ctrl as number) % 64).toBe(0);
    expect(fadt.firmware_ctrl).toBe(0xfc001000); // first allocation, at the start of the tables
  });

  it('lists one enabled local APIC per vCPU with APIC id 2 * cpu', () => {
    for (const nrVcpus of [1, 2, 5]) {
      const { mem, xEntries } = walk(build({ nrVcpus }));
      const madt = mem.table(xEntries[1]);
      const head = decode(MADT, madt.bytes);
      expect(head.lapic_addr).toBe(0xfee00000);
      expect(head.flags).toBe(1); // PCAT_COMPAT
      expect((head.header as Decoded).revision).toBe(2);
      expect(madt.bytes.length).toBe(MADT.size + nrVcpus * MADT_LAPIC.size); // no IO-APIC, no overrides
      const lapics = Array.from({ length: nrVcpus }, (_, i) => decode(MADT_LAPIC, madt.bytes, MADT.size + 8 * i));
      expect(lapics).toEqual(lapics.map((_, cpu) => ({ type: 0, length: 8, acpi_processor_id: cpu, apic_id: cpu * 2, flags: 1 })));
    }
  });

  it('disables MADT entries of vCPUs not in onlineVcpus (avail_vcpus)', () => {
    const { mem, xEntries } = walk(build({ nrVcpus: 4, onlineVcpus: [0, 2] }));
    const madt = mem.table(xEntries[1]);
    expect(madt.sum).toBe(0);
    const flags = [0, 1, 2, 3].map((i) => decode(MADT_LAPIC, madt.bytes, MADT.size + 8 * i).flags);
    expect(flags).toEqual([1, 0, 1, 0]);
  });

  it('fills acpi_info with the vCPU count and MADT addresses the DSDT reads', () => {
    const acpi = build({ nrVcpus: 3 });
    const { mem, xEntries } = walk(acpi);
    const info = decode(ACPI_INFO, acpi.modules[1].data);
    expect(info).toMatchObject({
      present: 0, nr_cpus: 3, pci_min: 0, pci_len: 0, vm_gid_addr: 0, pci_hi_min: 0n, pci_hi_len: 0n,
      madt_csum_addr: Number(xEntries[1]) + 9, madt_lapic0_addr: Number(xEntries[1]) + 44,
    });
    expect(decode(MADT_LAPIC, mem.at(info.madt_lapic0_addr as number, 8))).toMatchObject({ apic_id: 0 });
    expect(acpi.modules[1].data.subarray(ACPI_INFO.size).every((b) => b === 0)).toBe(true);
  });

  it('leaves the MADT out for one vCPU without an APIC (and NCPU at 0)', () => {
    const acpi = build({ nrVcpus: 1, apic: false });
    const { xEntries, rEntries } = walk(acpi);
    expect(xEntries).toHaveLength(1);
    expect(rEntries).toHaveLength(1);
    expect(decode(ACPI_INFO, acpi.modules[1].data)).toMatchObject({ nr_cpus: 0, madt_csum_addr: 0, madt_lapic0_addr: 0 });
    // Two vCPUs get one even without an APIC.
    expect(walk(build({ nrVcpus: 2, apic: false })).xEntries).toHaveLength(2);
  });

  it('places the tables as libxl does for 1 and 2 vCPUs', () => {
    const addrs = (acpi: PvhAcpi) => {
      const { rsdp, xEntries, rEntries, mem } = walk(acpi);
      const fadt = decode(FADT, mem.at(xEntries[0], FADT.size));
      return [fadt.firmware_ctrl, fadt.dsdt, rEntries[0], Number(xEntries[0]), Number(xEntries[1]),
        Number(rsdp.xsdt_address), rsdp.rsdt_address, Number(acpi.rsdpPaddr)].map((a) => (a as number).toString(16));
    };
    //          FACS        DSDT        FADT v1     FADT v5     MADT        XSDT        RSDT        RSDP
    expect(addrs(build({ nrVcpus: 1 }))).toEqual(
      ['fc001000', 'fc001040', 'fc007ce0', 'fc007d60', 'fc007e70', 'fc007f50', 'fc007f90', 'fc008000']);
    expect(addrs(build({ nrVcpus: 2 }))).toEqual(
      ['fc001000', 'fc001040', 'fc007ce0', 'fc007d60', 'fc007e70', 'fc007f60', 'fc007fa0', 'fc008000']);
    expect(addrs(build({ nrVcpus: 2, dsdt: PVH_DSDT_FLAVOURS['4.20'] }))).toEqual(
      ['fc001000', 'fc001040', 'fc005660', 'fc0056e0', 'fc0057f0', 'fc0058e0', 'fc005920', 'fc006000']);
  });

  it('refuses vCPU counts outside 1..128', () => {
    expect(() => build({ nrVcpus: 0 })).toThrow(RangeError);
    expect(() => build({ nrVcpus: 129 })).toThrow(/1\.\.128/);
    expect(() => build({ nrVcpus: 1.5 })).toThrow(RangeError);
  });
});

describe('PVH DSDT', () => {
  it('equals the dsdt_pvh of Debian\'s libxenlight (4.17 and 4.20)', () => {
    const d17 = buildPvhDsdt(PVH_DSDT_FLAVOURS['4.17']);
    const d20 = buildPvhDsdt(PVH_DSDT_FLAVOURS['4.20']);
    expect(d17.length).toBe(27803);
    expect(d20.length).toBe(17945);
    expect(sha256(d17)).toBe(DSDT_SHA256['4.17']);
    expect(sha256(d20)).toBe(DSDT_SHA256['4.20']);
    expect(buildPvhDsdt()).toBe(d17); // default flavour, cached
  });

  it('has the header and the iasl byte strings for a processor object and the GPE handler', () => {
    const d = buildPvhDsdt(PVH_DSDT_FLAVOURS['4.17']);
    expect(decode(ACPI_HEADER, d)).toMatchObject({
      signature: 'DSDT', length: d.length, revision: 5, oem_id: 'Xen', oem_table_id: 'HVM', oem_revision: 0,
      creator_id: 'INTL', creator_revision: 0x20200925,
    });
    expect(d.reduce((s, x) => (s + x) & 0xff, 0)).toBe(0);
    expect(d.subarray(0x146, 0x146 + PR01_AML.length / 2).toString('hex')).toBe(PR01_AML);
    expect(d.subarray(d.length - GPE_AML.length / 2).toString('hex')).toBe(GPE_AML);
    // Without CPU hotplug (4.20.2 on) the table ends with the last processor object's _EJ0.
    const d20 = buildPvhDsdt(PVH_DSDT_FLAVOURS['4.20']);
    expect(d20.subarray(d20.length - 11).toString('hex')).toBe('140a5f454a30015b220ac8'); // Method (_EJ0, 1) { Sleep (200) }
    expect(d20.includes(Buffer.from('PRSC'))).toBe(false);
    expect(d.includes(Buffer.from('PRSC'))).toBe(true);
  });

  it('decodes into two \\_SB scopes holding the BIOS region and 128 processor objects', () => {
    for (const flavour of Object.values(PVH_DSDT_FLAVOURS)) {
      const d = buildPvhDsdt(flavour);
      // PkgLength: the top two bits of the lead byte count the extra bytes.
      const pkgLen = (at: number) => {
        const lead = d[at];
        const n = lead >> 6;
        let len = n === 0 ? lead & 0x3f : lead & 0x0f;
        for (let i = 0; i < n; i++) len |= d[at + 1 + i] << (4 + 8 * i);
        return { len, size: n + 1 };
      };
      const top: string[] = [];
      const procs: [string, number][] = [];
      let at = ACPI_HEADER.size;
      while (at < d.length) {
        expect(d[at]).toBe(0x10); // ScopeOp
        const { len, size } = pkgLen(at + 1);
        const end = at + 1 + len;
        top.push(d.subarray(at + 1 + size, at + 1 + size + 4).toString('latin1'));
        // Walk the scope's processor objects (5B 83 PkgLength NameSeg ProcID).
        for (let p = d.indexOf(Buffer.from([0x5b, 0x83]), at); p >= 0 && p < end;) {
          const pl = pkgLen(p + 2);
          procs.push([d.subarray(p + 2 + pl.size, p + 6 + pl.size).toString('latin1'), d[p + 6 + pl.size]]);
          p = d.indexOf(Buffer.from([0x5b, 0x83]), p + 2 + pl.len);
        }
        at = end;
      }
      expect(at).toBe(d.length);
      expect(top).toEqual(flavour.cpuHotplug ? ['_SB_', '_SB_', '_GPE'] : ['_SB_', '_SB_']);
      expect(procs).toHaveLength(128);
      procs.forEach(([n, id], cpu) => expect([n, id]).toEqual([`PR${cpu.toString(16).toUpperCase().padStart(2, '0')}`, cpu]));
      // The BIOS operation region sits at acpi_info and spans it.
      expect(d.subarray(0x24, 0x39).toString('hex')).toBe('1045065f53425f5b8042494f53000c000000fc0a28');
    }
  });

  it('is inside the tables module unchanged', () => {
    for (const [v, flavour] of Object.entries(PVH_DSDT_FLAVOURS)) {
      const acpi = build({ dsdt: flavour });
      const { mem, xEntries } = walk(acpi);
      const fadt = decode(FADT, mem.at(xEntries[0], FADT.size));
      expect(sha256(mem.table(fadt.dsdt as number).bytes), v).toBe(DSDT_SHA256[v as keyof typeof DSDT_SHA256]);
    }
  });
});

describe('byte-for-byte against libacpi', () => {
  const all = (acpi: PvhAcpi) => sha256(...acpi.modules.map((m) => m.data));
  it('matches build.c + libxl allocator output', () => {
    expect(all(build({ nrVcpus: 2 }))).toBe(ALL_MODULES_SHA256['4.17, 2 vcpus']);
    expect(all(build({ nrVcpus: 2, dsdt: PVH_DSDT_FLAVOURS['4.20'] }))).toBe(ALL_MODULES_SHA256['4.20, 2 vcpus']);
    expect(all(build({ nrVcpus: 1, apic: false }))).toBe(ALL_MODULES_SHA256['4.17, 1 vcpu, no apic']);
  });
});
