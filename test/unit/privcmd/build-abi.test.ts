// Build hypercall encodings: offsets pinned to gcc offsetof() values from the
// Xen public headers (x86_64), and BuildCalls' argument bytes as Xen reads them.
import { describe, expect, it } from 'vitest';
import {
  BUILD_STRUCTS, CREATEDOMAIN_X86, DOMCTL_BUILD_STRUCTS, START_INFO_X86_64, VCPU_GUEST_CONTEXT_X86_64,
} from '../../../src/privcmd/build-abi.js';
import { BuildCalls } from '../../../src/privcmd/build-calls.js';
import { offsetOf } from '../../../src/privcmd/layout.js';
import { XenCtrl } from '../../../src/privcmd/xenctrl.js';
import type { ForeignMapping, Transport } from '../../../src/privcmd/transport.js';
import { FakeAllocator, FakeMemory } from './fake-xen.js';

describe('build ABI layouts (x86_64)', () => {
  it('createdomain before and after the altp2m field', () => {
    const a = CREATEDOMAIN_X86[0x15];
    expect([a.fields.flags.offset, a.fields.max_vcpus.offset, a.fields.grant_opts.offset,
      a.fields.vmtrace_size.offset, a.fields.cpupool_id.offset, a.fields.arch.offset, a.size]).toEqual([20, 28, 44, 48, 52, 56, 64]);
    const b = CREATEDOMAIN_X86[0x17];
    expect([b.fields.altp2m_opts.offset, b.fields.vmtrace_size.offset, b.fields.cpupool_id.offset, b.fields.arch.offset, b.size])
      .toEqual([48, 52, 56, 60, 68]);
  });
  it('vcpu_guest_context', () => {
    const L = VCPU_GUEST_CONTEXT_X86_64;
    expect(L.fields.flags.offset).toBe(512);
    expect(offsetOf(L, 'user_regs.rsi')).toBe(520 + 104);
    expect(offsetOf(L, 'user_regs.rip')).toBe(520 + 128);
    expect(offsetOf(L, 'user_regs.cs')).toBe(520 + 136);
    expect(offsetOf(L, 'user_regs.rflags')).toBe(520 + 144);
    expect(offsetOf(L, 'user_regs.rsp')).toBe(520 + 152);
    expect(offsetOf(L, 'user_regs.ss')).toBe(520 + 160);
    expect(offsetOf(L, 'user_regs.gs')).toBe(520 + 192);
    expect(L.fields.trap_ctxt.offset).toBe(720);
    expect(L.fields.kernel_ss.offset).toBe(4968);
    expect(L.fields.ctrlreg.offset).toBe(4984);
    expect(L.fields.debugreg.offset).toBe(5048);
    expect(L.fields.gs_base_user.offset).toBe(5160);
    expect(L.size).toBe(5168);
  });
  it('start_info', () => {
    const f = START_INFO_X86_64.fields;
    expect([f.nr_pages.offset, f.shared_info.offset, f.flags.offset, f.store_mfn.offset, f.store_evtchn.offset,
      f.console_mfn.offset, f.console_evtchn.offset, f.pt_base.offset, f.nr_pt_frames.offset, f.mfn_list.offset,
      f.mod_start.offset, f.mod_len.offset, f.cmd_line.offset, f.first_p2m_pfn.offset, f.nr_p2m_frames.offset])
      .toEqual([32, 40, 48, 56, 64, 72, 80, 88, 96, 104, 112, 120, 128, 1152, 1160]);
    expect(START_INFO_X86_64.size).toBe(1168);
  });
  it('small argument structs', () => {
    expect(BUILD_STRUCTS.memory_reservation.fields.domid.offset).toBe(24);
    expect(BUILD_STRUCTS.memory_reservation.size).toBe(32);
    expect(BUILD_STRUCTS.gnttab_setup_table.fields.frame_list.offset).toBe(16);
    expect(BUILD_STRUCTS.mmuext_op.size).toBe(24);
    expect(BUILD_STRUCTS.evtchn_alloc_unbound.fields.port.offset).toBe(4);
    expect(DOMCTL_BUILD_STRUCTS.vcpucontext.fields.ctxt.offset).toBe(8);
  });
});

/** Records each hypercall and lets a handler answer it by editing memory. */
function recorder(version: number, handle: (op: number, args: readonly bigint[], mem: FakeMemory) => number) {
  const mem = new FakeMemory();
  const calls: { op: number; args: readonly bigint[] }[] = [];
  const t: Transport = {
    buffers: new FakeAllocator(mem),
    issue(op, args) { calls.push({ op, args }); return handle(op, args, mem); },
    mapForeignPages(): ForeignMapping { throw new Error('no'); },
    close() {},
  };
  const xc = new XenCtrl(t, { xen: { major: 4, minor: 17 }, domctlVersion: version, sysctlVersion: 0x15, how: 'assumed' }, 'x64');
  return { calls, bc: new BuildCalls(xc), mem };
}

describe('BuildCalls', () => {
  it('createdomain writes the 4.17 struct and reads the new domid back', () => {
    let seen: Buffer | undefined;
    const { bc } = recorder(0x15, (op, args, mem) => {
      expect(op).toBe(36);
      const b = mem.at(args[0], 16 + 64);
      seen = Buffer.from(b);
      b.writeUInt16LE(7, 8);
      return 0;
    });
    const handle = Uint8Array.from({ length: 16 }, (_, i) => i + 1);
    const domid = bc.createDomain({ handle, flags: 0, maxVcpus: 2, maxEvtchnPort: 1023, maxGrantFrames: 64,
      maxMaptrackFrames: 1024, grantOpts: 2 });
    expect(domid).toBe(7);
    const s = seen!;
    expect(s.readUInt32LE(0)).toBe(1);        // cmd
    expect(s.readUInt32LE(4)).toBe(0x15);     // interface_version
    expect([...s.subarray(16 + 4, 16 + 20)]).toEqual([...handle]);
    expect(s.readUInt32LE(16 + 28)).toBe(2);
    expect(s.readUInt32LE(16 + 32)).toBe(1023);
    expect(s.readInt32LE(16 + 36)).toBe(64);
    expect(s.readInt32LE(16 + 40)).toBe(1024);
    expect(s.readUInt32LE(16 + 44)).toBe(2);
  });

  it('populate_physmap sends the gpfns and returns the MFNs Xen wrote back', () => {
    const { bc } = recorder(0x15, (op, args, mem) => {
      expect(op).toBe(12);
      expect(args[0]).toBe(6n);
      const r = mem.at(args[1], 32);
      const n = Number(r.readBigUInt64LE(8));
      expect(r.readUInt16LE(24)).toBe(5);
      const list = mem.at(r.readBigUInt64LE(0), n * 8);
      for (let i = 0; i < n; i++) list.writeBigUInt64LE(list.readBigUInt64LE(i * 8) + 0x1000n, i * 8);
      return n;
    });
    expect(bc.populatePhysmap(5, [0n, 1n, 2n])).toEqual([0x1000n, 0x1001n, 0x1002n]);
  });

  it('populate_physmap short of memory is an error', () => {
    const { bc } = recorder(0x15, () => 1);
    expect(() => bc.populatePhysmap(5, [0n, 1n])).toThrow(/got 1 of 2/);
  });

  it('populate_physmap with partial: the extents Xen gave, no error', () => {
    const { bc } = recorder(0x15, (_op, args, mem) => {
      const r = mem.at(args[1], 32);
      expect(r.readUInt32LE(16)).toBe(9); // extent_order
      mem.at(r.readBigUInt64LE(0), 8).writeBigUInt64LE(0x200n, 0);
      return 1;
    });
    expect(bc.populatePhysmap(5, [0n, 512n, 1024n], 9, 0, { partial: true })).toEqual([0x200n]);
  });

  it('alloc_unbound returns the port; mmuext pins for the foreign domain', () => {
    const { bc, calls } = recorder(0x15, (op, args, mem) => {
      if (op === 32) {
        const b = mem.at(args[1], 8);
        expect([b.readUInt16LE(0), b.readUInt16LE(2)]).toEqual([9, 0]);
        b.writeUInt32LE(3, 4);
      }
      if (op === 26) {
        const b = mem.at(args[0], 24);
        expect(b.readUInt32LE(0)).toBe(3);
        expect(b.readBigUInt64LE(8)).toBe(0xabcn);
      }
      return 0;
    });
    expect(bc.evtchnAllocUnbound(9, 0)).toBe(3);
    bc.mmuextOp(9, 3, 0xabcn);
    expect(calls[1].args.slice(1)).toEqual([1n, 0n, 9n]);
  });
});
