// libxl host facts (physinfo, MiB figures, virt_caps, PCI topology) and the
// console ring reader, over the privcmd test double and small fakes.
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { asCString, readConsoleRing, type ConsoleXc } from '../../../src/libxl/domain/console-ring.js';
import {
  armSveVectorLength, getPciTopology, getPhysInfo, getSchedulerName, listPciDevices, memoryMiB, virtCaps,
  type HostPhysInfo,
} from '../../../src/libxl/host/host-info.js';
import { PrivcmdError } from '../../../src/privcmd/errors.js';
import type { PhysInfo } from '../../../src/privcmd/info.js';
import { XenCtrl } from '../../../src/privcmd/xenctrl.js';
import { FakeXen, type FakeXenConfig } from '../privcmd/fake-xen.js';

const CFG: FakeXenConfig = { major: 4, minor: 17, domctlVersion: 0x15, sysctlVersion: 0x15, domains: [{ domid: 0 }] };
const xcOn = (xen: FakeXen) => XenCtrl.open({ transport: xen });

const caps = (on: string[]): PhysInfo['caps'] => {
  const all = ['hvm', 'pv', 'directio', 'hap', 'shadow', 'iommu_hap_pt_share', 'vmtrace', 'vpmu', 'gnttab_v1', 'gnttab_v2'];
  return Object.fromEntries(all.map((k) => [k, on.includes(k)])) as PhysInfo['caps'];
};

describe('virtCaps', () => {
  it('lists words in xl order', () => {
    expect(virtCaps({ caps: caps(['gnttab_v2', 'shadow', 'pv', 'hvm', 'hap', 'gnttab_v1']) }))
      .toEqual(['pv', 'hvm', 'hap', 'shadow', 'gnttab-v1', 'gnttab-v2']);
  });
  it('names directio once per guest kind that has it', () => {
    expect(virtCaps({ caps: caps(['directio']) })).toEqual([]);
    expect(virtCaps({ caps: caps(['pv', 'directio']) })).toEqual(['pv', 'pv_directio']);
    expect(virtCaps({ caps: caps(['hvm', 'pv', 'directio', 'iommu_hap_pt_share', 'vmtrace', 'vpmu']) }))
      .toEqual(['pv', 'hvm', 'hvm_directio', 'pv_directio', 'iommu_hap_pt_share', 'vmtrace', 'vpmu']);
  });
});

describe('physinfo and memory', () => {
  it('adds the sharing counters to Xen physinfo', () => {
    const p = getPhysInfo(xcOn(new FakeXen(CFG)));
    expect(p).toMatchObject({ nrCpus: 8, maxCpuId: 7, cpuKhz: 2400123, totalPages: 1048576, sharingFreedPages: 512, sharingUsedFrames: 256 });
  });

  it('reads 0 for the sharing counters when Xen lacks mem-sharing (ENOSYS)', () => {
    const p = getPhysInfo(xcOn(new FakeXen({ ...CFG, sharingErrno: 38 })));
    expect([p.sharingFreedPages, p.sharingUsedFrames]).toEqual([0, 0]);
  });

  it('fails on other sharing errors', () => {
    expect(() => getPhysInfo(xcOn(new FakeXen({ ...CFG, sharingErrno: 1 })))).toThrow(PrivcmdError);
  });

  const phys = (o: Partial<HostPhysInfo>): HostPhysInfo =>
    ({ totalPages: 0, freePages: 0, outstandingPages: 0, sharingFreedPages: 0, sharingUsedFrames: 0, ...o }) as HostPhysInfo;

  it('turns pages into whole MiB; free memory excludes outstanding claims', () => {
    const m = memoryMiB(phys({ totalPages: 1048576, freePages: 524288, outstandingPages: 257, sharingFreedPages: 511, sharingUsedFrames: 256 }), 4096);
    expect(m).toEqual({ total: 4096n, free: 2046n, sharingFreed: 1n, sharingUsed: 1n, outstandingClaims: 1n });
  });

  it('wraps free - outstanding as a uint64_t, like the C xl', () => {
    expect(memoryMiB(phys({ freePages: 0, outstandingPages: 256 }), 4096).free).toBe(((1n << 64n) - 256n) / 256n);
  });

  it('divides by 1 MiB / pagesize for other page sizes', () => {
    expect(memoryMiB(phys({ totalPages: 4096 }), 65536).total).toBe(256n);
  });

  it('names the scheduler as libxl does, null for an unknown id', () => {
    expect(getSchedulerName({ schedId: () => 6 } as never)).toBe('credit2');
    expect(getSchedulerName({ schedId: () => 5 } as never)).toBe('credit');
    expect(getSchedulerName({ schedId: () => 42 } as never)).toBeNull();
  });

  it('reads the Arm SVE vector length from arch_capabilities', () => {
    expect(armSveVectorLength(0)).toBe(0);
    expect(armSveVectorLength(4)).toBe(512);
    expect(armSveVectorLength(0xffffffe0 | 16)).toBe(2048);
  });
});

/** FakeXen plus XEN_SYSCTL_pcitopoinfo at gcc offsets (u@8: num_devs@8 devs@16 nodes@24). */
class PciFakeXen extends FakeXen {
  perCall = Infinity;
  pciCalls = 0;
  constructor(cfg: FakeXenConfig, readonly nodeOf: (seg: number, bus: number, devfn: number) => number) {
    super(cfg);
  }
  override issue(op: number, args: readonly bigint[], what: string): number {
    if (op !== 35) return super.issue(op, args, what);
    const b = this.mem.at(args[0], 136);
    if (b.readUInt32LE(0) !== 22) return super.issue(op, args, what);
    if (b.readUInt32LE(4) !== this.cfg.sysctlVersion) throw new PrivcmdError(13, what);
    this.pciCalls++;
    const n = Math.min(b.readUInt32LE(8), this.perCall);
    const devs = this.mem.at(b.readBigUInt64LE(16), n * 4);
    const nodes = this.mem.at(b.readBigUInt64LE(24), n * 4);
    for (let i = 0; i < n; i++) {
      nodes.writeUInt32LE(this.nodeOf(devs.readUInt16LE(i * 4), devs[i * 4 + 2], devs[i * 4 + 3]), i * 4);
    }
    b.writeUInt32LE(n, 8);
    return 0;
  }
}

describe('PCI topology', () => {
  const dir = mkdtempSync(join(tmpdir(), 'xl-pci-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('lists devices from the sysfs directory names', () => {
    for (const n of ['0000:00:01.0', '0000:00:1f.3', '0001:02:03.7']) mkdirSync(join(dir, n));
    const devs = listPciDevices(dir)!;
    expect([...devs].sort((a, b) => a.seg - b.seg || a.bus - b.bus || a.devfn - b.devfn)).toEqual([
      { seg: 0, bus: 0, devfn: 0x08 },
      { seg: 0, bus: 0, devfn: 0xfb },
      { seg: 1, bus: 2, devfn: 0x1f },
    ]);
  });

  it('is null where there is no such directory (BSD dom0s)', () => {
    expect(listPciDevices(join(dir, 'absent'))).toBeNull();
    expect(getPciTopology({} as never, null)).toBeNull();
  });

  it('asks Xen for each device node, continuing where Xen stopped', () => {
    // 0x...ff: XEN_INVALID_NODE_ID; 0x...fe: XEN_INVALID_DEV (unknown to Xen).
    const xen = new PciFakeXen(CFG, (_s, bus, devfn) => (bus === 0 ? devfn >> 3 : bus === 1 ? 0xffffffff : 0xfffffffe));
    xen.perCall = 2;
    const devs = [
      { seg: 0, bus: 0, devfn: 0x08 }, { seg: 0, bus: 0, devfn: 0x18 }, { seg: 0, bus: 1, devfn: 0 },
      { seg: 0, bus: 2, devfn: 0 }, { seg: 0, bus: 0, devfn: 0x28 },
    ];
    expect(getPciTopology(xcOn(xen), devs)).toEqual([
      { seg: 0, bus: 0, devfn: 0x08, node: 1 }, { seg: 0, bus: 0, devfn: 0x18, node: 3 },
      { seg: 0, bus: 1, devfn: 0, node: null }, { seg: 0, bus: 2, devfn: 0, node: null },
      { seg: 0, bus: 0, devfn: 0x28, node: 5 },
    ]);
    expect(xen.pciCalls).toBe(3);
  });

  it('makes no hypercall for no devices', () => {
    const xen = new PciFakeXen(CFG, () => 0);
    expect(getPciTopology(xcOn(xen), [])).toEqual([]);
    expect(xen.pciCalls).toBe(0);
  });
});

/** Xen's read_console_ring: a ring of `size` bytes with producer and consumer counters. */
class FakeRing implements ConsoleXc {
  prod = 0;
  cons = 0;
  reads: { index: number; size: number; clear: boolean }[] = [];
  private readonly ring: Buffer;
  constructor(readonly size = 64) {
    this.ring = Buffer.alloc(size);
  }
  log(s: string | Buffer): void {
    for (const b of Buffer.from(s as string, 'latin1')) this.ring[this.prod++ % this.size] = b;
    if (this.prod - this.cons > this.size) this.cons = this.prod - this.size;
  }
  readConsole(o: { clear?: boolean; incremental?: boolean; index?: number; size?: number }) {
    this.reads.push({ index: o.index ?? 0, size: o.size ?? 0, clear: !!o.clear });
    let c = this.cons;
    const i = o.index ?? 0;
    if (o.incremental && c < i && i <= this.prod) c = i;
    const out: number[] = [];
    while (c !== this.prod && out.length < (o.size ?? 16384)) out.push(this.ring[c++ % this.size]);
    if (o.clear) this.cons = c;
    return { text: Buffer.from(out).toString('latin1'), index: c };
  }
}

describe('console ring', () => {
  const all = (xc: ConsoleXc, clear = false) => Buffer.concat([...readConsoleRing(xc, { clear })]).toString('latin1');

  it('reads the whole ring from index 0 in 16 KiB requests until Xen returns nothing', () => {
    const r = new FakeRing(40000);
    const text = 'x'.repeat(20000) + 'end\n';
    r.log(text);
    expect(all(r)).toBe(text);
    expect(r.reads.map((x) => [x.index, x.size])).toEqual([[0, 16384], [16384, 16384], [20004, 16384]]);
  });

  it('keeps bytes as Xen wrote them', () => {
    const r = new FakeRing();
    r.log(Buffer.from([0x41, 0xe9, 0xff, 0x0a]));
    expect([...Buffer.concat([...readConsoleRing(r)])]).toEqual([0x41, 0xe9, 0xff, 0x0a]);
  });

  it('without clear leaves the ring as it was; with clear the next read shows only new lines', () => {
    const r = new FakeRing();
    r.log('one\ntwo\n');
    expect(all(r)).toBe('one\ntwo\n');
    expect(all(r)).toBe('one\ntwo\n');
    expect(all(r, true)).toBe('one\ntwo\n');
    expect(all(r)).toBe('');
    r.log('three\n');
    expect(all(r)).toBe('three\n');
  });

  it('after the ring wrapped, shows its last `size` bytes', () => {
    const r = new FakeRing(8);
    r.log('0123456789ab');
    expect(all(r)).toBe('456789ab');
  });

  it('cuts a chunk at a NUL as printf("%s") does', () => {
    expect(asCString(Buffer.from('ab\0cd')).toString()).toBe('ab');
    expect(asCString(Buffer.from('abcd')).toString()).toBe('abcd');
  });
});
