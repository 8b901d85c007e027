import { describe, expect, it } from 'vitest';
import { checkPath, checkDomid, joinPath, pathProblem } from '../../../src/xenstore-client/paths.js';
import {
  formatPerm,
  formatPerms,
  parsePerm,
  parsePerms,
  toWirePerms,
} from '../../../src/xenstore-client/perms.js';
import { XenStoreError, XenStoreProtocolError } from '../../../src/xenstore-client/errors.js';

describe('paths', () => {
  it('accepts well-formed absolute and relative paths', () => {
    for (const p of ['/', '/local/domain/0', '/a-b_c@d/9', 'device/vif/0', 'x']) expect(pathProblem(p)).toBeUndefined();
  });

  it('rejects what xenstored would', () => {
    const bad: [string, RegExp][] = [
      ['', /empty/],
      ['/a//b', /doubled/],
      ['/a/', /trailing/],
      ['/a b', /allowed/],
      ['/a.b', /allowed/],
      ['/ä', /allowed/],
      ['/a\0b', /allowed/],
      ['@releaseDomain', /special/],
    ];
    for (const [p, why] of bad) expect(pathProblem(p)).toMatch(why);
  });

  it('applies the absolute and relative length limits', () => {
    expect(pathProblem('/' + 'a'.repeat(3071))).toBeUndefined();
    expect(pathProblem('/' + 'a'.repeat(3072))).toMatch(/3072/);
    expect(pathProblem('a'.repeat(2048))).toBeUndefined();
    expect(pathProblem('a'.repeat(2049))).toMatch(/2048/);
  });

  it('allows special watch paths only when asked', () => {
    for (const p of ['@introduceDomain', '@releaseDomain', '@releaseDomain/7']) {
      expect(pathProblem(p, { special: true })).toBeUndefined();
      expect(pathProblem(p)).toBeDefined();
    }
  });

  it('throws EINVAL naming the path', () => {
    try {
      checkPath('/x/', { op: 'READ' });
      expect.unreachable();
    } catch (e) {
      expect(XenStoreError.is(e, 'EINVAL')).toBe(true);
      expect((e as Error).message).toContain('"/x/"');
      expect((e as XenStoreError).op).toBe('READ');
    }
  });

  it('joins like xenstore-ls', () => {
    expect(joinPath('/', 'local')).toBe('/local');
    expect(joinPath('/local', 'domain')).toBe('/local/domain');
  });

  it('checks domids', () => {
    expect(checkDomid(0)).toBe('0');
    expect(checkDomid(65535)).toBe('65535');
    for (const bad of [-1, 65536, 1.5, NaN]) expect(() => checkDomid(bad)).toThrow(/EINVAL/);
  });
});

describe('permissions', () => {
  it('parses wire entries', () => {
    expect(parsePerm('n0')).toEqual({ access: 'none', domid: 0 });
    expect(parsePerm('r5')).toEqual({ access: 'read', domid: 5 });
    expect(parsePerm('w12')).toEqual({ access: 'write', domid: 12 });
    expect(parsePerm('b65535')).toEqual({ access: 'both', domid: 65535 });
    for (const bad of ['', 'x1', 'r', 'r-1', 'r0x10', 'r65536', 'R1', 'r1 ', 'rr1']) expect(parsePerm(bad)).toBeUndefined();
  });

  it('treats the first entry as owner and default access', () => {
    expect(parsePerms(['n0', 'r5', 'b7'])).toEqual({
      owner: 0,
      others: 'none',
      acl: [
        { domid: 5, access: 'read' },
        { domid: 7, access: 'both' },
      ],
    });
    expect(parsePerms(['r3'])).toEqual({ owner: 3, others: 'read', acl: [] });
  });

  it('round-trips', () => {
    for (const list of [['n0'], ['b3', 'r0'], ['w1', 'n2', 'r3', 'b4']]) expect(formatPerms(parsePerms(list))).toEqual(list);
  });

  it('refuses malformed replies with EPROTO and bad input with EINVAL', () => {
    expect(() => parsePerms([])).toThrow(XenStoreProtocolError);
    expect(() => parsePerms(['n0', 'q1'])).toThrow(XenStoreProtocolError);
    expect(() => formatPerm({ domid: 70000, access: 'read' })).toThrow(/EINVAL/);
    expect(() => formatPerm({ domid: 1, access: 'all' as never })).toThrow(/EINVAL/);
    expect(() => toWirePerms([])).toThrow(/EINVAL/);
    expect(() => toWirePerms(['n0', 'bogus'])).toThrow(/EINVAL/);
    expect(toWirePerms(['n0', 'r5'])).toEqual(['n0', 'r5']);
    expect(toWirePerms({ owner: 2, others: 'read', acl: [{ domid: 0, access: 'both' }] })).toEqual(['r2', 'b0']);
  });
});
