// Fuzzing with fixed seeds: whatever bytes arrive, the decoder, the payload
// parsers and the client must answer with typed errors, never other
// exceptions, and never leave a request hanging.
import { describe, expect, it } from 'vitest';
import {
  Decoder,
  encode,
  parseError,
  parseWatchEvent,
  singleString,
  splitStrings,
  type Message,
} from '../../../src/xenstore-client/codec.js';
import { MESSAGE_TYPES, XS } from '../../../src/xenstore-client/protocol.js';
import { XenStoreError, XenStoreProtocolError } from '../../../src/xenstore-client/errors.js';
import { parsePerms } from '../../../src/xenstore-client/perms.js';
import { XenStore } from '../../../src/xenstore-client/client.js';
import { MemTransport, rng, tick, track } from './helpers.js';

const ITER = 3000;

function validMessage(r: ReturnType<typeof rng>): Message {
  const t = r.pick(MESSAGE_TYPES);
  const n = r.int(4) === 0 ? r.int(4097) : r.int(40);
  return { type: t.id, reqId: r.int(2 ** 32), txId: r.int(3) === 0 ? r.int(2 ** 32) : 0, payload: r.bytes(n) };
}

/** Flip, insert, delete, duplicate or truncate bytes. */
function mutate(r: ReturnType<typeof rng>, b: Buffer): Buffer {
  let out = Buffer.from(b);
  const edits = 1 + r.int(4);
  for (let i = 0; i < edits && out.length > 0; i++) {
    const at = r.int(out.length);
    switch (r.int(5)) {
      case 0:
        out[at] ^= 1 << r.int(8);
        break;
      case 1:
        out = Buffer.concat([out.subarray(0, at), r.bytes(1 + r.int(8)), out.subarray(at)]);
        break;
      case 2:
        out = Buffer.concat([out.subarray(0, at), out.subarray(at + 1 + r.int(8))]);
        break;
      case 3:
        out = Buffer.concat([out, out.subarray(at, at + r.int(32))]);
        break;
      default:
        out = out.subarray(0, at);
    }
  }
  return out;
}

/** Feed chunks to a fresh decoder; only protocol errors may escape. */
function decodeAll(chunks: Buffer[]): { msgs: Message[]; error?: XenStoreProtocolError } {
  const d = new Decoder();
  const msgs: Message[] = [];
  try {
    for (const c of chunks) msgs.push(...d.push(c));
    d.end();
    return { msgs };
  } catch (e) {
    if (!(e instanceof XenStoreProtocolError)) throw e;
    return { msgs, error: e };
  }
}

describe('decoder fuzz', () => {
  it('valid streams decode exactly, however they are chunked', () => {
    const r = rng(1);
    for (let i = 0; i < ITER / 3; i++) {
      const msgs = Array.from({ length: 1 + r.int(6) }, () => validMessage(r));
      const res = decodeAll(r.chunks(Buffer.concat(msgs.map((m) => encode(m)))));
      expect(res.error).toBeUndefined();
      // Compare by hand: deep-equality on big Buffers is slow.
      expect(res.msgs.length).toBe(msgs.length);
      res.msgs.forEach((m, j) => {
        const want = msgs[j];
        expect([m.type, m.reqId, m.txId]).toEqual([want.type, want.reqId, want.txId]);
        expect(m.payload.equals(want.payload)).toBe(true);
      });
    }
  });

  it('random byte streams give messages or a protocol error only', () => {
    const r = rng(2);
    const faults = new Set<string>();
    for (let i = 0; i < ITER; i++) {
      // Mostly random, sometimes header-shaped so every check is reached.
      const parts = Array.from({ length: 1 + r.int(4) }, () => {
        if (r.int(2)) return r.bytes(r.int(80));
        const h = r.bytes(16);
        if (r.int(2)) h.writeUInt32LE(r.int(40), 0);
        if (r.int(2)) h.writeUInt32LE(r.int(60), 12);
        return Buffer.concat([h, r.bytes(r.int(60))]);
      });
      const res = decodeAll(r.chunks(Buffer.concat(parts)));
      if (res.error) faults.add(res.error.fault);
      for (const m of res.msgs) expect(m.payload.length).toBeLessThanOrEqual(4096);
    }
    // Random bytes should hit each framing fault.
    expect([...faults].sort()).toEqual(['bad-length', 'truncated', 'unknown-type']);
  });

  it('mutated valid streams give messages or a protocol error only', () => {
    const r = rng(3);
    let errors = 0;
    for (let i = 0; i < ITER; i++) {
      const msgs = Array.from({ length: 1 + r.int(4) }, () => validMessage(r));
      const res = decodeAll(r.chunks(mutate(r, Buffer.concat(msgs.map((m) => encode(m))))));
      if (res.error) errors++;
    }
    expect(errors).toBeGreaterThan(ITER / 4);
  });

  it('headers with lengths near the limit never over-read', () => {
    const r = rng(4);
    for (let i = 0; i < ITER; i++) {
      const h = Buffer.alloc(16);
      h.writeUInt32LE(r.int(27), 0);
      const len = 4090 + r.int(12);
      h.writeUInt32LE(len, 12);
      const body = r.bytes(r.int(len + 20));
      const res = decodeAll([h, body]);
      if (len > 4096) expect(res.error?.fault).toBe('bad-length');
      else if (body.length < len) expect(res.error?.fault).toBe('truncated');
      else {
        expect(res.msgs[0].payload).toEqual(body.subarray(0, len));
        // Up to 20 stray bytes follow: at most a partial or bad next header.
        if (body.length > len) expect(res.error).toBeInstanceOf(XenStoreProtocolError);
      }
    }
  });
});

describe('payload parser fuzz', () => {
  it('only XenStoreProtocolError escapes the parsers', () => {
    const r = rng(5);
    const alphabet = Buffer.from('\0\0\0abnrwb0123456789/E\xff\xc3');
    const parsers: ((b: Buffer) => unknown)[] = [
      (b) => splitStrings(b),
      (b) => singleString(b),
      (b) => parseWatchEvent(b),
      (b) => parseError(b),
      (b) => parsePerms(splitStrings(b)),
    ];
    for (let i = 0; i < ITER; i++) {
      const n = r.int(24);
      const b = r.int(2) ? r.bytes(n) : Buffer.from(Array.from({ length: n }, () => r.pick([...alphabet])));
      for (const p of parsers) {
        try {
          p(b);
        } catch (e) {
          expect(e).toBeInstanceOf(XenStoreProtocolError);
        }
      }
    }
  });
});

describe('client fuzz', () => {
  it('every request settles with a value or a XenStoreError, whatever comes back', async () => {
    const r = rng(6);
    const ops: ((xs: XenStore) => Promise<unknown>)[] = [
      (xs) => xs.read('/a'),
      (xs) => xs.directory('/a'),
      (xs) => xs.getPerms('/a'),
      (xs) => xs.write('/a', 'v'),
      (xs) => xs.transactionStart(),
      (xs) => xs.isDomainIntroduced(3),
      (xs) => xs.getDomainPath(3),
      (xs) => xs.watch('/a').then((w) => w.next()),
    ];
    for (let i = 0; i < 400; i++) {
      const t = new MemTransport();
      const xs = XenStore.over(t);
      const pending = Array.from({ length: 1 + r.int(4) }, () => track(r.pick(ops)(xs)));
      await tick();
      // Plausible replies to what was asked, then corrupt them.
      const replies = t.written.map((f) => {
        const type = f.readUInt32LE(0);
        const reqId = f.readUInt32LE(4);
        const payload = r.pick([Buffer.from('OK\0'), Buffer.from('7\0'), Buffer.from('T\0'), Buffer.from('n0\0r1\0'), Buffer.from('ENOENT\0'), r.bytes(r.int(12))]);
        return encode({ type: r.int(4) === 0 ? XS.ERROR : type, reqId: r.int(3) === 0 ? 0 : reqId, txId: 0, payload });
      });
      replies.push(encode({ type: XS.WATCH_EVENT, reqId: 0, txId: 0, payload: r.bytes(r.int(10)) }));
      const stream = r.int(2) ? mutate(r, Buffer.concat(replies)) : Buffer.concat(replies);
      for (const c of r.chunks(stream)) t.feed(c);
      t.end();
      await tick();
      await tick();
      for (const s of pending) {
        expect(s.done).toBe(true);
        if (s.error !== undefined) expect(s.error).toBeInstanceOf(XenStoreError);
      }
      expect(xs.closedReason).toBeInstanceOf(XenStoreError);
    }
  });
});
