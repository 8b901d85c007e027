import { describe, expect, it } from 'vitest';
import { PrivcmdError, XEN_ERRNO, errnoName, isPrivcmdError } from '../../../src/privcmd/errors.js';
import { bitmapToList, formatUuid, listToBitmap } from '../../../src/privcmd/info.js';
import { probeToJson, runProbe } from '../../../src/privcmd/probe.js';
import { FakeXen } from './fake-xen.js';

describe('errno names', () => {
  it('Xen table follows public/errno.h', () => {
    expect(XEN_ERRNO).toMatchObject({ EPERM: 1, ENOENT: 2, ESRCH: 3, EACCES: 13, EINVAL: 22, ENOSYS: 38, ENODATA: 61, EOPNOTSUPP: 95 });
    expect(errnoName(3, 'xen')).toBe('ESRCH');
    expect(errnoName(-13, 'xen')).toBe('EACCES');
    expect(errnoName(11, 'xen')).toBe('EAGAIN'); // not EWOULDBLOCK
    expect(errnoName(35, 'xen')).toBe('EDEADLK');
    expect(errnoName(999, 'xen')).toBe('E#999');
  });

  it.runIf(process.platform === 'linux')('native names on Linux prefer the usual alias', () => {
    expect(errnoName(1)).toBe('EPERM');
    expect(errnoName(11)).toBe('EAGAIN');
    expect(errnoName(95)).toBe('EOPNOTSUPP');
    expect(errnoName(25)).toBe('ENOTTY');
  });

  it('PrivcmdError carries errno, code and op', () => {
    const e = new PrivcmdError(3, 'domctl getdomaininfo', 'domid 9');
    expect(e).toMatchObject({ errno: 3, code: 'ESRCH', op: 'domctl getdomaininfo', name: 'PrivcmdError' });
    expect(e.message).toBe('domctl getdomaininfo (domid 9): ESRCH (No such process (domain))');
    expect(isPrivcmdError(e, 'ESRCH')).toBe(true);
    expect(isPrivcmdError(e, 'EPERM')).toBe(false);
    expect(isPrivcmdError(new Error('x'))).toBe(false);
  });
});

describe('info helpers', () => {
  it('cpu bitmaps round-trip', () => {
    const map = listToBitmap([0, 3, 8, 15], 16);
    expect(Array.from(map)).toEqual([0b1001, 0b1000_0001]);
    expect(bitmapToList(map)).toEqual([0, 3, 8, 15]);
    expect(bitmapToList(map, 8)).toEqual([0, 3]);
    expect(() => listToBitmap([16], 16)).toThrow(RangeError);
  });

  it('formats a domain handle as a uuid', () => {
    expect(formatUuid(Uint8Array.from({ length: 16 }, (_, i) => i))).toBe('00010203-0405-0607-0809-0a0b0c0d0e0f');
  });
});

describe('probe', () => {
  it('runs every step against a fake hypervisor and serialises bigint/bytes', () => {
    const x = new FakeXen({
      major: 4, minor: 18, domctlVersion: 0x16, sysctlVersion: 0x15, console: 'hello\n',
      domains: [{ domid: 0, maxVcpuId: 0, vcpus: [{ online: 1, blocked: 0, running: 1, cpuTime: 1n, cpu: 0, hard: [0], soft: [0] }] }],
    });
    const r = runProbe({ transport: x, arch: 'x64' });
    expect(r.versionMatrix).toEqual({
      ok: true,
      value: { domctl: { '0x18': 'EACCES', '0x17': 'EACCES', '0x16': 'ok', '0x15': 'EACCES' }, sysctl: { '0x16': 'EACCES', '0x15': 'ok' } },
    });
    expect(r.detect).toMatchObject({ ok: true, value: { domctlVersion: 0x16, sysctlVersion: 0x15, how: 'xen_version' } });
    expect(r.missingDomain).toEqual({ ok: true, value: null });
    expect(r.xlInfo).toMatchObject({
      ok: true,
      value: { xen_version: '4.18.0', total_memory: 4096, free_memory: 2047, outstanding_claims: 1, free_cpus: 2, cpu_mhz: '2400.123' },
    });
    expect(r.consoleTail).toEqual({ ok: true, value: { totalBytes: 6, tail: 'hello\n' } });
    expect(r.foreignMap).toMatchObject({ ok: false });
    const json = JSON.parse(probeToJson(r));
    expect(json.dom0.value.cpuTime).toBe('0');
    expect(json.dom0.value.handle).toBe('00'.repeat(16));
    expect(x.buffers.live).toBe(0);
  });

  it('reports a too-new hypervisor as a detect error, not a crash', () => {
    const x = new FakeXen({ major: 4, minor: 30, domctlVersion: 0x20, sysctlVersion: 0x20 });
    const r = runProbe({ transport: x, arch: 'x64' });
    expect(r.detect).toMatchObject({ ok: false, error: 'XenVersionError: Xen 4.30 is newer than this xl knows (up to 4.22)' });
  });
});
