// xenstore helpers libxl keeps in libxl_xshelp.c and friends: tolerant
// reads, removal that prunes emptied parents, and a domain's guest type.
import type { XenStore, XenStoreOps } from '../xenstore-client/client.js';
import { XenStoreError } from '../xenstore-client/errors.js';
import type { LibxlContext } from './context.js';
import { XlError } from './errors.js';

/** A libxl failure: `rc` is the libxl_error value the C API would return. */
export class LibxlError extends XlError {
  constructor(message: string, readonly rc: number, options?: ErrorOptions) {
    super(message, 1, options);
    this.name = 'LibxlError';
  }
}

const isNoent = (e: unknown): boolean => e instanceof XenStoreError && e.code === 'ENOENT';

/** Read a node as text (bytes decoded leniently); null when absent. */
export async function xsRead(xs: XenStoreOps, path: string): Promise<string | null> {
  try {
    return (await xs.readBuffer(path)).toString('utf8');
  } catch (e) {
    if (isNoent(e)) return null;
    throw e;
  }
}

/** Child names, or [] when the node does not exist. */
export async function xsDirectory(xs: XenStoreOps, path: string): Promise<string[]> {
  try {
    return await xs.directory(path);
  } catch (e) {
    if (isNoent(e)) return [];
    throw e;
  }
}

/** xs_rm that does not mind the node being gone already. Returns whether it existed. */
export async function xsRm(xs: XenStoreOps, path: string): Promise<boolean> {
  try {
    await xs.rm(path);
    return true;
  } catch (e) {
    if (isNoent(e)) return false;
    throw e;
  }
}

/**
 * libxl__xs_path_cleanup: remove `path`, then each parent that is left with
 * an empty value and no children, stopping at the first one that is not.
 */
export async function xsPathCleanup(xs: XenStoreOps, path: string): Promise<void> {
  if (!(await xsRm(xs, path))) return;
  let p = path;
  for (;;) {
    const cut = p.lastIndexOf('/');
    if (cut <= 0) return;
    p = p.slice(0, cut);
    const v = await xsRead(xs, p);
    if (v === null || v !== '') return;
    if ((await xsDirectory(xs, p)).length !== 0) return;
    if (!(await xsRm(xs, p))) return;
  }
}

export type DomainType = 'hvm' | 'pv' | 'pvh';

/**
 * libxl__domain_type: pv unless Xen says HVM container, then what libxl
 * recorded in /libxl/<domid>/type (hvm when unreadable). null: no domain.
 */
export async function domainType(ctx: LibxlContext, domid: number): Promise<DomainType | null> {
  const d = ctx.xc().getDomainInfo(domid);
  if (!d) return null;
  if (!d.hvmGuest) return 'pv';
  // libxl_domain_type_from_string ignores case.
  const t = (await xsRead(await ctx.xs(), `/libxl/${domid}/type`))?.toLowerCase();
  return t === 'pvh' || t === 'pv' ? t : 'hvm';
}

/**
 * Watch `path` until `done` says yes for its value (null: absent), as
 * libxl__xswait does. Returns the value that satisfied it, or 'timeout'.
 */
export async function watchUntil(
  xs: XenStore, path: string, done: (value: string | null) => boolean, timeoutMs: number,
): Promise<{ value: string | null } | 'timeout'> {
  const w = await xs.watch(path);
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<'timeout'>((r) => (timer = setTimeout(() => r('timeout'), timeoutMs)));
  try {
    for (;;) {
      const ev = await Promise.race([w.next(), timeout]);
      if (ev === 'timeout') return 'timeout';
      const value = ev.done ? null : await xsRead(xs, path);
      if (ev.done || done(value)) return { value };
    }
  } finally {
    clearTimeout(timer);
    await w.close().catch(() => undefined);
  }
}
