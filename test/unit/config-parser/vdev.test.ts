// Virtual disk names to device numbers (libxl__device_disk_dev_number).
import { describe, expect, it } from 'vitest';
import { devnumToVdev, diskDevNumber, diskDevNumberOf } from '../../../src/config-parser/index.js';

describe('diskDevNumberOf', () => {
  it.each([
    ['xvda', (202 << 8) | 0],
    ['xvdb', (202 << 8) | (1 << 4)],
    ['xvda1', (202 << 8) | 1],
    ['xvdp15', (202 << 8) | (15 << 4) | 15],
    ['xvdq', (1 << 28) | (16 << 8)],
    ['xvdaa', (1 << 28) | (26 << 8)],
    ['xvda16', (1 << 28) | 16],
    ['d0p1', 51713],
    ['d16p0', (1 << 28) | (16 << 8)],
    ['hda', 3 << 8],
    ['hdb', (3 << 8) | 64],
    ['hdc', 22 << 8],
    ['hdd', (22 << 8) | 64],
    ['hda1', (3 << 8) | 1],
    ['sda', 8 << 8],
    ['sdb2', (8 << 8) | 16 | 2],
    ['0x301', 0x301],
    ['51712', 51712],
    ['0', 0],
    ['6', 6],
    ['010', 8], // strtoul base 0: octal
  ])('%s -> %i', (name, n) => {
    expect(diskDevNumberOf(name)).toBe(n);
  });

  it.each(['xvda0', 'hde', 'sdq', 'sdap', 'foo', 'xvda1x', 'hda64', '-1', '4294967296', 'sda16'])('%s is rejected', (name) => {
    expect(diskDevNumberOf(name)).toBe(-1);
  });

  it('returns disk and partition for names that encode them', () => {
    expect(diskDevNumber('xvdc3')).toEqual({ devnum: (202 << 8) | (2 << 4) | 3, disk: 2, partition: 3 });
    expect(diskDevNumber('0x301')).toEqual({ devnum: 0x301 });
  });

  it('maps xvd device numbers back to names', () => {
    for (const n of ['xvda', 'xvdb3', 'xvdq', 'xvdaa', 'xvdzz', 'xvda200']) {
      expect(devnumToVdev(diskDevNumberOf(n))).toBe(n);
    }
    expect(devnumToVdev(3 << 8)).toBeUndefined();
  });
});
