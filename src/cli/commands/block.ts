// `xl block-attach <Domain> <disk-spec-component(s)>...`, `xl block-list
// <Domain(s)>` and `xl block-detach [-f] <Domain> <DevId>` (C
// main_blockattach, main_blocklist, main_blockdetach in tools/xl/xl_block.c;
// the same in 4.17 and 4.20). Attach takes the components as one disk spec
// the way a disk= entry is parsed (xlu_disk_parse), so it hands libxl the
// object a config file line would give; global -N prints it instead.
import type { XenVersion } from '../../config-parser/model/dsl.js';
import { DiskSpecParseError, parseDiskSpec } from '../../config-parser/spec/disk.js';
import { findDisk, listDisks } from '../../libxl/devices/device-info.js';
import { InvalidDomainError, qualifierToDomid } from '../../libxl/domain/domains.js';
import { XlError } from '../../libxl/errors.js';
import type { LibxlContext } from '../../libxl/context.js';
import { findDomain, withContext } from '../domain.js';
import { Exit } from '../errors.js';
import { err, out, printf } from '../output.js';
import { compareXen } from '../target.js';
import type { CommandContext } from '../types.js';

/** xl_block.c main_blocklist's header and row formats. */
export const BLOCK_LIST_HEADER = '%-5s %-3s %-6s %-5s %-6s %-8s %-30s\n';
export const BLOCK_LIST_ROW = '%-5d %-3d %-6d %-5d %-6d %-8d %-30s\n';

/** libxl's error log lines, as xl's logger shows them. */
const libxlLog = (m: string) => err(`libxl: error: ${m}\n`);

const versionOf = (ctx: CommandContext): XenVersion => (compareXen(ctx.target.xen, '4.20') >= 0 ? '4.20' : '4.17');

/** block-attach and block-list look domains up without find_domain, so without its rc. */
async function qualifierOrNull(lctx: LibxlContext, q: string): Promise<number | null> {
  try {
    return await qualifierToDomid(lctx, q);
  } catch (e) {
    if (e instanceof InvalidDomainError) return null;
    throw e;
  }
}

/** xlu__disk_err's lines; the C xl exits 1 after them. */
export function diskSpecErrorText(e: DiskSpecParseError): string {
  return e.errors
    .map((d) => `command line: config parsing error in disk specification: ${d.message}${d.near !== undefined ? `: near \`${d.near}'` : ''} in \`${d.spec}'\n`)
    .join('');
}

/** The disk parse_disk_config_multistring builds from the components. */
export function diskFromComponents(components: readonly string[], version: XenVersion) {
  try {
    return parseDiskSpec([...components], version);
  } catch (e) {
    if (e instanceof DiskSpecParseError) throw new Exit(1, diskSpecErrorText(e));
    throw e;
  }
}

async function attach(ctx: CommandContext): Promise<number> {
  const opts = ctx.options();
  for (const _ of opts);
  const [qualifier, ...components] = opts.operands;
  const version = versionOf(ctx);
  return withContext(async (lctx) => {
    const domid = await qualifierOrNull(lctx, qualifier);
    if (domid === null) throw new Exit(1, `${qualifier} is an invalid domain identifier\n`);
    const disk = diskFromComponents(components, version);
    if (ctx.globals.dryRun) {
      const { device_disk, genStruct, renderJson } = await import('../../config-parser/index.js');
      out(`disk: ${renderJson(genStruct(device_disk, disk, version))}\n`);
      return 0;
    }
    const { attachDisk } = await import('../../libxl/devices/devices.js');
    try {
      await attachDisk(lctx, domid, disk);
    } catch (e) {
      if (!(e instanceof XlError)) throw e;
      throw new Exit(1, `libxl: error: ${e.message}\nlibxl_device_disk_add failed.\n`);
    }
    return 0;
  });
}

async function list(ctx: CommandContext): Promise<number> {
  const opts = ctx.options();
  for (const _ of opts);
  return withContext(async (lctx) => {
    await lctx.xs(); // the C xl has its context before it prints anything
    printf(BLOCK_LIST_HEADER, 'Vdev', 'BE', 'handle', 'state', 'evt-ch', 'ring-ref', 'BE-path');
    for (const q of opts.operands) {
      const domid = await qualifierOrNull(lctx, q);
      if (domid === null) {
        err(`${q} is an invalid domain identifier\n`);
        continue;
      }
      for (const d of await listDisks(lctx, domid, { log: libxlLog })) {
        printf(BLOCK_LIST_ROW, d.devid, d.backendId | 0, d.frontendId | 0, d.state, d.evtch, d.rref, d.backend);
      }
    }
    return 0;
  });
}

async function detach(ctx: CommandContext): Promise<number> {
  let force = false;
  const opts = ctx.options();
  for (const { opt } of opts) if (opt === 'f') force = true;
  const [qualifier, vdev] = opts.operands;
  const what = force ? 'destroy' : 'safe_remove';
  return withContext(async (lctx) => {
    const { domid } = await findDomain(lctx, qualifier);
    const disk = await findDisk(lctx, domid, vdev, { log: libxlLog });
    if (!disk) throw new Exit(1, `Error: Device ${vdev} not connected.\n`);
    if (disk.specification === 'virtio') throw new Exit(1, "Hotunplug isn't supported for specification virtio\n");
    // libxl names the device by the vdev it read back ("dev"), not by the argument.
    if (disk.devid < 0) {
      throw new Exit(1, `libxl: error: Domain ${domid}:Invalid or unsupported virtual disk identifier ${disk.vdev}\nlibxl_device_disk_${what} failed.\n`);
    }
    const { detachDevice } = await import('../../libxl/devices/devices.js');
    try {
      await detachDevice(lctx, domid, { kind: 'vbd', devid: disk.devid }, { force });
    } catch (e) {
      if (!(e instanceof XlError)) throw e;
      throw new Exit(1, `libxl: error: ${e.message}\nlibxl_device_disk_${what} failed.\n`);
    }
    return 0;
  });
}

export async function run(ctx: CommandContext): Promise<number> {
  switch (ctx.spec.name) {
    case 'block-attach': return attach(ctx);
    case 'block-detach': return detach(ctx);
    default: return list(ctx);
  }
}
