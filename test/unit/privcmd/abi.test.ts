import { describe, expect, it } from 'vitest';
import {
  ABI, DOMCTL_VERSIONS, HYPERCALL, SYSCTL_VERSIONS, XEN_RELEASES, XENVER,
  hostArch, releaseFor, selectAbi,
} from '../../../src/privcmd/abi.js';
import { XenVersionError } from '../../../src/privcmd/errors.js';
import { offsetOf, type StructLayout } from '../../../src/privcmd/layout.js';

// Expected values: gcc 12 offsetof()/sizeof() against xen/include/public at
// RELEASE-4.17.0 .. RELEASE-4.22.0 (identical for all six on x86_64).
const X64_DOMCTL: Record<string, Record<string, number>> = {
  domctl: { size: 144, cmd: 0, interface_version: 4, domain: 8, u: 16 },
  getdomaininfo: {
    size: 112, domain: 0, flags: 4, tot_pages: 8, max_pages: 16, outstanding_pages: 24,
    shr_pages: 32, paged_pages: 40, shared_info_frame: 48, cpu_time: 56, nr_online_vcpus: 64,
    max_vcpu_id: 68, ssidref: 72, handle: 76, cpupool: 92, gpaddr_bits: 96, arch_config: 104,
  },
  getvcpuinfo: { size: 24, vcpu: 0, online: 4, blocked: 5, running: 6, cpu_time: 8, cpu: 16 },
  vcpuaffinity: {
    size: 40, vcpu: 0, flags: 4, cpumap_hard: 8, 'cpumap_hard.bitmap': 8, 'cpumap_hard.nr_bits': 16,
    cpumap_soft: 24, 'cpumap_soft.nr_bits': 32,
  },
  max_mem: { size: 8, max_memkb: 0 },
};
const X64_SYSCTL: Record<string, Record<string, number>> = {
  sysctl: { size: 136, cmd: 0, interface_version: 4, u: 8 },
  physinfo: {
    size: 112, threads_per_core: 0, cores_per_socket: 4, nr_cpus: 8, max_cpu_id: 12, nr_nodes: 16,
    max_node_id: 20, cpu_khz: 24, capabilities: 28, arch_capabilities: 32, total_pages: 40,
    free_pages: 48, scrub_pages: 56, outstanding_pages: 64, max_mfn: 72, hw_cap: 80,
  },
  readconsole: { size: 24, clear: 0, incremental: 1, index: 4, buffer: 8, count: 16 },
  getdomaininfolist: { size: 24, first_domain: 0, max_domains: 4, buffer: 8, num_domains: 16 },
  getdomaininfo: { size: 112 },
  cputopo: { size: 12 },
  cputopoinfo: { size: 16, cputopo: 8 },
  meminfo: { size: 16 },
  numainfo: { size: 24, meminfo: 8, distance: 16 },
  cpupool_op: { size: 40, op: 0, 'cpumap.bitmap': 24, 'cpumap.nr_bits': 32 },
};

function check(layout: StructLayout, expected: Record<string, number>): void {
  for (const [k, v] of Object.entries(expected)) {
    if (k === 'size') expect(layout.size, `${layout.name} size`).toBe(v);
    else expect(offsetOf(layout, k), `${layout.name}.${k}`).toBe(v);
  }
}

describe('ABI table', () => {
  it('has domctl rows 0x15..0x18 and sysctl rows 0x15..0x16, newest first for probing', () => {
    expect(DOMCTL_VERSIONS).toEqual([0x18, 0x17, 0x16, 0x15]);
    expect(SYSCTL_VERSIONS).toEqual([0x16, 0x15]);
  });

  for (const v of [0x15, 0x16, 0x17, 0x18] as const) {
    it(`domctl 0x${v.toString(16)} x86_64 layouts match the headers`, () => {
      const row = ABI.domctl[v].x64;
      for (const [name, exp] of Object.entries(X64_DOMCTL)) check(row[name as keyof typeof row], exp);
    });
    it(`domctl 0x${v.toString(16)}: every union member fits the 128-byte union`, () => {
      for (const arch of ['x64', 'arm64'] as const) {
        const row = ABI.domctl[v][arch];
        for (const [name, l] of Object.entries(row)) if (name !== 'domctl') expect(l.size).toBeLessThanOrEqual(128);
      }
    });
  }

  for (const v of [0x15, 0x16] as const) {
    it(`sysctl 0x${v.toString(16)} x86_64 layouts match the headers`, () => {
      const row = ABI.sysctl[v].x64;
      for (const [name, exp] of Object.entries(X64_SYSCTL)) check(row[name as keyof typeof row], exp);
    });
  }

  it('arm64 arch_config follows arch-arm.h per release; getdomaininfo stays 120 bytes', () => {
    // gcc with __aarch64__: sizeof arch config 12 (4.17-4.20), 16 (4.21, 4.22); getdomaininfo 120.
    const sizes = { 0x15: 12, 0x16: 12, 0x17: 16, 0x18: 16 } as const;
    for (const v of [0x15, 0x16, 0x17, 0x18] as const) {
      const gi = ABI.domctl[v].arm64.getdomaininfo;
      expect(gi.size).toBe(120);
      expect(gi.fields.arch_config.offset).toBe(104);
      expect(gi.fields.arch_config.size).toBe(sizes[v]);
    }
    const ac = (v: 0x15 | 0x16 | 0x18): StructLayout => {
      const f = ABI.domctl[v].arm64.getdomaininfo.fields.arch_config;
      if (f.kind !== 'struct') throw new Error('arch_config is not a struct');
      return f.struct;
    };
    expect(ac(0x15).fields.sve_vl).toBeUndefined();
    expect(offsetOf(ac(0x16), 'sve_vl')).toBe(1);
    expect(offsetOf(ac(0x15), 'tee_type')).toBe(2);
    expect(offsetOf(ac(0x15), 'clock_frequency')).toBe(8);
    expect(offsetOf(ac(0x18), 'v8r_el1_msa')).toBe(13);
  });

  it('maps each release to its interface versions', () => {
    const map = Object.fromEntries(XEN_RELEASES.map((r) => [`${r.major}.${r.minor}`, [r.domctl, r.sysctl]]));
    expect(map).toEqual({
      '4.17': [0x15, 0x15], '4.18': [0x16, 0x15], '4.19': [0x17, 0x15],
      '4.20': [0x17, 0x15], '4.21': [0x17, 0x16], '4.22': [0x18, 0x16],
    });
    for (const r of XEN_RELEASES) expect(() => selectAbi('x64', r.domctl, r.sysctl)).not.toThrow();
  });

  it('names both versions when the hypervisor is newer than the table', () => {
    expect(() => releaseFor(4, 23)).toThrow('Xen 4.23 is newer than this xl knows (up to 4.22)');
    expect(() => releaseFor(5, 0)).toThrow(/Xen 5\.0 is newer/);
    try {
      releaseFor(4, 23);
    } catch (e) {
      expect(e).toBeInstanceOf(XenVersionError);
      expect((e as XenVersionError).reason).toBe('too-new');
      expect((e as XenVersionError).xen).toEqual({ major: 4, minor: 23 });
    }
    expect(() => releaseFor(4, 16)).toThrow('Xen 4.16 is older than this xl supports (4.17 to 4.22)');
  });

  it('refuses unknown interface versions and architectures', () => {
    expect(() => selectAbi('x64', 0x19, 0x16)).toThrow(/DOMCTL_INTERFACE_VERSION 0x19/);
    expect(() => selectAbi('x64', 0x18, 0x14)).toThrow(/SYSCTL_INTERFACE_VERSION 0x14/);
    expect(hostArch('x64')).toBe('x64');
    expect(hostArch('arm64')).toBe('arm64');
    expect(() => hostArch('ia32')).toThrow(/ia32/);
  });

  it('uses the hypercall numbers of xen.h and version.h', () => {
    expect(HYPERCALL).toMatchObject({ memory_op: 12, xen_version: 17, sysctl: 35, domctl: 36, dm_op: 41 });
    expect(XENVER).toMatchObject({ version: 0, pagesize: 7, commandline: 9, build_id: 10, commandline2: 14 });
  });
});
