// Domain lookup as libxl does it: libxl_dominfo from Xen's domain info
// (libxl__xcinfo2xlinfo), names from xenstore (libxl_domid_to_name), and the
// qualifier rules xl's find_domain() relies on
// (libxl_domain_qualifier_to_domid, libxl_name_to_domid).
import type { DomainInfo } from '../../privcmd/info.js';
import { XenStoreError } from '../../xenstore-client/errors.js';
import type { LibxlContext } from '../context.js';
import { XlError } from '../errors.js';

/** libxl_error values we report (libxl_types.idl). */
export const LIBXL_ERROR = {
  FAIL: -3, NOMEM: -5, INVAL: -6, DOMAIN_NOTFOUND: -21,
} as const;

/** libxl_dominfo, plus the name libxl_domid_to_name gives (null: none). */
export interface Dominfo {
  uuid: string;
  domid: number;
  ssidref: number;
  /** FLASK label; null without FLASK (we do not ask Xen for it). */
  ssidLabel: string | null;
  running: boolean;
  blocked: boolean;
  paused: boolean;
  shutdown: boolean;
  dying: boolean;
  /** XEN_DOMINF_xs_domain. */
  neverStop: boolean;
  /** SHUTDOWN_* code; -1 (LIBXL_SHUTDOWN_REASON_UNKNOWN) when not shut down. */
  shutdownReason: number;
  outstandingMemkb: number;
  currentMemkb: number;
  sharedMemkb: number;
  pagedMemkb: number;
  maxMemkb: number;
  /** Nanoseconds. */
  cpuTime: bigint;
  vcpuMaxId: number;
  vcpuOnline: number;
  cpupool: number;
  gpaddrBits: number;
  /** libxl only tells HVM from PV here (a PVH guest shows as hvm). */
  domainType: 'hvm' | 'pv';
  name: string | null;
}

/** PAGE_TO_MEMKB with 4 KiB Xen pages. */
const pagesToKb = (pages: number): number => pages * 4;

/** libxl__xcinfo2xlinfo, name filled in separately. */
export function toDominfo(d: DomainInfo, name: string | null = null): Dominfo {
  return {
    uuid: d.uuid,
    domid: d.domid,
    ssidref: d.ssidref,
    ssidLabel: null,
    running: d.running,
    blocked: d.blocked,
    paused: d.paused,
    shutdown: d.shutdown,
    dying: d.dying,
    neverStop: d.xsDomain,
    shutdownReason: d.shutdown ? (d.shutdownReason ?? -1) : -1,
    outstandingMemkb: pagesToKb(d.outstandingPages),
    currentMemkb: pagesToKb(d.totPages),
    sharedMemkb: pagesToKb(d.shrPages),
    pagedMemkb: pagesToKb(d.pagedPages),
    maxMemkb: pagesToKb(d.maxPages),
    cpuTime: d.cpuTime,
    vcpuMaxId: d.maxVcpuId,
    vcpuOnline: d.nrOnlineVcpus,
    cpupool: d.cpupool,
    gpaddrBits: d.gpaddrBits,
    domainType: d.hvmGuest ? 'hvm' : 'pv',
    name,
  };
}

/** Read a xenstore node, null when it does not exist. */
export async function xsReadOrNull(ctx: LibxlContext, path: string): Promise<string | null> {
  const xs = await ctx.xs();
  try {
    // Lenient decoding: a name with stray bytes should still print.
    return (await xs.readBuffer(path)).toString('utf8');
  } catch (e) {
    if (e instanceof XenStoreError && e.code === 'ENOENT') return null;
    throw e;
  }
}

/** libxl_domid_to_name: /local/domain/<domid>/name, null if absent. */
export function domainName(ctx: LibxlContext, domid: number): Promise<string | null> {
  // C formats the uint32_t domid with %d.
  return xsReadOrNull(ctx, `/local/domain/${domid | 0}/name`);
}

/** libxl_list_domain with names: every domain in domid order. */
export async function listDomainInfo(ctx: LibxlContext, opts: { names?: boolean } = {}): Promise<Dominfo[]> {
  const infos = ctx.xc().listDomains();
  if (opts.names === false) return infos.map((d) => toDominfo(d));
  // One round trip per name, all in flight at once.
  const names = await Promise.all(infos.map((d) => domainName(ctx, d.domid)));
  return infos.map((d, i) => toDominfo(d, names[i]));
}

/** libxl_domain_info: one domain, or null (ERROR_DOMAIN_NOTFOUND). */
export async function domainInfo(ctx: LibxlContext, domid: number, opts: { names?: boolean } = {}): Promise<Dominfo | null> {
  // Xen's domid is 16 bits; the hypercall would truncate anything larger.
  if (!Number.isInteger(domid) || domid < 0 || domid > 0xffff) return null;
  const d = ctx.xc().getDomainInfo(domid);
  if (!d) return null;
  return toDominfo(d, opts.names === false ? null : await domainName(ctx, domid));
}

/** libxl_name_to_domid: the lowest domid whose name is `name`, else null. */
export async function nameToDomid(ctx: LibxlContext, name: string): Promise<number | null> {
  const doms = await listDomainInfo(ctx);
  return doms.find((d) => d.name === name)?.domid ?? null;
}

/**
 * The domid C's strtoul(s, NULL, 10) gives once stored in a uint32_t:
 * saturates at ULONG_MAX (64-bit), then keeps the low 32 bits. "" is 0.
 */
export function strtoulDomid(digits: string): number {
  let v = digits === '' ? 0n : BigInt(digits);
  if (v > 0xffffffffffffffffn) v = 0xffffffffffffffffn;
  return Number(v & 0xffffffffn);
}

/** Thrown when a qualifier names no domain; message is the C xl's text. */
export class InvalidDomainError extends XlError {
  constructor(readonly qualifier: string, readonly rc: number) {
    super(`${qualifier} is an invalid domain identifier (rc=${rc})`, 1);
    this.name = 'InvalidDomainError';
  }
}

/**
 * libxl_domain_qualifier_to_domid: all digits (even none) is a domid taken
 * as is, whether or not it exists; anything else is looked up as a name.
 */
export async function qualifierToDomid(ctx: LibxlContext, qualifier: string): Promise<number> {
  if (/^[0-9]*$/.test(qualifier)) return strtoulDomid(qualifier);
  const domid = await nameToDomid(ctx, qualifier);
  if (domid === null) throw new InvalidDomainError(qualifier, LIBXL_ERROR.INVAL);
  return domid;
}

/** xl's find_domain(): the domid and its name (null if it has none). */
export async function resolveDomain(ctx: LibxlContext, qualifier: string): Promise<{ domid: number; name: string | null }> {
  const domid = await qualifierToDomid(ctx, qualifier);
  return { domid, name: await domainName(ctx, domid) };
}
