// Shared test helpers: a seeded PRNG and an in-memory transport.
import type { Transport } from '../../../src/xenstore-client/transport.js';
import type { XenStoreError } from '../../../src/xenstore-client/errors.js';

/** mulberry32: small, fast, deterministic. */
export function rng(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (n: number) => Math.floor(next() * n);
  return {
    next,
    int,
    bytes(n: number): Buffer {
      const b = Buffer.alloc(n);
      for (let i = 0; i < n; i++) b[i] = int(256);
      return b;
    },
    pick<T>(xs: readonly T[]): T {
      return xs[int(xs.length)];
    },
    /** Split a buffer into random-size chunks (some empty). */
    chunks(b: Buffer): Buffer[] {
      const out: Buffer[] = [];
      let off = 0;
      while (off < b.length) {
        const n = int(3) === 0 ? 0 : 1 + int(Math.min(64, b.length - off) + (int(4) === 0 ? 5000 : 0));
        out.push(b.subarray(off, Math.min(b.length, off + n)));
        off += n;
      }
      return out;
    },
  };
}

/** A transport whose peer is the test: records frames, lets tests feed bytes. */
export class MemTransport implements Transport {
  readonly kind = 'socket' as const;
  readonly path = 'mem';
  maxPayload = 4096;
  onData: (chunk: Buffer) => void = () => {};
  onEnd: (err?: XenStoreError) => void = () => {};
  written: Buffer[] = [];
  active = false;
  closed = false;
  write(frame: Buffer): Promise<void> {
    this.written.push(frame);
    return Promise.resolve();
  }
  setActive(a: boolean): void {
    this.active = a;
  }
  close(): Promise<void> {
    this.closed = true;
    return Promise.resolve();
  }
  feed(b: Buffer): void {
    this.onData(b);
  }
  end(err?: XenStoreError): void {
    this.onEnd(err);
  }
}

/** Settle state of a promise without awaiting it. */
export function track<T>(p: Promise<T>) {
  const s: { done: boolean; value?: T; error?: unknown } = { done: false };
  p.then(
    (v) => Object.assign(s, { done: true, value: v }),
    (e) => Object.assign(s, { done: true, error: e }),
  );
  return s;
}

export const tick = () => new Promise((r) => setImmediate(r));
