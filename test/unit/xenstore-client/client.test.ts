// End-to-end: the client against the in-process fake xenstored over a
// real unix socket.
import { afterEach, describe, expect, it } from 'vitest';
import { XenStore, type WatchEvent, type Watch } from '../../../src/xenstore-client/client.js';
import { XenStoreError, XenStoreProtocolError } from '../../../src/xenstore-client/errors.js';
import { encode } from '../../../src/xenstore-client/codec.js';
import { XS } from '../../../src/xenstore-client/protocol.js';
import { FakeXenstored, type FakeOptions } from './fake-xenstored.js';
import { track, tick } from './helpers.js';

let fake: FakeXenstored | undefined;
let clients: XenStore[] = [];

async function setup(opts: FakeOptions = {}, timeoutMs?: number) {
  fake = new FakeXenstored(opts);
  const path = await fake.listen();
  const xs = await XenStore.connect({ path, timeoutMs });
  clients.push(xs);
  return { fake, xs };
}

afterEach(async () => {
  for (const c of clients) await c.close();
  clients = [];
  await fake?.close();
  fake = undefined;
});

async function rejection(p: Promise<unknown>): Promise<XenStoreError> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(XenStoreError);
    return e as XenStoreError;
  }
  throw new Error('expected a rejection');
}

const sent = (f: FakeXenstored, type: number) => f.conns.size && [...f.conns][0].received.filter((m) => m.type === type);

/** Next event or undefined if none arrives within `ms`. */
async function nextWithin(w: Watch, ms = 100): Promise<WatchEvent | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const r = await Promise.race([
    w.next(),
    new Promise<undefined>((res) => (timer = setTimeout(() => res(undefined), ms))),
  ]);
  clearTimeout(timer);
  return r && !r.done ? r.value : undefined;
}

describe('basic operations', () => {
  it('connects over the socket named by path', async () => {
    const { xs, fake } = await setup();
    expect(xs.transport).toEqual({ kind: 'socket', path: fake.socketPath });
  });

  it('writes, reads, lists and removes', async () => {
    const { xs, fake } = await setup();
    await xs.write('/vm/1/name', 'guest');
    expect(fake.get('/vm/1/name')).toBe('guest');
    expect(await xs.read('/vm/1/name')).toBe('guest');
    await xs.mkdir('/vm/1/device');
    expect(await xs.directory('/vm/1')).toEqual(['name', 'device']);
    expect(await xs.read('/vm/1')).toBe('');
    await xs.rm('/vm/1');
    expect(await xs.directory('/vm')).toEqual([]);
    // rm of an absent node under an existing parent is fine.
    await xs.rm('/vm/1');
  });

  it('keeps values binary-exact', async () => {
    const { xs } = await setup();
    const bin = Buffer.from([0, 1, 0xff, 0xfe, 10, 0]);
    await xs.write('/bin', bin);
    expect((await xs.readBuffer('/bin')).equals(bin)).toBe(true);
    expect((await rejection(xs.read('/bin'))).code).toBe('EILSEQ');
    await xs.write('/utf', 'grüß');
    expect(await xs.read('/utf')).toBe('grüß');
  });

  it('maps xenstored error strings to typed errors with context', async () => {
    const { xs } = await setup();
    const e = await rejection(xs.read('/nope'));
    expect(e.code).toBe('ENOENT');
    expect(e.op).toBe('READ');
    expect(e.path).toBe('/nope');
    expect(e.errno).toBe(2);
    expect(e.message).toBe('xenstore READ /nope: ENOENT (no such node)');
    expect((await rejection(xs.rm('/nope/child'))).code).toBe('ENOENT');
    for (const code of ['EACCES', 'EQUOTA', 'ENOSPC', 'EPERM']) {
      fake!.failNext('WRITE', code);
      expect((await rejection(xs.write('/x', '1'))).code).toBe(code);
    }
  });

  it('enforces permissions for unprivileged connections', async () => {
    const { xs, fake } = await setup();
    fake.put('/secret', 's', ['n0']);
    fake.put('/shared', 's', ['n0', 'r7']);
    [...fake.conns][0].domid = 7;
    expect((await rejection(xs.read('/secret'))).code).toBe('EACCES');
    expect(await xs.read('/shared')).toBe('s');
    expect((await rejection(xs.write('/shared', 'x'))).code).toBe('EACCES');
  });

  it('checks paths and sizes before sending anything', async () => {
    const { xs, fake } = await setup();
    await xs.read('/').catch(() => {});
    const before = [...fake.conns][0].received.length;
    expect((await rejection(xs.read('/a//b'))).code).toBe('EINVAL');
    expect((await rejection(xs.write('/a/', 'x'))).code).toBe('EINVAL');
    expect((await rejection(xs.read('@releaseDomain'))).code).toBe('EINVAL');
    // Sending more than 4096 bytes would make xenstored drop us.
    const e = await rejection(xs.write('/big', Buffer.alloc(4096)));
    expect(e.code).toBe('E2BIG');
    expect(e.op).toBe('WRITE');
    await xs.write('/fits', Buffer.alloc(4096 - '/fits\0'.length));
    expect([...fake.conns][0].received.length).toBe(before + 1);
  });

  it('lists big directories with DIRECTORY_PART after E2BIG', async () => {
    const { xs, fake } = await setup();
    const names = Array.from({ length: 700 }, (_, i) => `child-with-a-long-name-${i}`);
    for (const n of names) fake.put(`/big/${n}`, '');
    expect(await xs.directory('/big')).toEqual(names);
    expect((sent(fake, XS.DIRECTORY_PART) as unknown[]).length).toBeGreaterThan(2);
  });

  it('restarts DIRECTORY_PART when the directory changes midway', async () => {
    const { xs, fake } = await setup();
    const names = Array.from({ length: 400 }, (_, i) => `entry-number-${i}`);
    for (const n of names) fake.put(`/d/${n}`, '');
    let parts = 0;
    fake.intercept = (m) => {
      if (m.type === XS.DIRECTORY_PART && ++parts === 2) fake.put('/d/late-arrival', '');
    };
    expect(await xs.directory('/d')).toEqual([...names, 'late-arrival']);
    expect(parts).toBeGreaterThan(3);
  });

  it('surfaces E2BIG when xenstored lacks DIRECTORY_PART', async () => {
    const { xs, fake } = await setup({ directoryPart: false });
    for (let i = 0; i < 400; i++) fake.put(`/big/entry-number-${i}`, '');
    const e = await rejection(xs.directory('/big'));
    expect(e.code).toBe('E2BIG');
    expect(e.op).toBe('DIRECTORY');
  });

  it('refuses a DIRECTORY_PART reply that makes no progress', async () => {
    const { xs, fake } = await setup();
    for (let i = 0; i < 400; i++) fake.put(`/big/entry-number-${i}`, '');
    fake.intercept = (m, conn) => {
      if (m.type !== XS.DIRECTORY_PART) return;
      conn.send({ type: m.type, reqId: m.reqId, txId: 0, payload: Buffer.from('9\0') });
      return 'handled';
    };
    const e = await rejection(xs.directory('/big'));
    expect((e as XenStoreProtocolError).fault).toBe('bad-field');
  });

  it('gets and sets permissions', async () => {
    const { xs } = await setup();
    await xs.write('/p', '');
    expect(await xs.getPerms('/p')).toEqual({ owner: 0, others: 'none', acl: [] });
    await xs.setPerms('/p', { owner: 3, others: 'read', acl: [{ domid: 0, access: 'both' }] });
    expect(await xs.getPerms('/p')).toEqual({ owner: 3, others: 'read', acl: [{ domid: 0, access: 'both' }] });
    await xs.setPerms('/p', ['n0', 'w5']);
    expect(await xs.getPerms('/p')).toEqual({ owner: 0, others: 'none', acl: [{ domid: 5, access: 'write' }] });
    // Children inherit the parent's permissions.
    await xs.write('/p/c', '');
    expect(await xs.getPerms('/p/c')).toEqual({ owner: 0, others: 'none', acl: [{ domid: 5, access: 'write' }] });
    await xs.setPerms('@releaseDomain', ['n0', 'r5']);
    expect((await xs.getPerms('@releaseDomain')).owner).toBe(0);
  });

  it('runs the domain operations', async () => {
    const { xs, fake } = await setup();
    expect(await xs.getDomainPath(5)).toBe('/local/domain/5');
    expect(await xs.isDomainIntroduced(5)).toBe(false);
    await xs.introduce(5, 0xfeffen, 7);
    const intro = [...fake.conns][0].received.find((m) => m.type === XS.INTRODUCE)!;
    expect(intro.payload.toString().split('\0')).toEqual(['5', String(0xfeffe), '7', '']);
    expect(await xs.isDomainIntroduced(5)).toBe(true);
    await xs.setTarget(6, 5);
    await xs.resume(5);
    await xs.release(5);
    expect(await xs.isDomainIntroduced(5)).toBe(false);
    expect((await rejection(xs.release(5))).code).toBe('ENOENT');
    expect((await rejection(xs.getDomainPath(70000))).code).toBe('EINVAL');
  });

  it('sends other message types raw', async () => {
    const { xs } = await setup();
    expect((await rejection(xs.request('GET_QUOTA'))).code).toBe('ENOSYS');
    expect((await xs.request('GET_DOMAIN_PATH', ['3'])).toString()).toBe('/local/domain/3\0');
    expect((await rejection(xs.request('WATCH_EVENT'))).code).toBe('EINVAL');
  });
});

describe('concurrency and matching', () => {
  it('runs many requests at once and matches every reply', async () => {
    const { xs } = await setup();
    await Promise.all(Array.from({ length: 200 }, (_, i) => xs.write(`/c/${i}`, `v${i}`)));
    const got = await Promise.all(Array.from({ length: 200 }, (_, i) => xs.read(`/c/${i}`)));
    expect(got).toEqual(Array.from({ length: 200 }, (_, i) => `v${i}`));
    const ids = [...fake!.conns][0].received.map((m) => m.reqId);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids).not.toContain(0);
  });

  it('matches by req_id when replies come out of order', async () => {
    const { xs } = await setup({ reorder: true });
    await Promise.all(Array.from({ length: 50 }, (_, i) => xs.write(`/r/${i}`, `v${i}`)));
    const got = await Promise.all(Array.from({ length: 50 }, (_, i) => xs.read(`/r/${i}`)));
    expect(got).toEqual(Array.from({ length: 50 }, (_, i) => `v${i}`));
  });

  it('falls back to oldest-first when the server does not echo req_id', async () => {
    const { xs } = await setup({ echoReqId: false });
    await Promise.all(Array.from({ length: 50 }, (_, i) => xs.write(`/o/${i}`, `v${i}`)));
    const got = await Promise.all(Array.from({ length: 50 }, (_, i) => xs.read(`/o/${i}`)));
    expect(got).toEqual(Array.from({ length: 50 }, (_, i) => `v${i}`));
  });
});

describe('watches', () => {
  it('delivers the initial event, then changes below the path only', async () => {
    const { xs } = await setup();
    const w = await xs.watch('/w', { token: 'tok' });
    expect(await nextWithin(w)).toEqual({ path: '/w', token: 'tok' });
    await xs.write('/w/a', '1');
    await xs.write('/wx', '1'); // sibling with a common prefix: no event
    await xs.write('/w/a/b', '2');
    expect(await nextWithin(w)).toEqual({ path: '/w/a', token: 'tok' });
    expect(await nextWithin(w)).toEqual({ path: '/w/a/b', token: 'tok' });
    expect(await nextWithin(w)).toBeUndefined();
  });

  it('gets the initial event even when it beats the WATCH reply', async () => {
    const { xs } = await setup({ eventBeforeWatchReply: true });
    const w = await xs.watch('/early');
    expect((await nextWithin(w))?.path).toBe('/early');
  });

  it('routes events by token and feeds onWatch listeners', async () => {
    const { xs } = await setup();
    const seen: WatchEvent[] = [];
    xs.onWatch((ev) => seen.push(ev));
    const a = await xs.watch('/a');
    const b = await xs.watch('/b');
    expect(a.token).not.toBe(b.token);
    await nextWithin(a);
    await nextWithin(b);
    await xs.write('/b/x', '');
    expect(await nextWithin(b)).toEqual({ path: '/b/x', token: b.token });
    expect(await nextWithin(a, 50)).toBeUndefined();
    expect(seen.map((e) => e.path)).toEqual(['/a', '/b', '/b/x']);
  });

  it('reports removal of a watched node and of its parent', async () => {
    const { xs, fake } = await setup();
    fake.put('/p/q/r', '');
    const w = await xs.watch('/p/q');
    await nextWithin(w);
    await xs.rm('/p');
    expect((await nextWithin(w))?.path).toBe('/p/q');
  });

  it('unwatches when a for-await loop is left', async () => {
    const { xs, fake } = await setup();
    const w = await xs.watch('/loop');
    const paths: string[] = [];
    const writer = (async () => {
      for (let i = 0; i < 3; i++) await xs.write(`/loop/${i}`, '');
    })();
    for await (const ev of w) {
      paths.push(ev.path);
      if (paths.length === 4) break;
    }
    await writer;
    expect(paths).toEqual(['/loop', '/loop/0', '/loop/1', '/loop/2']);
    expect([...fake.conns][0].watches).toEqual([]);
    expect(sent(fake, XS.UNWATCH)).toHaveLength(1);
    await w.close(); // second close is harmless
    expect(sent(fake, XS.UNWATCH)).toHaveLength(1);
  });

  it('fires special watches on introduce and release', async () => {
    const { xs } = await setup();
    const intro = await xs.watch('@introduceDomain');
    const rel = await xs.watch('@releaseDomain');
    expect((await nextWithin(intro))?.path).toBe('@introduceDomain');
    expect((await nextWithin(rel))?.path).toBe('@releaseDomain');
    await xs.introduce(9, 1, 1);
    expect((await nextWithin(intro))?.path).toBe('@introduceDomain');
    await xs.release(9);
    expect((await nextWithin(rel))?.path).toBe('@releaseDomain');
  });

  it('sends the depth argument and refuses bad depths', async () => {
    const { xs, fake } = await setup();
    await xs.watch('/d', { depth: 1, token: 't' });
    expect((sent(fake, XS.WATCH) as { payload: Buffer }[])[0].payload.toString()).toBe('/d\0t\x001\0');
    expect((await rejection(xs.watch('/d', { depth: -1 }))).code).toBe('EINVAL');
  });

  it('fails a duplicate watch and keeps the first', async () => {
    const { xs } = await setup();
    const w = await xs.watch('/dup', { token: 't' });
    expect((await rejection(xs.watch('/dup', { token: 't' }))).code).toBe('EEXIST');
    await nextWithin(w);
    await xs.write('/dup/x', '');
    expect((await nextWithin(w))?.path).toBe('/dup/x');
  });
});

describe('transactions', () => {
  it('isolates writes until commit', async () => {
    const { xs } = await setup();
    const tx = await xs.transactionStart();
    expect(tx.txId).toBeGreaterThan(0);
    await tx.write('/t/a', '1');
    expect(await tx.read('/t/a')).toBe('1');
    expect((await rejection(xs.read('/t/a'))).code).toBe('ENOENT');
    await xs.transactionEnd(tx, true);
    expect(await xs.read('/t/a')).toBe('1');
    expect((await rejection(tx.read('/t/a'))).code).toBe('EINVAL');
  });

  it('discards on abort', async () => {
    const { xs } = await setup();
    const tx = await xs.transactionStart();
    await tx.write('/t/b', '1');
    await tx.abort();
    expect((await rejection(xs.read('/t/b'))).code).toBe('ENOENT');
  });

  it('reports a conflicting commit as EAGAIN', async () => {
    const { xs } = await setup();
    const tx = await xs.transactionStart();
    await tx.write('/t/c', 'tx');
    await xs.write('/t/other', 'outside');
    expect((await rejection(tx.commit())).code).toBe('EAGAIN');
    expect(tx.ended).toBe(true);
  });

  it('withTransaction retries the whole body on EAGAIN', async () => {
    const { xs, fake } = await setup();
    fake.failNext('TRANSACTION_END', 'EAGAIN', 2);
    let runs = 0;
    const out = await xs.withTransaction(async (tx) => {
      runs++;
      const n = Number(await tx.read('/counter').catch(() => '0'));
      await tx.write('/counter', String(n + 1));
      return n + 1;
    });
    expect(runs).toBe(3);
    expect(out).toBe(1);
    expect(fake.get('/counter')).toBe('1');
  });

  it('withTransaction retries after a real conflict', async () => {
    const { xs, fake } = await setup();
    let runs = 0;
    await xs.withTransaction(async (tx) => {
      runs++;
      await tx.write('/t/mine', String(runs));
      if (runs === 1) fake.put('/t/theirs', 'x'); // someone else commits meanwhile
    });
    expect(runs).toBe(2);
    expect(fake.get('/t/mine')).toBe('2');
  });

  it('withTransaction gives up after the attempt limit', async () => {
    const { xs, fake } = await setup();
    fake.failNext('TRANSACTION_END', 'EAGAIN', 10);
    let runs = 0;
    const e = await rejection(
      xs.withTransaction(
        async (tx) => {
          runs++;
          await tx.write('/t/x', '1');
        },
        { attempts: 3 },
      ),
    );
    expect(e.code).toBe('EAGAIN');
    expect(runs).toBe(3);
    expect(fake.get('/t/x')).toBeUndefined();
  });

  it('withTransaction aborts and rethrows when the body throws', async () => {
    const { xs, fake } = await setup();
    const boom = new Error('boom');
    let runs = 0;
    await expect(
      xs.withTransaction(async (tx) => {
        runs++;
        await tx.write('/t/y', '1');
        throw boom;
      }),
    ).rejects.toBe(boom);
    expect(runs).toBe(1);
    expect(fake.get('/t/y')).toBeUndefined();
    const ends = sent(fake, XS.TRANSACTION_END) as { payload: Buffer }[];
    expect(ends.map((m) => m.payload.toString())).toEqual(['F\0']);
  });

  it('withTransaction retries when an operation inside says EAGAIN', async () => {
    const { xs, fake } = await setup();
    fake.failNext('WRITE', 'EAGAIN', 1);
    let runs = 0;
    await xs.withTransaction(async (tx) => {
      runs++;
      await tx.write('/t/z', 'ok');
    });
    expect(runs).toBe(2);
    expect(fake.get('/t/z')).toBe('ok');
  });
});

describe('broken servers', () => {
  it('turns a reply cut off by a close into a truncated error, not a hang', async () => {
    const { xs, fake } = await setup();
    fake.intercept = (m, conn) => {
      if (m.type !== XS.READ) return;
      const frame = encode({ type: XS.READ, reqId: m.reqId, txId: 0, payload: Buffer.from('a long value here') });
      conn.writeRaw(frame.subarray(0, 20));
      setTimeout(() => conn.destroy(), 10);
      return 'handled';
    };
    const other = track(xs.directory('/'));
    const w = await xs.watch('/somewhere');
    const e = await rejection(xs.read('/x'));
    expect(e).toBeInstanceOf(XenStoreProtocolError);
    expect((e as XenStoreProtocolError).fault).toBe('truncated');
    await tick();
    expect(other.done).toBe(true);
    // Watch iterators end with the same error, later calls fail at once.
    await nextWithin(w); // initial event was delivered before the break
    await expect(w.next()).rejects.toMatchObject({ code: 'EPROTO' });
    expect((await rejection(xs.read('/y'))).code).toBe('EPROTO');
    expect(xs.closedReason?.code).toBe('EPROTO');
  });

  it('reports a plain close as ECONNRESET', async () => {
    const { xs, fake } = await setup();
    fake.intercept = (_m, conn) => {
      conn.destroy();
      return 'handled';
    };
    expect((await rejection(xs.read('/x'))).code).toBe('ECONNRESET');
  });

  it('rejects an oversized length header and drops the connection', async () => {
    const { xs, fake } = await setup();
    fake.intercept = (m, conn) => {
      const h = Buffer.alloc(16);
      h.writeUInt32LE(m.type, 0);
      h.writeUInt32LE(m.reqId, 4);
      h.writeUInt32LE(5000, 12);
      conn.writeRaw(h);
      return 'handled';
    };
    const e = await rejection(xs.read('/x'));
    expect((e as XenStoreProtocolError).fault).toBe('bad-length');
  });

  it('rejects an unknown reply type', async () => {
    const { xs, fake } = await setup();
    fake.intercept = (m, conn) => {
      const h = Buffer.alloc(16);
      h.writeUInt32LE(99, 0);
      h.writeUInt32LE(m.reqId, 4);
      conn.writeRaw(h);
      return 'handled';
    };
    expect(((await rejection(xs.read('/x'))) as XenStoreProtocolError).fault).toBe('unknown-type');
  });

  it('delivers replies that precede a bad header', async () => {
    const { xs, fake } = await setup();
    fake.put('/ok', 'fine');
    let first: number | undefined;
    fake.intercept = (m, conn) => {
      if (first === undefined) {
        first = m.reqId;
        return 'handled';
      }
      const good = encode({ type: XS.READ, reqId: first, txId: 0, payload: Buffer.from('fine') });
      const bad = Buffer.alloc(16);
      bad.writeUInt32LE(77, 0);
      conn.writeRaw(Buffer.concat([good, bad]));
      return 'handled';
    };
    const a = xs.read('/ok');
    await tick();
    const b = rejection(xs.read('/ok'));
    expect(await a).toBe('fine');
    expect(((await b) as XenStoreProtocolError).fault).toBe('unknown-type');
  });

  it('fails only the request whose reply has the wrong shape', async () => {
    const { xs, fake } = await setup();
    fake.intercept = (m, conn) => {
      if (m.type === XS.TRANSACTION_START) {
        conn.send({ type: m.type, reqId: m.reqId, txId: 0, payload: Buffer.from('12') }); // no NUL
        return 'handled';
      }
      if (m.type === XS.GET_DOMAIN_PATH) {
        conn.send({ type: XS.WRITE, reqId: m.reqId, txId: 0, payload: Buffer.from('OK\0') }); // wrong type
        return 'handled';
      }
      if (m.type === XS.IS_DOMAIN_INTRODUCED) {
        conn.send({ type: XS.ERROR, reqId: m.reqId, txId: 0, payload: Buffer.from('not an errno') });
        return 'handled';
      }
    };
    const e1 = (await rejection(xs.transactionStart())) as XenStoreProtocolError;
    expect([e1.fault, e1.op]).toEqual(['missing-nul', 'TRANSACTION_START']);
    const e2 = (await rejection(xs.getDomainPath(1))) as XenStoreProtocolError;
    expect(e2.fault).toBe('unexpected-reply');
    const e3 = (await rejection(xs.isDomainIntroduced(1))) as XenStoreProtocolError;
    expect(e3.fault).toBe('missing-nul');
    await xs.write('/still', 'works');
    expect(await xs.read('/still')).toBe('works');
  });

  it('treats a reply nobody asked for as fatal', async () => {
    const { xs, fake } = await setup();
    const w = await xs.watch('/q');
    await nextWithin(w);
    [...fake.conns][0].writeRaw(encode({ type: XS.READ, reqId: 4242, txId: 0, payload: Buffer.alloc(0) }));
    await expect(w.next()).rejects.toMatchObject({ fault: 'unexpected-reply' });
  });

  it('times out a silent server when asked to', async () => {
    const { xs, fake } = await setup({}, 100);
    fake.intercept = () => 'handled';
    const t0 = Date.now();
    const e = await rejection(xs.read('/x'));
    expect(e.code).toBe('ETIMEDOUT');
    expect(Date.now() - t0).toBeLessThan(2000);
    expect(xs.closedReason?.code).toBe('ETIMEDOUT');
  });
});

describe('close', () => {
  it('fails pending requests with ECANCELED and ends watch iteration', async () => {
    const { xs, fake } = await setup();
    const w = await xs.watch('/c');
    await nextWithin(w);
    fake.intercept = () => 'handled';
    const pending = rejection(xs.read('/x'));
    let closedWith: unknown = 'not called';
    xs.onClose((err) => (closedWith = err));
    await xs.close();
    expect((await pending).code).toBe('ECANCELED');
    expect(await w.next()).toEqual({ value: undefined, done: true });
    expect(closedWith).toBeUndefined();
    expect((await rejection(xs.read('/x'))).code).toBe('ECANCELED');
    await xs.close();
  });

  it('lets xenstored drop the watches of a closed client', async () => {
    const { xs, fake } = await setup();
    await xs.watch('/gone');
    expect([...fake.conns][0].watches).toHaveLength(1);
    await xs.close();
    await new Promise((r) => setTimeout(r, 20));
    expect(fake.conns.size).toBe(0);
  });
});
