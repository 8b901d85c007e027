// The lab's host-side broker (a detached process per running lab): it holds the one connection QEMU's agent socket
// allows and serves any number of clients on run/exec.sock, so tests and `xenlab exec` can run side by side.
// Requests are resent to the agent until ACKed (input that races the guest opening its port is lost).
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { jsonLines } from './util.mjs';

const runDir = process.argv[2];
const agentSock = path.join(runDir, 'agent.sock');
const execSock = path.join(runDir, 'exec.sock');
const qemuPid = Number(fs.readFileSync(path.join(runDir, 'qemu.pid'), 'utf8'));

let agent = null;
let nextId = 1;
const inflight = new Map(); // id -> { client, msg, acked, tries, timer }
let agentHello = false;

function log(msg) {
  fs.appendFileSync(path.join(runDir, 'broker.log'), `${new Date().toISOString()} ${msg}\n`);
}

function sendToAgent(msg) {
  if (agent) agent.write(`${JSON.stringify(msg)}\n`);
}

function resend(id) {
  const job = inflight.get(id);
  if (!job || job.acked) return;
  job.tries++;
  sendToAgent(job.msg);
  job.timer = setTimeout(() => resend(id), Math.min(500 * job.tries, 3000));
}

function connectAgent() {
  const s = net.connect(agentSock);
  s.on('connect', () => {
    agent = s;
    log('connected to agent socket');
    for (const id of inflight.keys()) resend(id);
  });
  s.on('data', jsonLines((msg) => msg && fromAgent(msg)));
  s.on('error', () => {});
  s.on('close', () => {
    agent = null;
    setTimeout(connectAgent, 200);
  });
}

function fromAgent(msg) {
  if (msg.t === 'hello') {
    agentHello = true;
    log(`agent up (pid ${msg.pid})`);
    // A new agent knows nothing of what its predecessor ACKed: everything still open is sent again.
    for (const [id, job] of inflight) {
      clearTimeout(job.timer);
      job.acked = false;
      resend(id);
    }
    return;
  }
  const job = inflight.get(msg.id);
  if (!job) return;
  if (msg.t === 'ack') {
    job.acked = true;
    clearTimeout(job.timer);
    return;
  }
  if (msg.t === 'done' || msg.t === 'pong') {
    clearTimeout(job.timer);
    inflight.delete(msg.id);
    if (!job.client.destroyed) job.client.write(`${JSON.stringify({ ...msg, id: job.clientId })}\n`);
  }
}

function serveClient(client) {
  client.on('data', jsonLines((req) => {
    if (!req) {
      client.write(`${JSON.stringify({ t: 'error', message: 'bad request' })}\n`);
      return;
    }
    if (req.t === 'status') {
      client.write(`${JSON.stringify({ t: 'status', id: req.id, agent: agentHello && agent !== null })}\n`);
      return;
    }
    const id = `b${process.pid}-${nextId++}`;
    // A ping needs no ACK: the pong is the answer, so it is resent until one comes.
    inflight.set(id, { client, clientId: req.id, msg: { ...req, id }, acked: false, tries: 0, timer: null });
    resend(id);
  }));
  client.on('error', () => {});
}

try {
  fs.unlinkSync(execSock);
} catch {}
net.createServer(serveClient).listen(execSock, () => log('broker listening'));
connectAgent();

// Leave with the VM.
setInterval(() => {
  try {
    process.kill(qemuPid, 0);
  } catch {
    log('qemu gone, broker exits');
    process.exit(0);
  }
}, 1000);
