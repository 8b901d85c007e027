// A QEMU monitor for tests: a unix socket speaking QMP as QEMU does (the
// greeting with its version, then one reply per command line). It records
// every line it receives, verbatim and parsed; replies come from per-command
// handlers (default: an empty "return").
import { mkdtempSync, rmSync } from 'node:fs';
import * as net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export type QmpArgs = Record<string, unknown> | undefined;
export type QmpReply =
  | { return: unknown }
  | { error: { class: string; desc: string } }
  /** Answer nothing (a stuck QEMU). */
  | { silent: true }
  /** Close the connection instead of answering. */
  | { hangup: true }
  /** Send this text as it is. */
  | { raw: string };

export interface QmpReceived {
  line: string;
  execute: string;
  id: unknown;
  arguments: QmpArgs;
}

export class FakeQemu {
  readonly dir: string;
  readonly received: QmpReceived[] = [];
  version = { major: 7, minor: 2, micro: 0 };
  handlers: Record<string, (args: QmpArgs) => QmpReply | Promise<QmpReply>> = {};
  connections = 0;
  private server: net.Server | null = null;
  private readonly sockets = new Set<net.Socket>();

  /** `dir`: where to put the socket (default: a directory of its own, removed on close). */
  constructor(readonly domid: number, private readonly sharedDir?: string) {
    this.dir = sharedDir ?? mkdtempSync(join(tmpdir(), 'fake-qemu-'));
  }

  /** Where libxl would find the socket: <runDir>/qmp-libxl-<domid>. */
  get runDir(): string {
    return this.dir;
  }

  get path(): string {
    return join(this.dir, `qmp-libxl-${this.domid}`);
  }

  /** The commands received, capabilities negotiation included. */
  get commands(): string[] {
    return this.received.map((r) => r.execute);
  }

  async listen(): Promise<this> {
    this.server = net.createServer((sock) => this.serve(sock));
    await new Promise<void>((resolve) => this.server!.listen(this.path, resolve));
    return this;
  }

  private serve(sock: net.Socket): void {
    this.connections++;
    this.sockets.add(sock);
    sock.on('close', () => this.sockets.delete(sock));
    sock.on('error', () => undefined);
    sock.setEncoding('utf8');
    sock.write(`${JSON.stringify({ QMP: { version: { qemu: this.version, package: 'Debian' }, capabilities: ['oob'] } })}\r\n`);
    let buf = '';
    sock.on('data', async (chunk: string) => {
      buf += chunk;
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl + 1);
        buf = buf.slice(nl + 1);
        const msg = JSON.parse(line) as { execute: string; id: unknown; arguments?: Record<string, unknown> };
        this.received.push({ line, execute: msg.execute, id: msg.id, arguments: msg.arguments });
        const h = this.handlers[msg.execute];
        const reply: QmpReply = h ? await h(msg.arguments) : { return: {} };
        if ('silent' in reply) continue;
        if ('hangup' in reply) {
          sock.end();
          return;
        }
        if ('raw' in reply) {
          sock.write(reply.raw);
          continue;
        }
        // QEMU sends an event now and then; libxl skips them.
        sock.write(`${JSON.stringify({ event: 'FAKE', data: {}, timestamp: { seconds: 0, microseconds: 0 } })}\r\n`);
        sock.write(`${JSON.stringify({ ...reply, id: msg.id })}\r\n`);
      }
    });
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
    if (this.sharedDir) rmSync(this.path, { force: true });
    else rmSync(this.dir, { recursive: true, force: true });
  }
}
