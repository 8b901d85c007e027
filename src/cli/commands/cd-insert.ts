// `xl cd-insert <Domain> <VirtualDevice> <path>` and `xl cd-eject <Domain>
// <VirtualDevice>` (C main_cd_insert, main_cd_eject and cd_insert in
// xl_cdrom.c; the same in 4.17 and 4.20): the drive is described as the
// disk spec "vdev=V,access=r,devtype=cdrom,target=PATH" (an empty target
// ejects), a file that cannot be stat'ed is refused here, then
// libxl_cdrom_insert does the rest. Global -N is accepted and, as in C,
// changes nothing.
import { statSync } from 'node:fs';
import { cdromInsert } from '../../libxl/devices/cdrom.js';
import { logText } from '../../libxl/device-model/hvm-control.js';
import { LibxlError } from '../../libxl/xs-util.js';
import { findDomain, withContext } from '../domain.js';
import { Exit } from '../errors.js';
import { err } from '../output.js';
import { compareXen } from '../target.js';
import type { CommandContext } from '../types.js';
import { diskFromComponents } from './block.js';

export async function run(ctx: CommandContext): Promise<number> {
  const opts = ctx.options();
  for (const _ of opts);
  const [dom, vdev, file] = opts.operands;
  const target = ctx.spec.name === 'cd-eject' ? '' : file;
  const xenVersion = compareXen(ctx.target.xen, '4.20') >= 0 ? '4.20' : '4.17';
  return withContext(async (lctx) => {
    const { domid } = await findDomain(lctx, dom);
    const disk = diskFromComponents([`vdev=${vdev},access=r,devtype=cdrom,target=${target}`], xenVersion);
    if (disk.format !== 'empty') {
      try {
        statSync(disk.pdev_path ?? '');
      } catch {
        throw new Exit(1, `Cannot stat file: ${disk.pdev_path}\n`);
      }
    }
    try {
      await cdromInsert(lctx, domid, disk, { xenVersion, log: (l) => err(`libxl: error: ${l}\n`) });
    } catch (e) {
      if (!(e instanceof LibxlError)) throw e;
      throw new Exit(1, logText(e));
    }
    return 0;
  });
}
