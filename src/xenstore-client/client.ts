// The xenstore client: request/reply matching over one transport, typed
// operations, transactions and watches.
import { XS, messageType, messageTypeName, type MessageTypeName } from './protocol.js';
import {
  XenStoreError,
  XenStoreProtocolError,
  errorFromReply,
  fromSystemError,
  type XenStoreErrorContext,
} from './errors.js';
import {
  Decoder,
  checkReplyType,
  decodeUtf8,
  encode,
  parseError,
  parseU32,
  parseWatchEvent,
  singleString,
  splitStrings,
  strings,
  type Message,
} from './codec.js';
import { checkDomid, checkPath } from './paths.js';
import { parsePerms, toWirePerms, type NodePerms } from './perms.js';
import { openTransport, type DiscoveryOptions, type Transport } from './transport.js';

export interface ConnectOptions extends DiscoveryOptions {
  /**
   * Fail the connection if a reply takes longer than this (ms). Off by
   * default, like libxenstore. On expiry every pending request fails with
   * ETIMEDOUT and the connection is closed, since a late reply could no
   * longer be matched safely.
   */
  timeoutMs?: number;
}

export interface WatchEvent {
  /** The path that changed (or the watched path itself for the initial event). */
  path: string;
  token: string;
}

export interface WatchOptions {
  /** Defaults to a token unique within this client. */
  token?: string;
  /** Levels below the path to report (needs XENSTORE_SERVER_FEATURE_WATCHDEPTH). */
  depth?: number;
}

export interface TransactionOptions {
  /** Attempts before giving up with EAGAIN. Default 10. */
  attempts?: number;
}

interface Pending {
  ctx: XenStoreErrorContext;
  resolve: (m: Message) => void;
  reject: (e: Error) => void;
  timer?: NodeJS.Timeout;
}

/** Restarts allowed when a directory changes under DIRECTORY_PART. */
const DIRECTORY_PART_RESTARTS = 16;

// ---- connection: framing, matching, dispatch ---------------------------------

/** @internal One transport, its pending requests and its watches. */
export class Connection {
  private readonly decoder: Decoder;
  /** Insertion-ordered: the first entry is the oldest request. */
  private readonly pending = new Map<number, Pending>();
  private nextReqId = 1;
  readonly watches = new Map<string, Set<Watch>>();
  readonly listeners = new Set<(ev: WatchEvent) => void>();
  readonly closeListeners = new Set<(err?: XenStoreError) => void>();
  closed: XenStoreError | undefined;

  constructor(readonly transport: Transport, private readonly timeoutMs?: number) {
    this.decoder = new Decoder();
    transport.onData = (chunk) => this.onData(chunk);
    transport.onEnd = (err) => this.onEnd(err);
  }

  send(type: number, payload: Buffer, txId: number, ctx: XenStoreErrorContext): Promise<Message> {
    if (this.closed) return Promise.reject(this.closed);
    const reqId = this.allocReqId();
    let frame: Buffer;
    try {
      frame = encode({ type, reqId, txId, payload }, this.transport.maxPayload);
    } catch (e) {
      return Promise.reject(addCtx(e, ctx));
    }
    return new Promise<Message>((resolve, reject) => {
      const p: Pending = { ctx, resolve, reject };
      if (this.timeoutMs) {
        p.timer = setTimeout(
          () => this.abort(new XenStoreError('ETIMEDOUT', `no reply within ${this.timeoutMs} ms`, ctx)),
          this.timeoutMs,
        );
      }
      this.pending.set(reqId, p);
      this.updateActive();
      this.transport.write(frame).catch((e) => {
        // A device may refuse a single frame (EINVAL, E2BIG) and stay usable.
        if (this.pending.get(reqId) !== p) return;
        this.settle(reqId, p);
        reject(fromSystemError(e, ctx));
      });
    });
  }

  private allocReqId(): number {
    // Never 0: servers that do not echo req_id answer with 0, which then
    // falls back to oldest-first matching. Skip ids still in use after wrap.
    do {
      const id = this.nextReqId;
      this.nextReqId = id >= 0xffffffff ? 1 : id + 1;
      if (!this.pending.has(id)) return id;
    } while (true);
  }

  private settle(reqId: number, p: Pending): void {
    clearTimeout(p.timer);
    this.pending.delete(reqId);
    this.updateActive();
  }

  updateActive(): void {
    let watching = false;
    for (const set of this.watches.values()) if (set.size > 0) watching = true;
    if (!this.closed) this.transport.setActive(this.pending.size > 0 || watching);
  }

  private onData(chunk: Buffer): void {
    if (this.closed) return;
    let msgs: Message[];
    try {
      msgs = this.decoder.push(chunk);
    } catch (e) {
      this.abort(e);
      return;
    }
    for (const m of msgs) {
      if (this.closed) return;
      try {
        this.dispatch(m);
      } catch (e) {
        this.abort(e);
        return;
      }
    }
    // Replies ahead of a bad header were delivered; now the stream is dead.
    if (this.decoder.error) this.abort(this.decoder.error);
  }

  private dispatch(m: Message): void {
    if (m.type === XS.WATCH_EVENT) {
      const ev = parseWatchEvent(m.payload);
      for (const w of this.watches.get(ev.token) ?? []) w.push(ev);
      for (const l of this.listeners) callOut(l, ev);
      return;
    }
    // Match by echoed req_id; a server that does not echo it answers in order.
    let reqId = m.reqId;
    let p = this.pending.get(reqId);
    if (!p) {
      const first = this.pending.entries().next();
      if (first.done) {
        throw new XenStoreProtocolError('unexpected-reply', `${messageTypeName(m.type)} reply with no request outstanding`);
      }
      [reqId, p] = first.value;
    }
    this.settle(reqId, p);
    if (m.type === XS.ERROR) {
      let name: string;
      try {
        name = parseError(m.payload);
      } catch (e) {
        return p.reject(addCtx(e, p.ctx));
      }
      return p.reject(errorFromReply(name, p.ctx));
    }
    p.resolve(m);
  }

  private onEnd(err?: XenStoreError): void {
    if (this.closed) return;
    if (err) return this.abort(err);
    try {
      this.decoder.end();
    } catch (e) {
      return this.abort(e);
    }
    this.abort(new XenStoreError('ECONNRESET', 'xenstored closed the connection'));
  }

  /** Fail from inside an I/O callback: nobody awaits the teardown. */
  private abort(e: unknown): void {
    void this.fail(e instanceof XenStoreError ? e : fromSystemError(e));
  }

  /** Tear down: every pending request and watch sees `err`. */
  fail(err: XenStoreError, graceful = false): Promise<void> {
    if (this.closed) return Promise.resolve();
    this.closed = err;
    for (const [id, p] of [...this.pending]) {
      clearTimeout(p.timer);
      this.pending.delete(id);
      p.reject(err.withContext(p.ctx));
    }
    for (const set of this.watches.values()) for (const w of set) w.end(graceful ? undefined : err);
    this.watches.clear();
    for (const l of this.closeListeners) callOut(l, graceful ? undefined : err);
    return this.transport.close().catch(() => {});
  }
}

/** Run a user callback; its exception surfaces as uncaught, not as a broken connection. */
function callOut<A>(fn: (a: A) => void, arg: A): void {
  try {
    fn(arg);
  } catch (e) {
    queueMicrotask(() => {
      throw e;
    });
  }
}

/** Attach request context to whatever was thrown, as a XenStoreError. */
function addCtx(e: unknown, ctx: XenStoreErrorContext): XenStoreError {
  return e instanceof XenStoreError ? e.withContext(ctx) : fromSystemError(e, ctx);
}

// ---- operations shared by the client and transactions ------------------------

/** Node operations; on a Transaction they run inside it. */
export abstract class XenStoreOps {
  /** @internal */
  protected abstract readonly conn: Connection;
  /** 0 outside a transaction. */
  abstract readonly txId: number;

  /**
   * @internal Send, check the reply type, and parse the payload; any error
   * comes back naming the request.
   */
  protected async call<T = Buffer>(
    type: number,
    payload: Buffer,
    ctx: XenStoreErrorContext,
    parse?: (reply: Buffer) => T,
  ): Promise<T> {
    try {
      const reply = checkReplyType(type, await this.conn.send(type, payload, this.txId, ctx));
      return parse ? parse(reply) : (reply as T);
    } catch (e) {
      throw addCtx(e, ctx);
    }
  }

  private pathCall<T = Buffer>(type: number, path: string, extra?: Buffer, parse?: (reply: Buffer) => T): Promise<T> {
    const op = messageTypeName(type);
    checkPath(path, { op, special: type === XS.GET_PERMS || type === XS.SET_PERMS });
    const payload = extra ? Buffer.concat([strings(path), extra]) : strings(path);
    return this.call(type, payload, { op, path }, parse);
  }

  /** Value as UTF-8 text; EILSEQ if it is not UTF-8 (use readBuffer). */
  async read(path: string): Promise<string> {
    const raw = await this.readBuffer(path);
    const s = decodeUtf8(raw);
    if (s === undefined) throw new XenStoreError('EILSEQ', undefined, { op: 'READ', path });
    return s;
  }

  /** Value as raw bytes. */
  readBuffer(path: string): Promise<Buffer> {
    return this.pathCall(XS.READ, path);
  }

  /** Store a value (no terminator is added); creates missing parents. */
  async write(path: string, value: string | Uint8Array): Promise<void> {
    await this.pathCall(XS.WRITE, path, typeof value === 'string' ? Buffer.from(value, 'utf8') : Buffer.from(value));
  }

  /** Ensure `path` exists (and its parents); leaves existing values alone. */
  async mkdir(path: string): Promise<void> {
    await this.pathCall(XS.MKDIR, path);
  }

  /** Remove `path` and everything below it. Fine if absent; ENOENT if its parent is. */
  async rm(path: string): Promise<void> {
    await this.pathCall(XS.RM, path);
  }

  /**
   * Child names of `path`. Lists too long for one reply (E2BIG) are fetched
   * with DIRECTORY_PART; if the server lacks that, the E2BIG stands.
   */
  async directory(path: string): Promise<string[]> {
    try {
      return await this.pathCall(XS.DIRECTORY, path, undefined, (b) => splitStrings(b, 'DIRECTORY reply'));
    } catch (e) {
      if (!XenStoreError.is(e, 'E2BIG')) throw e;
      try {
        return await this.directoryPart(path);
      } catch (e2) {
        // ENOSYS: xenstored before 4.9; EINVAL: the FreeBSD device refuses it.
        if (XenStoreError.is(e2, 'ENOSYS', 'EINVAL')) throw e;
        throw e2;
      }
    }
  }

  private async directoryPart(path: string): Promise<string[]> {
    const ctx = { op: 'DIRECTORY_PART', path };
    let names: string[] = [];
    let offset = 0;
    let gen: string | undefined;
    for (let restarts = 0; ; ) {
      const parts = await this.call(XS.DIRECTORY_PART, strings(path, String(offset)), ctx, (b) =>
        splitStrings(b, 'DIRECTORY_PART reply'),
      );
      if (parts.length === 0) throw new XenStoreProtocolError('bad-field', 'DIRECTORY_PART reply lacks a generation', ctx);
      const [g, ...rest] = parts;
      if (gen !== undefined && g !== gen) {
        // The node changed between parts: start over, but not forever.
        if (++restarts > DIRECTORY_PART_RESTARTS) throw new XenStoreError('EAGAIN', 'directory keeps changing', ctx);
        names = [];
        offset = 0;
        gen = undefined;
        continue;
      }
      gen = g;
      // An empty string after the names marks the end of the list.
      const done = rest.length > 0 && rest[rest.length - 1] === '';
      const got = done ? rest.slice(0, -1) : rest;
      if (got.includes('')) throw new XenStoreProtocolError('bad-field', 'empty child name', ctx);
      if (!done && got.length === 0) throw new XenStoreProtocolError('bad-field', 'DIRECTORY_PART made no progress', ctx);
      for (const n of got) offset += Buffer.byteLength(n) + 1;
      names.push(...got);
      if (done) return names;
    }
  }

  /** Owner, default access and ACL of `path` (also @introduceDomain / @releaseDomain). */
  getPerms(path: string): Promise<NodePerms> {
    return this.pathCall(XS.GET_PERMS, path, undefined, (b) => parsePerms(splitStrings(b, 'GET_PERMS reply')));
  }

  /** Replace the permissions of `path`: a NodePerms or wire strings like ["n0","r5"]. */
  async setPerms(path: string, perms: NodePerms | readonly string[]): Promise<void> {
    await this.pathCall(XS.SET_PERMS, path, strings(...toWirePerms(perms)));
  }
}

// ---- transactions -----------------------------------------------------------

export class Transaction extends XenStoreOps {
  private done = false;

  /** @internal */
  constructor(protected readonly conn: Connection, readonly txId: number) {
    super();
  }

  protected override call<T = Buffer>(
    type: number,
    payload: Buffer,
    ctx: XenStoreErrorContext,
    parse?: (reply: Buffer) => T,
  ): Promise<T> {
    if (this.done) return Promise.reject(new XenStoreError('EINVAL', `transaction ${this.txId} already ended`, ctx));
    return super.call(type, payload, ctx, parse);
  }

  /** Commit (default) or discard. A commit that lost a race throws EAGAIN. */
  async end(commit = true): Promise<void> {
    try {
      await this.call(XS.TRANSACTION_END, strings(commit ? 'T' : 'F'), { op: 'TRANSACTION_END' });
    } finally {
      // Whatever the answer, xenstored has forgotten this transaction id.
      this.done = true;
    }
  }

  commit(): Promise<void> {
    return this.end(true);
  }

  abort(): Promise<void> {
    return this.end(false);
  }

  get ended(): boolean {
    return this.done;
  }
}

// ---- watches ----------------------------------------------------------------

/**
 * One registered watch. Iterate it for events (the first is the one
 * xenstored fires on registration). Leaving a for-await loop, or close(),
 * removes the watch. If the connection fails, iteration throws its error.
 * Unread events queue without limit, so keep consuming or close it.
 */
export class Watch implements AsyncIterable<WatchEvent> {
  private readonly queue: WatchEvent[] = [];
  private waiter: { resolve: (r: IteratorResult<WatchEvent>) => void; reject: (e: Error) => void } | undefined;
  private finished: { err?: XenStoreError } | undefined;

  /** @internal */
  constructor(
    private readonly store: XenStore,
    readonly path: string,
    readonly token: string,
  ) {}

  /** @internal */
  push(ev: WatchEvent): void {
    if (this.finished) return;
    if (this.waiter) {
      const w = this.waiter;
      this.waiter = undefined;
      w.resolve({ value: ev, done: false });
    } else this.queue.push(ev);
  }

  /** @internal */
  end(err?: XenStoreError): void {
    if (this.finished) return;
    this.finished = err ? { err } : {};
    const w = this.waiter;
    this.waiter = undefined;
    if (w) {
      if (err) w.reject(err);
      else w.resolve({ value: undefined, done: true });
    }
  }

  /** Next event; resolves done once the watch is closed. */
  next(): Promise<IteratorResult<WatchEvent>> {
    const ev = this.queue.shift();
    if (ev) return Promise.resolve({ value: ev, done: false });
    if (this.finished) {
      return this.finished.err ? Promise.reject(this.finished.err) : Promise.resolve({ value: undefined, done: true });
    }
    if (this.waiter) return Promise.reject(new XenStoreError('EBUSY', 'watch already has a pending next()'));
    return new Promise((resolve, reject) => (this.waiter = { resolve, reject }));
  }

  /** UNWATCH and end iteration. Safe to call twice. */
  async close(): Promise<void> {
    if (this.finished) return;
    this.end();
    await this.store.dropWatch(this);
  }

  [Symbol.asyncIterator](): AsyncIterator<WatchEvent> {
    return {
      next: () => this.next(),
      return: async () => {
        await this.close();
        return { value: undefined, done: true };
      },
    };
  }
}

// ---- the client -------------------------------------------------------------

export class XenStore extends XenStoreOps {
  readonly txId = 0;
  private tokenSeq = 0;

  /** @internal */
  protected constructor(protected readonly conn: Connection) {
    super();
  }

  /** Connect over the first transport that works (see candidatePaths). */
  static async connect(opts: ConnectOptions = {}): Promise<XenStore> {
    return XenStore.over(await openTransport(opts), opts);
  }

  /** Use an already open transport (tests, custom channels). */
  static over(transport: Transport, opts: { timeoutMs?: number } = {}): XenStore {
    return new XenStore(new Connection(transport, opts.timeoutMs));
  }

  /** 'socket' or 'device', and the path in use. */
  get transport(): { kind: 'socket' | 'device'; path: string } {
    return { kind: this.conn.transport.kind, path: this.conn.transport.path };
  }

  /** Set when the connection is gone: why. */
  get closedReason(): XenStoreError | undefined {
    return this.conn.closed;
  }

  /**
   * Send any message type and get the raw reply payload: for CONTROL,
   * GET/SET_FEATURE, GET/SET_QUOTA, RESET_WATCHES. Strings in `payload`
   * are NUL-terminated for you.
   */
  request(type: MessageTypeName | number, payload: Buffer | readonly string[] = [], txId = 0): Promise<Buffer> {
    const id = typeof type === 'number' ? type : XS[type];
    const info = messageType(id);
    if (!info?.clientSends) return Promise.reject(new XenStoreError('EINVAL', `cannot send ${messageTypeName(id)}`));
    const body = Buffer.isBuffer(payload) ? payload : strings(...(payload as string[]));
    const ctx = { op: info.name };
    return this.conn.send(id, body, txId, ctx).then(
      (m) => checkReplyType(id, m),
      (e) => Promise.reject(addCtx(e, ctx)),
    );
  }

  // -- domains

  /** /local/domain/<domid>, as xenstored computes it. */
  async getDomainPath(domid: number): Promise<string> {
    return this.call(XS.GET_DOMAIN_PATH, strings(checkDomid(domid)), { op: 'GET_DOMAIN_PATH' }, (b) => singleString(b));
  }

  /** Tell xenstored about a new domain's ring page (gfn) and event channel. */
  async introduce(domid: number, gfn: number | bigint, evtchn: number): Promise<void> {
    if (typeof gfn === 'number' ? !Number.isInteger(gfn) || gfn < 0 : gfn < 0n) {
      throw new XenStoreError('EINVAL', `bad gfn ${gfn}`);
    }
    if (!Number.isInteger(evtchn) || evtchn < 0 || evtchn > 0xffffffff) throw new XenStoreError('EINVAL', `bad evtchn ${evtchn}`);
    await this.call(XS.INTRODUCE, strings(checkDomid(domid), String(gfn), String(evtchn)), { op: 'INTRODUCE' });
  }

  async release(domid: number): Promise<void> {
    await this.call(XS.RELEASE, strings(checkDomid(domid)), { op: 'RELEASE' });
  }

  /** Re-arm @releaseDomain for a domain that was shut down and came back. */
  async resume(domid: number): Promise<void> {
    await this.call(XS.RESUME, strings(checkDomid(domid)), { op: 'RESUME' });
  }

  /** Let `domid` act with `target`'s privileges (device-model stub domains). */
  async setTarget(domid: number, target: number): Promise<void> {
    await this.call(XS.SET_TARGET, strings(checkDomid(domid), checkDomid(target, 'target')), { op: 'SET_TARGET' });
  }

  async isDomainIntroduced(domid: number): Promise<boolean> {
    return this.call(XS.IS_DOMAIN_INTRODUCED, strings(checkDomid(domid)), { op: 'IS_DOMAIN_INTRODUCED' }, (b) => {
      const s = singleString(b);
      if (s !== 'T' && s !== 'F') throw new XenStoreProtocolError('bad-field', `expected T or F, got ${JSON.stringify(s)}`);
      return s === 'T';
    });
  }

  // -- watches

  /** Register a watch; events (including the initial one) arrive on the handle. */
  async watch(path: string, opts: WatchOptions = {}): Promise<Watch> {
    checkPath(path, { op: 'WATCH', special: true });
    if (opts.depth !== undefined && (!Number.isInteger(opts.depth) || opts.depth < 0)) {
      throw new XenStoreError('EINVAL', `bad watch depth ${opts.depth}`, { op: 'WATCH', path });
    }
    const token = opts.token ?? `xl-ts:${++this.tokenSeq}`;
    const payload = strings(...(opts.depth === undefined ? [path, token] : [path, token, String(opts.depth)]));
    // Register before sending: the initial event may beat the reply (Linux device).
    const w = new Watch(this, path, token);
    let set = this.conn.watches.get(token);
    if (!set) this.conn.watches.set(token, (set = new Set()));
    set.add(w);
    this.conn.updateActive();
    try {
      await this.call(XS.WATCH, payload, { op: 'WATCH', path });
    } catch (e) {
      this.forget(w);
      w.end();
      throw e;
    }
    return w;
  }

  /** UNWATCH by path and token (for watches set up with request()). */
  async unwatch(path: string, token: string): Promise<void> {
    checkPath(path, { op: 'UNWATCH', special: true });
    await this.call(XS.UNWATCH, strings(path, token), { op: 'UNWATCH', path });
  }

  /** Every watch event on this connection, whoever registered it. Returns an unsubscribe function. */
  onWatch(listener: (ev: WatchEvent) => void): () => void {
    this.conn.listeners.add(listener);
    return () => this.conn.listeners.delete(listener);
  }

  /** Called once when the connection ends; `err` is undefined after close(). */
  onClose(listener: (err?: XenStoreError) => void): () => void {
    this.conn.closeListeners.add(listener);
    return () => this.conn.closeListeners.delete(listener);
  }

  /** @internal */
  async dropWatch(w: Watch): Promise<void> {
    if (!this.forget(w) || this.conn.closed) return;
    await this.unwatch(w.path, w.token);
  }

  private forget(w: Watch): boolean {
    const set = this.conn.watches.get(w.token);
    const had = set?.delete(w) ?? false;
    if (set && set.size === 0) this.conn.watches.delete(w.token);
    this.conn.updateActive();
    return had;
  }

  // -- transactions

  async transactionStart(): Promise<Transaction> {
    const id = await this.call(XS.TRANSACTION_START, strings(''), { op: 'TRANSACTION_START' }, (b) =>
      parseU32(singleString(b), 'transaction id'),
    );
    return new Transaction(this.conn, id);
  }

  /** End a transaction by object; same as tx.end(commit). */
  transactionEnd(tx: Transaction, commit = true): Promise<void> {
    return tx.end(commit);
  }

  /**
   * Run `body` in a transaction and commit. If xenstored answers EAGAIN
   * (a conflicting commit, or from an operation inside), the whole body
   * runs again on a fresh transaction, up to `attempts` times with a short
   * growing pause. Any other error aborts the transaction and is rethrown.
   * The body may therefore run more than once.
   */
  async withTransaction<T>(body: (tx: Transaction) => Promise<T>, opts: TransactionOptions = {}): Promise<T> {
    const attempts = opts.attempts ?? 10;
    for (let attempt = 1; ; attempt++) {
      const tx = await this.transactionStart();
      let result: T;
      try {
        result = await body(tx);
      } catch (e) {
        if (!tx.ended) await tx.abort().catch(() => {});
        if (XenStoreError.is(e, 'EAGAIN') && attempt < attempts) {
          await backoff(attempt);
          continue;
        }
        throw e;
      }
      try {
        await tx.commit();
        return result;
      } catch (e) {
        if (!XenStoreError.is(e, 'EAGAIN') || attempt >= attempts) throw e;
        await backoff(attempt);
      }
    }
  }

  // -- lifetime

  /**
   * Close the connection. Pending requests fail with ECANCELED and watch
   * iterators finish. xenstored drops this client's watches and open
   * transactions by itself when the connection goes.
   */
  close(): Promise<void> {
    return this.conn.fail(new XenStoreError('ECANCELED', 'connection closed by this client'), true);
  }
}

/** 1, 2, 4 ... ms capped at 50, with jitter so competing writers spread out. */
function backoff(attempt: number): Promise<void> {
  const ms = Math.min(50, 2 ** (attempt - 1)) * (0.5 + Math.random());
  return new Promise((r) => setTimeout(r, ms));
}
