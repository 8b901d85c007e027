// `xl qemu-monitor-command <Domain> <Command>` (C main_qemu_monitor_command,
// xl_misc.c; the same in 4.17 and 4.20): the HMP command through QMP's
// human-monitor-command, QEMU's answer printed with a newline after it.
import { logText, qemuMonitorCommand } from '../../libxl/device-model/hvm-control.js';
import { LibxlError } from '../../libxl/xs-util.js';
import { findDomain, withContext } from '../domain.js';
import { Exit } from '../errors.js';
import { err, out } from '../output.js';
import type { CommandContext } from '../types.js';

export async function run(ctx: CommandContext): Promise<number> {
  const opts = ctx.options();
  for (const _ of opts);
  const [dom, command, ...extra] = opts.operands;
  return withContext(async (lctx) => {
    const { domid } = await findDomain(lctx, dom);
    if (extra.length) throw new Exit(1, 'Invalid arguments.\n');
    try {
      out(`${await qemuMonitorCommand(domid, command)}\n`);
      return 0;
    } catch (e) {
      if (!(e instanceof LibxlError)) throw e;
      err(logText(e));
      return 1;
    }
  });
}
