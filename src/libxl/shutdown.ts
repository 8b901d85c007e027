// Asking a guest to power off or reboot (libxl_domain_shutdown/_reboot: the
// PV control node, acknowledged by the guest clearing it), the ACPI button
// fallback (libxl_send_trigger), and waiting for domains to shut down or die
// (libxl_evenable_domain_death: a watch on @releaseDomain, then a look at
// each domain's info).
import { HVM_PARAM } from '../privcmd/abi.js';
import { PrivcmdError, errnoMessage } from '../privcmd/errors.js';
import type { LibxlContext } from './context.js';
import { LIBXL_ERROR, domainInfo, type Dominfo } from './domains.js';
import { qmpExecute } from './qmp.js';
import { LibxlError, domainType, watchUntil, xsRead } from './xs-util.js';

/** libxl_error values used here (libxl_types.idl). */
export const SHUTDOWN_ERROR = { GUEST_TIMEDOUT: -8, TIMEDOUT: -9, NOPARAVIRT: -10 } as const;

/** libxl__domain_pvcontrol's wait for the guest to take the request. */
const PVCONTROL_ACK_MS = 60_000;

export type PvControlCommand = 'poweroff' | 'reboot';

/** libxl__domain_pvcontrol_available: PV and PVH always; HVM once its PV drivers set up the callback IRQ. */
export async function pvControlAvailable(ctx: LibxlContext, domid: number): Promise<boolean> {
  const type = await domainType(ctx, domid);
  if (type === null) throw new LibxlError(`Domain ${domid}: unable to get domain type`, LIBXL_ERROR.FAIL);
  if (type !== 'hvm') return true;
  try {
    return ctx.xc().hvmGetParam(domid, HVM_PARAM.callback_irq) !== 0n;
  } catch (e) {
    const why = e instanceof PrivcmdError ? errnoMessage(e.code) : String(e);
    throw new LibxlError(`Domain ${domid}: getting HVM callback IRQ: ${why}`, LIBXL_ERROR.FAIL, { cause: e });
  }
}

/**
 * Write the request to control/shutdown and wait (up to 60 s) for the guest
 * to acknowledge it by clearing the node. NOPARAVIRT when the guest has no
 * PV control interface.
 */
export async function requestShutdown(ctx: LibxlContext, domid: number, cmd: PvControlCommand): Promise<void> {
  if (!(await pvControlAvailable(ctx, domid))) {
    throw new LibxlError(`Domain ${domid}: PV control interface not available`, SHUTDOWN_ERROR.NOPARAVIRT);
  }
  const xs = await ctx.xs();
  const path = `/local/domain/${domid}/control/shutdown`;
  await xs.write(path, cmd);
  const acked = await watchUntil(xs, path, (v) => v === null || v === '', PVCONTROL_ACK_MS);
  if (acked === 'timeout') {
    throw new LibxlError(`Domain ${domid}: guest didn't acknowledge control request: ${SHUTDOWN_ERROR.TIMEDOUT}`, SHUTDOWN_ERROR.TIMEDOUT);
  }
}

export type Trigger = 'power' | 'reset';

/** libxl_send_trigger for the two buttons xl's -F uses: power is a domctl, reset goes to QEMU (qemu-xen). */
export async function sendTrigger(ctx: LibxlContext, domid: number, trigger: Trigger): Promise<void> {
  try {
    if (trigger === 'reset' && (await xsRead(await ctx.xs(), `/libxl/${domid}/dm-version`))?.toLowerCase() === 'qemu_xen') {
      await qmpExecute(domid, [{ execute: 'system_reset' }]);
      return;
    }
    ctx.xc().sendTrigger(domid, trigger);
  } catch (e) {
    if (e instanceof LibxlError) throw e;
    const why = e instanceof PrivcmdError ? errnoMessage(e.code) : e instanceof Error ? e.message : String(e);
    throw new LibxlError(`Domain ${domid}: sending trigger ${trigger}: ${why}`, LIBXL_ERROR.FAIL, { cause: e });
  }
}

/**
 * How libxl's death watch reads a watched domain's info: dead when it is
 * gone, dying, or its domid now belongs to another domain (uuid differs).
 */
export function domainFate(info: Dominfo | null, uuid: string | undefined): 'dead' | 'shutdown' | 'alive' {
  if (!info || info.dying || info.uuid !== uuid) return 'dead';
  return info.shutdown ? 'shutdown' : 'alive';
}

export type DomainEvent =
  | { type: 'shutdown'; domid: number; reason: number }
  | { type: 'death'; domid: number };

/**
 * Report each domain's shutdown (once) and death, as libxl's domain death
 * events do, until `stop` says so. The watch's first firing checks the
 * current state, so a domain already shut down is reported at once.
 */
export async function watchDomains(
  ctx: LibxlContext, domids: readonly number[], onEvent: (ev: DomainEvent) => boolean | Promise<boolean>,
): Promise<void> {
  const xs = await ctx.xs();
  const uuids = new Map<number, string>();
  for (const id of domids) {
    const info = await domainInfo(ctx, id, { names: false });
    if (info) uuids.set(id, info.uuid);
  }
  const pending = new Set(domids);
  const shutdownSeen = new Set<number>();
  const w = await xs.watch('@releaseDomain');
  try {
    for await (const _ of w) {
      for (const id of [...pending]) {
        const info = await domainInfo(ctx, id, { names: false });
        const fate = domainFate(info, uuids.get(id));
        if (fate === 'dead') {
          pending.delete(id);
          if (await onEvent({ type: 'death', domid: id })) return;
          continue;
        }
        if (fate === 'shutdown' && !shutdownSeen.has(id)) {
          shutdownSeen.add(id);
          if (await onEvent({ type: 'shutdown', domid: id, reason: info!.shutdownReason })) return;
        }
      }
      if (pending.size === 0) return;
    }
  } finally {
    await w.close().catch(() => undefined);
  }
}
