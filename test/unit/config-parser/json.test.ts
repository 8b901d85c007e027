// The `xl create -n` JSON: gentypes.py's rules for what is written, and
// yajl's beautified layout.
import { describe, expect, it } from 'vitest';
import {
  domain_config, genStruct, initDomainConfig, initBuildInfoType, renderJson, type JNode,
} from '../../../src/config-parser/index.js';
import { build, PV } from './helpers.js';

const render = (n: JNode) => renderJson(n);

describe('yajl layout', () => {
  it('4-space indent, ": " after keys, final newline', () => {
    expect(render({ t: 'map', entries: [['a', { t: 'num', v: '1' }], ['b', { t: 'arr', items: [{ t: 'str', v: 'x' }] }]] }))
      .toBe('{\n    "a": 1,\n    "b": [\n        "x"\n    ]\n}\n');
  });
  it('empty containers take two lines', () => {
    expect(render({ t: 'map', entries: [['m', { t: 'map', entries: [] }], ['a', { t: 'arr', items: [] }]] }))
      .toBe('{\n    "m": {\n\n    },\n    "a": [\n\n    ]\n}\n');
  });
  it('escapes like yajl_string_encode (upper-case \\u00XX, / left alone)', () => {
    expect(render({ t: 'str', v: 'a"b\\c/\n\t\x01\x1f é' })).toBe('"a\\"b\\\\c/\\n\\t\\u0001\\u001F é"\n');
  });
});

describe('gen_json field rules', () => {
  it('a freshly initialised config only shows aggregates and non-default enums', () => {
    const d = initDomainConfig();
    const out = JSON.parse(renderJson(genStruct(domain_config, d as never, '4.17')));
    expect(Object.keys(out)).toEqual(['c_info', 'b_info']);
    expect(out.c_info).toEqual({});
    expect(Object.keys(out.b_info)).toEqual(['sched_params', 'type.invalid', 'arch_arm', 'arch_x86']);
    expect(out.b_info['type.invalid']).toEqual({});
  });
  it('keyed unions are written as "type.<member>"', () => {
    const d = initDomainConfig();
    initBuildInfoType(d.b_info, 'hvm');
    const out = JSON.parse(renderJson(genStruct(domain_config, d as never, '4.17')));
    expect(Object.keys(out.b_info)).toContain('type.hvm');
    expect(Object.keys(out.b_info['type.hvm'])).toEqual(['vga', 'vnc', 'sdl', 'spice', 'rdm']);
  });
  it('defbools print as "True"/"False"; MemKB only when not ~0; devid when not -1', () => {
    const { plain } = build(PV + 'memory = 0\nlocaltime = 0\nvif = [ "" ]\n');
    expect(plain.b_info.target_memkb).toBe(0);
    expect(plain.b_info.localtime).toBe('False');
    expect(plain.nics).toEqual([{ devid: 0 }]);
    expect(plain.b_info.shadow_memkb).toBeUndefined();
  });
  it('uint64 values print exactly', () => {
    const { json } = build(PV + 'memory = "-1"\n');
    expect(json).toContain('"target_memkb": 18446744073709550592');
  });
  it('const fields (u.pv.features) are never written', () => {
    const d = initDomainConfig();
    initBuildInfoType(d.b_info, 'pv');
    d.b_info.u.pv!.features = 'x';
    expect(renderJson(genStruct(domain_config, d as never, '4.17'))).not.toContain('features');
  });
  it('4.20 fields appear only in 4.20 output', () => {
    const text = PV + 'disk = [ "vdev=xvda,target=/a" ]\n';
    const d17 = build(text, { xenVersion: '4.17' });
    d17.config.disks[0].grant_usage = true;
    expect(renderJson(genStruct(domain_config, d17.config as never, '4.17'))).not.toContain('grant_usage');
    expect(renderJson(genStruct(domain_config, d17.config as never, '4.20'))).toContain('"grant_usage": "True"');
  });
  it('cpuid is a {cpuid, msr} map in 4.20 and in 4.17 as Debian ships it (4.17.7 took the 4.20 form)', () => {
    const text = PV + 'cpuid = [ "1:eax=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx0" ]\n';
    for (const xenVersion of ['4.17', '4.20'] as const) {
      expect(build(text, { xenVersion }).plain.b_info.cpuid).toEqual({ cpuid: [{ leaf: 1, eax: 'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx0' }], msr: [] });
    }
  });
});

describe('the domain config checked against the IDL', () => {
  it('accepts what the builder makes and names the path of a bad value', async () => {
    const { validateDomainConfig } = await import('../../../src/config-parser/index.js');
    const r = build(PV + 'pci = [ "01:00.0" ]\n');
    expect(validateDomainConfig(r.config)).toEqual([]);
    (r.config.pcidevs[0] as { bus: number }).bus = 300;
    (r.config.c_info as { type: string }).type = 'xen';
    const issues = validateDomainConfig(r.config);
    expect(issues.map((i) => i.path).sort()).toEqual(['c_info.type', 'pcidevs.0.bus']);
  });
  it('says what is wrong in English: range, integer, enum, unknown field', async () => {
    const { validateDomainConfig } = await import('../../../src/config-parser/index.js');
    const r = build(PV + 'pci = [ "01:00.0" ]\n');
    (r.config.pcidevs[0] as { bus: number }).bus = 300;
    (r.config.pcidevs[0] as { dev: number }).dev = 1.5;
    (r.config.c_info as { type: string }).type = 'xen';
    (r.config.b_info as Record<string, unknown>).no_such_field = 1;
    const byPath = Object.fromEntries(validateDomainConfig(r.config).map((i) => [i.path, i.message]));
    expect(byPath).toEqual({
      'pcidevs.0.bus': 'Too big: expected number to be <=255',
      'pcidevs.0.dev': 'Invalid input: expected int, received number',
      'c_info.type': expect.stringMatching(/^Invalid option: expected one of "invalid"\|"hvm"\|"pv"\|"pvh"/),
      'b_info': 'Unrecognized key: "no_such_field"',
    });
  });
  it('walks into keyed unions, device arrays and the 64-bit fields', async () => {
    const { validateDomainConfig } = await import('../../../src/config-parser/index.js');
    const r = build(PV + 'vif = [ "bridge=xenbr0" ]\n');
    const b = r.config.b_info as unknown as { max_memkb: unknown; u: Record<string, Record<string, unknown>> };
    b.max_memkb = 5;
    b.u.pv.no_such = 1;
    Object.defineProperty(b.u, 'constructor', { value: {}, enumerable: true });
    (r.config.nics[0] as { mac: number[] }).mac = [0, 0x16, 0x3e, 1, 2];
    expect(validateDomainConfig(r.config)).toEqual([
      { path: 'b_info.max_memkb', message: 'Invalid input: expected bigint, received number' },
      { path: 'b_info.u.pv', message: 'Unrecognized key: "no_such"' },
      { path: 'b_info.u', message: 'Unrecognized key: "constructor"' },
      { path: 'nics.0.mac', message: 'Too small: expected array to have exactly 6 items' },
    ]);
  });
  it('enum values follow the version (tee "ffa" is 4.20 only)', async () => {
    const { validateDomainConfig } = await import('../../../src/config-parser/index.js');
    const r = build(PV);
    (r.config.b_info as { tee: string }).tee = 'ffa';
    expect(validateDomainConfig(r.config, '4.17').map((i) => i.path)).toEqual(['b_info.tee']);
    expect(validateDomainConfig(r.config, '4.20')).toEqual([]);
  });
});
