// `xl console [-t pv|serial|vuart] [-n N] [-e ESC] <Domain>` (C main_console,
// xl_console.c, then libxl_console_exec's xenconsole): attach this terminal
// to a guest console until ^] (or the -e character, 4.18+).
import { attachConsole, consoleTtyNode, type ConsoleType } from '../../libxl/domain/console.js';
import { LibxlError } from '../../libxl/xs-util.js';
import { findDomain, withContext } from '../domain.js';
import { Exit } from '../errors.js';
import type { CommandContext } from '../types.js';

/** xenconsole's exit status for a bad argument (EINVAL). */
const EINVAL = 22;

/** xenconsole's -e: "^X" for a control character, else the character itself. */
export function parseEscape(arg: string): number | null {
  if (arg.length === 2 && arg[0] === '^') return arg.charCodeAt(1) & 0x1f;
  if (arg.length === 1) return arg.charCodeAt(0);
  return null;
}

export async function run(ctx: CommandContext): Promise<number> {
  let type: ConsoleType | null = null;
  let num = 0;
  let escape: number | undefined;
  const opts = ctx.options();
  for (const { opt, arg } of opts) {
    if (opt === 't') {
      if (arg !== 'pv' && arg !== 'serial' && arg !== 'vuart') throw new Exit(1, 'console type supported are: pv, serial, vuart\n');
      type = arg;
    } else if (opt === 'n') {
      num = Number.parseInt(arg ?? '0', 10) || 0; // atoi
    } else if (opt === 'e') {
      const e = parseEscape(arg ?? '');
      if (e === null) throw new Exit(EINVAL, `xenconsole: Invalid escape argument \`${arg}'\n`);
      escape = e;
    }
  }
  return withContext(async (lctx) => {
    const { domid } = await findDomain(lctx, opts.operands[0]);
    try {
      const node = await consoleTtyNode(lctx, domid, type, num);
      return await attachConsole(lctx, domid, node, { escape });
    } catch (e) {
      if (!(e instanceof LibxlError)) throw e;
      throw new Exit(e.rc === -6 ? EINVAL : 1, `xenconsole: ${e.message}\nUnable to attach console\n`);
    }
  });
}
