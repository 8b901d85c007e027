/**
 * xenstore-client — talks to xenstored; the lowest layer of xenlight-ts.
 *
 * Owns: the xenstore wire protocol (xs_wire.h message and error tables,
 * frame codec), the transports (xenstored's unix socket, the kernel xenbus
 * device), the async client, permission strings, path rules and an
 * `xenstore-ls`-compatible tree printer. Imports node built-ins only;
 * nothing here knows about libxl or the CLI.
 *
 * API
 *   const xs = await XenStore.connect(opts?)
 *       tries opts.path, else $XENSTORED_PATH, else
 *       ${XENSTORED_RUNDIR:-/var/run/xenstored}/socket, /run/xenstored/socket,
 *       then the OS device (Linux /dev/xen/xenbus, /proc/xen/xenbus;
 *       FreeBSD /dev/xen/xenstore; NetBSD /kern/xen/xenbus).
 *       opts.timeoutMs: fail the connection if a reply is that late.
 *   xs.read(path) -> string           strict UTF-8, EILSEQ otherwise
 *   xs.readBuffer(path) -> Buffer
 *   xs.write(path, string | bytes)    xs.mkdir(path)    xs.rm(path)
 *   xs.directory(path) -> string[]    DIRECTORY, then DIRECTORY_PART on E2BIG
 *   xs.getPerms(path) -> { owner, others, acl: [{ domid, access }] }
 *   xs.setPerms(path, NodePerms | ['n0', 'r5'])
 *   xs.getDomainPath(domid)  xs.introduce(domid, gfn, evtchn)  xs.release(domid)
 *   xs.isDomainIntroduced(domid)  xs.setTarget(domid, target)  xs.resume(domid)
 *   const w = await xs.watch(path, { token?, depth? })
 *       for await (const { path, token } of w) ...   first event is the
 *       initial fire; breaking out (or w.close()) unwatches.
 *   xs.unwatch(path, token)   xs.onWatch(ev => ...)   xs.onClose(err => ...)
 *   const tx = await xs.transactionStart(); tx.read/write/...; await tx.end(commit)
 *   await xs.withTransaction(async (tx) => ...)   retries on EAGAIN (10 tries)
 *   xs.request(type, payload) -> Buffer   any other message type, raw
 *   await xs.close()
 *   renderTree(xs, path, { perms, flat, width }) -> xenstore-ls output
 *
 * Errors are XenStoreError with `.code` an errno name: what xenstored sent
 * (XSD_ERRORS) or a local one (LOCAL_ERRORS: ECONNRESET, ECANCELED,
 * EPROTO, ETIMEDOUT, EILSEQ). Malformed input from xenstored raises
 * XenStoreProtocolError (code EPROTO, `.fault` says what).
 *
 * Requests may be issued concurrently; replies are matched by req_id, or
 * oldest-first when a server does not echo it. An idle client (nothing
 * pending, no watches) does not keep the process alive.
 */
export { XenStore, XenStoreOps, Transaction, Watch } from './client.js';
export type { ConnectOptions, WatchEvent, WatchOptions, TransactionOptions } from './client.js';
export {
  XenStoreError,
  XenStoreProtocolError,
  XSD_ERRORS,
  LOCAL_ERRORS,
} from './errors.js';
export type { XenStoreErrorCode, XsdErrorCode, LocalErrorCode, ProtocolFault } from './errors.js';
export {
  MESSAGE_TYPES,
  XS,
  messageType,
  messageTypeName,
  HEADER_SIZE,
  PAYLOAD_MAX,
  ABS_PATH_MAX,
  REL_PATH_MAX,
  XS_INVALID,
  SERVER_FEATURES,
  SPECIAL_WATCHES,
} from './protocol.js';
export type { MessageTypeInfo, MessageTypeName, ReplyKind } from './protocol.js';
export { encode, Decoder, strings, splitStrings, singleString, parseWatchEvent, parseError } from './codec.js';
export type { Message } from './codec.js';
export { parsePerms, formatPerms, parsePerm, formatPerm, ACCESS_BY_LETTER } from './perms.js';
export type { Access, PermEntry, NodePerms } from './perms.js';
export { checkPath, pathProblem, joinPath } from './paths.js';
export { candidatePaths, openTransport, SocketTransport, DeviceTransport, DEVICE_PATHS } from './transport.js';
export type { Transport, DiscoveryOptions } from './transport.js';
export { renderTree, sanitiseValue } from './ls.js';
export type { LsOptions } from './ls.js';
