// Whole runs of main() against what the C xl main()/def_getopt() do with the
// same argv, each command replaced by a stub that prints what it was given.
import { describe, expect, it } from 'vitest';
import { CMD_TABLE } from '../../../src/cli/cmdtable.js';
import type { CommandContext, CommandSpec } from '../../../src/cli/types.js';
import { runMain } from './capture.js';
import { fixtureFiles, readFixture, targetOf, type DispatchCase } from './fixtures.js';

// The C stubs print long-only option values as the numbers xl gives them.
const NUMERIC_VALS: Record<string, number> = {
  colo: 0x100,
  'coloft-script': 0x200,
  'userspace-colo-proxy': 0x300,
  debug: 0x100,
  live: 0x200,
};

function trace(ctx: CommandContext): number {
  const g = ctx.globals;
  let text = `globals v=${g.verbose} N=${+g.dryRun} f=${+g.force} t=${+g.progressUseCr} T=${+g.timestamps} command ${ctx.spec.name}\n`;
  if (!ctx.spec.getopt) {
    process.stdout.write(text + 'custom\n');
    return 0;
  }
  process.stdout.write(text);
  text = '';
  const options = ctx.options();
  for (const { opt, arg } of options) {
    process.stdout.write(`opt ${NUMERIC_VALS[opt] ?? opt} arg ${arg ?? '-'}\n`);
  }
  process.stdout.write(`operands:${options.operands.map((a) => ` [${a}]`).join('')}\n`);
  return 0;
}

const traced: CommandSpec[] = CMD_TABLE.map((c) => ({ ...c, load: async () => ({ run: trace }) }));
const files = fixtureFiles('dispatch-');

describe('dispatch matches the C xl', () => {
  it('has fixtures', () => expect(files.length).toBeGreaterThanOrEqual(2));

  describe.each(files)('%s', (file) => {
    const target = targetOf(file);
    const cases = readFixture<DispatchCase[]>(file);
    it.each(cases.map((c) => [c.argv.join(' ') || '(none)', c] as const))('xl %s', async (_name, c) => {
      const got = await runMain(c.argv, { table: traced, target });
      expect(got).toEqual({ stdout: c.stdout, stderr: c.stderr, status: c.status });
    });
  });
});

describe('commands not implemented yet', () => {
  const target = targetOf('x-4.20-x86.json');

  it('still answer -h and usage errors, then say so and exit 1', async () => {
    expect(await runMain(['sysrq', 'dom', 'b'], { target })).toEqual({
      stdout: '',
      stderr: 'command not implemented\n',
      status: 1,
    });
    const help = await runMain(['sysrq', '-h'], { target });
    expect(help.status).toBe(0);
    expect(help.stdout).toMatch(/^Usage: xl \[-vtTf\] sysrq <Domain> <letter>\n/);
    const usage = await runMain(['sysrq', 'dom'], { target });
    expect(usage.status).toBe(2);
    expect(usage.stderr).toBe("'xl sysrq' requires at least 2 arguments.\n\n");
  });

  it('print the same for an unknown command', async () => {
    expect(await runMain(['frobnicate'], { target })).toEqual({
      stdout: '',
      stderr: 'command not implemented\n',
      status: 1,
    });
  });
});
