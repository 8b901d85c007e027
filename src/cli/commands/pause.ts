// `xl pause <Domain>` / `xl unpause <Domain>` (C main_pause / main_unpause,
// xl_vmcontrol.c). The C xl ignores libxl's result, so a failure is reported
// but the exit status stays 0.
import { pauseDomain, unpauseDomain } from '../../libxl/domain/domain-control.js';
import { findDomain, withContext } from '../domain.js';
import { err } from '../output.js';
import type { CommandContext } from '../types.js';

export async function run(ctx: CommandContext): Promise<number> {
  const opts = ctx.options();
  for (const _ of opts);
  const unpause = ctx.spec.name === 'unpause';
  return withContext(async (lctx) => {
    const { domid } = await findDomain(lctx, opts.operands[0]);
    try {
      if (unpause) await unpauseDomain(lctx, domid);
      else pauseDomain(lctx, domid);
    } catch (e) {
      err(`xl: ${e instanceof Error ? e.message : String(e)}\n`);
    }
    return 0;
  });
}
