// What `xl uptime` needs from libxl: the VMs (libxl_list_vm: every domain
// that is not a stub domain), each one's start time from xenstore
// (libxl_vm_get_start_time), and domain 0's own uptime.
//
// Domain 0 has no start_time node; the C xl reads /proc/uptime, which the
// BSDs do not have. We ask the dom0 kernel for its uptime through Node's
// os.uptime() (libuv: /proc/uptime or CLOCK_BOOTTIME on Linux, the
// monotonic clock on FreeBSD, kern.boottime on NetBSD), so no /proc is
// needed and on Linux the figure is the one the C xl prints. Xen's own
// wallclock (shared_info wc_sec) was not used: it counts from the
// hypervisor's boot, seconds before dom0's, so it would disagree with C.
import { uptime as osUptime } from 'node:os';
import type { LibxlContext } from '../context.js';
import { xsReadOrNull } from './domains.js';

export interface VmRef { domid: number; uuid: string }

/** libxl_list_vm: domains in domid order, stub domains (with a `target` node) left out. */
export async function listVms(ctx: LibxlContext): Promise<VmRef[]> {
  const doms = ctx.xc().listDomains();
  const targets = await Promise.all(doms.map((d) => xsReadOrNull(ctx, `/local/domain/${d.domid}/target`)));
  return doms.filter((_, i) => !isStubdomTarget(targets[i])).map((d) => ({ domid: d.domid, uuid: d.uuid }));
}

/** libxl_is_stubdom: a `target` node that strtol reads to its end (so "" counts). */
export function isStubdomTarget(target: string | null): boolean {
  return target !== null && (target === '' || /^[ \t\n\v\f\r]*[+-]?[0-9]+$/.test(target));
}

/**
 * libxl_vm_get_start_time: seconds since the epoch when the domain was
 * built (strtoul of <vm>/start_time, kept to 32 bits), or null when there
 * is no such node.
 */
export async function vmStartTime(ctx: LibxlContext, domid: number): Promise<number | null> {
  const vm = await xsReadOrNull(ctx, `/local/domain/${domid}/vm`);
  // libxl reads "(null)/start_time" then, which cannot exist.
  if (vm === null) return null;
  const s = await xsReadOrNull(ctx, `${vm}/start_time`);
  if (s === null) return null;
  return strtoulU32(s);
}

/** strtoul(s, NULL, 10) stored in a uint32_t: leading digits, saturating, low 32 bits. */
export function strtoulU32(s: string): number {
  const m = /^[ \t\n\v\f\r]*([+-]?)([0-9]*)/.exec(s)!;
  if (m[2] === '') return 0;
  let v = BigInt(m[2]);
  const max = (1n << 64n) - 1n;
  if (v > max) v = max;
  else if (m[1] === '-') v = (-v) & max;
  return Number(v & 0xffffffffn);
}

/** Whole seconds dom0's kernel has been up (what the C xl takes from /proc/uptime). */
export function dom0UptimeSeconds(): number {
  return Math.floor(osUptime());
}
