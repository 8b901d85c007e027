// `xl dmesg [-c]` (C main_dmesg, tools/xl/xl_info.c): print Xen's console
// ring; -c/--clear also empties it, so the next dmesg shows only new lines.
import { isPrivcmdError } from '../../privcmd/errors.js';
import { asCString, readConsoleRing } from '../../libxl/domain/console-ring.js';
import { withContext } from '../domain.js';
import { err } from '../output.js';
import type { CommandContext } from '../types.js';

export async function run(ctx: CommandContext): Promise<number> {
  let clear = false;
  for (const { opt } of ctx.options()) if (opt === 'c') clear = true;
  return withContext((lctx) => {
    const xc = lctx.xc();
    try {
      // Raw bytes: the ring is not necessarily UTF-8, and xl copies it as is.
      for (const chunk of readConsoleRing(xc, { clear })) process.stdout.write(asCString(chunk));
    } catch (e) {
      if (!isPrivcmdError(e)) throw e;
      // libxl logs this, and xl ends with EXIT_FAILURE.
      err(`libxl: error: reading console ring buffer: ${e.message}\n`);
      return 1;
    }
    return 0;
  });
}
