// `xl rename <Domain> <NewDomainName>` (C main_rename, xl_misc.c).
import { renameDomain } from '../../libxl/domain/domain-control.js';
import { findDomain, withContext } from '../domain.js';
import { Exit } from '../errors.js';
import type { CommandContext } from '../types.js';

export async function run(ctx: CommandContext): Promise<number> {
  const opts = ctx.options();
  for (const _ of opts);
  const [dom, newName] = opts.operands;
  return withContext(async (lctx) => {
    const { domid, name } = await findDomain(lctx, dom);
    try {
      await renameDomain(lctx, domid, name, newName);
    } catch (e) {
      // The C xl's line, with libxl's reason on the same line.
      throw new Exit(1, `Can't rename domain '${dom}': ${e instanceof Error ? e.message : String(e)}\n`);
    }
    return 0;
  });
}
