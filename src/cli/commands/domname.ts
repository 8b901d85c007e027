// `xl domname <DomainId>` (C main_domname, xl_info.c): the id is read with
// strtol into a uint32_t, so "7abc" is 7 and "-1" is 4294967295.
import { domainName } from '../../libxl/domain/domains.js';
import { withContext } from '../domain.js';
import { err, out } from '../output.js';
import type { CommandContext } from '../types.js';

/** strtol(s, &end, 10) stored in uint32_t; null when no digits were read. */
export function strtolDomid(s: string): number | null {
  const m = /^[\t\n\v\f\r ]*([+-]?)(\d+)/.exec(s);
  if (!m) return null;
  const LONG_MAX = (1n << 63n) - 1n;
  let v = BigInt(m[2]);
  if (m[1] === '-') v = v > LONG_MAX + 1n ? -(LONG_MAX + 1n) : -v;
  else if (v > LONG_MAX) v = LONG_MAX;
  return Number(BigInt.asUintN(32, v));
}

export async function run(ctx: CommandContext): Promise<number> {
  const opts = ctx.options();
  for (const _ of opts);
  const arg = opts.operands[0];
  const domid = strtolDomid(arg);
  // C: domid == 0 with endptr still at the start means no digits at all.
  if (domid === null) {
    err('Invalid domain id.\n\n');
    return 1;
  }
  return withContext(async (lctx) => {
    const name = await domainName(lctx, domid);
    if (name === null) {
      err(`Can't get domain name of domain id '${domid}', maybe this domain does not exist.\n`);
      return 1;
    }
    out(`${name}\n`);
    return 0;
  });
}
