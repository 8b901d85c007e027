// The lab's host-side plumbing without a VM: a fake dom0 agent on the socket QEMU would offer, the real broker
// process, and the real client. Covers resending a lost request and a restarted agent.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { LabClient } from '../../../lab/lib/index.mjs';

const BROKER = path.resolve(import.meta.dirname, '../../../lab/lib/broker.mjs');

interface FakeAgent {
  server: net.Server;
  received: any[];
  sockets: net.Socket[];
}

/** An agent that answers `run` requests with the script echoed back, unless `drop` says to ignore one. */
function fakeAgent(sockPath: string, behave: (msg: any, sock: net.Socket, agent: FakeAgent) => void): Promise<FakeAgent> {
  const agent: FakeAgent = { server: net.createServer(), received: [], sockets: [] };
  agent.server.on('connection', (sock) => {
    agent.sockets.push(sock);
    let buf = '';
    sock.on('data', (d) => {
      buf += d.toString();
      let nl;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const msg = JSON.parse(buf.slice(0, nl));
        buf = buf.slice(nl + 1);
        agent.received.push(msg);
        behave(msg, sock, agent);
      }
    });
    sock.write(`${JSON.stringify({ t: 'hello', pid: 1 })}\n`);
  });
  return new Promise((resolve) => agent.server.listen(sockPath, () => resolve(agent)));
}

function answer(sock: net.Socket, msg: any, stdout: string) {
  sock.write(`${JSON.stringify({ t: 'ack', id: msg.id })}\n`);
  const out = Buffer.from(stdout).toString('base64');
  sock.write(`${JSON.stringify({ t: 'done', id: msg.id, code: 3, stdout: out, stderr: '' })}\n`);
}

let broker: ChildProcess | null = null;
let agent: FakeAgent | null = null;
afterEach(() => {
  broker?.kill();
  agent?.server.close();
  for (const s of agent?.sockets ?? []) s.destroy();
});

async function setup(behave: Parameters<typeof fakeAgent>[1]) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'xenlab-broker-'));
  fs.writeFileSync(path.join(dir, 'qemu.pid'), String(process.pid));
  agent = await fakeAgent(path.join(dir, 'agent.sock'), behave);
  broker = spawn(process.execPath, [BROKER, dir], { stdio: 'ignore' });
  for (let i = 0; i < 100 && !fs.existsSync(path.join(dir, 'exec.sock')); i++) await new Promise((r) => setTimeout(r, 50));
  return LabClient.connect(dir);
}

describe('lab broker', () => {
  it('carries a request to the agent and the result back', async () => {
    const client = await setup((msg, sock) => msg.t === 'run' && answer(sock, msg, `ran: ${msg.script}`));
    const r = await client.exec({ script: 'echo hi', timeout: 5 });
    expect(r.code).toBe(3);
    expect(r.stdout.toString()).toBe('ran: echo hi');
    client.close();
  });

  it('resends a request the agent did not ACK, with the same id', async () => {
    let seen = 0;
    const client = await setup((msg, sock) => {
      if (msg.t !== 'run') return;
      if (++seen === 1) return; // lost, as input racing the guest opening its port is
      answer(sock, msg, 'second time');
    });
    const r = await client.exec({ script: 'x', timeout: 5 });
    expect(r.stdout.toString()).toBe('second time');
    const runs = agent!.received.filter((m) => m.t === 'run');
    expect(runs.length).toBe(2);
    expect(runs[0].id).toBe(runs[1].id);
    client.close();
  });

  it('sends ACKed but unfinished requests again to a restarted agent', async () => {
    let seen = 0;
    const client = await setup((msg, sock) => {
      if (msg.t !== 'run') return;
      if (++seen === 1) {
        sock.write(`${JSON.stringify({ t: 'ack', id: msg.id })}\n`);
        // The agent dies after the ACK; its successor announces itself on the same port.
        setTimeout(() => sock.write(`${JSON.stringify({ t: 'hello', pid: 2 })}\n`), 100);
        return;
      }
      answer(sock, msg, 'after restart');
    });
    const r = await client.exec({ script: 'x', timeout: 5 });
    expect(r.stdout.toString()).toBe('after restart');
    client.close();
  });
});
