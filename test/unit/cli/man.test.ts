// man/xl.1 is generated from the command table and must be current.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { CMD_TABLE } from '../../../src/cli/cmdtable.js';
import { renderXlMan } from '../../../src/cli/man.js';

const PAGE = join(__dirname, '../../../man/xl.1');
const NOT_IMPLEMENTED = '(not implemented yet: prints "command not implemented")';

/** The page's entry for one command: from its .B line to the next .TP/.SH. */
function entry(page: string, name: string): string {
  const head = `.TP\n.B ${name.replace(/-/g, '\\-')}\n`;
  const start = page.indexOf(head);
  expect(start, name).toBeGreaterThanOrEqual(0);
  const rest = page.slice(start + head.length);
  const end = rest.search(/^\.(TP|SH)\b/m);
  return end < 0 ? rest : rest.slice(0, end);
}

it('documents every command, in table order', () => {
  const page = renderXlMan();
  let last = -1;
  for (const c of CMD_TABLE) {
    const at = page.indexOf(`.TP\n.B ${c.name.replace(/-/g, '\\-')}\n`);
    expect(at, c.name).toBeGreaterThan(last);
    last = at;
  }
});

it('marks exactly the commands without an implementation', () => {
  const page = renderXlMan();
  const implemented = CMD_TABLE.filter((c) => c.load);
  expect(implemented.map((c) => c.name)).toContain('create');
  for (const c of implemented) expect(entry(page, c.name), c.name).not.toContain(NOT_IMPLEMENTED);
  const missing = CMD_TABLE.find((c) => c.name === 'pci-attach');
  expect(missing?.load).toBeUndefined();
  expect(entry(page, 'pci-attach')).toContain(NOT_IMPLEMENTED);
  for (const c of CMD_TABLE.filter((c) => !c.load)) expect(entry(page, c.name), c.name).toContain(NOT_IMPLEMENTED);
});

it('gives release and architecture restrictions', () => {
  const page = renderXlMan();
  expect(entry(page, 'dt-overlay')).toContain('Xen 4.18 and later; Arm only');
  expect(entry(page, 'suspend')).toContain('Xen 4.20 and later; not on Arm');
  expect(entry(page, 'list')).not.toMatch(/ only|and later/);
});

it('the committed man/xl.1 matches the generator', () => {
  const page = renderXlMan();
  if (process.env.UPDATE_MAN) writeFileSync(PAGE, page);
  expect(readFileSync(PAGE, 'utf8')).toBe(page);
});
