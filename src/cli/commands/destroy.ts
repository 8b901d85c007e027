// `xl destroy [-f] <Domain>` (C main_destroy / destroy_domain, xl_vmcontrol.c).
import { destroyDomain } from '../../libxl/domain/destroy.js';
import { LibxlError } from '../../libxl/xs-util.js';
import { findDomain, withContext } from '../domain.js';
import { Exit } from '../errors.js';
import { err } from '../output.js';
import type { CommandContext } from '../types.js';

export async function run(ctx: CommandContext): Promise<number> {
  let force = false;
  const opts = ctx.options();
  for (const { opt } of opts) if (opt === 'f') force = true;
  return withContext(async (lctx) => {
    const { domid } = await findDomain(lctx, opts.operands[0]);
    if (domid === 0 && !force) {
      throw new Exit(1, 'Not destroying domain 0; use -f to force.\n' +
        'This can only be done when using a disaggregated hardware domain and toolstack.\n\n');
    }
    try {
      await destroyDomain(lctx, domid, { warn: (m) => err(`xl: warning: ${m}\n`) });
    } catch (e) {
      const rc = e instanceof LibxlError ? e.rc : -3;
      throw new Exit(1, `destroy failed (rc=${rc}): ${e instanceof Error ? e.message : String(e)}\n`);
    }
    return 0;
  });
}
