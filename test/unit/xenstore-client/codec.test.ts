import { describe, expect, it } from 'vitest';
import {
  Decoder,
  encode,
  parseError,
  parseU32,
  parseWatchEvent,
  singleString,
  splitStrings,
  strings,
  type Message,
} from '../../../src/xenstore-client/codec.js';
import {
  MESSAGE_TYPES,
  XS,
  messageType,
  messageTypeName,
  PAYLOAD_MAX,
  HEADER_SIZE,
  XS_INVALID,
} from '../../../src/xenstore-client/protocol.js';
import { XenStoreError, XenStoreProtocolError, XSD_ERRORS } from '../../../src/xenstore-client/errors.js';

const fault = (fn: () => unknown) => {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(XenStoreProtocolError);
    return (e as XenStoreProtocolError).fault;
  }
  throw new Error('expected a protocol error');
};

describe('message type table', () => {
  it('matches the numbering of xs_wire.h', () => {
    // Order of enum xsd_sockmsg_type; RESTRICT (20) kept only for naming.
    const expected = [
      'CONTROL', 'DIRECTORY', 'READ', 'GET_PERMS', 'WATCH', 'UNWATCH', 'TRANSACTION_START',
      'TRANSACTION_END', 'INTRODUCE', 'RELEASE', 'GET_DOMAIN_PATH', 'WRITE', 'MKDIR', 'RM',
      'SET_PERMS', 'WATCH_EVENT', 'ERROR', 'IS_DOMAIN_INTRODUCED', 'RESUME', 'SET_TARGET',
      'RESTRICT', 'RESET_WATCHES', 'DIRECTORY_PART', 'GET_FEATURE', 'SET_FEATURE', 'GET_QUOTA',
      'SET_QUOTA',
    ];
    expect(MESSAGE_TYPES.map((t) => t.name)).toEqual(expected);
    MESSAGE_TYPES.forEach((t, i) => expect(t.id).toBe(i));
    expect(XS.READ).toBe(2);
    expect(XS.WATCH_EVENT).toBe(15);
    expect(XS.RESET_WATCHES).toBe(21);
    expect(XS.DIRECTORY_PART).toBe(22);
    expect(XS.SET_QUOTA).toBe(26);
  });

  it('records when types came and went', () => {
    expect(messageType(XS.RESTRICT)?.removedIn).toBe('4.9');
    expect(messageType(XS.DIRECTORY_PART)?.since).toBe('4.9');
    expect(messageType(XS.GET_FEATURE)?.since).toBe('4.21');
    expect(messageType(XS.WATCH_EVENT)?.clientSends).toBe(false);
    expect(messageType(XS.ERROR)?.clientSends).toBe(false);
    expect(messageType(27)).toBeUndefined();
    expect(messageType(XS_INVALID)).toBeUndefined();
    expect(messageType(-1)).toBeUndefined();
    expect(messageType(1.5)).toBeUndefined();
    expect(messageTypeName(99)).toBe('type 99');
  });

  it('lists xsd_errors in xs_wire.h order', () => {
    expect(XSD_ERRORS.map((e) => e.code)).toEqual([
      'EINVAL', 'EACCES', 'EEXIST', 'EISDIR', 'ENOENT', 'ENOMEM', 'ENOSPC', 'EIO', 'ENOTEMPTY',
      'ENOSYS', 'EROFS', 'EBUSY', 'EAGAIN', 'EISCONN', 'E2BIG', 'EPERM',
    ]);
  });
});

describe('encode', () => {
  it('writes a little-endian header followed by the payload', () => {
    const b = encode({ type: XS.READ, reqId: 7, txId: 0x01020304, payload: Buffer.from('/local\0') });
    expect(b.toString('hex')).toBe(
      '02000000' + '07000000' + '04030201' + '07000000' + Buffer.from('/local\0').toString('hex'),
    );
  });

  it('round-trips every message type through the decoder', () => {
    for (const t of MESSAGE_TYPES) {
      const msg: Message = { type: t.id, reqId: 0xfffffff0 + (t.id % 15), txId: t.id * 3, payload: Buffer.from(`${t.name}\0x\0`) };
      const [out, ...rest] = new Decoder().push(encode(msg));
      expect(rest).toEqual([]);
      expect(out).toEqual(msg);
    }
  });

  it('allows exactly PAYLOAD_MAX and refuses more with E2BIG', () => {
    const max = Buffer.alloc(PAYLOAD_MAX, 0x61);
    expect(encode({ type: XS.WRITE, reqId: 1, txId: 0, payload: max }).length).toBe(HEADER_SIZE + PAYLOAD_MAX);
    const e = (() => {
      try {
        encode({ type: XS.WRITE, reqId: 1, txId: 0, payload: Buffer.alloc(PAYLOAD_MAX + 1) });
      } catch (err) {
        return err;
      }
    })();
    expect(XenStoreError.is(e, 'E2BIG')).toBe(true);
    // A device counts the header in its 4096 bytes.
    expect(() => encode({ type: XS.WRITE, reqId: 1, txId: 0, payload: Buffer.alloc(4081) }, 4080)).toThrow(/E2BIG/);
  });

  it('rejects header fields that are not u32', () => {
    for (const bad of [-1, 2 ** 32, 1.5, NaN]) {
      expect(() => encode({ type: XS.READ, reqId: bad, txId: 0, payload: Buffer.alloc(0) })).toThrow(/EINVAL/);
      expect(() => encode({ type: bad, reqId: 1, txId: 0, payload: Buffer.alloc(0) })).toThrow(/EINVAL/);
    }
  });
});

describe('Decoder', () => {
  const msgs: Message[] = [
    { type: XS.READ, reqId: 1, txId: 0, payload: Buffer.from('value') },
    { type: XS.WATCH_EVENT, reqId: 0, txId: 0, payload: Buffer.from('/a\0tok\0') },
    { type: XS.DIRECTORY, reqId: 2, txId: 5, payload: Buffer.alloc(0) },
    { type: XS.ERROR, reqId: 3, txId: 0, payload: Buffer.from('ENOENT\0') },
  ];
  const stream = Buffer.concat(msgs.map((m) => encode(m)));

  it('decodes several messages from one chunk', () => {
    expect(new Decoder().push(stream)).toEqual(msgs);
  });

  it('decodes a byte-at-a-time stream', () => {
    const d = new Decoder();
    const out: Message[] = [];
    for (let i = 0; i < stream.length; i++) out.push(...d.push(stream.subarray(i, i + 1)));
    expect(out).toEqual(msgs);
    expect(d.buffered).toBe(0);
    expect(() => d.end()).not.toThrow();
  });

  it('decodes every split point of the stream', () => {
    for (let cut = 0; cut <= stream.length; cut++) {
      const d = new Decoder();
      expect([...d.push(stream.subarray(0, cut)), ...d.push(stream.subarray(cut))]).toEqual(msgs);
    }
  });

  it('holds a partial message until the rest arrives', () => {
    const d = new Decoder();
    expect(d.push(stream.subarray(0, 10))).toEqual([]);
    expect(d.buffered).toBe(10);
    expect(fault(() => d.end())).toBe('truncated');
  });

  it('rejects a length over PAYLOAD_MAX as soon as the header is in', () => {
    const h = Buffer.alloc(16);
    h.writeUInt32LE(XS.READ, 0);
    h.writeUInt32LE(PAYLOAD_MAX + 1, 12);
    const d = new Decoder();
    expect(fault(() => d.push(h))).toBe('bad-length');
    // Poisoned: the stream cannot be trusted any more.
    expect(fault(() => d.push(encode(msgs[0])))).toBe('bad-length');
    expect(fault(() => d.end())).toBe('bad-length');
  });

  it('accepts a length of exactly PAYLOAD_MAX', () => {
    const m = { type: XS.READ, reqId: 9, txId: 0, payload: Buffer.alloc(PAYLOAD_MAX, 1) };
    expect(new Decoder().push(encode(m))).toEqual([m]);
  });

  it('rejects unknown message types, including XS_INVALID', () => {
    for (const type of [27, 100, XS_INVALID, 0xffffffff]) {
      const h = Buffer.alloc(16);
      h.writeUInt32LE(type, 0);
      expect(fault(() => new Decoder().push(h))).toBe('unknown-type');
    }
  });

  it('accepts Uint8Array chunks that are not Buffers', () => {
    const u8 = new Uint8Array(stream);
    expect(new Decoder().push(u8)).toEqual(msgs);
  });
});

describe('payload helpers', () => {
  it('joins strings with terminators and refuses embedded NUL', () => {
    expect(strings('/a', 'tok')).toEqual(Buffer.from('/a\0tok\0'));
    expect(strings()).toEqual(Buffer.alloc(0));
    expect(strings('')).toEqual(Buffer.from([0]));
    expect(() => strings('a\0b')).toThrow(/EINVAL/);
  });

  it('splits NUL-terminated lists', () => {
    expect(splitStrings(Buffer.alloc(0))).toEqual([]);
    expect(splitStrings(Buffer.from('a\0bc\0'))).toEqual(['a', 'bc']);
    expect(splitStrings(Buffer.from('\0'))).toEqual(['']);
    expect(fault(() => splitStrings(Buffer.from('a\0b')))).toBe('missing-nul');
    expect(fault(() => splitStrings(Buffer.from([0xc3, 0x28, 0])))).toBe('bad-utf8');
  });

  it('reads exactly one string', () => {
    expect(singleString(Buffer.from('17\0'))).toBe('17');
    expect(fault(() => singleString(Buffer.from('17')))).toBe('missing-nul');
    expect(fault(() => singleString(Buffer.from('1\0' + '7\0')))).toBe('bad-field');
    expect(fault(() => singleString(Buffer.alloc(0)))).toBe('missing-nul');
  });

  it('parses watch events and ignores trailing data', () => {
    expect(parseWatchEvent(Buffer.from('/a/b\0tok\0'))).toEqual({ path: '/a/b', token: 'tok' });
    expect(parseWatchEvent(Buffer.from('/a\0t\0extra\0'))).toEqual({ path: '/a', token: 't' });
    expect(fault(() => parseWatchEvent(Buffer.from('/a\0tok')))).toBe('missing-nul');
    expect(fault(() => parseWatchEvent(Buffer.from('/a')))).toBe('missing-nul');
  });

  it('parses error names and refuses junk', () => {
    expect(parseError(Buffer.from('EAGAIN\0'))).toBe('EAGAIN');
    expect(parseError(Buffer.from('E2BIG\0'))).toBe('E2BIG');
    expect(fault(() => parseError(Buffer.from('EAGAIN')))).toBe('missing-nul');
    expect(fault(() => parseError(Buffer.from('hello\0')))).toBe('bad-field');
  });

  it('parses u32 decimals strictly', () => {
    expect(parseU32('0', 'x')).toBe(0);
    expect(parseU32('4294967295', 'x')).toBe(0xffffffff);
    for (const bad of ['', '-1', '0x10', '4294967296', '1 ', '1e3']) expect(fault(() => parseU32(bad, 'x'))).toBe('bad-field');
  });
});
