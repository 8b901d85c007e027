import { describe, expect, it } from 'vitest';
import { PrivcmdError, XenVersionError } from '../../../src/privcmd/errors.js';
import { XenCtrl, detectVersions } from '../../../src/privcmd/xenctrl.js';
import { FakeXen, type FakeDomain, type FakeXenConfig } from './fake-xen.js';

const RELEASES: Record<string, Pick<FakeXenConfig, 'major' | 'minor' | 'domctlVersion' | 'sysctlVersion'>> = {
  '4.17': { major: 4, minor: 17, domctlVersion: 0x15, sysctlVersion: 0x15 },
  '4.18': { major: 4, minor: 18, domctlVersion: 0x16, sysctlVersion: 0x15 },
  '4.19': { major: 4, minor: 19, domctlVersion: 0x17, sysctlVersion: 0x15 },
  '4.20': { major: 4, minor: 20, domctlVersion: 0x17, sysctlVersion: 0x15 },
  '4.21': { major: 4, minor: 21, domctlVersion: 0x17, sysctlVersion: 0x16 },
  '4.22': { major: 4, minor: 22, domctlVersion: 0x18, sysctlVersion: 0x16 },
};

const uuid = Uint8Array.from({ length: 16 }, (_, i) => i * 17);

const DOMS: FakeDomain[] = [
  {
    domid: 0, flags: (1 << 5) | (1 << 8), totPages: 262144n, maxPages: 0xffffffffn, cpuTime: 123456789012345n,
    onlineVcpus: 2, maxVcpuId: 1,
    vcpus: [
      { online: 1, blocked: 0, running: 1, cpuTime: 5_000_000_000n, cpu: 3, hard: [0, 1, 2, 3, 4, 5, 6, 7], soft: [2, 3] },
      { online: 1, blocked: 1, running: 0, cpuTime: 7n, cpu: 5, hard: [5], soft: [0, 1, 2, 3, 4, 5, 6, 7] },
    ],
  },
  // HVM guest, shut down with reason crash (3), paused
  { domid: 3, flags: (1 << 1) | (1 << 2) | (1 << 3) | (3 << 16), totPages: 1000n, maxPages: 2000n, handle: uuid, cpupool: 2, emulationFlags: 0x5ff },
  // PVH guest (HVM container with only LAPIC emulated)
  { domid: 7, flags: (1 << 1) | (1 << 4), totPages: 10n, emulationFlags: 1 },
];

function fake(rel: keyof typeof RELEASES, extra: Partial<FakeXenConfig> = {}): FakeXen {
  return new FakeXen({
    ...RELEASES[rel],
    nextDomainSemantics: rel === '4.17',
    varbuf: Number(rel.split('.')[1]) >= 20,
    domains: DOMS,
    ...extra,
  });
}

const open = (x: FakeXen, assumeRelease?: string): XenCtrl => XenCtrl.open({ transport: x, arch: 'x64', assumeRelease });

describe('version detection', () => {
  for (const rel of Object.keys(RELEASES) as (keyof typeof RELEASES)[]) {
    it(`Xen ${rel} via XENVER_version`, () => {
      const x = fake(rel);
      const d = detectVersions(x);
      expect(d).toEqual({
        xen: { major: RELEASES[rel].major, minor: RELEASES[rel].minor },
        domctlVersion: RELEASES[rel].domctlVersion,
        sysctlVersion: RELEASES[rel].sysctlVersion,
        how: 'xen_version',
      });
      // and the chosen versions are accepted by that hypervisor
      const xc = open(x);
      expect(xc.getDomainInfo(0)?.domid).toBe(0);
      expect(xc.schedId()).toBe(6);
    });
  }

  it('throws a clear error for a hypervisor newer than the table, before any domctl', () => {
    const x = new FakeXen({ major: 4, minor: 23, domctlVersion: 0x19, sysctlVersion: 0x17, domains: DOMS });
    expect(() => open(x)).toThrow('Xen 4.23 is newer than this xl knows (up to 4.22)');
    expect(() => open(x)).toThrow(XenVersionError);
    expect(x.calls.filter((c) => c.op === 36)).toEqual([]);
  });

  it('probes newest-first when XENVER_version is denied', () => {
    const x = fake('4.18', { xenVersionErrno: 1 });
    const d = detectVersions(x);
    expect(d).toEqual({ xen: null, domctlVersion: 0x16, sysctlVersion: 0x15, how: 'probe' });
    const tried = x.calls.filter((c) => c.op === 36).map((c) => c.version);
    expect(tried).toEqual([0x18, 0x17, 0x16]);
    expect(x.calls.filter((c) => c.op === 35).map((c) => c.version)).toEqual([0x16, 0x15]);
  });

  it('probe counts a non-EACCES error (e.g. ESRCH) as "version accepted"', () => {
    // dom0 missing makes getdomaininfo fail ESRCH after the version check passed
    const x = fake('4.22', { xenVersionErrno: 1, domains: [] });
    expect(detectVersions(x).domctlVersion).toBe(0x18);
  });

  it('probe failing everywhere says the hypervisor is probably newer', () => {
    const x = new FakeXen({ major: 4, minor: 23, domctlVersion: 0x19, sysctlVersion: 0x17, domains: DOMS, xenVersionErrno: 1 });
    expect(() => detectVersions(x)).toThrow(/rejected every known interface version.*newer than this xl knows/);
  });

  it('assumeRelease skips detection and uses that row', () => {
    const x = new FakeXen({ major: 4, minor: 23, domctlVersion: 0x18, sysctlVersion: 0x16, domains: DOMS });
    const xc = open(x, '4.22');
    expect(xc.detected).toMatchObject({ how: 'assumed', domctlVersion: 0x18, sysctlVersion: 0x16 });
    expect(xc.listDomains().map((d) => d.domid)).toEqual([0, 3, 7]);
    expect(() => open(x, '4.99')).toThrow(/newer/);
    expect(() => open(x, 'latest')).toThrow(/major\.minor/);
  });

  it('annotates EACCES from a mismatched interface version', () => {
    const x = new FakeXen({ major: 4, minor: 23, domctlVersion: 0x19, sysctlVersion: 0x16, domains: DOMS });
    const xc = open(x, '4.22');
    let err: unknown;
    try { xc.getDomainInfo(0); } catch (e) { err = e; }
    expect(err).toBeInstanceOf(PrivcmdError);
    expect((err as PrivcmdError).code).toBe('EACCES');
    expect((err as PrivcmdError).message).toMatch(/domctl 0x18.*assumed.*interface mismatch/);
  });
});

describe('domains', () => {
  for (const rel of ['4.17', '4.18', '4.22'] as const) {
    it(`getDomainInfo returns null for a missing domain on ${rel}`, () => {
      const xc = open(fake(rel));
      expect(xc.getDomainInfo(5)).toBeNull(); // 4.17 would answer with domain 7
      expect(xc.getDomainInfo(7)?.domid).toBe(7);
      expect(xc.getDomainInfo(8)).toBeNull();
    });
  }

  it('decodes getdomaininfo fields and flags', () => {
    const xc = open(fake('4.19'));
    const d0 = xc.getDomainInfo(0)!;
    expect(d0).toMatchObject({
      domid: 0, running: true, hap: true, paused: false, shutdown: false, dying: false,
      shutdownReason: null, guestType: 'pv', totPages: 262144, maxPages: 0xffffffff,
      outstandingPages: 3, shrPages: 4, pagedPages: 5, sharedInfoFrame: 0xabcdn,
      cpuTime: 123456789012345n, nrOnlineVcpus: 2, maxVcpuId: 1, ssidref: 0x11, gpaddrBits: 48,
    });
    const d3 = xc.getDomainInfo(3)!;
    expect(d3).toMatchObject({
      hvmGuest: true, shutdown: true, paused: true, running: false,
      shutdownReason: 3, shutdownReasonName: 'crash', guestType: 'hvm', cpupool: 2,
      archConfig: { emulation_flags: 0x5ff, misc_flags: 0 },
    });
    expect(d3.uuid).toBe('00112233-4455-6677-8899-aabbccddeeff');
    expect(Array.from(d3.handle)).toEqual(Array.from(uuid));
    expect(xc.getDomainInfo(7)!.guestType).toBe('pvh');
  });

  it('listDomains walks getdomaininfolist in batches', () => {
    const many: FakeDomain[] = Array.from({ length: 600 }, (_, i) => ({ domid: i * 2, totPages: BigInt(i) }));
    const x = fake('4.20', { domains: many });
    const xc = open(x);
    const list = xc.listDomains();
    expect(list.map((d) => d.domid)).toEqual(many.map((d) => d.domid));
    expect(list[599].totPages).toBe(599);
    expect(x.calls.filter((c) => c.op === 35 && c.cmd === 6).length).toBe(3);
    expect(x.buffers.live).toBe(0);
  });

  it('pause/unpause/destroy/max_mem reach the right domain', () => {
    const x = fake('4.21');
    const xc = open(x);
    xc.pauseDomain(3);
    expect(x.paused.has(3)).toBe(true);
    xc.unpauseDomain(3);
    expect(x.paused.has(3)).toBe(false);
    xc.setMaxMem(7, 524288);
    expect(x.maxMem.get(7)).toBe(524288n);
    xc.destroyDomain(7);
    expect(x.destroyed).toEqual([7]);
    expect(() => xc.pauseDomain(42)).toThrow(expect.objectContaining({ code: 'ESRCH', errno: 3 }));
  });

  it('vcpu info and affinity for vcpu-list', () => {
    const xc = open(fake('4.18'));
    expect(xc.getVcpuInfo(0, 0)).toEqual({ vcpu: 0, online: true, blocked: false, running: true, cpuTime: 5_000_000_000n, cpu: 3 });
    expect(xc.getVcpuAffinity(0, 0)).toEqual({ hard: [0, 1, 2, 3, 4, 5, 6, 7], soft: [2, 3] });
    const all = xc.listVcpus(0);
    expect(all).toHaveLength(2);
    expect(all[1]).toMatchObject({ vcpu: 1, blocked: true, cpu: 5, hard: [5] });
    expect(() => xc.listVcpus(99)).toThrow(expect.objectContaining({ code: 'ESRCH' }));
  });
});

describe('sysctl', () => {
  it('physinfo', () => {
    const p = open(fake('4.17')).physinfo();
    expect(p).toMatchObject({
      threadsPerCore: 2, coresPerSocket: 4, nrCpus: 8, maxCpuId: 7, nrNodes: 1, cpuKhz: 2400123,
      totalPages: 1048576, freePages: 524288, outstandingPages: 256, maxMfn: 0x13ffff,
    });
    expect(p.caps).toEqual({
      hvm: true, pv: true, directio: false, hap: true, shadow: false, iommu_hap_pt_share: false,
      vmtrace: false, vpmu: false, gnttab_v1: true, gnttab_v2: true,
    });
    expect(p.hwCap).toEqual([0, 0x11111111, 0x22222222, 0x33333333, 0x44444444, 0x55555555, 0x66666666, 0x77777777]);
  });

  it('scheduler name', () => {
    expect(open(fake('4.20')).schedulerName()).toBe('credit2');
  });

  it('readconsole: incremental index, chunks, clear flag', () => {
    const text = Array.from({ length: 1000 }, (_, i) => `(XEN) line ${i}\n`).join('');
    const x = fake('4.22', { console: text });
    const xc = open(x);
    const first = xc.readConsole({ incremental: true, index: 0, size: 100 });
    expect(first.text).toBe(text.slice(0, 100));
    expect(first.index).toBe(100);
    const next = xc.readConsole({ incremental: true, index: first.index, size: 50 });
    expect(next.text).toBe(text.slice(100, 150));
    expect(xc.readConsoleAll()).toBe(text);
    expect(x.consoleCleared).toBe(0);
    xc.readConsoleAll({ clear: true });
    expect(x.consoleCleared).toBeGreaterThan(0);
    expect(x.buffers.live).toBe(0);
  });

  it('free cpus from cpupool freeinfo', () => {
    expect(open(fake('4.19')).freeCpus()).toEqual([6, 7]);
  });
});

describe('xen_version', () => {
  it('classic fixed-size strings before 4.20', () => {
    const v = open(fake('4.17', { extra: '.3' })).versionInfo();
    expect(v).toMatchObject({
      major: 4, minor: 17, extra: '.3', version: '4.17.3',
      capabilities: 'xen-3.0-x86_64 hvm-3.0-x86_32', changeset: 'abcdef123456',
      commandline: 'console=com1 dom0_mem=1024M', compiler: 'gcc (fake) 12', compileBy: 'builder',
      compileDomain: 'example.org', compileDate: 'Mon Jan  1 2024', pagesize: 4096,
      virtStart: 0xffff800000000000n, buildId: 'deadbeef', features: 0x2705,
    });
  });

  it('varbuf ops from 4.20 (no truncation)', () => {
    const v = open(fake('4.20', { extra: '-rc' })).versionInfo();
    expect(v.extra).toBe('-rc*');
    expect(v.commandline).toBe('console=com1 dom0_mem=1024M*');
  });

  it('build id absent gives null', () => {
    expect(open(fake('4.19', { buildId: null })).buildId()).toBeNull();
  });
});

describe('memory_op', () => {
  it('reservations and sharing counters', () => {
    const xc = open(fake('4.18'));
    expect(xc.maximumRamPage()).toBe(0x13ffff);
    expect(xc.currentReservation(3)).toBe(1000);
    expect(xc.maximumReservation(3)).toBe(2000);
    expect(xc.sharingFreedPages()).toBe(512);
    expect(xc.sharingSharedPages()).toBe(256);
    expect(() => xc.currentReservation(50)).toThrow(expect.objectContaining({ code: 'ESRCH' }));
  });

  it('sharing counters are 0 when mem-sharing is not built (ENOSYS), like libxl', () => {
    const xc = open(fake('4.18', { sharingErrno: 38 }));
    expect(xc.sharingFreedPages()).toBe(0);
    const xc2 = open(fake('4.18', { sharingErrno: 1 }));
    expect(() => xc2.sharingFreedPages()).toThrow(expect.objectContaining({ code: 'EPERM' }));
  });
});

describe('scheduler parameters (for xl list -l)', () => {
  it('cpupool info gives the pool scheduler; scheduler_op getinfo gives weight and cap', () => {
    const x = fake('4.20', { domains: [...DOMS.slice(0, 1), { domid: 3, sched: { weight: 512, cap: 25 } }] });
    const xc = XenCtrl.open({ transport: x });
    expect(xc.cpupoolSchedId(0)).toBe(6);
    expect(xc.cpupoolSchedId(1)).toBeNull();
    expect(xc.schedulerDomainGet(3, 6)).toEqual({ weight: 512, cap: 25 });
    expect(xc.schedulerDomainGet(0, 6)).toEqual({ weight: 256, cap: 0 });
    expect(() => xc.schedulerDomainGet(9, 6)).toThrow(/ESRCH/);
  });

  it('getnodeaffinity returns the node list (xl list -n)', () => {
    const xc = XenCtrl.open({ transport: fake('4.17') });
    expect(xc.getNodeAffinity(3)).toEqual([0]);
    expect(() => xc.getNodeAffinity(9)).toThrow(/ESRCH/);
  });
});
