// `xl shutdown|reboot [-a] [-w] [-F] <Domain>` (C main_shutdown_or_reboot,
// shutdown_domain, reboot_domain and wait_for_domain_deaths in
// xl_vmcontrol.c). -w waits for each domain to shut down (or die); -ww only
// for it to die. What happens after a shut down is the monitor's business.
import { listDomainInfo } from '../../libxl/domain/domains.js';
import { SHUTDOWN_ERROR, requestShutdown, sendTrigger, watchDomains } from '../../libxl/domain/shutdown.js';
import { LibxlError } from '../../libxl/xs-util.js';
import type { LibxlContext } from '../../libxl/context.js';
import { findDomain, withContext } from '../domain.js';
import { Exit } from '../errors.js';
import { err } from '../output.js';
import type { CommandContext } from '../types.js';

/** The words of each request, as the C xl prints them. */
const WORDS = {
  shutdown: { cmd: 'poweroff', doing: 'Shutting down', trigger: 'power', button: 'power button', event: 'power', graceful: 'shutdown' },
  reboot: { cmd: 'reboot', doing: 'Rebooting', trigger: 'reset', button: 'reset button', event: 'reset', graceful: 'reboot' },
} as const;

async function signal(lctx: LibxlContext, what: 'shutdown' | 'reboot', domid: number, fallback: boolean): Promise<void> {
  const w = WORDS[what];
  err(`${w.doing} domain ${domid}\n`);
  let rc = 0;
  try {
    await requestShutdown(lctx, domid, w.cmd);
  } catch (e) {
    if (!(e instanceof LibxlError)) throw e;
    rc = e.rc;
    if (rc === SHUTDOWN_ERROR.NOPARAVIRT) {
      if (fallback) {
        err(`PV control interface not available: sending ACPI ${w.button} event.\n`);
        try {
          await sendTrigger(lctx, domid, w.trigger);
          rc = 0;
        } catch (t) {
          if (!(t instanceof LibxlError)) throw t;
          err(`libxl: error: ${t.message}\n`);
          rc = t.rc;
        }
      } else {
        err(`PV control interface not available: external graceful ${w.graceful} not possible.\n`);
        err(`Use "-F" to fallback to ACPI ${w.event} event.\n`);
      }
    } else {
      err(`libxl: error: ${e.message}\n`);
    }
  }
  if (rc) throw new Exit(1, `${what} failed (rc=${rc})\n`);
}

export async function run(ctx: CommandContext): Promise<number> {
  const what = ctx.spec.name === 'reboot' ? 'reboot' : 'shutdown';
  let all = false;
  let wait = 0;
  let fallback = false;
  const opts = ctx.options();
  for (const { opt } of opts) {
    if (opt === 'a') all = true;
    else if (opt === 'w') wait++;
    else if (opt === 'F') fallback = true;
  }
  const target = opts.operands[0];
  if (target === undefined && !all) throw new Exit(1, 'You must specify -a or a domain id.\n\n');

  return withContext(async (lctx) => {
    let domids: number[];
    if (all) {
      domids = (await listDomainInfo(lctx, { names: false })).filter((d) => d.domid !== 0 && !d.neverStop).map((d) => d.domid);
    } else {
      domids = [(await findDomain(lctx, target!)).domid];
    }
    for (const id of domids) await signal(lctx, what, id, fallback);
    if (!wait || domids.length === 0) return 0;

    // wait_for_domain_deaths: -w counts a shut down as done, -ww waits for the domain to be gone.
    err(`Waiting for ${domids.length} domains\n`);
    const done = new Set<number>();
    await watchDomains(lctx, domids, (ev) => {
      if (done.has(ev.domid)) return false;
      if (ev.type === 'death') {
        err(`Domain ${ev.domid} has been destroyed\n`);
        done.add(ev.domid);
      } else {
        err(`Domain ${ev.domid} has been shut down, reason code ${ev.reason}\n`);
        if (wait === 1) done.add(ev.domid);
        else err(`Domain ${ev.domid} continue waiting for death\n`);
      }
      return done.size === domids.length;
    });
    return 0;
  });
}
