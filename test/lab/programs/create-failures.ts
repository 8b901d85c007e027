// Lab program: our libxl's create with a failure injected at each given step,
// one after another in this one process (xl's own start-up, seconds under
// emulation, is paid once). After each attempt it asks the C tools what is
// left: `xl list` names, and every item of the host snapshot (host-state.ts:
// xenstore paths, domains, loop devices, bridge ports, device models,
// userdata files) that was not there before the first attempt.
//
//   node create-failures.mjs CFG XEN_VERSION NAME STEP... -- KEY=VALUE...
//
// Prints one JSON line per step: { step, error, domains, leftovers }.
import { spawnSync } from 'node:child_process';
import { openContext } from '../../../src/libxl/context.js';
import { CreateError, createNewDomain } from '../../../src/libxl/domain/create.js';
import { dryRunCreate } from '../../../src/libxl/domain/create-dry-run.js';
import { HOST_STATE_SCRIPT, added } from '../host-state.js';

const argv = process.argv.slice(2);
const sep = argv.indexOf('--');
const [cfg, version, name, ...steps] = sep < 0 ? argv : argv.slice(0, sep);
const overrides = [`name="${name}"`, ...(sep < 0 ? [] : argv.slice(sep + 1))];
const xenVersion = version === '4.20' ? '4.20' : '4.17';

const sh = (cmd: string, args: string[]) => spawnSync(cmd, args, { encoding: 'utf8' }).stdout ?? '';

const { config } = await dryRunCreate(cfg!, overrides, { xenVersion });
const snapshot = () => sh('bash', ['-c', HOST_STATE_SCRIPT]);
const ctx = openContext();
const before = snapshot();
try {
  for (const step of steps) {
    let error = 'no error';
    try {
      await createNewDomain(ctx, config, { failAt: step, xenVersion, warn: (m) => process.stderr.write(`warning: ${m}\n`) });
    } catch (e) {
      error = e instanceof CreateError ? e.message : `unexpected: ${e instanceof Error ? e.stack : String(e)}`;
    }
    const domains = sh('xl', ['list']).trim().split('\n').slice(1).map((l) => l.split(/\s+/)[0]);
    const leftovers = added(before, snapshot());
    process.stdout.write(`${JSON.stringify({ step, error, domains, leftovers })}\n`);
  }
} finally {
  await ctx.close();
}
