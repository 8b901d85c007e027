// `xl trigger <Domain> <nmi|reset|init|power|sleep|s3resume> [<VCPU>]` and
// the deprecated `xl button-press <Domain> <power|sleep>` (C main_trigger,
// main_button_press in xl_misc.c; the same in 4.17 and 4.20). Both ignore
// what libxl_send_trigger returns: its errors are logged, the exit status
// stays 0.
import { strtol } from '../../config-parser/cnum.js';
import { logText } from '../../libxl/device-model/hvm-control.js';
import { sendTrigger, triggerFromString, type Trigger } from '../../libxl/domain/shutdown.js';
import { LibxlError } from '../../libxl/xs-util.js';
import type { LibxlContext } from '../../libxl/context.js';
import { findDomain, withContext } from '../domain.js';
import { Exit } from '../errors.js';
import { err } from '../output.js';
import type { CommandContext } from '../types.js';

/** The buttons button-press knows, and the trigger each sends. */
const BUTTONS: Readonly<Record<string, Trigger>> = { power: 'power', sleep: 'sleep' };

async function send(lctx: LibxlContext, domid: number, trigger: Trigger, vcpu: number): Promise<void> {
  try {
    await sendTrigger(lctx, domid, trigger, vcpu);
  } catch (e) {
    if (!(e instanceof LibxlError)) throw e;
    err(logText(e));
  }
}

/** main_trigger's VCPU: strtol into an int, with a warning when nothing could be read. */
function vcpuOf(arg: string | undefined): number {
  if (arg === undefined) return 0;
  const r = strtol(arg, 10);
  const vcpu = Number(BigInt.asIntN(32, r.value));
  if (vcpu === 0 && r.end === 0) err('Invalid vcpuid, using default vcpuid=0.\n\n');
  return vcpu;
}

async function trigger(ctx: CommandContext): Promise<number> {
  const opts = ctx.options();
  for (const _ of opts);
  const [dom, name, vcpuArg] = opts.operands;
  return withContext(async (lctx) => {
    const { domid } = await findDomain(lctx, dom);
    const t = triggerFromString(name);
    if (t === null) throw new Exit(1, `Invalid trigger "${name}"\n`);
    await send(lctx, domid, t, vcpuOf(vcpuArg));
    return 0;
  });
}

async function buttonPress(ctx: CommandContext): Promise<number> {
  // Before the options are even looked at, as the C xl does.
  err('WARNING: "button-press" is deprecated. Please use "trigger"\n');
  const opts = ctx.options();
  for (const _ of opts);
  const [dom, button] = opts.operands;
  return withContext(async (lctx) => {
    const { domid } = await findDomain(lctx, dom);
    const t = Object.hasOwn(BUTTONS, button) ? BUTTONS[button] : undefined;
    if (t === undefined) throw new Exit(1, `${button} is an invalid button identifier\n`);
    await send(lctx, domid, t, 0);
    return 0;
  });
}

export async function run(ctx: CommandContext): Promise<number> {
  return ctx.spec.name === 'button-press' ? buttonPress(ctx) : trigger(ctx);
}
