import { describe, expect, it } from 'vitest';
import { colourEnabled, loadChalk } from '../../../src/cli/output.js';

describe('colour', () => {
  it('is on only for a terminal without NO_COLOR', () => {
    expect(colourEnabled({ isTTY: true }, {})).toBe(true);
    expect(colourEnabled({ isTTY: false }, {})).toBe(false);
    expect(colourEnabled({}, {})).toBe(false);
    expect(colourEnabled({ isTTY: true }, { NO_COLOR: '1' })).toBe(false);
    // no-color.org: an empty NO_COLOR does not count.
    expect(colourEnabled({ isTTY: true }, { NO_COLOR: '' })).toBe(true);
  });

  it('gives a chalk that adds nothing when stdout is not a terminal', async () => {
    const isTTY = process.stdout.isTTY;
    process.stdout.isTTY = false;
    try {
      const chalk = await loadChalk();
      expect(chalk.level).toBe(0);
      expect(chalk.red('plain')).toBe('plain');
    } finally {
      process.stdout.isTTY = isTTY;
    }
  });
});
