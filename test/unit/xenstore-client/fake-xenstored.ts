// A small in-process xenstored for tests: an in-memory tree with
// permissions, whole-store-snapshot transactions and watches, speaking the
// wire protocol over a unix socket (or any pair of streams, to stand in for
// the xenbus device). Fault hooks let tests make it misbehave on purpose.
import * as net from 'node:net';
import * as os from 'node:os';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { Decoder, encode, type Message } from '../../../src/xenstore-client/codec.js';
import { XS, messageType, PAYLOAD_MAX } from '../../../src/xenstore-client/protocol.js';

interface Node {
  value: Buffer;
  perms: string[];
  children: string[];
  gen: number;
}
type Tree = Map<string, Node>;

export interface FakeOptions {
  /** Support DIRECTORY_PART (xenstored >= 4.9). Default true. */
  directoryPart?: boolean;
  /** Echo req_id in replies. Default true; false answers with 0. */
  echoReqId?: boolean;
  /** Answer the requests of one read chunk in reverse order. */
  reorder?: boolean;
  /** Send the initial watch event before the WATCH reply (as the Linux device may). */
  eventBeforeWatchReply?: boolean;
}

export class FakeConn {
  watches: { path: string; token: string; depth: number }[] = [];
  domid = 0;
  readonly received: Message[] = [];
  private out: Buffer[] | undefined;

  constructor(
    private readonly sink: Writable & { destroy(): unknown },
    readonly fake: FakeXenstored,
  ) {}

  send(m: Message): void {
    const frame = encode(m);
    if (this.out) this.out.push(frame);
    else this.writeRaw(frame);
  }
  writeRaw(b: Buffer): void {
    if (!this.sink.destroyed) this.sink.write(b);
  }
  destroy(): void {
    this.sink.destroy();
  }
  /** @internal collect replies of one chunk (for reorder). */
  batch(fn: () => void, reverse: boolean): void {
    this.out = [];
    try {
      fn();
    } finally {
      const out = this.out;
      this.out = undefined;
      for (const f of reverse ? out.reverse() : out) this.writeRaw(f);
    }
  }
}

interface Tx {
  tree: Tree;
  startGen: number;
  events: { path: string; removed: boolean }[];
}

/** What an intercept hook decides: handle normally, or it already dealt with it. */
export type Intercept = (req: Message, conn: FakeConn) => 'handled' | void;

export class FakeXenstored {
  tree: Tree = new Map();
  /** Bumped by every committed change; a transaction commits only if unchanged. */
  generation = 1;
  private nodeGen = 1;
  private txs = new Map<number, Tx>();
  private nextTx = 1;
  readonly conns = new Set<FakeConn>();
  readonly introduced = new Set<number>();
  private server: net.Server | undefined;
  private dir: string | undefined;
  private faults: { type: number; error: string; times: number }[] = [];
  intercept: Intercept | undefined;
  socketPath = '';

  constructor(readonly opts: FakeOptions = {}) {
    this.tree.set('/', { value: Buffer.alloc(0), perms: ['n0'], children: [], gen: 0 });
    for (const p of ['/local', '/local/domain', '/local/domain/0', '/tool']) this.setNode(this.tree, p, Buffer.alloc(0));
  }

  /** Make the next `times` requests of `type` fail with `error`. */
  failNext(type: keyof typeof XS, error: string, times = 1): void {
    this.faults.push({ type: XS[type], error, times });
  }

  async listen(): Promise<string> {
    this.dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fxs-'));
    this.socketPath = path.join(this.dir, 'socket');
    this.server = net.createServer((sock) => this.attach(sock, sock));
    await new Promise<void>((r) => this.server!.listen(this.socketPath, r));
    return this.socketPath;
  }

  /** Serve one client over a pair of streams. */
  attach(input: Readable, output: Writable & { destroy(): unknown }): FakeConn {
    const conn = new FakeConn(output, this);
    this.conns.add(conn);
    const dec = new Decoder();
    input.on('data', (chunk: Buffer) => {
      let msgs: Message[];
      try {
        msgs = dec.push(chunk);
      } catch {
        conn.destroy(); // xenstored drops clients that break framing
        return;
      }
      conn.batch(() => {
        for (const m of msgs) {
          conn.received.push(m);
          if (this.intercept?.(m, conn) === 'handled') continue;
          this.handle(conn, m);
        }
      }, !!this.opts.reorder);
    });
    const gone = () => {
      this.conns.delete(conn);
    };
    input.on('close', gone);
    input.on('end', gone);
    input.on('error', gone);
    output.on('error', gone);
    return conn;
  }

  async close(): Promise<void> {
    for (const c of this.conns) c.destroy();
    if (this.server) await new Promise<void>((r) => this.server!.close(() => r()));
    if (this.dir) fs.rmSync(this.dir, { recursive: true, force: true });
  }

  // ---- tree helpers ---------------------------------------------------------

  /** Test convenience: write without a client. */
  put(p: string, value: string | Buffer, perms?: string[]): void {
    this.setNode(this.tree, p, Buffer.from(value));
    if (perms) this.tree.get(p)!.perms = perms;
    this.generation++;
  }

  get(p: string): string | undefined {
    return this.tree.get(p)?.value.toString();
  }

  private setNode(tree: Tree, p: string, value: Buffer | undefined): void {
    const existing = tree.get(p);
    if (existing) {
      if (value) existing.value = value;
      return;
    }
    const parent = parentOf(p);
    if (!tree.has(parent)) this.setNode(tree, parent, Buffer.alloc(0));
    const pn = tree.get(parent)!;
    pn.children = [...pn.children, baseName(p)];
    pn.gen = ++this.nodeGen;
    tree.set(p, { value: value ?? Buffer.alloc(0), perms: [...pn.perms], children: [], gen: ++this.nodeGen });
  }

  private rmNode(tree: Tree, p: string): void {
    const n = tree.get(p);
    if (!n) return;
    for (const c of n.children) this.rmNode(tree, join(p, c));
    tree.delete(p);
    const pn = tree.get(parentOf(p));
    if (pn) {
      pn.children = pn.children.filter((c) => c !== baseName(p));
      pn.gen = ++this.nodeGen;
    }
  }

  private can(conn: FakeConn, n: Node, want: 'r' | 'w'): boolean {
    if (conn.domid === 0) return true;
    const [owner, ...acl] = n.perms;
    if (Number(owner.slice(1)) === conn.domid) return true;
    const e = acl.find((a) => Number(a.slice(1)) === conn.domid) ?? owner;
    return e[0] === 'b' || e[0] === want;
  }

  // ---- request handling -----------------------------------------------------

  private handle(conn: FakeConn, m: Message): void {
    const reply = (type: number, payload: Buffer) =>
      conn.send({ type, reqId: this.opts.echoReqId === false ? 0 : m.reqId, txId: m.txId, payload });
    const ok = () => reply(m.type, Buffer.from('OK\0'));
    const err = (e: string) => reply(XS.ERROR, Buffer.from(`${e}\0`));

    const fault = this.faults.find((f) => f.type === m.type && f.times > 0);
    if (fault) {
      fault.times--;
      if (fault.type === XS.TRANSACTION_END) this.txs.delete(m.txId);
      return err(fault.error);
    }

    const args = splitArgs(m.payload);
    let tx: Tx | undefined;
    if (m.txId !== 0 && m.type !== XS.WATCH && m.type !== XS.UNWATCH) {
      tx = this.txs.get(m.txId);
      if (!tx) return err('ENOENT');
    }
    const tree = tx?.tree ?? this.tree;
    const changed = (p: string, removed = false) => {
      if (tx) tx.events.push({ path: p, removed });
      else {
        this.generation++;
        this.fire(p, removed);
      }
    };
    const one = (): string | undefined => (args.length === 1 && validPath(args[0]) ? args[0] : undefined);

    switch (m.type) {
      case XS.READ: {
        const p = one();
        if (!p) return err('EINVAL');
        const n = tree.get(p);
        if (!n) return err('ENOENT');
        if (!this.can(conn, n, 'r')) return err('EACCES');
        return reply(m.type, n.value);
      }
      case XS.WRITE: {
        const nul = m.payload.indexOf(0);
        const p = nul < 0 ? '' : m.payload.subarray(0, nul).toString();
        if (!validPath(p)) return err('EINVAL');
        const n = tree.get(p) ?? tree.get(parentOf(p));
        if (n && !this.can(conn, n, 'w')) return err('EACCES');
        this.setNode(tree, p, Buffer.from(m.payload.subarray(nul + 1)));
        changed(p);
        return ok();
      }
      case XS.MKDIR: {
        const p = one();
        if (!p) return err('EINVAL');
        if (!tree.has(p)) {
          this.setNode(tree, p, undefined);
          changed(p);
        }
        return ok();
      }
      case XS.RM: {
        const p = one();
        if (!p || p === '/') return err('EINVAL');
        if (!tree.has(p)) return tree.has(parentOf(p)) ? ok() : err('ENOENT');
        this.rmNode(tree, p);
        changed(p, true);
        return ok();
      }
      case XS.DIRECTORY: {
        const p = one();
        if (!p) return err('EINVAL');
        const n = tree.get(p);
        if (!n) return err('ENOENT');
        const body = Buffer.from(n.children.map((c) => `${c}\0`).join(''));
        if (body.length > PAYLOAD_MAX) return err('E2BIG');
        return reply(m.type, body);
      }
      case XS.DIRECTORY_PART: {
        if (this.opts.directoryPart === false) return err('ENOSYS');
        if (args.length !== 2) return err('EINVAL');
        const n = tree.get(args[0]);
        if (!n) return err('ENOENT');
        const all = Buffer.from(n.children.map((c) => `${c}\0`).join(''));
        const gen = Buffer.from(`${n.gen}\0`);
        const off = Number(args[1]);
        if (off >= all.length) return reply(m.type, Buffer.concat([gen, Buffer.from([0])]));
        // Whole names only, leaving room for the generation and end marker.
        let end = off;
        const room = PAYLOAD_MAX - gen.length - 1;
        for (let i = off; i < all.length; i++) {
          if (all[i] !== 0) continue;
          if (i + 1 - off > room) break;
          end = i + 1;
        }
        const last = end === all.length;
        return reply(m.type, Buffer.concat([gen, all.subarray(off, end), last ? Buffer.from([0]) : Buffer.alloc(0)]));
      }
      case XS.GET_PERMS: {
        const p = args.length === 1 ? args[0] : '';
        if (p.startsWith('@')) return reply(m.type, Buffer.from('n0\0'));
        if (!validPath(p)) return err('EINVAL');
        const n = tree.get(p);
        if (!n) return err('ENOENT');
        return reply(m.type, Buffer.from(n.perms.map((x) => `${x}\0`).join('')));
      }
      case XS.SET_PERMS: {
        const [p, ...perms] = args;
        if (!p || perms.length === 0 || !perms.every((x) => /^[nrwb][0-9]+$/.test(x))) return err('EINVAL');
        if (p.startsWith('@')) return ok();
        const n = tree.get(p);
        if (!n) return err('ENOENT');
        if (conn.domid !== 0 && Number(n.perms[0].slice(1)) !== conn.domid) return err('EACCES');
        n.perms = perms;
        changed(p);
        return ok();
      }
      case XS.WATCH: {
        if (args.length < 2 || args.length > 3 || !(validPath(args[0]) || args[0].startsWith('@'))) return err('EINVAL');
        const [p, token] = args;
        if (conn.watches.some((w) => w.path === p && w.token === token)) return err('EEXIST');
        conn.watches.push({ path: p, token, depth: args[2] === undefined ? -1 : Number(args[2]) });
        const initial = () => conn.send({ type: XS.WATCH_EVENT, reqId: 0, txId: 0, payload: Buffer.from(`${p}\0${token}\0`) });
        if (this.opts.eventBeforeWatchReply) {
          initial();
          return ok();
        }
        ok();
        return initial();
      }
      case XS.UNWATCH: {
        if (args.length !== 2) return err('EINVAL');
        const i = conn.watches.findIndex((w) => w.path === args[0] && w.token === args[1]);
        if (i < 0) return err('ENOENT');
        conn.watches.splice(i, 1);
        return ok();
      }
      case XS.RESET_WATCHES:
        conn.watches = [];
        return ok();
      case XS.TRANSACTION_START: {
        if (m.txId !== 0) return err('EBUSY');
        const id = this.nextTx++;
        this.txs.set(id, { tree: cloneTree(this.tree), startGen: this.generation, events: [] });
        return reply(m.type, Buffer.from(`${id}\0`));
      }
      case XS.TRANSACTION_END: {
        if (!tx || args.length !== 1 || (args[0] !== 'T' && args[0] !== 'F')) return err('EINVAL');
        this.txs.delete(m.txId);
        if (args[0] === 'F') return ok();
        if (tx.startGen !== this.generation) return err('EAGAIN');
        if (tx.events.length > 0) {
          this.tree = tx.tree;
          this.generation++;
          for (const e of tx.events) this.fire(e.path, e.removed);
        }
        return ok();
      }
      case XS.GET_DOMAIN_PATH: {
        if (args.length !== 1 || !/^[0-9]+$/.test(args[0])) return err('EINVAL');
        return reply(m.type, Buffer.from(`/local/domain/${Number(args[0])}\0`));
      }
      case XS.INTRODUCE: {
        if (args.length < 3 || !/^[0-9]+$/.test(args[0])) return err('EINVAL');
        const domid = Number(args[0]);
        if (domid === 0) return err('EINVAL');
        this.introduced.add(domid);
        ok();
        return this.fire('@introduceDomain', false);
      }
      case XS.RELEASE: {
        const domid = Number(args[0]);
        if (!this.introduced.delete(domid)) return err('ENOENT');
        ok();
        return this.fire('@releaseDomain', false);
      }
      case XS.IS_DOMAIN_INTRODUCED: {
        const domid = Number(args[0]);
        return reply(m.type, Buffer.from(domid === 0 || this.introduced.has(domid) ? 'T\0' : 'F\0'));
      }
      case XS.RESUME:
      case XS.SET_TARGET:
        return args.every((a) => /^[0-9]+$/.test(a)) && args.length >= 1 ? ok() : err('EINVAL');
      default:
        return err(messageType(m.type) ? 'ENOSYS' : 'EINVAL');
    }
  }

  /** Queue watch events for a change at `p` on every connection. */
  fire(p: string, removed: boolean): void {
    for (const c of this.conns) {
      for (const w of c.watches) {
        let ev: string | undefined;
        if (isChild(p, w.path, w.depth)) ev = p;
        else if (removed && isChild(w.path, p, -1)) ev = w.path; // a parent of the watch went
        if (ev !== undefined) c.send({ type: XS.WATCH_EVENT, reqId: 0, txId: 0, payload: Buffer.from(`${ev}\0${w.token}\0`) });
      }
    }
  }
}

function splitArgs(b: Buffer): string[] {
  const s = b.toString('latin1');
  const parts = s.split('\0');
  if (parts[parts.length - 1] === '') parts.pop();
  return parts;
}
const validPath = (p: string) => /^\/[A-Za-z0-9\-/_@]*$/.test(p) && !p.includes('//') && (p === '/' || !p.endsWith('/'));
const parentOf = (p: string) => (p.lastIndexOf('/') <= 0 ? '/' : p.slice(0, p.lastIndexOf('/')));
const baseName = (p: string) => p.slice(p.lastIndexOf('/') + 1);
const join = (a: string, b: string) => (a === '/' ? `/${b}` : `${a}/${b}`);

function isChild(child: string, parent: string, depth: number): boolean {
  if (child === parent) return true;
  const prefix = parent === '/' ? '/' : `${parent}/`;
  if (!child.startsWith(prefix)) return false;
  if (depth < 0) return true;
  return child.slice(prefix.length).split('/').length <= depth;
}

function cloneTree(t: Tree): Tree {
  const out: Tree = new Map();
  for (const [k, n] of t) out.set(k, { ...n, children: [...n.children], perms: [...n.perms] });
  return out;
}
