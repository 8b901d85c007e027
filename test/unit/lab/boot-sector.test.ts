// The lab's HVM boot sector (test/helpers/kernel-images.ts): read the way the CPU reads it, its text pointer lands on
// the marker, the loop ends on the terminating NUL, and the sector carries the BIOS's boot signature.
import { describe, expect, it } from 'vitest';
import { bootSector } from '../../helpers/kernel-images.js';

describe('bootSector', () => {
  it('clears DF first, points SI at the marker text, ends in the boot signature', () => {
    const s = bootSector('LAB-BOOT-SECTOR-READY');
    expect(s.length).toBe(512);
    expect(s[0]).toBe(0xfc); // cld
    const siAt = s.indexOf(0xbe); // mov si, imm16
    const text = s.readUInt16LE(siAt + 1) - 0x7c00;
    expect(s.subarray(text, text + 23).toString('latin1')).toBe('LAB-BOOT-SECTOR-READY\r\n');
    expect(s[text + 23]).toBe(0);
    // jz idle: lands on sti (0xfb), then hlt and a jump back to sti.
    const jz = s.indexOf(0x74);
    expect(s[jz + 2 + s[jz + 1]!]).toBe(0xfb);
    expect(s.readUInt16LE(510)).toBe(0xaa55);
    expect(() => bootSector('x'.repeat(490))).toThrow(/too long/);
  });
});
