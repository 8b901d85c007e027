// PCI specs and rdm (libxlu_pci.c).
import { describe, expect, it } from 'vitest';
import { device_pci, initStruct, parsePciSpec, parseRdm, PciSpecError } from '../../../src/config-parser/index.js';

const pci = (spec: string) => { const p = initStruct(device_pci); parsePciSpec(p, spec); return p; };

describe('PCI_SPEC_STRING', () => {
  it('BB:DD.F and DDDD:BB:DD.F', () => {
    expect(pci('01:1f.7')).toMatchObject({ domain: 0, bus: 1, dev: 0x1f, func: 7, vfunc_mask: 1, vdevfn: 0 });
    expect(pci('0001:03:00.1')).toMatchObject({ domain: 1, bus: 3, dev: 0, func: 1 });
  });
  it('@VSLOT sets vdevfn = slot << 3', () => {
    expect(pci('01:00.0@5').vdevfn).toBe(40);
    expect(pci('bdf=01:00.0,vslot=1f').vdevfn).toBe(0xf8);
  });
  it('* selects all functions', () => {
    expect(pci('02:00.*')).toMatchObject({ func: 0, vfunc_mask: 0xffffffff });
  });
  it('options', () => {
    expect(pci('01:00.0,permissive=1,msitranslate=1,power_mgmt=1,seize=1,rdm_policy=relaxed')).toMatchObject({
      permissive: true, msitranslate: true, power_mgmt: true, seize: true, rdm_policy: 'relaxed',
    });
    expect(pci('name=gpu0').name).toBe('gpu0');
  });
  it.each(['01:00.8', '01:20.0', '100:00.0', '01:00', '01:00.0,bogus=1', 'name=a,bdf=01:00.0', 'permissive=1', '01:00.0@20', '01:00.0 x'])('%j is rejected', (s) => {
    expect(() => pci(s)).toThrow(PciSpecError);
  });
});

describe('rdm', () => {
  it('strategy and policy (libxlu rejects any valid policy: a fixed bug)', () => {
    expect(parseRdm('strategy=host,policy=relaxed')).toEqual({ strategy: 'host', policy: 'relaxed' });
    expect(parseRdm('strategy=host')).toEqual({ strategy: 'host' });
  });
  it.each(['strategy=none', 'policy=lax', 'foo=bar', 'strategy'])('%j is rejected', (s) => {
    expect(() => parseRdm(s)).toThrow(PciSpecError);
  });
});
