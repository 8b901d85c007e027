// Transport discovery, the device transport (played by a pair of FIFOs,
// whose blocking reads behave like /dev/xen/xenbus), and whether a client
// lets its process exit.
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { execFileSync, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import {
  DEVICE_PATHS,
  DeviceTransport,
  candidatePaths,
  openTransport,
} from '../../../src/xenstore-client/transport.js';
import { XenStore } from '../../../src/xenstore-client/client.js';
import { XenStoreError } from '../../../src/xenstore-client/errors.js';
import { XS } from '../../../src/xenstore-client/protocol.js';
import { FakeXenstored } from './fake-xenstored.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'xst-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

describe('candidatePaths', () => {
  it('tries the sockets, then the Linux devices', () => {
    expect(candidatePaths({ env: {}, platform: 'linux' })).toEqual([
      '/var/run/xenstored/socket',
      '/run/xenstored/socket',
      '/dev/xen/xenbus',
      '/proc/xen/xenbus',
    ]);
  });

  it('uses the BSD device names', () => {
    expect(candidatePaths({ env: {}, platform: 'freebsd' }).slice(2)).toEqual(['/dev/xen/xenstore']);
    expect(candidatePaths({ env: {}, platform: 'netbsd' }).slice(2)).toEqual(['/kern/xen/xenbus']);
    expect(candidatePaths({ env: {}, platform: 'sunos' }).slice(2)).toEqual(DEVICE_PATHS.default);
  });

  it('honours XENSTORED_RUNDIR and, exclusively, XENSTORED_PATH', () => {
    expect(candidatePaths({ env: { XENSTORED_RUNDIR: '/run/xenstored' }, platform: 'linux' })).toEqual([
      '/run/xenstored/socket',
      '/dev/xen/xenbus',
      '/proc/xen/xenbus',
    ]);
    expect(candidatePaths({ env: { XENSTORED_PATH: '/x/sock', XENSTORED_RUNDIR: '/y' } })).toEqual(['/x/sock']);
    expect(candidatePaths({ path: '/explicit', env: { XENSTORED_PATH: '/x/sock' } })).toEqual(['/explicit']);
  });
});

describe('openTransport', () => {
  it('says what it tried when nothing is there', async () => {
    const err = await openTransport({ env: { XENSTORED_RUNDIR: path.join(tmp, 'none') }, platform: 'none-such' }).catch(
      (e) => e,
    );
    expect(err).toBeInstanceOf(XenStoreError);
    expect(err.code).toBe('ENOENT');
    expect(err.message).toContain(path.join(tmp, 'none', 'socket'));
    expect(err.message).toContain('/dev/xen/xenbus');
  });

  it('reports a stale socket as ECONNREFUSED rather than ENOENT', async () => {
    const p = path.join(tmp, 'stale');
    // A daemon killed with SIGKILL leaves its socket file behind.
    const d = spawn(process.execPath, ['-e', `require('net').createServer().listen(${JSON.stringify(p)}, () => console.log('up'))`]);
    await new Promise((r) => d.stdout.once('data', r));
    d.kill('SIGKILL');
    await new Promise((r) => d.once('exit', r));
    expect(fs.statSync(p).isSocket()).toBe(true);
    const err = await openTransport({ env: { XENSTORED_PATH: p } }).catch((e) => e);
    expect(err.code).toBe('ECONNREFUSED');
  });

  it('connects through XENSTORED_PATH', async () => {
    const fake = new FakeXenstored();
    const sock = await fake.listen();
    const xs = await XenStore.connect({ env: { XENSTORED_PATH: sock } });
    expect(xs.transport.kind).toBe('socket');
    expect(await xs.getDomainPath(0)).toBe('/local/domain/0');
    await xs.close();
    await fake.close();
  });
});

// ---- device transport over FIFOs -----------------------------------------------

interface FifoRig {
  fake: FakeXenstored;
  c2s: string;
  s2c: string;
  /** Fake's ends; destroying `out` gives the client EOF. */
  out: net.Socket;
  in: net.Socket;
}

let rigCount = 0;
function fifoRig(fake = new FakeXenstored()): FifoRig {
  const dir = path.join(tmp, `rig${rigCount++}`);
  fs.mkdirSync(dir);
  const c2s = path.join(dir, 'c2s');
  const s2c = path.join(dir, 's2c');
  execFileSync('mkfifo', [c2s, s2c]);
  // O_RDWR opens of a FIFO never block on Linux, so no open-order dance.
  const input = new net.Socket({ fd: fs.openSync(c2s, fs.constants.O_RDWR), readable: true, writable: false });
  const out = new net.Socket({ fd: fs.openSync(s2c, fs.constants.O_RDWR), readable: false, writable: true });
  fake.attach(input, out);
  return { fake, c2s, s2c, out, in: input };
}

function deviceClient(rig: FifoRig): { xs: XenStore; t: DeviceTransport } {
  const t = new DeviceTransport('fifo', fs.openSync(rig.s2c, fs.constants.O_RDONLY), fs.openSync(rig.c2s, fs.constants.O_WRONLY));
  return { xs: XenStore.over(t), t };
}

const fsReqs = () => process.getActiveResourcesInfo().filter((r) => r === 'FSReqCallback').length;
const poll = { timeout: 2000, interval: 5 };
/** The number of pending fs requests once it has held still for 4 polls (at most 2 s). */
async function settledFsReqs(): Promise<number> {
  let last = fsReqs();
  let still = 0;
  await vi.waitFor(() => {
    const now = fsReqs();
    still = now === last ? still + 1 : 0;
    last = now;
    expect(still, 'polls with the same number of pending fs requests').toBeGreaterThanOrEqual(4);
  }, poll);
  return last;
}

// FIFOs opened O_RDWR without blocking is a Linux behaviour.
const linux = process.platform === 'linux';

describe.skipIf(!linux)('device transport', () => {
  const rigs: FifoRig[] = [];
  afterEach(() => {
    for (const r of rigs.splice(0)) {
      r.in.destroy();
      r.out.destroy();
    }
  });
  const rig = () => {
    const r = fifoRig();
    rigs.push(r);
    return r;
  };

  it('runs requests and watches with blocking reads', async () => {
    const r = rig();
    const { xs } = deviceClient(r);
    expect(xs.transport).toEqual({ kind: 'device', path: 'fifo' });
    await xs.write('/dev/a', 'x');
    expect(await xs.read('/dev/a')).toBe('x');
    const results = await Promise.all(Array.from({ length: 50 }, (_, i) => xs.write(`/dev/n${i}`, `${i}`).then(() => xs.read(`/dev/n${i}`))));
    expect(results).toEqual(Array.from({ length: 50 }, (_, i) => `${i}`));
    const w = await xs.watch('/dev');
    expect((await w.next()).value).toEqual({ path: '/dev', token: w.token });
    await xs.write('/dev/b', 'y');
    expect((await w.next()).value?.path).toBe('/dev/b');
    await xs.close();
  });

  it('keeps to the 4096-byte page shared by header and payload', async () => {
    const r = rig();
    const { xs } = deviceClient(r);
    const room = 4096 - 16 - '/v\0'.length;
    await xs.write('/v', Buffer.alloc(room, 0x61));
    const e = await xs.write('/v', Buffer.alloc(room + 1, 0x61)).catch((x) => x);
    expect(e.code).toBe('E2BIG');
    await xs.close();
  });

  it('does not read while idle, so close needs no wake-up', async () => {
    const r = rig();
    const base = await settledFsReqs(); // earlier tests' fs calls done
    const { xs } = deviceClient(r);
    await xs.read('/').catch(() => {});
    expect(await settledFsReqs()).toBe(base);
    await xs.close();
    expect(r.fake.conns.size === 0 || [...r.fake.conns][0].received.every((m) => m.type !== XS.GET_DOMAIN_PATH)).toBe(true);
  });

  it('releases a blocked read on close by provoking a reply', async () => {
    const r = rig();
    const base = await settledFsReqs();
    const { xs } = deviceClient(r);
    const w = await xs.watch('/blocked');
    await w.next();
    await vi.waitFor(() => expect(fsReqs(), 'a read parked in the threadpool').toBeGreaterThan(base), poll);
    const t0 = Date.now();
    await xs.close();
    expect(Date.now() - t0).toBeLessThan(1000);
    const wake = [...r.fake.conns][0].received.filter((m) => m.type === XS.GET_DOMAIN_PATH);
    expect(wake.map((m) => m.payload.toString())).toEqual(['0\0']);
    await vi.waitFor(() => expect(fsReqs(), 'pending fs requests after close').toBe(base), poll);
  });

  it('turns end of file into ECONNRESET', async () => {
    const r = rig();
    const { xs } = deviceClient(r);
    r.fake.intercept = () => {
      r.out.destroy();
      return 'handled';
    };
    const e = await xs.read('/x').catch((x) => x);
    expect(e).toBeInstanceOf(XenStoreError);
    expect(e.code).toBe('ECONNRESET');
  });

  it('fails a request whose write the device refuses', async () => {
    const r = rig();
    // A read-only fd as the write side: every write() fails with EBADF.
    const t = new DeviceTransport('fifo', fs.openSync(r.s2c, fs.constants.O_RDONLY), fs.openSync(r.s2c, fs.constants.O_RDONLY));
    const xs = XenStore.over(t);
    const e = await xs.read('/x').catch((x) => x);
    expect(e).toBeInstanceOf(XenStoreError);
    expect(e.code).toBe('EBADF');
    expect(e.op).toBe('READ');
    await xs.close();
  });
});

// ---- process lifetime -------------------------------------------------------------

describe('process lifetime', () => {
  let bundle: string;
  beforeAll(async () => {
    bundle = path.join(tmp, 'xs.mjs');
    await build({
      entryPoints: [path.join(here, '../../../src/xenstore-client/index.ts')],
      bundle: true,
      platform: 'node',
      format: 'esm',
      outfile: bundle,
      logLevel: 'silent',
    });
  });

  const child = `
    import * as fs from 'node:fs';
    const { XenStore, DeviceTransport } = await import(process.argv[2]);
    const [mode, a, b] = process.argv.slice(3);
    const xs = mode.startsWith('device')
      ? XenStore.over(new DeviceTransport('fifo', fs.openSync(b, 'r'), fs.openSync(a, 'w')))
      : await XenStore.connect({ path: a });
    await xs.read('/tool').catch(() => {});
    if (mode.endsWith('watch') || mode.endsWith('close')) await (await xs.watch('/tool')).next();
    if (mode.endsWith('close')) await xs.close();
    console.log('done');
  `;

  /** Run the child; resolves with whether it exited by itself within `ms`. */
  function exitsWithin(args: string[], ms: number): Promise<boolean> {
    const script = path.join(tmp, 'child.mjs');
    fs.writeFileSync(script, child);
    const p = spawn(process.execPath, [script, bundle, ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    p.stdout.on('data', (d) => (out += d));
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        p.kill('SIGKILL');
        if (!out.includes('done')) reject(new Error(`child never got going: ${out}`));
        else resolve(false);
      }, ms);
      p.on('exit', (code) => {
        clearTimeout(timer);
        if (code !== 0) reject(new Error(`child exited ${code}`));
        else resolve(true);
      });
    });
  }

  let fake: FakeXenstored;
  let sock: string;
  beforeAll(async () => {
    fake = new FakeXenstored();
    sock = await fake.listen();
  });
  afterAll(() => fake.close());

  it.skipIf(!linux)('device: close() with a watch outstanding lets the process exit', async () => {
    const r = fifoRig(fake);
    expect(await exitsWithin(['device-close', r.c2s, r.s2c], 5000)).toBe(true);
  });

  it.skipIf(!linux)('device: an open watch keeps the process alive (control)', async () => {
    const r = fifoRig(fake);
    expect(await exitsWithin(['device-watch', r.c2s, r.s2c], 1500)).toBe(false);
  });

  it.skipIf(!linux)('device: an idle client that was never closed does not hold the process', async () => {
    const r = fifoRig(fake);
    expect(await exitsWithin(['device-idle', r.c2s, r.s2c], 5000)).toBe(true);
  });

  it('socket: an idle client that was never closed does not hold the process', async () => {
    expect(await exitsWithin(['socket-idle', sock], 5000)).toBe(true);
  });

  it('socket: an open watch keeps the process alive (control)', async () => {
    expect(await exitsWithin(['socket-watch', sock], 1500)).toBe(false);
  });

  it('socket: close() with a watch outstanding lets the process exit', async () => {
    expect(await exitsWithin(['socket-close', sock], 5000)).toBe(true);
  });
});
