import { describe, expect, it } from 'vitest';
import { bitmapText, cpuSeconds, listHeader, listJson, listRow, memMiB, stateLetters } from '../../../src/cli/commands/list.js';
import { strtolDomid } from '../../../src/cli/commands/domname.js';
import type { Dominfo } from '../../../src/libxl/domain/domains.js';

const base: Dominfo = {
  uuid: '00000000-0000-0000-0000-000000000000', domid: 0, ssidref: 0, ssidLabel: null,
  running: false, blocked: false, paused: false, shutdown: false, dying: false, neverStop: false,
  shutdownReason: -1, outstandingMemkb: 0, currentMemkb: 0, sharedMemkb: 0, pagedMemkb: 0, maxMemkb: 0,
  cpuTime: 0n, vcpuMaxId: 0, vcpuOnline: 1, cpupool: 0, gpaddrBits: 0, domainType: 'pv', name: 'Domain-0',
};
const dom = (o: Partial<Dominfo>): Dominfo => ({ ...base, ...o });
const plain = { verbose: false, context: false, cpupool: false };

describe('xl list formatting', () => {
  it('header as list_domains prints it, with the optional columns', () => {
    expect(listHeader(plain)).toBe('Name                                        ID   Mem VCPUs\tState\tTime(s)\n');
    expect(listHeader({ ...plain, verbose: true, context: true })).toBe(
      'Name                                        ID   Mem VCPUs\tState\tTime(s)   UUID                            Reason-Code\tSecurity Label\n');
    expect(listHeader({ ...plain, context: true })).toMatch(/Time\(s\)   Security Label\n$/);
    expect(listHeader({ ...plain, cpupool: true })).toMatch(/Time\(s\)         Cpupool\n$/);
  });

  it('a row: name padded to 40, memory in MiB including outstanding, one-decimal time', () => {
    const d = dom({ domid: 0, running: true, currentMemkb: 1048576 + 512, outstandingMemkb: 600, vcpuOnline: 2, cpuTime: 12_345_678_901n });
    expect(listRow(d, plain)).toBe(`${'Domain-0'.padEnd(40)}     0  1025     2     r-----      12.3\n`);
  });

  it('a nameless domain prints (null) as glibc does', () => {
    expect(listRow(dom({ name: null, domid: 7 }), plain).startsWith('(null)' + ' '.repeat(34) + '     7')).toBe(true);
  });

  it('state letters: r b p s, shutdown reason from "-rscwS", d', () => {
    expect(stateLetters(dom({ blocked: true, paused: true }))).toBe('-bp---');
    expect(stateLetters(dom({ shutdown: true, shutdownReason: 0 }))).toBe('---s--');
    expect(stateLetters(dom({ shutdown: true, shutdownReason: 1 }))).toBe('---sr-');
    expect(stateLetters(dom({ shutdown: true, shutdownReason: 3, dying: true }))).toBe('---scd');
    expect(stateLetters(dom({ shutdown: true, shutdownReason: 4 }))).toBe('---sw-');
    expect(stateLetters(dom({ shutdown: true, shutdownReason: 5 }))).toBe('---sS-');
    expect(stateLetters(dom({ shutdown: true, shutdownReason: 9 }))).toBe('---s?-');
    // Not shut down: the reason letter is '-' whatever the stored reason.
    expect(stateLetters(dom({ shutdownReason: 3 }))).toBe('------');
  });

  it('verbose adds the UUID, the hex reason code and the security label', () => {
    const u = '12345678-9abc-def0-1234-56789abcdef0';
    expect(listRow(dom({ uuid: u }), { ...plain, verbose: true }).slice(79)).toBe(` ${u}        - ${' '.repeat(15)}-\n`);
    expect(listRow(dom({ uuid: u, shutdown: true, shutdownReason: 3 }), { ...plain, verbose: true }).slice(79))
      .toBe(` ${u}        3 ${' '.repeat(15)}-\n`);
    expect(listRow(dom({}), { ...plain, context: true }).endsWith(`${' '.repeat(16)}-\n`)).toBe(true);
  });

  it('-n adds " NODE Affinity" and print_bitmap\'s ranges', () => {
    expect(listHeader({ ...plain, numa: true })).toMatch(/Time\(s\) NODE Affinity\n$/);
    expect(listRow(dom({}), { ...plain, numa: true }, undefined, 'all').endsWith('       0.0 all\n')).toBe(true);
    expect(bitmapText(new Set([0]), 1)).toBe('all');
    expect(bitmapText(new Set([0, 1, 2, 3]), 4)).toBe('all');
    expect(bitmapText(new Set(), 4)).toBe('none');
    expect(bitmapText(new Set([1, 2, 3]), 4)).toBe('1-3');
    expect(bitmapText(new Set([0, 1, 3]), 4)).toBe('0-1,3');
    expect(bitmapText(new Set([0, 2, 4, 5, 6]), 8)).toBe('0,2,4-6');
    expect(bitmapText(new Set([9]), 4)).toBe('none'); // beyond nr_nodes
  });

  it('cpupool column is %16s of the pool name', () => {
    expect(listRow(dom({}), { ...plain, cpupool: true }, 'Pool-0').endsWith(`${'Pool-0'.padStart(16)}\n`)).toBe(true);
  });

  it('Time(s) goes through a float like the C cast', () => {
    // 16777217 ns is not a float: C prints the float-rounded value.
    expect(cpuSeconds(dom({ cpuTime: 123_456_789_012_345n }))).toBe(Math.fround(123456789012345) / 1e9);
    expect(listRow(dom({ cpuTime: 123_456_789_012_345n }), plain)).toContain('  123456.8\n');
    expect(listRow(dom({ cpuTime: 50_000_000n }), plain)).toContain('       0.1\n'); // 0.05 as float rounds up
    expect(memMiB(dom({ currentMemkb: 1023 }))).toBe(0);
  });

  it('--json carries the live state', () => {
    const j = JSON.parse(listJson([dom({ domid: 3, name: 'g', paused: true, currentMemkb: 2048, cpuTime: 1_500_000_000n })]));
    expect(j).toEqual([{ id: 3, name: 'g', uuid: base.uuid, state: '--p---', shutdown_reason: null, memory: 2, max_memory_kb: 0, vcpus: 1, cpu_time: 1.5, type: 'pv' }]);
  });
});

describe('xl domname argument (strtol into uint32_t)', () => {
  it.each([
    ['5', 5], ['  12', 12], ['7abc', 7], ['+3', 3], ['-1', 4294967295], ['4294967296', 0], ['0', 0],
    ['99999999999999999999', 4294967295],
  ])('%j -> %j', (s, v) => expect(strtolDomid(s)).toBe(v));
  it.each(['', 'abc', '-', ' x1'])('%j has no digits', (s) => expect(strtolDomid(s)).toBeNull());
});
