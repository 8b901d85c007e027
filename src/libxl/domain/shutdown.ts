// Asking a guest to power off or reboot (libxl_domain_shutdown/_reboot: the
// PV control node, acknowledged by the guest clearing it), triggers
// (libxl_send_trigger: the ACPI buttons xl's -F falls back to, and what
// `xl trigger` sends), and waiting for domains to shut down or die
// (libxl_evenable_domain_death: a watch on @releaseDomain, then a look at
// each domain's info).
import { HVM_PARAM, type SENDTRIGGER } from '../../privcmd/abi.js';
import { BuildCalls } from '../../privcmd/build-calls.js';
import { PrivcmdError, errnoMessage } from '../../privcmd/errors.js';
import type { LibxlContext } from '../context.js';
import { LIBXL_ERROR, domainInfo, type Dominfo } from './domains.js';
import { QmpSession, type QmpSessionOptions } from '../device-model/qmp-session.js';
import { strerror } from '../strerror.js';
import { LibxlError, domainType, watchUntil, xsRead } from '../xs-util.js';
import { domainLogPrefix } from '../errors.js';

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

/** libxl_trigger by value (libxl_types.idl); "unknown" (0) parses but no trigger has it. */
export const TRIGGERS = ['unknown', 'power', 'sleep', 'nmi', 'init', 'reset', 's3resume'] as const;
export type Trigger = (typeof TRIGGERS)[number];

/** libxl_trigger_from_string: the names above, case ignored; null for anything else. */
export function triggerFromString(s: string): Trigger | null {
  const l = s.toLowerCase();
  return TRIGGERS.find((t) => t === l) ?? null;
}

/** The triggers libxl_send_trigger hands to XEN_DOMCTL_sendtrigger, by their domctl name. */
const DOMCTL_TRIGGER: Partial<Record<Trigger, keyof typeof SENDTRIGGER>> = {
  power: 'power', sleep: 'sleep', nmi: 'nmi', init: 'init', reset: 'reset',
};

/** HVM_PARAM_ACPI_S_STATE (params.h). */
const HVM_PARAM_ACPI_S_STATE = 14;

export interface TriggerOptions {
  /** The QMP connection for s3resume (tests point it at a fake QEMU). */
  qmp?: QmpSessionOptions;
}

/** libxl__device_model_version_running: absent means qemu-traditional; null for a value libxl cannot parse. */
export async function dmVersionRunning(ctx: LibxlContext, domid: number): Promise<{ version: string | null; log: string | null }> {
  const path = `/libxl/${domid}/dm-version`;
  const v = await xsRead(await ctx.xs(), path);
  if (v === null) return { version: 'qemu_xen_traditional', log: null };
  const l = v.toLowerCase();
  if (l === 'unknown' || l === 'qemu_xen_traditional' || l === 'qemu_xen') return { version: l, log: null };
  return { version: null, log: `${domainLogPrefix(domid)}fatal: ${path} contain a wrong value (${v})` };
}

/**
 * domain_s3_resume: for an HVM guest, qemu-traditional has Xen put the
 * guest's ACPI S state back to S0, qemu-xen is asked over QMP
 * ("system_wakeup"); anything else is INVAL. Each failure ends with libxl's
 * "failed, rc=" line.
 */
async function s3Resume(ctx: LibxlContext, domid: number, opts: TriggerOptions): Promise<void> {
  const lines: string[] = [];
  let rc: number = LIBXL_ERROR.INVAL;
  const type = await domainType(ctx, domid);
  if (type === null) lines.push(`unable to get domain type for domid=${domid}`);
  if (type === 'hvm') {
    const dm = await dmVersionRunning(ctx, domid);
    if (dm.log) lines.push(dm.log);
    if (dm.version === 'qemu_xen_traditional') {
      try {
        new BuildCalls(ctx.xc()).hvmSetParam(domid, HVM_PARAM_ACPI_S_STATE, 0);
        return;
      } catch (e) {
        if (!(e instanceof PrivcmdError)) throw e;
        lines.push(`${domainLogPrefix(domid)}Send trigger 's3resume' failed: ${strerror(e.code)}`);
        rc = LIBXL_ERROR.FAIL;
      }
    } else if (dm.version === 'qemu_xen') {
      const qmp = new QmpSession(domid, opts.qmp);
      try {
        await qmp.send('system_wakeup');
        return;
      } catch (e) {
        if (!(e instanceof LibxlError)) throw e;
        if (e.message) lines.push(e.message);
        rc = e.rc;
      } finally {
        qmp.close();
      }
    }
  }
  lines.push(`${domainLogPrefix(domid)}Send trigger 's3resume' failed, rc=${rc}`);
  throw new LibxlError(lines.join('\n'), rc);
}

/**
 * libxl_send_trigger: power, sleep, nmi, init and reset are
 * XEN_DOMCTL_sendtrigger to `vcpu`; s3resume wakes the guest (above). A
 * failure is a LibxlError whose message holds libxl's log lines.
 */
export async function sendTrigger(ctx: LibxlContext, domid: number, trigger: Trigger, vcpu = 0, opts: TriggerOptions = {}): Promise<void> {
  if (trigger === 's3resume') return s3Resume(ctx, domid, opts);
  const failed = (code: string, cause?: unknown) =>
    new LibxlError(`${domainLogPrefix(domid)}Send trigger '${trigger}' failed: ${strerror(code)}`, LIBXL_ERROR.FAIL, { cause });
  const op = DOMCTL_TRIGGER[trigger];
  if (op === undefined) throw failed('EINVAL'); // libxl's default case: errno EINVAL
  try {
    ctx.xc().sendTrigger(domid, op, vcpu >>> 0);
  } catch (e) {
    if (!(e instanceof PrivcmdError)) throw e;
    throw failed(e.code, e);
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
