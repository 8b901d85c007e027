// `xl vncviewer [--autopass] <Domain>` (C main_vncviewer, xl_console.c, and
// libxl_vncviewer_exec; the same in 4.17 and 4.20). The C xl becomes the
// viewer (exec); we run it with our terminal and end with its status. When
// libxl gives up first, xl exits 1; when the exec fails, 255.
import { execVncviewer, logText, signalStatus, vncviewerCommand, type VncCommand } from '../../libxl/device-model/hvm-control.js';
import { LibxlError } from '../../libxl/xs-util.js';
import { findDomain, withContext } from '../domain.js';
import { err } from '../output.js';
import type { CommandContext } from '../types.js';

export async function run(ctx: CommandContext): Promise<number> {
  let autopass = false;
  const opts = ctx.options();
  for (const { opt } of opts) if (opt === 'a') autopass = true;
  try {
    const found = await withContext(async (lctx): Promise<{ domid: number; cmd: VncCommand }> => {
      const { domid } = await findDomain(lctx, opts.operands[0]);
      return { domid, cmd: await vncviewerCommand(lctx, domid, autopass) };
    });
    const r = await execVncviewer(found.domid, found.cmd);
    if ('execError' in r) {
      err(`libxl: ${r.execError}\n`);
      return 255;
    }
    return r.signal ? signalStatus(r.signal) : r.status;
  } catch (e) {
    if (!(e instanceof LibxlError)) throw e;
    err(logText(e));
    return 1;
  }
}
