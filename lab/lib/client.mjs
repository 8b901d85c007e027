// Client of a running lab's broker: runs commands in dom0 and returns their own stdout, stderr and exit code.
import net from 'node:net';
import path from 'node:path';
import { LabError, jsonLines } from './util.mjs';

export class LabClient {
  static connect(runDir) {
    return new Promise((resolve, reject) => {
      const sock = net.connect(path.join(runDir, 'exec.sock'));
      sock.once('connect', () => resolve(new LabClient(sock)));
      sock.once('error', (e) => reject(new LabError(`lab not reachable (${e.code ?? e.message}): is it started?`)));
    });
  }

  constructor(sock) {
    this.sock = sock;
    this.nextId = 1;
    this.waiting = new Map();
    sock.on('data', jsonLines((msg) => {
      const w = msg && this.waiting.get(msg.id);
      if (w) {
        this.waiting.delete(msg.id);
        w.resolve(msg);
      }
    }));
    sock.on('close', () => {
      for (const w of this.waiting.values()) w.reject(new LabError('connection to the lab broker closed'));
      this.waiting.clear();
    });
    sock.on('error', () => {});
  }

  request(msg, timeoutMs) {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiting.delete(id);
        reject(new LabError(`lab request timed out after ${timeoutMs / 1000} s`));
      }, timeoutMs);
      this.waiting.set(id, {
        resolve: (m) => {
          clearTimeout(timer);
          resolve(m);
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      });
      this.sock.write(`${JSON.stringify({ ...msg, id })}\n`);
    });
  }

  ping(timeoutMs = 5000) {
    return this.request({ t: 'ping' }, timeoutMs);
  }

  /**
   * Run in dom0: `{ argv: [...] }` runs a program directly, `{ script: '...' }` runs bash -c. `timeout` in seconds
   * bounds the command in dom0 (it is killed with its process group). Resolves { code, signal, timedOut, stdout,
   * stderr } with stdout/stderr as Buffers.
   */
  async exec({ argv, script, timeout = 120, env, cwd, stdin }) {
    const msg = { t: 'run', argv, script, timeout, env, cwd, stdin: stdin == null ? undefined : Buffer.from(stdin).toString('base64') };
    const r = await this.request(msg, (timeout + 30) * 1000);
    return {
      code: r.code,
      signal: r.signal ?? null,
      timedOut: Boolean(r.timedOut),
      stdout: Buffer.from(r.stdout, 'base64'),
      stderr: Buffer.from(r.stderr, 'base64'),
    };
  }

  close() {
    this.sock.end();
  }
}
