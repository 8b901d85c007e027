// `xl uptime [-s] [Domain...]` (C main_uptime, tools/xl/xl_info.c): how long
// each domain has run. Domain 0's figure is its kernel's uptime (see
// src/libxl/domain/uptime.ts for why that needs no /proc); other domains count
// from the start_time libxl wrote into xenstore when it built them.
// --json is ours.
import type { LibxlContext } from '../../libxl/context.js';
import { domainName } from '../../libxl/domain/domains.js';
import { dom0UptimeSeconds, listVms, vmStartTime } from '../../libxl/domain/uptime.js';
import { findDomain, withContext } from '../domain.js';
import { sprintf } from '../format.js';
import { err, out } from '../output.js';
import type { CommandContext } from '../types.js';

/** C uptime_to_string: "[D day[s], ]HH:MM[:SS]" with the hour padded to 2. */
export function uptimeToString(seconds: number, short: boolean): string {
  const day = Math.floor(seconds / 86400);
  let rest = seconds - day * 86400;
  const hour = Math.floor(rest / 3600);
  rest -= hour * 3600;
  const min = Math.floor(rest / 60);
  const sec = rest - min * 60;
  const prefix = day > 1 ? `${day} days, ` : day === 1 ? '1 day, ' : '';
  return prefix + (short ? sprintf('%2d:%02d', hour, min) : sprintf('%2d:%02d:%02d', hour, min, sec));
}

/** strftime("%H:%M:%S") of local time. */
export function clockTime(epochSeconds: number): string {
  const d = new Date(epochSeconds * 1000);
  return sprintf('%02d:%02d:%02d', d.getHours(), d.getMinutes(), d.getSeconds());
}

export const HEADER = sprintf('%-33s %4s %s\n', 'Name', 'ID', 'Uptime');

export interface UptimeRow {
  name: string | null;
  domid: number;
  /** Seconds. */
  uptime: number;
}

/** One line as print_dom0_uptime/print_domU_uptime write it. */
export function uptimeLine(r: UptimeRow, short: boolean, now: number): string {
  return short
    ? sprintf(' %s up %s, %s (%d)\n', clockTime(now), uptimeToString(r.uptime, true), r.name, r.domid)
    : sprintf('%-33s %4d %s\n', r.name, r.domid, uptimeToString(r.uptime, false));
}

/** libxl_vm_get_start_time's failure value: (uint32_t)-1. */
const NO_START = 0xffffffff;

/** A domain's row, or null when it has no start time (libxl logs, xl skips it). */
async function rowFor(ctx: LibxlContext, domid: number, now: number): Promise<UptimeRow | null> {
  if (domid === 0) return { name: await domainName(ctx, 0), domid: 0, uptime: dom0UptimeSeconds() };
  const start = await vmStartTime(ctx, domid);
  if (start === null || start === NO_START) {
    if (start === null) err(`libxl: error: Domain ${domid}:Can't get start time of domain\n`);
    return null;
  }
  // C: uint32_t uptime = now - s_time.
  return { name: await domainName(ctx, domid), domid, uptime: (now - start) >>> 0 };
}

export async function run(ctx: CommandContext): Promise<number> {
  let short = false;
  let json = false;
  const opts = ctx.options();
  for (const { opt } of opts) {
    if (opt === 's') short = true;
    else if (opt === 'json') json = true;
  }
  return withContext(async (lctx) => {
    // C resolves every argument before printing anything.
    const doms: number[] = [];
    for (const a of opts.operands) doms.push((await findDomain(lctx, a)).domid);
    const now = Math.floor(Date.now() / 1000);
    if (doms.length === 0) {
      doms.push(0);
      for (const vm of await listVms(lctx)) if (vm.domid !== 0) doms.push(vm.domid);
    }
    if (json) {
      const rows = [];
      for (const d of doms) {
        const r = await rowFor(lctx, d, now);
        if (r) rows.push({ ...r, start_time: now - r.uptime });
      }
      out(JSON.stringify(rows, null, 2) + '\n');
      return 0;
    }
    if (!short) out(HEADER);
    for (const d of doms) {
      const r = await rowFor(lctx, d, now);
      if (r) out(uptimeLine(r, short, now));
    }
    return 0;
  });
}
