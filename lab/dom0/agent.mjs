// The lab's dom0 agent: runs the host's requests and returns stdout, stderr and exit code over a virtio-serial
// port. One JSON object per line both ways. Every request is ACKed at once; the host resends an unACKed request
// with the same id, so results are kept by id and a duplicate gets the same answer instead of a second run.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import { StringDecoder } from 'node:string_decoder';

const dev = process.argv[2];
const fd = fs.openSync(dev, 'r+');
const jobs = new Map(); // id -> { done: message | null, at: ms }
const PATH = process.env.PATH;

const writes = [];
let writing = false;
function send(msg) {
  writes.push(Buffer.from(`${JSON.stringify(msg)}\n`));
  if (!writing) flush();
}
function flush() {
  const buf = writes.shift();
  if (!buf) {
    writing = false;
    return;
  }
  writing = true;
  fs.write(fd, buf, 0, buf.length, null, (err, n) => {
    if (err) {
      // Host side not connected: keep the message and try again shortly.
      writes.unshift(buf);
      setTimeout(flush, 200);
      return;
    }
    if (n < buf.length) writes.unshift(buf.subarray(n));
    flush();
  });
}

function run(req) {
  const known = jobs.get(req.id);
  if (known) {
    send({ t: 'ack', id: req.id });
    if (known.done) send(known.done);
    return;
  }
  const job = { done: null, at: Date.now() };
  jobs.set(req.id, job);
  send({ t: 'ack', id: req.id });
  const [cmd, args] = req.argv ? [req.argv[0], req.argv.slice(1)] : ['bash', ['-c', req.script]];
  const out = [];
  const err = [];
  let timedOut = false;
  let child;
  const finish = (code, signal, spawnError) => {
    if (job.done) return;
    job.done = {
      t: 'done', id: req.id, code: code ?? (signal ? 128 : 127), signal, timedOut,
      stdout: Buffer.concat(out).toString('base64'),
      stderr: Buffer.concat(spawnError ? [...err, Buffer.from(`${spawnError}\n`)] : err).toString('base64'),
    };
    send(job.done);
  };
  try {
    child = spawn(cmd, args, {
      cwd: req.cwd ?? '/root',
      env: { PATH, HOME: '/root', TERM: 'dumb', ...(req.env ?? {}) },
      stdio: [req.stdin != null ? 'pipe' : 'ignore', 'pipe', 'pipe'],
      detached: true, // own process group, so a timeout kills the whole tree
    });
  } catch (e) {
    finish(127, null, e.message);
    return;
  }
  child.stdout.on('data', (d) => out.push(d));
  child.stderr.on('data', (d) => err.push(d));
  if (req.stdin != null) child.stdin.end(Buffer.from(req.stdin, 'base64'));
  const timer = setTimeout(() => {
    timedOut = true;
    try {
      process.kill(-child.pid, 'SIGKILL');
    } catch {}
  }, (req.timeout ?? 120) * 1000);
  child.on('error', (e) => {
    clearTimeout(timer);
    finish(127, null, `${cmd}: ${e.message}`);
  });
  // 'close' comes once the process has exited and both pipes are shut; the pipes usually end before 'exit' does,
  // so waiting for 'end' after 'exit' cost every command the fallback below (300 ms).
  child.on('close', (code, signal) => {
    clearTimeout(timer);
    finish(code, signal);
  });
  child.on('exit', (code, signal) => {
    clearTimeout(timer);
    // A daemon the command left behind (xl's monitor) may hold the pipes: wait for them briefly, not forever.
    setTimeout(() => {
      child.stdout.destroy();
      child.stderr.destroy();
      finish(code, signal);
    }, 300);
  });
}

function handle(line) {
  let msg;
  try {
    msg = JSON.parse(line);
  } catch {
    return; // noise from a reconnect
  }
  if (msg.t === 'ping') send({ t: 'pong', id: msg.id });
  else if (msg.t === 'run') run(msg);
}

// Forget finished jobs after ten minutes.
setInterval(() => {
  const old = Date.now() - 600_000;
  for (const [id, job] of jobs) if (job.done && job.at < old) jobs.delete(id);
}, 60_000).unref();

const decoder = new StringDecoder('utf8');
process.on('uncaughtException', (e) => process.stderr.write(`agent: ${e.stack}\n`));
let pending = '';
const buf = Buffer.alloc(65536);
function readLoop() {
  fs.read(fd, buf, 0, buf.length, null, (err, n) => {
    if (err || n === 0) {
      // No host connected (EOF) or a transient error: the port must stay open, so poll again.
      setTimeout(readLoop, 200);
      return;
    }
    pending += decoder.write(buf.subarray(0, n));
    let nl;
    while ((nl = pending.indexOf('\n')) >= 0) {
      const line = pending.slice(0, nl);
      pending = pending.slice(nl + 1);
      if (line.trim()) handle(line);
    }
    readLoop();
  });
}
readLoop();
send({ t: 'hello', pid: process.pid });
