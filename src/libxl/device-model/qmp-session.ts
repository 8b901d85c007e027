// One QMP connection to a domain's QEMU, held across several commands, as
// libxl__ev_qmp keeps it (libxl_qmp.c, the same in 4.17 and 4.20): connect
// on the first command, take QEMU's version from the greeting, negotiate
// capabilities, then one command at a time with libxl's ids (from
// 0x786c7100 up). A command may carry an open file (add-fd), sent with its
// bytes as SCM_RIGHTS. Failures are LibxlErrors whose message holds the
// lines libxl logs for them, one per line, and whose rc is libxl's.
//
// qmp.ts's qmpExecute is the fire-and-forget variant the other commands use.
import * as net from 'node:net';
import { sendWithFd as defaultSendWithFd, type SendWithFd } from '../../privcmd/fd-passing.js';
import { LIBXL_ERROR } from '../domain/domains.js';
import { qmpSocketPath } from './qmp.js';
import { errnoCode, strerror } from '../strerror.js';
import { LibxlError } from '../xs-util.js';
import { domainLogPrefix } from '../errors.js';

/** libxl_error values of the QMP layer (libxl_types.idl). */
export const QMP_ERROR = {
  NOT_READY: -11,
  PROTOCOL_ERROR_QMP: -26,
  UNKNOWN_QMP_ERROR: -27,
  QMP_GENERIC_ERROR: -28,
  QMP_COMMAND_NOT_FOUND: -29,
  QMP_DEVICE_NOT_ACTIVE: -30,
  QMP_DEVICE_NOT_FOUND: -31,
  QEMU_API: -32,
} as const;

/** QMP error classes libxl knows (its QMP_* error names without underscores, case ignored). */
const CLASS_RC: Readonly<Record<string, number>> = {
  genericerror: QMP_ERROR.QMP_GENERIC_ERROR,
  commandnotfound: QMP_ERROR.QMP_COMMAND_NOT_FOUND,
  devicenotactive: QMP_ERROR.QMP_DEVICE_NOT_ACTIVE,
  devicenotfound: QMP_ERROR.QMP_DEVICE_NOT_FOUND,
};

/** libxl__ev_qmp_init's first id: "xlq\0". */
export const QMP_FIRST_ID = 0x786c7100;

export interface QmpSessionOptions {
  /** The socket; default the domain's qmp-libxl-<domid> in `runDir`. */
  socket?: string;
  runDir?: string;
  /** How a command's file is attached (tests replace it). */
  sendWithFd?: SendWithFd;
}

export interface QemuVersion {
  major: number;
  minor: number;
  micro: number;
}

type Json = Record<string, unknown>;
const isMap = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const int = (v: unknown): number => (typeof v === 'number' && Number.isInteger(v) ? v : 0);

export class QmpSession {
  readonly path: string;
  /** From QEMU's greeting; -1s until connected. */
  version: QemuVersion = { major: -1, minor: -1, micro: -1 };
  private sock: net.Socket | null = null;
  private nextId = QMP_FIRST_ID;
  private rx = '';
  private queue: Json[] = [];
  private waiting: { resolve: (m: Json) => void; reject: (e: LibxlError) => void } | null = null;
  private broken: LibxlError | null = null;
  private readonly sendFd: SendWithFd;

  constructor(readonly domid: number, opts: QmpSessionOptions = {}) {
    this.path = opts.socket ?? qmpSocketPath(domid, opts.runDir);
    this.sendFd = opts.sendWithFd ?? defaultSendWithFd;
  }

  private line(m: string): string {
    return `${domainLogPrefix(this.domid)}${m}`;
  }

  /** A failure of the connection itself: libxl adds its closing line and drops the connection. */
  private connectionError(lines: string[], rc: number): LibxlError {
    const e = new LibxlError([...lines, this.line('Error happened with the QMP connection to QEMU')].join('\n'), rc);
    this.fail(e);
    return e;
  }

  private fail(e: LibxlError): void {
    this.broken ??= e;
    this.sock?.destroy();
    this.sock = null;
    const w = this.waiting;
    this.waiting = null;
    w?.reject(e);
  }

  private onData(chunk: string): void {
    this.rx += chunk;
    let nl: number;
    while ((nl = this.rx.indexOf('\n')) >= 0) {
      const text = this.rx.slice(0, nl).trim();
      this.rx = this.rx.slice(nl + 1);
      if (!text) continue;
      let msg: unknown;
      try {
        msg = JSON.parse(text);
      } catch {
        this.connectionError([this.line('Parse error')], QMP_ERROR.PROTOCOL_ERROR_QMP);
        return;
      }
      if (!isMap(msg)) {
        this.connectionError([this.line(`Unexpected message received: ${text}`)], QMP_ERROR.PROTOCOL_ERROR_QMP);
        return;
      }
      if ('event' in msg && !('return' in msg) && !('error' in msg)) continue; // events are ignored
      const w = this.waiting;
      if (w) {
        this.waiting = null;
        w.resolve(msg);
      } else {
        this.queue.push(msg);
      }
    }
  }

  private next(): Promise<Json> {
    if (this.broken) return Promise.reject(this.broken);
    const m = this.queue.shift();
    if (m) return Promise.resolve(m);
    return new Promise((resolve, reject) => {
      this.waiting = { resolve, reject };
    });
  }

  private async connect(): Promise<void> {
    const sock = net.createConnection({ path: this.path });
    await new Promise<void>((resolve, reject) => {
      const onError = (e: Error) => {
        sock.destroy();
        reject(new LibxlError(this.line(`Failed to connect to QMP socket ${this.path}: ${strerror(errnoCode(e))}`), LIBXL_ERROR.FAIL));
      };
      sock.once('error', onError);
      sock.once('connect', () => {
        sock.off('error', onError);
        resolve();
      });
    });
    this.sock = sock;
    sock.setEncoding('utf8');
    sock.on('data', (c: string) => this.onData(c));
    sock.on('error', (e) => this.connectionError([this.line(`error reading QMP socket: ${strerror(errnoCode(e))}`)], LIBXL_ERROR.FAIL));
    sock.on('end', () => this.connectionError([this.line('Unexpected EOF on QMP socket')], QMP_ERROR.PROTOCOL_ERROR_QMP));

    const greeting = await this.next();
    if (!isMap(greeting.QMP)) {
      throw this.connectionError([this.line(`Unexpected message received: ${JSON.stringify(greeting)}`)], QMP_ERROR.PROTOCOL_ERROR_QMP);
    }
    const version = isMap(greeting.QMP.version) ? greeting.QMP.version : {};
    const q = isMap(version.qemu) ? version.qemu : {};
    this.version = { major: int(q.major), minor: int(q.minor), micro: int(q.micro) };
    const id = this.nextId++;
    this.write({ execute: 'qmp_capabilities', id });
    const r = await this.reply(id);
    if (!('return' in r)) {
      throw this.connectionError([this.line(`Error during capability negotiation: ${JSON.stringify(r)}`)], QMP_ERROR.PROTOCOL_ERROR_QMP);
    }
  }

  private write(msg: Json, fd?: number): void {
    const data = Buffer.from(`${JSON.stringify(msg)}\r\n`);
    const sock = this.sock!;
    if (fd === undefined) {
      sock.write(data);
      return;
    }
    const sockFd = (sock as unknown as { _handle?: { fd?: number } })._handle?.fd;
    let sent: number;
    try {
      if (typeof sockFd !== 'number' || sockFd < 0) throw Object.assign(new Error('no descriptor'), { code: 'EBADF' });
      sent = this.sendFd(sockFd, data, fd);
    } catch (e) {
      throw this.connectionError([`failed to send fd-carrying message (QMP socket): ${strerror(errnoCode(e))}`], LIBXL_ERROR.FAIL);
    }
    if (sent < data.length) sock.write(data.subarray(sent));
  }

  /** The reply to command `id`, skipping nothing else: anything but a reply with that id breaks the connection. */
  private async reply(id: number): Promise<Json> {
    const m = await this.next();
    if (!('return' in m) && !('error' in m)) {
      throw this.connectionError([this.line(`Unexpected message: ${JSON.stringify(m)}`)], QMP_ERROR.PROTOCOL_ERROR_QMP);
    }
    if (typeof m.id !== 'number') {
      const lines = 'error' in m ? this.errorLines(m).lines : [];
      throw this.connectionError(lines, QMP_ERROR.PROTOCOL_ERROR_QMP);
    }
    if (m.id !== id) {
      throw this.connectionError([this.line(`Message from QEMU with unexpected id ${m.id}: ${JSON.stringify(m)}`)], QMP_ERROR.PROTOCOL_ERROR_QMP);
    }
    return m;
  }

  /** qmp_ev_parse_error_messages: the rc for the class and the lines libxl logs. */
  private errorLines(m: Json): { rc: number; lines: string[] } {
    const err = isMap(m.error) ? m.error : {};
    const lines: string[] = [];
    if (typeof err.class !== 'string') {
      return { rc: QMP_ERROR.PROTOCOL_ERROR_QMP, lines: [this.line("Protocol error: missing 'class' member in error message")] };
    }
    let rc: number = CLASS_RC[err.class.toLowerCase()];
    if (rc === undefined) {
      lines.push(`Unknown QMP error class '${err.class}'`);
      rc = QMP_ERROR.UNKNOWN_QMP_ERROR;
    }
    if (typeof err.desc !== 'string') {
      return { rc: QMP_ERROR.PROTOCOL_ERROR_QMP, lines: [...lines, this.line("Protocol error: missing 'desc' member in error message")] };
    }
    lines.push(this.line(err.desc));
    return { rc, lines };
  }

  /**
   * Run `command` (connecting first if need be) and return what QEMU
   * returned. `fd`, when given, travels with the command.
   */
  async send(command: string, args?: Json, opts: { fd?: number } = {}): Promise<unknown> {
    if (this.broken) throw this.broken;
    if (!this.sock) await this.connect();
    const id = this.nextId++;
    this.write(args === undefined ? { execute: command, id } : { execute: command, id, arguments: args }, opts.fd);
    const m = await this.reply(id);
    if ('error' in m && !('return' in m)) {
      const { rc, lines } = this.errorLines(m);
      throw new LibxlError(lines.join('\n'), rc);
    }
    return m.return;
  }

  /** libxl__qmp_ev_qemu_compare_version: <0, 0, >0 as QEMU is older, the same, newer. */
  compareVersion(major: number, minor: number, micro: number): number {
    const v = this.version;
    return v.major - major || v.minor - minor || v.micro - micro;
  }

  close(): void {
    this.sock?.destroy();
    this.sock = null;
    this.broken ??= new LibxlError(this.line('QMP connection closed'), LIBXL_ERROR.FAIL);
  }
}
