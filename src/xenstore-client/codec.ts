// Encoder and streaming decoder for xsd_sockmsg frames, plus helpers for
// the NUL-separated payloads. Pure functions over Buffers: the client and
// the tests' fake xenstored both use them.
import { HEADER_SIZE, PAYLOAD_MAX, messageType, messageTypeName } from './protocol.js';
import { XenStoreError, XenStoreProtocolError } from './errors.js';

export interface Message {
  type: number;
  reqId: number;
  txId: number;
  payload: Buffer;
}

const U32_MAX = 0xffffffff;
const isU32 = (n: number) => Number.isInteger(n) && n >= 0 && n <= U32_MAX;

/** Frame one message. Throws E2BIG past `maxPayload`, EINVAL on bad header fields. */
export function encode(msg: Message, maxPayload = PAYLOAD_MAX): Buffer {
  const { type, reqId, txId, payload } = msg;
  if (!isU32(type) || !isU32(reqId) || !isU32(txId)) {
    throw new XenStoreError('EINVAL', `header fields must be u32 (type ${type}, req ${reqId}, tx ${txId})`);
  }
  if (payload.length > maxPayload) {
    throw new XenStoreError('E2BIG', `payload ${payload.length} bytes exceeds ${maxPayload}`, { op: messageTypeName(type) });
  }
  const out = Buffer.allocUnsafe(HEADER_SIZE + payload.length);
  out.writeUInt32LE(type, 0);
  out.writeUInt32LE(reqId, 4);
  out.writeUInt32LE(txId, 8);
  out.writeUInt32LE(payload.length, 12);
  payload.copy(out, HEADER_SIZE);
  return out;
}

/**
 * Incremental frame decoder: feed it whatever the transport read, get back
 * every complete message. A bad header poisons it for good (the stream is
 * out of step after that). Messages before the bad header are still
 * returned; the error is thrown by the first push() or end() with nothing
 * left to return, and is visible at once as `error`.
 */
export class Decoder {
  private buf: Buffer = Buffer.alloc(0);
  private failed: XenStoreProtocolError | undefined;

  constructor(private readonly maxPayload = PAYLOAD_MAX) {}

  /** Bytes held that do not yet make a whole message. */
  get buffered(): number {
    return this.buf.length;
  }

  /** The framing fault, once one has been seen. */
  get error(): XenStoreProtocolError | undefined {
    return this.failed;
  }

  /** Decode what `chunk` completes. The caller must not reuse `chunk`'s memory. */
  push(chunk: Uint8Array): Message[] {
    if (this.failed) throw this.failed;
    if (chunk.length > 0) {
      const c = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.length);
      this.buf = this.buf.length === 0 ? c : Buffer.concat([this.buf, c]);
    }
    const out: Message[] = [];
    let off = 0;
    while (this.buf.length - off >= HEADER_SIZE) {
      const type = this.buf.readUInt32LE(off);
      const len = this.buf.readUInt32LE(off + 12);
      const fault =
        len > this.maxPayload
          ? new XenStoreProtocolError('bad-length', `payload length ${len} > ${this.maxPayload}`)
          : !messageType(type)
            ? new XenStoreProtocolError('unknown-type', `message type ${type}`)
            : undefined;
      if (fault) {
        this.failed = fault;
        this.buf = Buffer.alloc(0);
        if (out.length === 0) throw fault;
        return out;
      }
      if (this.buf.length - off < HEADER_SIZE + len) break;
      out.push({
        type,
        reqId: this.buf.readUInt32LE(off + 4),
        txId: this.buf.readUInt32LE(off + 8),
        payload: this.buf.subarray(off + HEADER_SIZE, off + HEADER_SIZE + len),
      });
      off += HEADER_SIZE + len;
    }
    if (off > 0) this.buf = this.buf.subarray(off);
    return out;
  }

  /** Call at end of stream: throws `truncated` if a message was cut off. */
  end(): void {
    if (this.failed) throw this.failed;
    if (this.buf.length > 0) {
      this.failed = new XenStoreProtocolError(
        'truncated',
        `stream ended with ${this.buf.length} bytes of an incomplete message`,
      );
      this.buf = Buffer.alloc(0);
      throw this.failed;
    }
  }
}

// ---- payload helpers -------------------------------------------------------

/** Payload of NUL-terminated strings, e.g. ("/a", "tok") -> "/a\0tok\0". */
export function strings(...parts: string[]): Buffer {
  const bufs: Buffer[] = [];
  for (const p of parts) {
    if (p.includes('\0')) throw new XenStoreError('EINVAL', 'string argument contains NUL');
    bufs.push(Buffer.from(p, 'utf8'), NUL);
  }
  return Buffer.concat(bufs);
}
const NUL = Buffer.from([0]);

let utf8: TextDecoder | undefined;
/** Strict UTF-8 decode; undefined if the bytes are not UTF-8. */
export function decodeUtf8(b: Uint8Array): string | undefined {
  utf8 ??= new TextDecoder('utf-8', { fatal: true });
  try {
    return utf8.decode(b);
  } catch {
    return undefined;
  }
}

function protoString(b: Buffer, what: string): string {
  const s = decodeUtf8(b);
  if (s === undefined) throw new XenStoreProtocolError('bad-utf8', `${what} is not UTF-8`);
  return s;
}

/** Split "a\0b\0" into ["a","b"]; every string must be terminated. */
export function splitStrings(payload: Buffer, what = 'payload'): string[] {
  if (payload.length === 0) return [];
  if (payload[payload.length - 1] !== 0) {
    throw new XenStoreProtocolError('missing-nul', `${what} does not end in NUL`);
  }
  const out: string[] = [];
  let start = 0;
  for (let i = 0; i < payload.length; i++) {
    if (payload[i] === 0) {
      out.push(protoString(payload.subarray(start, i), what));
      start = i + 1;
    }
  }
  return out;
}

/** Exactly one NUL-terminated string. */
export function singleString(payload: Buffer, what = 'payload'): string {
  const nul = payload.indexOf(0);
  if (nul < 0) throw new XenStoreProtocolError('missing-nul', `${what} does not end in NUL`);
  if (nul !== payload.length - 1) throw new XenStoreProtocolError('bad-field', `${what} has bytes after its NUL`);
  return protoString(payload.subarray(0, nul), what);
}

export interface WatchEventPayload {
  path: string;
  token: string;
}

/** WATCH_EVENT body: <path>\0<token>\0, anything after is ignored (Linux may append). */
export function parseWatchEvent(payload: Buffer): WatchEventPayload {
  const a = payload.indexOf(0);
  const b = a < 0 ? -1 : payload.indexOf(0, a + 1);
  if (b < 0) throw new XenStoreProtocolError('missing-nul', 'watch event needs <path>\\0<token>\\0');
  return {
    path: protoString(payload.subarray(0, a), 'watch path'),
    token: protoString(payload.subarray(a + 1, b), 'watch token'),
  };
}

/** ERROR body: an errno name such as "ENOENT\0". */
export function parseError(payload: Buffer): string {
  const name = singleString(payload, 'error reply');
  if (!/^E[A-Z0-9]{1,15}$/.test(name)) throw new XenStoreProtocolError('bad-field', `error name ${JSON.stringify(name)}`);
  return name;
}

/** Decimal u32 as used for tx ids, domids, offsets. */
export function parseU32(s: string, what: string): number {
  if (!/^[0-9]{1,10}$/.test(s) || Number(s) > U32_MAX) {
    throw new XenStoreProtocolError('bad-field', `${what} ${JSON.stringify(s)} is not a u32`);
  }
  return Number(s);
}

/** A successful reply must echo the request's type (else it's someone else's). */
export function checkReplyType(requestType: number, reply: Message): Buffer {
  if (reply.type !== requestType) {
    throw new XenStoreProtocolError(
      'unexpected-reply',
      `${messageTypeName(requestType)} answered with ${messageTypeName(reply.type)}`,
    );
  }
  return reply.payload;
}
