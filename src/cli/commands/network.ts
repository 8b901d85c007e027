// `xl network-attach <Domain> [key=value ...]`, `xl network-list
// <Domain(s)>` and `xl network-detach <Domain> <DevId|mac>` (C
// main_networkattach, main_networklist, main_networkdetach in
// tools/xl/xl_nic.c; the same in 4.17 and 4.20). Attach starts from xl.conf's
// vif defaults and applies each argument as one token of a vif= entry
// (parse_nic_config; an argument is not split at commas), so libxl gets the
// object a config file line would give, except that a bad token is fatal
// here; global -N prints the nic instead.
import type { XenVersion } from '../../config-parser/model/dsl.js';
import type { DeviceNic } from '../../config-parser/model/idl.js';
import { ParseUlongError, VifRateError, applyVifToken } from '../../config-parser/spec/vif.js';
import { findNic, formatMac, listNics } from '../../libxl/devices/device-info.js';
import { XlError } from '../../libxl/errors.js';
import { findDomain, withContext } from '../domain.js';
import { Exit } from '../errors.js';
import { readGlobalConfig } from '../global-config.js';
import { err, out, printf } from '../output.js';
import { compareXen } from '../target.js';
import type { CommandContext } from '../types.js';
import type { XlConf } from '../../config-parser/xlconf.js';

/** xl_nic.c main_networklist's header and the two printfs around the MAC of each row. */
export const NETWORK_LIST_HEADER = '%-3s %-2s %-17s %-6s %-5s %-6s %5s/%-5s %-30s\n';
export const NETWORK_LIST_ROW_HEAD = '%-3d %-2d ';
export const NETWORK_LIST_ROW_TAIL = '%6d %5d %6d %5d/%-11d %-30s\n';

const libxlLog = (m: string) => err(`libxl: error: ${m}\n`);

const versionOf = (ctx: CommandContext): XenVersion => (compareXen(ctx.target.xen, '4.20') >= 0 ? '4.20' : '4.17');

/**
 * The nic network-attach builds: libxl_device_nic_init, xl.conf's defaults
 * (set_default_nic_values), then parse_nic_config on each argument. Warnings
 * go to stderr; the first bad argument ends the run as in the C xl.
 */
export async function nicFromArgs(tokens: readonly string[], conf: XlConf, version: XenVersion): Promise<DeviceNic> {
  const { device_nic, initStruct } = await import('../../config-parser/index.js');
  const nic = initStruct(device_nic);
  if (conf.vifScript !== undefined) nic.script = conf.vifScript;
  if (conf.bridge !== undefined) nic.bridge = conf.bridge;
  if (conf.gatewaydev !== undefined) nic.gatewaydev = conf.gatewaydev;
  if (conf.vifBackend !== undefined) nic.backend_domname = conf.vifBackend;
  for (const token of tokens) {
    let issues;
    try {
      issues = applyVifToken(nic, token, version);
    } catch (e) {
      if (e instanceof VifRateError) throw new Exit(1, `command line: config parsing error in vif: ${e.message}\n`);
      if (e instanceof ParseUlongError) throw new Exit(1, `xl: ${e.message}\n`);
      throw e;
    }
    for (const issue of issues) {
      if (issue.severity === 'warning') err(`${issue.message}\n`);
      // "Invalid parameter `mac'." ends in a full stop, "unrecognized argument `x'" does not.
      else throw new Exit(1, `${issue.message}${issue.message.startsWith('Invalid parameter') ? '.' : ''}\n`);
    }
  }
  return nic;
}

async function attach(ctx: CommandContext): Promise<number> {
  const opts = ctx.options();
  for (const _ of opts);
  const [qualifier, ...tokens] = opts.operands;
  const version = versionOf(ctx);
  const conf = await readGlobalConfig(version); // xl's main() reads it before any command
  return withContext(async (lctx) => {
    const { domid } = await findDomain(lctx, qualifier);
    const nic = await nicFromArgs(tokens, conf, version);
    if (ctx.globals.dryRun) {
      const { device_nic, genStruct, renderJson } = await import('../../config-parser/index.js');
      out(`vif: ${renderJson(genStruct(device_nic, nic, version))}\n`);
      return 0;
    }
    const { attachNic } = await import('../../libxl/devices/devices.js');
    try {
      await attachNic(lctx, domid, nic);
    } catch (e) {
      if (!(e instanceof XlError)) throw e;
      throw new Exit(1, `libxl: error: ${e.message}\nlibxl_device_nic_add failed.\n`);
    }
    return 0;
  });
}

async function list(ctx: CommandContext): Promise<number> {
  const opts = ctx.options();
  for (const _ of opts);
  const version = versionOf(ctx);
  return withContext(async (lctx) => {
    await lctx.xs(); // the C xl has its context before it prints anything
    printf(NETWORK_LIST_HEADER, 'Idx', 'BE', 'Mac Addr.', 'handle', 'state', 'evt-ch', 'tx-', 'rx-ring-ref', 'BE-path');
    for (const q of opts.operands) {
      const { domid } = await findDomain(lctx, q);
      for (const n of await listNics(lctx, domid, { log: libxlLog, xenVersion: version })) {
        printf(NETWORK_LIST_ROW_HEAD, n.devid, n.backendId | 0);
        out(formatMac(n.mac));
        printf(NETWORK_LIST_ROW_TAIL, n.devid, n.state, n.evtch, n.rrefTx, n.rrefRx, n.backend);
      }
    }
    return 0;
  });
}

async function detach(ctx: CommandContext): Promise<number> {
  const opts = ctx.options();
  for (const _ of opts);
  const [qualifier, which] = opts.operands;
  const version = versionOf(ctx);
  return withContext(async (lctx) => {
    const { domid } = await findDomain(lctx, qualifier);
    const nic = await findNic(lctx, domid, which, { log: libxlLog, xenVersion: version });
    if (!nic) throw new Exit(1, `Unknown device ${which}.\n`);
    const { detachDevice } = await import('../../libxl/devices/devices.js');
    try {
      await detachDevice(lctx, domid, { kind: 'vif', devid: nic.devid }, { force: false });
    } catch (e) {
      if (!(e instanceof XlError)) throw e;
      throw new Exit(1, `libxl: error: ${e.message}\nlibxl_device_nic_del failed.\n`);
    }
    return 0;
  });
}

export async function run(ctx: CommandContext): Promise<number> {
  switch (ctx.spec.name) {
    case 'network-attach': return attach(ctx);
    case 'network-detach': return detach(ctx);
    default: return list(ctx);
  }
}
