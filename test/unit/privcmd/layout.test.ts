import { describe, expect, it } from 'vitest';
import { decode, defineStruct, encode, offsetOf } from '../../../src/privcmd/layout.js';

describe('defineStruct', () => {
  it('aligns fields naturally and pads the tail to the largest alignment', () => {
    // struct { u16 a; u32 b; u8 c; u64 d; u8 e; } => a@0 b@4 c@8 d@16 e@24, size 32
    const s = defineStruct('t', [['a', 'u16'], ['b', 'u32'], ['c', 'u8'], ['d', 'u64'], ['e', 'u8']]);
    expect([s.fields.a.offset, s.fields.b.offset, s.fields.c.offset, s.fields.d.offset, s.fields.e.offset])
      .toEqual([0, 4, 8, 16, 24]);
    expect(s.size).toBe(32);
    expect(s.align).toBe(8);
  });

  it('handles arrays, chars, nested structs and aligned blobs', () => {
    const inner = defineStruct('inner', [['p', 'ptr'], ['n', 'u32']]);
    expect(inner.size).toBe(16);
    const s = defineStruct('outer', [
      ['x', 'u8'], ['name', 'char', 5], ['arr', 'u32', 3], ['in', inner], ['blob', { bytes: 3, align: 8 }],
    ]);
    expect(s.fields.name.offset).toBe(1);
    expect(s.fields.arr.offset).toBe(8);
    expect(s.fields.in.offset).toBe(24);
    expect(s.fields.blob.offset).toBe(40);
    expect(s.size).toBe(48);
    expect(offsetOf(s, 'in.n')).toBe(32);
  });

  it('rejects duplicate fields', () => {
    expect(() => defineStruct('dup', [['a', 'u8'], ['a', 'u16']])).toThrow(/duplicate/);
  });
});

describe('encode/decode', () => {
  const inner = defineStruct('inner', [['bitmap', 'ptr'], ['nr_bits', 'u32']]);
  const s = defineStruct('rt', [
    ['a', 'u8'], ['b', 'u16'], ['c', 'u32'], ['d', 'i32'], ['e', 'u64'], ['f', 'i64'],
    ['s', 'char', 8], ['h', 'u8', 4], ['w', 'u32', 2], ['q', 'u64', 2], ['in', inner],
  ]);

  it('round-trips every kind of field', () => {
    const value = {
      a: 0xfe, b: 0xbeef, c: 0xdeadbeef, d: -5, e: 0xffff_ffff_ffff_fff0n, f: -7n,
      s: 'hello', h: Uint8Array.of(1, 2, 3, 4), w: [7, 0xffffffff], q: [1n, 2n ** 63n],
      in: { bitmap: 0x7fff_0000_1000n, nr_bits: 64 },
    };
    const buf = Buffer.alloc(s.size + 8);
    encode(s, value, buf, 8);
    expect(decode(s, buf, 8)).toEqual(value);
  });

  it('writes little-endian at the computed offsets', () => {
    const buf = Buffer.alloc(s.size);
    encode(s, { c: 0x01020304, in: { nr_bits: 9 } }, buf);
    expect([...buf.subarray(4, 8)]).toEqual([4, 3, 2, 1]);
    expect(buf.readUInt32LE(s.fields.in.offset + 8)).toBe(9);
  });

  it('stops strings at NUL and rejects overlong ones', () => {
    const buf = Buffer.alloc(s.size);
    buf.write('ab\0cd', s.fields.s.offset, 'latin1');
    expect(decode(s, buf).s).toBe('ab');
    expect(() => encode(s, { s: 'ninechars' }, buf)).toThrow(RangeError);
  });

  it('refuses unknown fields and short buffers', () => {
    expect(() => encode(s, { nope: 1 }, Buffer.alloc(s.size))).toThrow(/no field nope/);
    expect(() => decode(s, Buffer.alloc(s.size - 1))).toThrow(RangeError);
    expect(() => encode(s, { w: [1, 2, 3] }, Buffer.alloc(s.size))).toThrow(RangeError);
  });
});
