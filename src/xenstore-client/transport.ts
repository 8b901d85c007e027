// Byte transports to xenstored: its unix socket (dom0), or the kernel's
// xenbus device (driver domains, stub-domain xenstored, guests). Both only
// move bytes; framing and request matching live in the client.
import * as fs from 'node:fs';
import * as net from 'node:net';
import { HEADER_SIZE, PAYLOAD_MAX, XS } from './protocol.js';
import { XenStoreError, fromSystemError } from './errors.js';
import { encode, strings } from './codec.js';

export interface Transport {
  readonly kind: 'socket' | 'device';
  readonly path: string;
  /** Largest payload this path accepts (the devices count the header in 4096). */
  readonly maxPayload: number;
  /** Set once by the client before the first write. */
  onData: (chunk: Buffer) => void;
  /** Peer went away or I/O failed; not called after close(). */
  onEnd: (err?: XenStoreError) => void;
  /** Send one whole frame; rejects only if this frame could not be written. */
  write(frame: Buffer): Promise<void>;
  /**
   * Whether replies or events are expected. While false the transport must
   * not hold the event loop open, so a client nobody closed cannot keep
   * the process alive.
   */
  setActive(active: boolean): void;
  close(): Promise<void>;
}

/** Default rundir; XENSTORED_RUNDIR overrides it, XENSTORED_PATH overrides the socket. */
const RUNDIR = '/var/run/xenstored';
const RUN_SOCKET = '/run/xenstored/socket';

/** Kernel xenbus device per OS, in the order libxenstore tries them. */
export const DEVICE_PATHS: Readonly<Record<string, readonly string[]>> = Object.freeze({
  linux: ['/dev/xen/xenbus', '/proc/xen/xenbus'],
  freebsd: ['/dev/xen/xenstore'],
  netbsd: ['/kern/xen/xenbus'],
  default: ['/dev/xen/xenbus'],
});

export interface DiscoveryOptions {
  /** Use exactly this socket or device. */
  path?: string;
  /** Defaults to process.env (XENSTORED_PATH, XENSTORED_RUNDIR). */
  env?: Record<string, string | undefined>;
  /** Defaults to process.platform. */
  platform?: string;
}

/** Paths to try, in order: explicit, env override, sockets, OS device. */
export function candidatePaths(opts: DiscoveryOptions = {}): string[] {
  if (opts.path) return [opts.path];
  const env = opts.env ?? process.env;
  // Like libxenstore: an explicit XENSTORED_PATH is the only place looked at.
  if (env.XENSTORED_PATH) return [env.XENSTORED_PATH];
  const rundir = env.XENSTORED_RUNDIR || RUNDIR;
  const platform = opts.platform ?? process.platform;
  const all = [`${rundir}/socket`, RUN_SOCKET, ...(DEVICE_PATHS[platform] ?? DEVICE_PATHS.default)];
  return [...new Set(all)];
}

/**
 * Open the first candidate that works. A path is used as a socket if it is
 * one (stat), else as a device, as libxenstore decides. Missing paths are
 * skipped; if nothing works the error carries the most telling failure.
 */
export async function openTransport(opts: DiscoveryOptions = {}): Promise<Transport> {
  const failures: { path: string; err: XenStoreError }[] = [];
  for (const path of candidatePaths(opts)) {
    try {
      const st = await fs.promises.stat(path);
      return st.isSocket() ? await SocketTransport.connect(path) : await DeviceTransport.open(path);
    } catch (e) {
      failures.push({ path, err: fromSystemError(e, { path }) });
    }
  }
  const telling = failures.find((f) => f.err.code !== 'ENOENT') ?? failures[0];
  const tried = failures.map((f) => `${f.path}: ${f.err.code}`).join(', ');
  throw new XenStoreError(telling?.err.code ?? 'ENOENT', `cannot reach xenstored (tried ${tried})`, {
    cause: telling?.err,
  });
}

// ---- unix socket ------------------------------------------------------------

export class SocketTransport implements Transport {
  readonly kind = 'socket';
  readonly maxPayload = PAYLOAD_MAX;
  onData: (chunk: Buffer) => void = () => {};
  onEnd: (err?: XenStoreError) => void = () => {};
  private closing = false;
  private error: XenStoreError | undefined;

  private constructor(readonly path: string, private readonly sock: net.Socket) {
    sock.on('data', (c: Buffer) => this.onData(c));
    sock.on('error', (e) => (this.error ??= fromSystemError(e, { path })));
    sock.on('close', () => {
      if (!this.closing) this.onEnd(this.error);
    });
    sock.unref();
  }

  static connect(path: string): Promise<SocketTransport> {
    return new Promise((resolve, reject) => {
      const sock = net.createConnection({ path });
      const onError = (e: Error) => reject(fromSystemError(e, { path }));
      sock.once('error', onError);
      sock.once('connect', () => {
        sock.off('error', onError);
        resolve(new SocketTransport(path, sock));
      });
    });
  }

  write(frame: Buffer): Promise<void> {
    return new Promise((resolve, reject) => {
      this.sock.write(frame, (err) => (err ? reject(fromSystemError(err, { path: this.path })) : resolve()));
    });
  }

  setActive(active: boolean): void {
    if (active) this.sock.ref();
    else this.sock.unref();
  }

  close(): Promise<void> {
    this.closing = true;
    if (this.sock.destroyed) return Promise.resolve();
    return new Promise((resolve) => {
      this.sock.once('close', () => resolve());
      this.sock.destroy();
    });
  }
}

// ---- kernel device ----------------------------------------------------------

const READ_SIZE = 65536;
/** How long close() waits for a blocked device read to be answered. */
const WAKE_WAIT_MS = 2000;

/**
 * The xenbus device: each write() carries whole messages, read() blocks
 * until reply or event bytes are queued and may return several messages
 * or part of one. Node runs these blocking calls on the libuv threadpool.
 *
 * A read stuck in the kernel cannot be cancelled and keeps the process
 * alive, so a read is only outstanding while replies or watch events are
 * expected. close() with a read outstanding first sends a harmless
 * request (GET_DOMAIN_PATH 0) whose answer releases it.
 */
export class DeviceTransport implements Transport {
  readonly kind = 'device';
  /** Linux, FreeBSD and NetBSD buffer header and payload in one 4096-byte page. */
  readonly maxPayload = PAYLOAD_MAX - HEADER_SIZE;
  onData: (chunk: Buffer) => void = () => {};
  onEnd: (err?: XenStoreError) => void = () => {};
  private active = false;
  private reading = false;
  private closing = false;
  private ended = false;
  private readDone: (() => void) | undefined;
  private writes: Promise<unknown> = Promise.resolve();
  private readonly buf = Buffer.allocUnsafe(READ_SIZE);

  /** `readFd` and `writeFd` are the same fd for a real device; tests may split them. */
  constructor(
    readonly path: string,
    private readonly readFd: number,
    private readonly writeFd: number = readFd,
  ) {}

  static open(path: string): Promise<DeviceTransport> {
    return new Promise((resolve, reject) => {
      fs.open(path, fs.constants.O_RDWR, (err, fd) =>
        err ? reject(fromSystemError(err, { path })) : resolve(new DeviceTransport(path, fd)),
      );
    });
  }

  write(frame: Buffer): Promise<void> {
    // One write() per frame, one at a time: the BSD drivers keep a single
    // partial-message buffer and do not lock it against concurrent writers.
    const p = this.writes.then(() => this.writeAll(frame));
    this.writes = p.catch(() => {});
    return p;
  }

  private writeAll(frame: Buffer): Promise<void> {
    return new Promise((resolve, reject) => {
      const step = (off: number) => {
        fs.write(this.writeFd, frame, off, frame.length - off, null, (err, n) => {
          if (err) return reject(fromSystemError(err, { path: this.path }));
          if (off + n < frame.length) return step(off + n);
          resolve();
        });
      };
      step(0);
    });
  }

  setActive(active: boolean): void {
    this.active = active;
    this.pump();
  }

  private pump(): void {
    if (!this.active || this.reading || this.closing || this.ended) return;
    this.reading = true;
    fs.read(this.readFd, this.buf, 0, READ_SIZE, null, (err, n) => {
      this.reading = false;
      if (this.closing) {
        this.readDone?.();
        return;
      }
      if (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if (code === 'EINTR' || code === 'EAGAIN') return void setTimeout(() => this.pump(), 5).unref();
        return this.end(fromSystemError(err, { path: this.path }));
      }
      if (n === 0) return this.end(undefined);
      // Copy out: the read buffer is reused and the decoder keeps slices.
      this.onData(Buffer.from(this.buf.subarray(0, n)));
      this.pump();
    });
  }

  private end(err: XenStoreError | undefined): void {
    this.ended = true;
    this.onEnd(err);
  }

  async close(): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    if (this.reading) {
      const released = new Promise<void>((r) => (this.readDone = r));
      const wake = encode({ type: XS.GET_DOMAIN_PATH, reqId: 0, txId: 0, payload: strings('0') });
      this.write(wake).catch(() => {});
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([released, new Promise<void>((r) => (timer = setTimeout(r, WAKE_WAIT_MS).unref()))]);
      clearTimeout(timer);
    }
    await this.writes;
    const fds = this.writeFd === this.readFd ? [this.readFd] : [this.readFd, this.writeFd];
    await Promise.all(fds.map((fd) => new Promise<void>((r) => fs.close(fd, () => r()))));
  }
}
