// A minimal QMP client for the QEMU device model libxl starts per HVM guest:
// connect to its control socket, negotiate capabilities, run commands.
// libxl's socket is <run dir>/qmp-libxl-<domid> (libxl_qmp.c).
import * as net from 'node:net';
import { LibxlError } from '../xs-util.js';
import { LIBXL_ERROR } from '../domain/domains.js';
import { XEN_RUN_DIR } from '../paths.js';

export const qmpSocketPath = (domid: number, runDir = XEN_RUN_DIR): string => `${runDir}/qmp-libxl-${domid}`;

type Reply = { return?: unknown; error?: { class?: string; desc?: string }; id?: unknown; event?: string; QMP?: unknown };

/**
 * Run `commands` in order on the domain's QEMU and return their results;
 * a QMP error or a timeout becomes a LibxlError.
 */
export function qmpExecute(
  domid: number, commands: readonly { execute: string; arguments?: Record<string, unknown> }[],
  opts: { socket?: string; timeoutMs?: number } = {},
): Promise<unknown[]> {
  const path = opts.socket ?? qmpSocketPath(domid);
  const timeoutMs = opts.timeoutMs ?? 10_000; // LIBXL_QMP_CMD_TIMEOUT
  return new Promise((resolve, reject) => {
    const sock = net.createConnection({ path });
    const results: unknown[] = [];
    // Command 0 is qmp_capabilities; ids follow their index.
    const queue = [{ execute: 'qmp_capabilities' }, ...commands];
    let sent = -1;
    let buf = '';
    const fail = (msg: string) => {
      sock.destroy();
      reject(new LibxlError(`Domain ${domid}: QMP ${path}: ${msg}`, LIBXL_ERROR.FAIL));
    };
    const timer = setTimeout(() => fail(`no answer in ${timeoutMs / 1000} s`), timeoutMs);
    const sendNext = () => {
      sent++;
      if (sent === queue.length) {
        clearTimeout(timer);
        sock.end();
        resolve(results);
        return;
      }
      sock.write(JSON.stringify({ ...queue[sent], id: sent }) + '\r\n');
    };
    sock.setEncoding('utf8');
    sock.on('error', (e) => {
      clearTimeout(timer);
      fail(e.message);
    });
    sock.on('data', (chunk: string) => {
      buf += chunk;
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl).trim();
        buf = buf.slice(nl + 1);
        if (!line) continue;
        let msg: Reply;
        try {
          msg = JSON.parse(line) as Reply;
        } catch {
          clearTimeout(timer);
          fail(`unparsable reply: ${line.slice(0, 80)}`);
          return;
        }
        if (msg.QMP !== undefined) sendNext(); // greeting
        else if (msg.event !== undefined) continue;
        else if (msg.id === sent && msg.error) {
          clearTimeout(timer);
          fail(`${queue[sent].execute}: ${msg.error.desc ?? msg.error.class ?? 'error'}`);
          return;
        } else if (msg.id === sent) {
          if (sent > 0) results.push(msg.return);
          sendNext();
        }
      }
    });
  });
}
