// cpuid: the xend list form and the "host,flag=value" form of 4.17 and 4.20.
import { describe, expect, it } from 'vitest';
import { parseCpuidFlag417, parseCpuidXend, type CpuidPolicy } from '../../../src/config-parser/index.js';
import { parseCpuidFlag420 } from '../../../src/config-parser/spec/cpuid.js';
import { build, HVM } from './helpers.js';

const empty = (): CpuidPolicy => ({ cpuid: [], msr: [] });
const X = 'x'.repeat(32);
const withBit = (bit: number, c: string) => X.slice(0, 31 - bit) + c + X.slice(32 - bit);

describe('xend form', () => {
  it('leaf[,subleaf]:reg=32 chars, several registers', () => {
    const p = empty();
    expect(parseCpuidXend(p, `0x7,0:ebx=${withBit(5, '0')}, ecx=${withBit(0, '1')}`)).toBe(0);
    expect(p.cpuid).toEqual([{ leaf: 7, subleaf: 0, regs: [null, withBit(5, '0'), withBit(0, '1'), null] }]);
  });
  it.each([['x:eax=' + X, 1], ['1,:eax=' + X, 2], ['1 eax=' + X, 3], ['1:exx=' + X, 4], ['1:eax=xx', 5]])('%s -> error %i', (s, e) => {
    expect(parseCpuidXend(empty(), s as string)).toBe(e);
  });
  it('errors are warnings and the entry created before them stays (as in xl)', () => {
    const r = build(HVM + 'cpuid = [ "1:eax=short" ]\n');
    expect(r.warnings[0].message).toMatch(/error #5/);
    expect(r.plain.b_info.cpuid).toEqual({ cpuid: [{ leaf: 1 }], msr: [] });
  });
});

describe('named flags', () => {
  it('4.17 table: single bits, family and model split fields', () => {
    const p = empty();
    for (const f of ['sse3=0', 'tm=1', 'family=21', 'model=0x3a']) expect(parseCpuidFlag417(p, f)).toBe(0);
    const [eax, , ecx, edx] = p.cpuid[0].regs;
    expect(ecx).toBe(withBit(0, '0'));
    expect(edx).toBe(withBit(29, '1'));
    // family 21 = 0xf + extended 6; model 0x3a = extended 3, model a
    expect(eax).toBe('xxxx00000110' + '0011' + 'xxxx' + '1111' + '1010' + 'xxxx');
  });
  it('4.17 values: x, k, s fill the field; others are error 3; unknown names error 2', () => {
    const p = empty();
    expect(parseCpuidFlag417(p, 'nx=k')).toBe(0);
    expect(p.cpuid[0]).toMatchObject({ leaf: 0x80000001, regs: [null, null, null, withBit(20, 'k')] });
    expect(parseCpuidFlag417(p, 'nx=q')).toBe(3);
    expect(parseCpuidFlag417(p, 'warp=1')).toBe(2);
    expect(parseCpuidFlag417(p, 'nx')).toBe(1);
  });
  it('4.17 (4.17.7) has 4.20\'s parser with its own names: pbe, btc-no, MSR features', () => {
    const p = empty();
    expect(parseCpuidFlag417(p, 'pbe=0')).toBe(0);
    expect(parseCpuidFlag417(p, 'btc-no=1')).toBe(0);
    expect(parseCpuidFlag417(p, 'rdcl-no=0')).toBe(0);
    expect(p.cpuid).toEqual([
      { leaf: 1, subleaf: null, regs: [null, null, null, withBit(31, '0')] },
      { leaf: 0x80000008, subleaf: null, regs: [null, withBit(29, '1'), null, null] },
    ]);
    expect(p.msr).toEqual([{ index: 0x10a, policy: 'x'.repeat(63) + '0' }]);
    // A featureset name 4.17.7 has and RELEASE-4.20.0 does not.
    expect([parseCpuidFlag417(empty(), 'its-no=0'), parseCpuidFlag420(empty(), 'its-no=0')]).toEqual([0, 2]);
  });
  it('4.20 uses featureset names, and MSR features go to the msr list', () => {
    const p = empty();
    expect(parseCpuidFlag420(p, 'avx2=0')).toBe(0);
    expect(parseCpuidFlag420(p, 'sse4_1=1')).toBe(0);
    expect(parseCpuidFlag420(p, 'rdcl-no=s')).toBe(0);
    expect(p.cpuid).toEqual([
      { leaf: 7, subleaf: 0, regs: [null, withBit(5, '0'), null, null] },
      { leaf: 1, subleaf: null, regs: [null, null, withBit(19, '1'), null] },
    ]);
    expect(p.msr).toEqual([{ index: 0x10a, policy: 'x'.repeat(63) + 'k' }]);
    expect(parseCpuidFlag420(p, 'rdcl-no=10')).toBe(3);
  });
  it('the string form must start with "host"', () => {
    const r = build(HVM + 'cpuid = "sse3=0"\n');
    expect(r.warnings[0].message).toMatch(/first word must be "host"/);
    expect(r.plain.b_info.cpuid).toBeUndefined();
  });
  it('4.20 JSON carries the msr list', () => {
    expect(build(HVM + 'cpuid = "host,rdcl-no=0"\n', { xenVersion: '4.20' }).plain.b_info.cpuid).toEqual({
      cpuid: [], msr: [{ index: 266, policy: 'x'.repeat(63) + '0' }],
    });
  });
});
