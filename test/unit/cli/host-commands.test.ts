// xl info, dmesg, uptime and vcpu-list: their formatting against the C
// format strings (xl_info.c, xl_vcpu.c, xl_utils.c print_bitmap), and whole
// runs of main() over the privcmd and xenstored test doubles.
import { hostname, machine, release, version } from 'node:os';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  cpuTopologyText, field, missingBuildId, numaText, pciTopologyText, physLines, selectLines, xenLines,
} from '../../../src/cli/commands/info.js';
import { clockTime, uptimeLine, uptimeToString } from '../../../src/cli/commands/uptime.js';
import { HEADER, formatCpumap, toFloat32, vcpuLine, vcpuSeconds } from '../../../src/cli/commands/vcpu-list.js';
import type { Target } from '../../../src/cli/types.js';
import type { HostPhysInfo } from '../../../src/libxl/host/host-info.js';
import { isStubdomTarget, listVms, strtoulU32, vmStartTime } from '../../../src/libxl/domain/uptime.js';
import type { VersionInfo } from '../../../src/privcmd/info.js';
import { XenCtrl } from '../../../src/privcmd/xenctrl.js';
import { XenStore } from '../../../src/xenstore-client/client.js';
import { FakeXen, type FakeDomain, type FakeXenConfig } from '../privcmd/fake-xen.js';
import { FakeXenstored } from '../xenstore-client/fake-xenstored.js';
import { runMain } from './capture.js';
import { current, releaseHost, useHost } from './fake-context.js';

// Commands open their libxl context through openContext(); hand them ours.
vi.mock('../../../src/libxl/context.js', async (importOriginal) => (await import('./fake-context.js')).contextModule(importOriginal));

const T17: Target = { xen: '4.17', arch: 'x86', source: 'env' };
const T20: Target = { xen: '4.20', arch: 'x86', source: 'env' };

// -- vcpu-list ------------------------------------------------------------------

describe('formatCpumap (C print_bitmap)', () => {
  it.each([
    [[0, 1, 2, 3], 4, 'all'],
    [[], 4, 'none'],
    [[0, 1], 4, '0-1'],
    [[1, 2, 3], 4, '1-3'],
    [[2], 4, '2'],
    [[0], 1, 'all'],
    [[0, 2, 3], 4, '0,2-3'],
    [[0, 1, 3], 4, '0-1,3'],
    [[1, 3, 5, 6, 7, 9], 12, '1,3,5-7,9'],
    [[0, 1, 2, 3, 8], 4, 'all'], // bits past maplen are not looked at
    [[], 0, 'none'],
  ])('%j of %i cpus is %s', (cpus, maplen, text) => {
    expect(formatCpumap(cpus, maplen)).toBe(text);
  });
});

describe('vcpu time', () => {
  it('goes through a C float before dividing, as (float)vcpu_time / 1e9', () => {
    expect(toFloat32(16777217n)).toBe(16777216);
    expect(toFloat32(16777219n)).toBe(16777220); // tie to even
    expect(toFloat32(123_456_789_012n)).toBe(Math.fround(123_456_789_012));
    // beyond 2^53, rounding once from the exact integer
    expect(toFloat32((1n << 60n) + (1n << 36n) + 1n)).toBe(2 ** 60 + 2 ** 37);
    expect(vcpuSeconds(25_849_999_999n)).toBe(Math.fround(25_849_999_999) / 1e9);
  });
});

describe('vcpu-list lines', () => {
  it('has the C header', () => {
    expect(HEADER).toBe('Name                                ID  VCPU   CPU State   Time(s) Affinity (Hard / Soft)\n');
  });

  it('prints an online vcpu as "%-32s %5u %5u" "%5u %3c%c- " "%9.1f  " then the maps', () => {
    const v = { vcpu: 1, online: true, running: false, blocked: true, cpu: 0, cpuTime: 25_812_345_678n, hard: [0, 1], soft: [1] };
    expect(vcpuLine('Domain-0', 0, v, 2)).toBe(
      'Domain-0                             0     1    0   -b-      25.8  all / 1\n');
    expect(vcpuLine('web', 12, { ...v, running: true, blocked: false, cpu: 3 }, 4)).toBe(
      'web                                 12     1    3   r--      25.8  0-1 / 1\n');
  });

  it('prints an offline vcpu with "-" for its cpu and state --p', () => {
    const v = { vcpu: 2, online: false, running: false, blocked: false, cpu: 5, cpuTime: 0n, hard: [0, 1, 2, 3], soft: [] };
    expect(vcpuLine('g', 3, v, 4)).toBe('g                                    3     2    -   --p       0.0  all / none\n');
  });

  it('prints a missing name as (null)', () => {
    const v = { vcpu: 0, online: true, running: true, blocked: false, cpu: 0, cpuTime: 1n, hard: [0], soft: [0] };
    expect(vcpuLine(null, 7, v, 1)).toMatch(/^\(null\) {31}7 /);
  });
});

// -- uptime -------------------------------------------------------------------

describe('uptime formatting (C uptime_to_string)', () => {
  it.each([
    [0, ' 0:00:00', ' 0:00'],
    [59, ' 0:00:59', ' 0:00'],
    [3661, ' 1:01:01', ' 1:01'],
    [86399, '23:59:59', '23:59'],
    [86400, '1 day,  0:00:00', '1 day,  0:00'],
    [2 * 86400 + 3600 * 5 + 7, '2 days,  5:00:07', '2 days,  5:00'],
    [0xffffffff, '49710 days,  6:28:15', '49710 days,  6:28'],
  ])('%i s is "%s", short "%s"', (s, long, short) => {
    expect(uptimeToString(s, false)).toBe(long);
    expect(uptimeToString(s, true)).toBe(short);
  });

  it('lays out rows as "%-33s %4d %s" and " %s up %s, %s (%d)"', () => {
    const now = 1_700_000_000;
    expect(uptimeLine({ name: 'Domain-0', domid: 0, uptime: 90061 }, false, now))
      .toBe('Domain-0                             0 1 day,  1:01:01\n');
    expect(uptimeLine({ name: 'web', domid: 12, uptime: 61 }, true, now)).toBe(` ${clockTime(now)} up  0:01, web (12)\n`);
    expect(clockTime(now)).toMatch(/^\d\d:\d\d:\d\d$/);
  });
});

describe('uptime helpers', () => {
  it('reads start_time like strtoul into a uint32_t', () => {
    expect(strtoulU32('1700000000.25')).toBe(1_700_000_000);
    expect(strtoulU32('  42x')).toBe(42);
    expect(strtoulU32('junk')).toBe(0);
    expect(strtoulU32('4294967297')).toBe(1);
    expect(strtoulU32('-1')).toBe(0xffffffff);
  });

  it('tells stub domains by a target strtol reads to the end', () => {
    expect(isStubdomTarget(null)).toBe(false);
    expect(isStubdomTarget('5')).toBe(true);
    expect(isStubdomTarget('')).toBe(true);
    expect(isStubdomTarget(' -3')).toBe(true);
    expect(isStubdomTarget('5x')).toBe(false);
    expect(isStubdomTarget(' ')).toBe(false);
  });
});

// -- info ---------------------------------------------------------------------

const PHYS: HostPhysInfo = {
  threadsPerCore: 1, coresPerSocket: 2, nrCpus: 2, maxCpuId: 1, nrNodes: 1, maxNodeId: 0, cpuKhz: 2095076,
  capabilities: 0, archCapabilities: 3,
  caps: { hvm: true, pv: true, directio: false, hap: true, shadow: true, iommu_hap_pt_share: false, vmtrace: false, vpmu: false, gnttab_v1: true, gnttab_v2: false },
  totalPages: 786304, freePages: 511234, scrubPages: 0, outstandingPages: 0, maxMfn: 0, hwCap: [0x178bfbff, 0xf6d8320b, 0x2c100800, 0x7cc, 0, 0x9c2707a9, 0, 0x100],
  sharingFreedPages: 0, sharingUsedFrames: 0,
};

describe('xl info layout', () => {
  it('pads labels to 23 columns before ": "', () => {
    expect(field('nr_cpus', 2)).toBe('nr_cpus                : 2\n');
    expect(field('xend_config_format', 4)).toBe('xend_config_format     : 4\n');
  });

  it('prints the physinfo section as xl does', () => {
    expect(physLines(PHYS, 4096, 2, T17).join('')).toBe(
      'nr_cpus                : 2\n' +
      'max_cpu_id             : 1\n' +
      'nr_nodes               : 1\n' +
      'cores_per_socket       : 2\n' +
      'threads_per_core       : 1\n' +
      'cpu_mhz                : 2095.076\n' +
      'hw_caps                : 178bfbff:f6d8320b:2c100800:000007cc:00000000:9c2707a9:00000000:00000100\n' +
      'virt_caps              : pv hvm hap shadow gnttab-v1\n' +
      'total_memory           : 3071\n' +
      'free_memory            : 1997\n' +
      'sharing_freed_memory   : 0\n' +
      'sharing_used_memory    : 0\n' +
      'outstanding_claims     : 0\n' +
      'free_cpus              : 2\n');
  });

  it('keeps "virt_caps              :" with nothing after it when there are no caps', () => {
    const none = { ...PHYS, caps: Object.fromEntries(Object.keys(PHYS.caps).map((k) => [k, false])) as HostPhysInfo['caps'] };
    expect(physLines(none, 4096, 2, T17)[7]).toBe('virt_caps              :\n');
  });

  it('pads cpu_mhz decimals and drops memory without version info, free_cpus without cpupool info', () => {
    const lines = physLines({ ...PHYS, cpuKhz: 3000005 }, null, null, T17);
    expect(lines[5]).toBe('cpu_mhz                : 3000.005\n');
    expect(lines).toHaveLength(8);
  });

  it('adds arm_sve_vector_length on Arm from 4.18', () => {
    const arm = (xen: Target['xen']): Target => ({ xen, arch: 'arm', source: 'env' });
    expect(physLines(PHYS, 4096, 2, arm('4.20'))[8]).toBe('arm_sve_vector_length  : 384\n');
    expect(physLines(PHYS, 4096, 2, arm('4.17')).join('')).not.toContain('arm_sve');
    expect(physLines(PHYS, 4096, 2, T20).join('')).not.toContain('arm_sve');
  });

  const V: VersionInfo = {
    major: 4, minor: 17, extra: '.6-pre', version: '4.17.6-pre', capabilities: 'xen-3.0-x86_64 hvm-3.0-x86_32 hvm-3.0-x86_32p hvm-3.0-x86_64',
    changeset: '', commandline: 'placeholder dom0_mem=1024M', compiler: 'x86_64-linux-gnu-gcc (Debian 12.2.0-14) 12.2.0',
    compileBy: 'pkg-xen-devel', compileDomain: 'lists.alioth.debian.org', compileDate: 'Tue Jan  7 16:42:54 UTC 2025',
    pagesize: 4096, virtStart: 0xffff800000000000n, buildId: '0a1b', features: 0,
  };

  it('prints the Xen section as xl does', () => {
    expect(xenLines(V, 'credit2', T17).join('')).toBe(
      'xen_major              : 4\n' +
      'xen_minor              : 17\n' +
      'xen_extra              : .6-pre\n' +
      'xen_version            : 4.17.6-pre\n' +
      'xen_caps               : xen-3.0-x86_64 hvm-3.0-x86_32 hvm-3.0-x86_32p hvm-3.0-x86_64\n' +
      'xen_scheduler          : credit2\n' +
      'xen_pagesize           : 4096\n' +
      'platform_params        : virt_start=0xffff800000000000\n' +
      'xen_changeset          : \n' +
      'xen_commandline        : placeholder dom0_mem=1024M\n' +
      'cc_compiler            : x86_64-linux-gnu-gcc (Debian 12.2.0-14) 12.2.0\n' +
      'cc_compile_by          : pkg-xen-devel\n' +
      'cc_compile_domain      : lists.alioth.debian.org\n' +
      'cc_compile_date        : Tue Jan  7 16:42:54 UTC 2025\n' +
      'build_id               : 0a1b\n');
  });

  it('prints a missing build id and scheduler as each libxl release does', () => {
    expect(missingBuildId(T17)).toBe('');
    expect(missingBuildId(T20)).toBe('(null)');
    const lines = xenLines({ ...V, buildId: null }, null, T20);
    expect(lines[5]).toBe('xen_scheduler          : (null)\n');
    expect(lines[14]).toBe('build_id               : (null)\n');
  });

  it('with a name prints the values of lines starting with it (C maybe_printf)', () => {
    const lines = [...physLines(PHYS, 4096, 2, T17), ...xenLines(V, 'credit2', T17)];
    expect(selectLines(lines, 'free')).toBe('1997\n2\n');
    expect(selectLines(lines, 'xen_ma')).toBe('4\n');
    expect(selectLines(lines, 'virt_caps')).toBe('pv hvm hap shadow gnttab-v1\n');
    expect(selectLines(lines, 'platform')).toBe('virt_start=0xffff800000000000\n');
    expect(selectLines(lines, 'nosuch')).toBe('');
    expect(selectLines(['virt_caps              :\n'], 'virt')).toBe('');
    expect(selectLines(lines, undefined)).toBe(lines.join(''));
  });

  it('prints the -n sections, leaving out invalid entries', () => {
    expect(cpuTopologyText([
      { cpu: 0, core: 0, socket: 0, node: 0 }, { cpu: 1, core: 1, socket: 0, node: null }, { cpu: 2, core: null, socket: null, node: null },
    ])).toBe('cpu_topology           :\ncpu:    core    socket     node\n  0:       0        0        0\n  1:       1        0       -1\n');
    expect(pciTopologyText([{ seg: 0, bus: 0, devfn: 0x1b, node: 1 }, { seg: 1, bus: 0x2a, devfn: 0, node: null }]))
      .toBe('device topology        :\ndevice           node\n0000:00:03.3      1\n');
    expect(pciTopologyText([{ seg: 0, bus: 0, devfn: 8, node: null }]))
      .toBe('device topology        :\ndevice           node\nNo device topology data available\n');
    expect(numaText([
      { node: 0, memsize: 3221225472n, memfree: 2097152000n, distances: [10, 20] },
      { node: 1, memsize: null, memfree: null, distances: [20, 10] },
      { node: 2, memsize: 1048576n, memfree: null, distances: [null, 10] },
    ])).toBe('numa_info              :\nnode:    memsize    memfree    distances\n' +
      '   0:      3072       2000      10,20\n' +
      '   2:         1       4095      -1,10\n');
  });
});

// -- whole runs over fakes -------------------------------------------------------

const F = { blocked: 16, running: 32, paused: 8, xs: 1 << 7 };
const vcpu = (o: Partial<NonNullable<FakeDomain['vcpus']>[number]>) =>
  ({ online: 1, blocked: 0, running: 0, cpuTime: 0n, cpu: 0, hard: [0, 1, 2, 3, 4, 5, 6, 7], soft: [0, 1, 2, 3, 4, 5, 6, 7], ...o });
const DOMS: FakeDomain[] = [
  { domid: 0, flags: F.running | F.xs, maxVcpuId: 1, vcpus: [vcpu({ running: 1, cpuTime: 12_345_678_901n }), vcpu({ blocked: 1, cpu: 1, cpuTime: 5_000_000_000n })] },
  { domid: 4, flags: F.blocked, maxVcpuId: 1, handle: Uint8Array.from({ length: 16 }, (_, i) => i),
    vcpus: [vcpu({ blocked: 1, cpu: 2, hard: [2, 3], soft: [0, 1, 2, 3, 4, 5, 6, 7] }), vcpu({ online: 0, hard: [5] })] },
  { domid: 6, flags: F.paused, maxVcpuId: 0xffffffff },
];

let xen: FakeXen;

async function host(cfg: Partial<FakeXenConfig> = {}): Promise<void> {
  const { openContext } = await vi.importActual<typeof import('../../../src/libxl/context.js')>('../../../src/libxl/context.js');
  xen = new FakeXen({ major: 4, minor: 17, domctlVersion: 0x15, sysctlVersion: 0x15, domains: DOMS, ...cfg });
  const xsd = new FakeXenstored();
  const socket = await xsd.listen();
  xsd.put('/local/domain/0/name', 'Domain-0');
  xsd.put('/local/domain/4/name', 'web');
  xsd.put('/local/domain/4/vm', '/vm/00010203-0405-0607-0809-0a0b0c0d0e0f');
  xsd.put('/vm/00010203-0405-0607-0809-0a0b0c0d0e0f/start_time', '1699990000.42');
  xsd.put('/local/domain/6/name', 'web-dm');
  xsd.put('/local/domain/6/target', '4');
  const ctx = openContext({ openXc: () => XenCtrl.open({ transport: xen }), connectXs: () => XenStore.connect({ path: socket }) });
  useHost({
    ctx,
    async close() {
      await ctx.close();
      await xsd.close();
    },
  });
}

beforeEach(() => {
  vi.stubEnv('XL_XEN_VERSION', '4.17');
});
afterEach(async () => {
  vi.restoreAllMocks();
  await releaseHost();
});

describe('xl info run', () => {
  it('prints uname, physinfo, Xen facts and xend_config_format', async () => {
    await host();
    const r = await runMain(['info']);
    expect(r.status).toBe(0);
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe(
      field('host', hostname()) + field('release', release()) + field('version', version()) + field('machine', machine()) +
      'nr_cpus                : 8\n' +
      'max_cpu_id             : 7\n' +
      'nr_nodes               : 1\n' +
      'cores_per_socket       : 4\n' +
      'threads_per_core       : 2\n' +
      'cpu_mhz                : 2400.123\n' +
      'hw_caps                : 00000000:11111111:22222222:33333333:44444444:55555555:66666666:77777777\n' +
      'virt_caps              : pv hvm hap gnttab-v1 gnttab-v2\n' +
      'total_memory           : 4096\n' +
      'free_memory            : 2047\n' +
      'sharing_freed_memory   : 2\n' +
      'sharing_used_memory    : 1\n' +
      'outstanding_claims     : 1\n' +
      'free_cpus              : 2\n' +
      'xen_major              : 4\n' +
      'xen_minor              : 17\n' +
      'xen_extra              : .0\n' +
      'xen_version            : 4.17.0\n' +
      'xen_caps               : xen-3.0-x86_64 hvm-3.0-x86_32\n' +
      'xen_scheduler          : credit2\n' +
      'xen_pagesize           : 4096\n' +
      'platform_params        : virt_start=0xffff800000000000\n' +
      'xen_changeset          : abcdef123456\n' +
      'xen_commandline        : console=com1 dom0_mem=1024M\n' +
      'cc_compiler            : gcc (fake) 12\n' +
      'cc_compile_by          : builder\n' +
      'cc_compile_domain      : example.org\n' +
      'cc_compile_date        : Mon Jan  1 2024\n' +
      'build_id               : deadbeef\n' +
      'xend_config_format     : 4\n');
  });

  it('prints only the values a name selects', async () => {
    await host();
    expect(await runMain(['info', 'xen_m'])).toEqual({ stdout: '4\n17\n', stderr: '', status: 0 });
    expect(await runMain(['info', 'xend'])).toEqual({ stdout: '4\n', stderr: '', status: 0 });
  });

  it('-n: a failing topology hypercall prints the C message and the rest still prints', async () => {
    await host(); // the fake has no cputopoinfo/numainfo (ENOSYS)
    const r = await runMain(['info', '-n', 'ignored']);
    expect(r.status).toBe(0);
    expect(r.stderr).toMatch(/^libxl: error: getting cpu topology: .*\nlibxl_get_cpu_topology failed\.\nlibxl: error: getting numainfo: .*\nlibxl_get_numainfo failed\.\n$/);
    expect(r.stdout).toContain('free_cpus              : 2\nxen_major              : 4\n');
    expect(r.stdout.endsWith('xend_config_format     : 4\n')).toBe(true);
  });

  it('--json gives the same facts as numbers and lists', async () => {
    await host();
    const r = await runMain(['info', '--json']);
    expect(r.status).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j).toMatchObject({
      host: hostname(), nr_cpus: 8, cpu_khz: 2400123, virt_caps: ['pv', 'hvm', 'hap', 'gnttab-v1', 'gnttab-v2'],
      total_memory: 4096, free_memory: 2047, free_cpus: 2, xen_version: '4.17.0', xen_scheduler: 'credit2',
      build_id: 'deadbeef', xend_config_format: 4,
    });
    expect(j.hw_caps).toHaveLength(8);
    expect(JSON.parse((await runMain(['info', '--json', 'xen_ma'])).stdout)).toEqual({ xen_major: 4 });
  });
});

describe('xl dmesg run', () => {
  it('writes the ring bytes unchanged and -c clears', async () => {
    await host({ console: '(XEN) caf\xe9\n(XEN) done\n' });
    const chunks: Buffer[] = [];
    vi.spyOn(process.stdout, 'write').mockImplementation((c: string | Uint8Array) => {
      chunks.push(Buffer.from(c as Uint8Array));
      return true;
    });
    const { main } = await import('../../../src/cli/main.js');
    expect(await main(['xl', 'dmesg'])).toBe(0);
    expect(Buffer.concat(chunks)).toEqual(Buffer.from('(XEN) caf\xe9\n(XEN) done\n', 'latin1'));
    expect(xen.consoleCleared).toBe(0);
    expect(await main(['xl', 'dmesg', '--clear'])).toBe(0);
    expect(xen.consoleCleared).toBeGreaterThan(0);
  });
});

describe('xl vcpu-list run', () => {
  it('lists every vcpu of every domain; a domain without vcpus has no lines', async () => {
    await host();
    const r = await runMain(['vcpu-list']);
    expect(r).toEqual({
      status: 0,
      stderr: '',
      stdout: HEADER +
        'Domain-0                             0     0    0   r--      12.3  all / all\n' +
        'Domain-0                             0     1    1   -b-       5.0  all / all\n' +
        'web                                  4     0    2   -b-       0.0  2-3 / all\n' +
        'web                                  4     1    -   --p       0.0  5 / all\n',
    });
  });

  it('takes domains by name or id, in the order given', async () => {
    await host();
    const r = await runMain(['vcpu-list', 'web', '0']);
    expect(r.stdout.split('\n').map((l) => l.split(/\s+/)[0])).toEqual(['Name', 'web', 'web', 'Domain-0', 'Domain-0', '']);
  });

  it('stops at an unknown name with the C message after printing the earlier ones', async () => {
    await host();
    const r = await runMain(['vcpu-list', '0', 'nosuch']);
    expect(r.status).toBe(1);
    expect(r.stderr).toBe('nosuch is an invalid domain identifier (rc=-6)\n');
    expect(r.stdout.split('\n')).toHaveLength(4);
  });

  it('--json gives one object per vcpu', async () => {
    await host();
    const rows = JSON.parse((await runMain(['vcpu-list', '--json', 'web'])).stdout);
    expect(rows).toEqual([
      { name: 'web', domid: 4, vcpu: 0, cpu: 2, online: true, running: false, blocked: true, state: '-b-', time: 0,
        hard_affinity: [2, 3], soft_affinity: [0, 1, 2, 3, 4, 5, 6, 7], hard_affinity_text: '2-3', soft_affinity_text: 'all' },
      { name: 'web', domid: 4, vcpu: 1, cpu: null, online: false, running: false, blocked: false, state: '--p', time: 0,
        hard_affinity: [5], soft_affinity: [0, 1, 2, 3, 4, 5, 6, 7], hard_affinity_text: '5', soft_affinity_text: 'all' },
    ]);
  });
});

describe('xl uptime run', () => {
  const NOW = 1_700_000_000;
  beforeEach(() => {
    vi.spyOn(Date, 'now').mockReturnValue(NOW * 1000 + 500);
  });

  it('lists dom0 then every VM but stub domains, from start_time', async () => {
    await host();
    const r = await runMain(['uptime']);
    expect(r.status).toBe(0);
    const lines = r.stdout.split('\n');
    expect(lines[0]).toBe('Name                                ID Uptime');
    expect(lines[1]).toMatch(/^Domain-0 {29}0 (\d+ days?, )?[ \d]\d:\d\d:\d\d$/);
    expect(lines.slice(2)).toEqual(['web                                  4  2:46:40', '']);
  });

  it('-s prints the clock, the uptime to the minute and the domain', async () => {
    await host();
    const r = await runMain(['uptime', '-s', 'web']);
    expect(r.stdout).toBe(` ${clockTime(NOW)} up  2:46, web (4)\n`);
  });

  it('resolves every domain before printing: an unknown one prints nothing else', async () => {
    await host();
    expect(await runMain(['uptime', 'web', 'nosuch'])).toEqual({
      stdout: '', stderr: 'nosuch is an invalid domain identifier (rc=-6)\n', status: 1,
    });
  });

  it('skips a domain without a start time (libxl logs it)', async () => {
    await host();
    const r = await runMain(['uptime', '42']);
    expect(r.status).toBe(0);
    expect(r.stdout).toBe('Name                                ID Uptime\n');
    expect(r.stderr).toContain("Can't get start time of domain");
  });

  it('--json gives name, domid, uptime and start_time', async () => {
    await host();
    const rows = JSON.parse((await runMain(['uptime', '--json', '4'])).stdout);
    expect(rows).toEqual([{ name: 'web', domid: 4, uptime: 10000, start_time: 1_699_990_000 }]);
  });

  it('libxl helpers: VMs without stub domains, start times', async () => {
    await host();
    expect((await listVms(current.ctx!)).map((v) => v.domid)).toEqual([0, 4]);
    expect(await vmStartTime(current.ctx!, 4)).toBe(1_699_990_000);
    expect(await vmStartTime(current.ctx!, 0)).toBeNull();
  });
});
