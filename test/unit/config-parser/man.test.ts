// man/xl.cfg.5 is generated from the key table and must be current.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { KEYS } from '../../../src/config-parser/index.js';
import { renderXlCfgMan } from '../../../src/config-parser/man.js';

const PAGE = join(__dirname, '../../../man/xl.cfg.5');

it('documents every key we accept', () => {
  const page = renderXlCfgMan();
  for (const k of KEYS) {
    if (k.name === 'claim_mode') continue;
    expect(page, k.name).toContain(`.B ${k.name.replace(/-/g, '\\-')}\n`);
  }
});

it('the committed man/xl.cfg.5 matches the generator', () => {
  const page = renderXlCfgMan();
  if (process.env.UPDATE_MAN) writeFileSync(PAGE, page);
  expect(readFileSync(PAGE, 'utf8')).toBe(page);
});
