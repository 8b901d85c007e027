// `xl domid <DomainName>` (C main_domid, xl_info.c).
import { nameToDomid } from '../../libxl/domain/domains.js';
import { withContext } from '../domain.js';
import { err, out } from '../output.js';
import type { CommandContext } from '../types.js';

export async function run(ctx: CommandContext): Promise<number> {
  const opts = ctx.options();
  for (const _ of opts);
  const name = opts.operands[0];
  return withContext(async (lctx) => {
    const domid = await nameToDomid(lctx, name);
    if (domid === null) {
      err(`Can't get domid of domain name '${name}', maybe this domain does not exist.\n`);
      return 1;
    }
    out(`${domid}\n`);
    return 0;
  });
}
