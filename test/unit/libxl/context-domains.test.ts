import { afterEach, describe, expect, it } from 'vitest';
import { openContext, privcmdOpenError, xenstoreOpenError } from '../../../src/libxl/context.js';
import {
  InvalidDomainError, domainInfo, domainName, listDomainInfo, nameToDomid, qualifierToDomid, resolveDomain,
  strtoulDomid, toDominfo,
} from '../../../src/libxl/domain/domains.js';
import { XlError } from '../../../src/libxl/errors.js';
import { PrivcmdError, XenVersionError } from '../../../src/privcmd/errors.js';
import { XenStoreError } from '../../../src/xenstore-client/errors.js';
import { fakeHost, uuidBytes, type FakeHost } from './fakes.js';

// XEN_DOMINF_* bits: dying 0, hvm 1, shutdown 2, paused 3, blocked 4, running 5, xs_domain 7.
const F = { dying: 1, hvm: 2, shutdown: 4, paused: 8, blocked: 16, running: 32, xs: 1 << 7 };

const DOMS = [
  { domid: 0, name: 'Domain-0', flags: F.running | F.xs, totPages: 262144n, maxPages: 0xffffffffn, cpuTime: 12_345_000_000n, onlineVcpus: 2, maxVcpuId: 1 },
  { domid: 3, name: 'web', flags: F.blocked, totPages: 32768n, maxPages: 33024n, handle: uuidBytes(3), onlineVcpus: 1, maxVcpuId: 0 },
  { domid: 5, name: 'web', flags: F.paused, totPages: 1000n, handle: uuidBytes(5) },
  { domid: 9, flags: F.shutdown | F.hvm | (3 << 16), totPages: 10n },
];

let host: FakeHost | undefined;
afterEach(async () => {
  await host?.close();
  host = undefined;
});

describe('openContext', () => {
  it('opens nothing until asked, each handle once', async () => {
    let xcOpens = 0;
    let xsOpens = 0;
    const fakeXs = { close: async () => undefined };
    const ctx = openContext({
      openXc: () => { xcOpens++; return { close() {} } as never; },
      connectXs: async () => { xsOpens++; return fakeXs as never; },
    });
    expect([xcOpens, xsOpens]).toEqual([0, 0]);
    ctx.xc(); ctx.xc();
    await ctx.xs(); await ctx.xs();
    expect([xcOpens, xsOpens]).toEqual([1, 1]);
    await ctx.close();
    expect(() => ctx.xc()).toThrow(/after close/);
  });

  it('turns a missing privcmd device into one line naming the C wording and the reason', () => {
    const ctx = openContext({ openXc: () => { throw new PrivcmdError(2, 'open /dev/xen/privcmd'); } });
    expect(() => ctx.xc()).toThrow(XlError);
    expect(() => ctx.xc()).toThrow('cannot init xl context: no privcmd device (/dev/xen/privcmd): not running on a Xen dom0?');
  });

  it('says "are you root?" on EACCES', () => {
    const e = privcmdOpenError(new PrivcmdError(13, 'open /dev/xen/privcmd'));
    expect(e.message).toBe('cannot init xl context: /dev/xen/privcmd: permission denied, are you root?');
    expect(e.exitCode).toBe(1);
    expect(e.message).not.toContain('\n');
  });

  it('passes a too-new hypervisor through with its own reason', () => {
    const e = privcmdOpenError(new XenVersionError('Xen 4.23 is newer than this xl knows (up to 4.22)', { major: 4, minor: 23 }, 'too-new'));
    expect(e.message).toBe('cannot init xl context: Xen 4.23 is newer than this xl knows (up to 4.22)');
  });

  it('explains xenstore connection failures', async () => {
    expect(xenstoreOpenError(new XenStoreError('EACCES', 'x')).message)
      .toBe('cannot init xl context: cannot connect to xenstore: permission denied, are you root?');
    expect(xenstoreOpenError(new XenStoreError('ENOENT', 'cannot reach xenstored')).message)
      .toMatch(/^cannot init xl context: cannot connect to xenstore: xenstored not running/);
    let tries = 0;
    const ctx = openContext({ connectXs: async () => { tries++; throw new XenStoreError('ENOENT', 'gone'); } });
    await expect(ctx.xs()).rejects.toThrow(XlError);
    await expect(ctx.xs()).rejects.toThrow(/cannot connect to xenstore/);
    expect(tries).toBe(2);
  });
});

describe('domain info and names', () => {
  it('lists every domain with libxl_dominfo fields and xenstore names', async () => {
    host = await fakeHost(DOMS);
    const doms = await listDomainInfo(host.ctx);
    expect(doms.map((d) => [d.domid, d.name])).toEqual([[0, 'Domain-0'], [3, 'web'], [5, 'web'], [9, null]]);
    const d0 = doms[0];
    expect(d0).toMatchObject({ running: true, blocked: false, neverStop: true, currentMemkb: 1048576, vcpuOnline: 2, shutdownReason: -1, domainType: 'pv' });
    expect(d0.cpuTime).toBe(12_345_000_000n);
    expect(doms[1].uuid).toBe('30313233-3435-3637-3839-3a3b3c3d3e3f');
    expect(doms[3]).toMatchObject({ shutdown: true, shutdownReason: 3, domainType: 'hvm', currentMemkb: 40 });
  });

  it('libxl_domain_info: null for an absent domain, on both getdomaininfo semantics', async () => {
    for (const rel of ['4.17', '4.20'] as const) {
      host = await fakeHost(DOMS, rel);
      expect((await domainInfo(host.ctx, 5))?.name).toBe('web');
      expect(await domainInfo(host.ctx, 4)).toBeNull(); // 4.17 Xen answers with domid 5
      expect(await domainInfo(host.ctx, 70000)).toBeNull();
      await host.close();
      host = undefined;
    }
  });

  it('domainName reads /local/domain/N/name, null when missing', async () => {
    host = await fakeHost(DOMS);
    expect(await domainName(host.ctx, 3)).toBe('web');
    expect(await domainName(host.ctx, 9)).toBeNull();
    expect(await domainName(host.ctx, 42)).toBeNull();
  });

  it('toDominfo keeps shutdown reason unknown (-1) unless shut down', () => {
    const base = { flags: 0, shutdown: false, shutdownReason: null, hvmGuest: false, outstandingPages: 2, totPages: 3, shrPages: 0, pagedPages: 0, maxPages: 4 };
    expect(toDominfo(base as never)).toMatchObject({ shutdownReason: -1, outstandingMemkb: 8, currentMemkb: 12, maxMemkb: 16 });
  });
});

describe('qualifier resolution (find_domain)', () => {
  it('a string of digits is a domid as is, even when no such domain exists', async () => {
    host = await fakeHost(DOMS);
    expect(await qualifierToDomid(host.ctx, '3')).toBe(3);
    expect(await qualifierToDomid(host.ctx, '0042')).toBe(42);
    expect(await qualifierToDomid(host.ctx, '')).toBe(0);
    expect(host.xen.calls.length).toBe(0); // no lookup at all
  });

  it('strtoul overflow rules', () => {
    expect(strtoulDomid('4294967295')).toBe(4294967295);
    expect(strtoulDomid('4294967296')).toBe(0);
    expect(strtoulDomid('4294967299')).toBe(3);
    expect(strtoulDomid('99999999999999999999999')).toBe(4294967295);
  });

  it('a name picks the lowest domid with that name', async () => {
    host = await fakeHost(DOMS);
    expect(await nameToDomid(host.ctx, 'web')).toBe(3);
    expect(await resolveDomain(host.ctx, 'Domain-0')).toEqual({ domid: 0, name: 'Domain-0' });
    expect(await resolveDomain(host.ctx, '9')).toEqual({ domid: 9, name: null });
  });

  it('an unknown name is the C xl error with rc=-6', async () => {
    host = await fakeHost(DOMS);
    const p = resolveDomain(host.ctx, 'nosuch');
    await expect(p).rejects.toBeInstanceOf(InvalidDomainError);
    await expect(p).rejects.toThrow(/^nosuch is an invalid domain identifier \(rc=-6\)$/);
    await expect(resolveDomain(host.ctx, '-1')).rejects.toThrow('-1 is an invalid domain identifier (rc=-6)');
    await expect(resolveDomain(host.ctx, ' 3')).rejects.toThrow(' 3 is an invalid domain identifier (rc=-6)');
  });
});
