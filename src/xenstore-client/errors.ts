// Typed errors. xenstored reports failures as an errno *name* in an ERROR
// reply; the names it may send are the xsd_errors table of xs_wire.h.
import { constants as osConstants } from 'node:os';

/** xsd_errors from xs_wire.h, in table order, with the release adding each. */
export const XSD_ERRORS = [
  { code: 'EINVAL', since: '3.0', text: 'invalid argument' },
  { code: 'EACCES', since: '3.0', text: 'permission denied' },
  { code: 'EEXIST', since: '3.0', text: 'already exists' },
  { code: 'EISDIR', since: '3.0', text: 'is a directory' },
  { code: 'ENOENT', since: '3.0', text: 'no such node' },
  { code: 'ENOMEM', since: '3.0', text: 'out of memory' },
  { code: 'ENOSPC', since: '3.0', text: 'quota exceeded' },
  { code: 'EIO', since: '3.0', text: 'I/O error' },
  { code: 'ENOTEMPTY', since: '3.0', text: 'not empty' },
  { code: 'ENOSYS', since: '3.0', text: 'operation not supported' },
  { code: 'EROFS', since: '3.0', text: 'read-only' },
  { code: 'EBUSY', since: '3.0', text: 'busy' },
  { code: 'EAGAIN', since: '3.0', text: 'try again (transaction conflict)' },
  { code: 'EISCONN', since: '3.0', text: 'already connected' },
  { code: 'E2BIG', since: '4.4', text: 'too big' },
  { code: 'EPERM', since: '4.17', text: 'operation not permitted' },
] as const;

/**
 * Codes this client raises itself; xenstored never sends these.
 * (There is no EQUOTA: xenstored reports quota overruns as ENOSPC.)
 */
export const LOCAL_ERRORS = [
  { code: 'ECONNRESET', text: 'connection to xenstored lost' },
  { code: 'ECANCELED', text: 'connection closed by this client' },
  { code: 'EPROTO', text: 'malformed message from xenstored' },
  { code: 'ETIMEDOUT', text: 'no reply from xenstored in time' },
  { code: 'EILSEQ', text: 'value is not valid UTF-8 (use readBuffer)' },
] as const;

export type XsdErrorCode = (typeof XSD_ERRORS)[number]['code'];
export type LocalErrorCode = (typeof LOCAL_ERRORS)[number]['code'];
/** Known codes autocomplete; anything else a future xenstored sends stays a string. */
export type XenStoreErrorCode = XsdErrorCode | LocalErrorCode | (string & {});

let describe: Map<string, string> | undefined;
function text(code: string): string | undefined {
  describe ??= new Map<string, string>([...XSD_ERRORS, ...LOCAL_ERRORS].map((e) => [e.code, e.text]));
  return describe.get(code);
}

export interface XenStoreErrorContext {
  /** Message type name of the failed request, e.g. 'READ'. */
  op?: string;
  path?: string;
  cause?: unknown;
}

/** Any failure this module reports. `code` is an errno name. */
export class XenStoreError extends Error {
  override name = 'XenStoreError';
  readonly code: XenStoreErrorCode;
  readonly op?: string;
  readonly path?: string;
  /** The explanation without the op/path prefix. */
  readonly detail?: string;

  constructor(code: XenStoreErrorCode, detail?: string, ctx: XenStoreErrorContext = {}) {
    const where = [ctx.op, ctx.path].filter(Boolean).join(' ');
    const why = detail ?? text(code);
    super(`xenstore${where ? ` ${where}` : ''}: ${code}${why ? ` (${why})` : ''}`, ctx.cause === undefined ? undefined : { cause: ctx.cause });
    this.code = code;
    if (detail !== undefined) this.detail = detail;
    if (ctx.op) this.op = ctx.op;
    if (ctx.path) this.path = ctx.path;
  }

  /** Host errno number for the code, if this OS has one. */
  get errno(): number | undefined {
    return (osConstants.errno as Record<string, number>)[this.code];
  }

  /** Same error naming the request it belongs to (unchanged if it already does). */
  withContext(ctx: XenStoreErrorContext): XenStoreError {
    if (this.op || !ctx.op) return this;
    return new XenStoreError(this.code, this.detail, { ...ctx, cause: this.cause ?? ctx.cause });
  }

  /** True if `e` is a XenStoreError, optionally with one of `codes`. */
  static is(e: unknown, ...codes: XenStoreErrorCode[]): e is XenStoreError {
    return e instanceof XenStoreError && (codes.length === 0 || codes.includes(e.code));
  }
}

/** What exactly was wrong with bytes received from xenstored. */
export type ProtocolFault =
  | 'bad-length' // header len > XENSTORE_PAYLOAD_MAX
  | 'unknown-type' // header type no release defines
  | 'missing-nul' // a string field lacks its terminator
  | 'bad-utf8' // a protocol string is not UTF-8
  | 'bad-field' // a field does not parse (number, perms, T/F)
  | 'unexpected-reply' // reply type differs from request, or nobody asked
  | 'truncated'; // stream ended inside a message

/** Bytes from xenstored broke the protocol. Framing faults end the connection. */
export class XenStoreProtocolError extends XenStoreError {
  override name = 'XenStoreProtocolError';
  readonly fault: ProtocolFault;
  readonly faultDetail: string;

  constructor(fault: ProtocolFault, detail: string, ctx: XenStoreErrorContext = {}) {
    super('EPROTO', `${fault}: ${detail}`, ctx);
    this.fault = fault;
    this.faultDetail = detail;
  }

  override withContext(ctx: XenStoreErrorContext): XenStoreError {
    if (this.op || !ctx.op) return this;
    return new XenStoreProtocolError(this.fault, this.faultDetail, { ...ctx, cause: this.cause ?? ctx.cause });
  }
}

/** Error for an ERROR reply payload; unknown names are kept verbatim. */
export function errorFromReply(name: string, ctx: XenStoreErrorContext = {}): XenStoreError {
  return new XenStoreError(name, undefined, ctx);
}

/** Map a Node/OS error (ENOENT on connect, EINVAL from a device write...) to ours. */
export function fromSystemError(e: unknown, ctx: XenStoreErrorContext = {}): XenStoreError {
  if (e instanceof XenStoreError) return e;
  const code = (e as { code?: unknown })?.code;
  return new XenStoreError(typeof code === 'string' ? code : 'EIO', (e as Error)?.message, { ...ctx, cause: e });
}
