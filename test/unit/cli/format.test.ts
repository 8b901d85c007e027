import { describe, expect, it } from 'vitest';
import { sprintf } from '../../../src/cli/format.js';

// Expected strings are what glibc printf gives for the same format.
describe('sprintf', () => {
  it.each([
    ['%-19s|', ['list'], 'list               |'],
    ['%5s|%.2s|%-3s|', ['ab', 'xyz', 'abcd'], '   ab|xy|abcd|'],
    ['%-40s %5d %5lu %5d', ['Domain-0', 0, 4096, 4], 'Domain-0                                     0  4096     4'],
    ['%05d|%-5d|%+d|% d', [-42, 7, 3, 3], '-0042|7    |+3| 3'],
    ['%x %X %#x %o %#o %08x', [255, 255, 255, 8, 8, 0xbeef], 'ff FF 0xff 10 010 0000beef'],
    ['%.3d|%.0d|%5.3d', [7, 0, 7], '007||  007'],
    ['%8.1f|%.0f|%f|%-8.2f|', [12.34, 2.5, 1, 3.14159], '    12.3|2|1.000000|3.14    |'],
    ['%e|%.2E', [12345.678, 0.000123], '1.234568e+04|1.23E-04'],
    ['%g|%g|%g|%g|%.3g', [100000, 1000000, 0.0001, 1.5, 3.14159], '100000|1e+06|0.0001|1.5|3.14'],
    ['%c%c|%%|%s', [65, 'bc', null], 'Ab|%|(null)'],
    ['%*d|%-*d|%.*s', [4, 1, 3, 2, 2, 'abc'], '   1|2  |ab'],
    ['%llu %lld %zu', [18446744073709551615n, -1n, 3], '18446744073709551615 -1 3'],
  ] as const)('%s', (fmt, args, want) => {
    expect(sprintf(fmt, ...args)).toBe(want);
  });
});

describe('sprintf %f rounding', () => {
  it('rounds exact ties to even like glibc', () => {
    // python3 -c "print('%.0f|%.1f|%.2f|%.0f|%.1f|%f|%.1f' % (2.5, 0.25, 0.125, 3.5, 0.35, 1e21, 1e22))"
    expect(sprintf('%.0f|%.1f|%.2f|%.0f|%.1f|%f|%.1f', 2.5, 0.25, 0.125, 3.5, 0.35, 1e21, 1e22)).toBe(
      '2|0.2|0.12|4|0.3|1000000000000000000000.000000|10000000000000000000000.0',
    );
  });
});
