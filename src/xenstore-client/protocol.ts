// Facts about the xenstore wire protocol (xen/include/public/io/xs_wire.h,
// docs/misc/xenstore.txt), kept as data so the codec, client and fake
// server all read the same table.

/** Size of struct xsd_sockmsg: type, req_id, tx_id, len (little-endian u32). */
export const HEADER_SIZE = 16;
/** XENSTORE_PAYLOAD_MAX: xenstored kills a connection that sends more. */
export const PAYLOAD_MAX = 4096;
/** Violating these only earns an EINVAL from xenstored. */
export const ABS_PATH_MAX = 3072;
export const REL_PATH_MAX = 2048;
/** Guaranteed never to be a valid type. */
export const XS_INVALID = 0xffff;

/**
 * How a successful reply payload is shaped.
 *  ok      "OK\0"; content ignored (FreeBSD's device pads it with junk)
 *  value   raw bytes, no terminator (READ, CONTROL output)
 *  string  one NUL-terminated string
 *  strings zero or more NUL-terminated strings
 *  event   <path>\0<token>\0 (server-initiated only)
 */
export type ReplyKind = 'ok' | 'value' | 'string' | 'strings' | 'event';

export interface MessageTypeInfo {
  readonly id: number;
  readonly name: MessageTypeName;
  /** Xen release whose xs_wire.h first lists it. */
  readonly since: string;
  /** Release that removed it, if any. */
  readonly removedIn?: string;
  /** False for types only xenstored sends. */
  readonly clientSends: boolean;
  readonly reply: ReplyKind;
}

export type MessageTypeName =
  | 'CONTROL' | 'DIRECTORY' | 'READ' | 'GET_PERMS' | 'WATCH' | 'UNWATCH'
  | 'TRANSACTION_START' | 'TRANSACTION_END' | 'INTRODUCE' | 'RELEASE'
  | 'GET_DOMAIN_PATH' | 'WRITE' | 'MKDIR' | 'RM' | 'SET_PERMS' | 'WATCH_EVENT'
  | 'ERROR' | 'IS_DOMAIN_INTRODUCED' | 'RESUME' | 'SET_TARGET' | 'RESTRICT'
  | 'RESET_WATCHES' | 'DIRECTORY_PART' | 'GET_FEATURE' | 'SET_FEATURE'
  | 'GET_QUOTA' | 'SET_QUOTA';

const T = (
  id: number, name: MessageTypeName, since: string, reply: ReplyKind,
  extra: { clientSends?: boolean; removedIn?: string } = {},
): MessageTypeInfo => ({ id, name, since, reply, clientSends: extra.clientSends ?? true, ...(extra.removedIn ? { removedIn: extra.removedIn } : {}) });

/**
 * Every type xs_wire.h has ever defined, by wire number. CONTROL was
 * called DEBUG before 4.9 (same number). RESTRICT (20) was dropped in 4.9
 * and its number is invalid since. GET/SET_FEATURE and GET/SET_QUOTA
 * entered the header in 4.21; Xen 4.20's header ends at DIRECTORY_PART.
 */
export const MESSAGE_TYPES: readonly MessageTypeInfo[] = [
  T(0, 'CONTROL', '3.0', 'value'),
  T(1, 'DIRECTORY', '3.0', 'strings'),
  T(2, 'READ', '3.0', 'value'),
  T(3, 'GET_PERMS', '3.0', 'strings'),
  T(4, 'WATCH', '3.0', 'ok'),
  T(5, 'UNWATCH', '3.0', 'ok'),
  T(6, 'TRANSACTION_START', '3.0', 'string'),
  T(7, 'TRANSACTION_END', '3.0', 'ok'),
  T(8, 'INTRODUCE', '3.0', 'ok'),
  T(9, 'RELEASE', '3.0', 'ok'),
  T(10, 'GET_DOMAIN_PATH', '3.0', 'string'),
  T(11, 'WRITE', '3.0', 'ok'),
  T(12, 'MKDIR', '3.0', 'ok'),
  T(13, 'RM', '3.0', 'ok'),
  T(14, 'SET_PERMS', '3.0', 'ok'),
  T(15, 'WATCH_EVENT', '3.0', 'event', { clientSends: false }),
  T(16, 'ERROR', '3.0', 'string', { clientSends: false }),
  T(17, 'IS_DOMAIN_INTRODUCED', '3.0', 'string'),
  T(18, 'RESUME', '3.1', 'ok'),
  T(19, 'SET_TARGET', '3.3', 'ok'),
  T(20, 'RESTRICT', '4.1', 'ok', { removedIn: '4.9' }),
  T(21, 'RESET_WATCHES', '4.2', 'ok'),
  T(22, 'DIRECTORY_PART', '4.9', 'strings'),
  T(23, 'GET_FEATURE', '4.21', 'string'),
  T(24, 'SET_FEATURE', '4.21', 'ok'),
  T(25, 'GET_QUOTA', '4.21', 'string'),
  T(26, 'SET_QUOTA', '4.21', 'ok'),
];

/** Wire numbers by name, e.g. XS.READ === 2. */
export const XS = Object.freeze(
  Object.fromEntries(MESSAGE_TYPES.map((t) => [t.name, t.id])),
) as Readonly<Record<MessageTypeName, number>>;

/** Table entry for a wire number, or undefined if no release defines it. */
export function messageType(id: number): MessageTypeInfo | undefined {
  return MESSAGE_TYPES[id]?.id === id ? MESSAGE_TYPES[id] : undefined;
}

/** Name for logs and errors; unknown numbers print as the number. */
export function messageTypeName(id: number): string {
  return messageType(id)?.name ?? `type ${id}`;
}

/** Ring feature bits (xs_wire.h XENSTORE_SERVER_FEATURE_*), for GET_FEATURE. */
export const SERVER_FEATURES = Object.freeze({
  RECONNECTION: 1,
  ERROR: 2,
  WATCHDEPTH: 4,
  DOMID_ANY: 8,
});

/** Special watch paths xenstored fires on its own (docs/misc/xenstore.txt). */
export const SPECIAL_WATCHES = Object.freeze(['@introduceDomain', '@releaseDomain'] as const);
