// libxl_domain_pause / _unpause / _rename.
import { PrivcmdError, errnoMessage } from '../../privcmd/errors.js';
import type { LibxlContext } from '../context.js';
import { LIBXL_ERROR, domainInfo, nameToDomid } from './domains.js';
import { qmpExecute } from '../device-model/qmp.js';
import { LibxlError, domainType, xsRead } from '../xs-util.js';

function hypercallFailed(domid: number, what: string, e: unknown): LibxlError {
  const why = e instanceof PrivcmdError ? errnoMessage(e.code) : e instanceof Error ? e.message : String(e);
  return new LibxlError(`Domain ${domid}: ${what} failed: ${why}`, LIBXL_ERROR.FAIL, { cause: e });
}

/** libxl_domain_pause: just the hypercall. */
export function pauseDomain(ctx: LibxlContext, domid: number): void {
  try {
    ctx.xc().pauseDomain(domid);
  } catch (e) {
    throw hypercallFailed(domid, 'pausing domain', e);
  }
}

/**
 * libxl_domain_unpause: an HVM guest's QEMU is resumed first (QMP "cont",
 * or the qemu-traditional "continue" command via xenstore), then the domain.
 */
export async function unpauseDomain(ctx: LibxlContext, domid: number): Promise<void> {
  const type = await domainType(ctx, domid);
  if (type === null) throw new LibxlError(`unable to get domain type for domid=${domid}`, LIBXL_ERROR.FAIL);
  if (type === 'hvm') await resumeDeviceModel(ctx, domid);
  try {
    ctx.xc().unpauseDomain(domid);
  } catch (e) {
    throw hypercallFailed(domid, 'unpausing domain', e);
  }
}

/** libxl__dm_resume. */
async function resumeDeviceModel(ctx: LibxlContext, domid: number): Promise<void> {
  const xs = await ctx.xs();
  const version = (await xsRead(xs, `/libxl/${domid}/dm-version`)) ?? 'qemu_xen_traditional';
  if (version.toLowerCase() === 'qemu_xen') {
    await qmpExecute(domid, [{ execute: 'cont' }]);
    return;
  }
  if (version.toLowerCase() !== 'qemu_xen_traditional') {
    throw new LibxlError(`Domain ${domid}: /libxl/${domid}/dm-version contains a wrong value (${version})`, LIBXL_ERROR.INVAL);
  }
  // qemu-traditional, maybe in a stub domain: it polls its command node.
  const stub = Number.parseInt((await xsRead(xs, `/local/domain/${domid}/image/device-model-domid`)) ?? '0', 10) || 0;
  const base = `/local/domain/${stub}/device-model/${domid}`;
  const state = await xsRead(xs, `${base}/state`);
  if (state !== 'paused') return;
  await xs.write(`${base}/command`, 'continue');
}

/**
 * libxl_domain_rename: in one transaction, check the old name is still the
 * name, write the new one to /local/domain/N/name and /vm/<uuid>/name (and
 * the stub domain's, "<name>-dm"). A non-empty new name must be unused.
 */
export async function renameDomain(ctx: LibxlContext, domid: number, oldName: string | null, newName: string): Promise<void> {
  const xs = await ctx.xs();
  const stubId = Number.parseInt((await xsRead(xs, `/local/domain/${domid}/image/device-model-domid`)) ?? '0', 10) || 0;
  if (newName !== '') {
    const holder = await nameToDomid(ctx, newName);
    if (holder !== null && holder !== domid) {
      throw new LibxlError(`Domain with name "${newName}" already exists.`, LIBXL_ERROR.INVAL);
    }
  }
  await xs.withTransaction(async (tx) => {
    const renameOne = async (id: number, from: string | null, to: string) => {
      const namePath = `/local/domain/${id}/name`;
      if (from !== null) {
        const got = await xsRead(tx, namePath);
        if (got === null) throw new LibxlError(`Domain ${id}: cannot read the name of the domain allegedly named \`${from}'`, LIBXL_ERROR.FAIL);
        if (got !== from) {
          throw new LibxlError(`Domain ${id}: allegedly named \`${from}' is actually named \`${got}' - racing ?`, LIBXL_ERROR.FAIL);
        }
      }
      await tx.write(namePath, to);
      const info = await domainInfo(ctx, id, { names: false });
      if (!info) throw new LibxlError(`Domain ${id} does not exist`, LIBXL_ERROR.DOMAIN_NOTFOUND);
      await tx.write(`/vm/${info.uuid}/name`, to);
    };
    await renameOne(domid, oldName, newName);
    if (stubId) await renameOne(stubId, oldName === null ? null : `${oldName}-dm`, `${newName}-dm`);
  });
}
