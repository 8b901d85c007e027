import { describe, expect, it } from 'vitest';
import { PageAllocator, copyIn, copyOut, withBuffers } from '../../../src/privcmd/buffers.js';
import { PrivcmdError } from '../../../src/privcmd/errors.js';
import { getNative } from '../../../src/privcmd/native.js';
import { OS_TABLE } from '../../../src/privcmd/os.js';
import { PrivcmdDevice } from '../../../src/privcmd/transport.js';
import { FakeAllocator, FakeMemory, FakeNative, PAGE, type IoctlCall } from './fake-xen.js';

const LINUX_FILES = ['/dev/xen/privcmd', '/dev/xen/hypercall'];

describe('PrivcmdDevice.open', () => {
  it('Linux: uses /dev/xen/hypercall pages when present (shared mmap, no mlock)', () => {
    const n = new FakeNative(OS_TABLE.linux, LINUX_FILES, () => 0);
    const dev = PrivcmdDevice.open(n);
    expect(n.opened).toEqual(['/dev/xen/privcmd', '/dev/xen/hypercall']);
    expect(dev.usesBufferDevice).toBe(true);
    const m = n.mmaps[0];
    expect(n.pathOf(m.fd)).toBe('/dev/xen/hypercall');
    expect(m.flags).toBe(OS_TABLE.linux.sys.MAP_SHARED);
    expect(m.prot).toBe(3);
    expect(n.locked.size).toBe(0);
    dev.close();
  });

  it('Linux: anonymous locked memory with MADV_DONTFORK without the buffer device', () => {
    const n = new FakeNative(OS_TABLE.linux, ['/dev/xen/privcmd'], () => 0);
    const dev = PrivcmdDevice.open(n);
    expect(dev.usesBufferDevice).toBe(false);
    const m = n.mmaps[0];
    expect(m.fd).toBe(-1);
    expect(m.flags).toBe(0x02 | 0x20); // MAP_PRIVATE | MAP_ANONYMOUS
    expect(n.locked.has(m.addr)).toBe(true);
    expect(n.advised).toEqual([{ addr: m.addr, advice: 10 }]);
    dev.close();
    expect(n.locked.size).toBe(0);
  });

  it('Linux: falls back to /proc/xen/privcmd', () => {
    const n = new FakeNative(OS_TABLE.linux, ['/proc/xen/privcmd'], () => 0);
    expect(PrivcmdDevice.open(n).path).toBe('/proc/xen/privcmd');
  });

  it('reports ENOENT when there is no privcmd at all', () => {
    const n = new FakeNative(OS_TABLE.linux, [], () => 0);
    expect(() => PrivcmdDevice.open(n)).toThrow(expect.objectContaining({ code: 'ENOENT' }));
  });
});

describe('issue()', () => {
  it('Linux: IOCTL_PRIVCMD_HYPERCALL with op and five args; result is the ioctl return', () => {
    let seen: number[] = [];
    const n = new FakeNative(OS_TABLE.linux, LINUX_FILES, (c, mem) => {
      const b = mem.at(c.arg, 48);
      seen = [0, 1, 2, 3, 4, 5].map((i) => Number(b.readBigUInt64LE(i * 8)));
      return 0x40011;
    });
    const dev = PrivcmdDevice.open(n);
    expect(dev.issue(17, [0n, 0x1234n], 'xen_version')).toBe(0x40011);
    expect(n.ioctls[0].request).toBe(0x305000);
    expect(n.pathOf(n.ioctls[0].fd)).toBe('/dev/xen/privcmd');
    expect(seen).toEqual([17, 0, 0x1234, 0, 0, 0]);
    expect(() => dev.issue(1, [1n, 2n, 3n, 4n, 5n, 6n], 'x')).toThrow(RangeError);
  });

  it('Linux: a failing hypercall becomes a PrivcmdError named after errno', () => {
    const n = new FakeNative(OS_TABLE.linux, LINUX_FILES, () => -3);
    const dev = PrivcmdDevice.open(n);
    let err: unknown;
    try { dev.issue(36, [0n], 'domctl getdomaininfo'); } catch (e) { err = e; }
    expect(err).toBeInstanceOf(PrivcmdError);
    expect(err).toMatchObject({ errno: 3, code: 'ESRCH', op: 'domctl getdomaininfo' });
  });

  it('FreeBSD/NetBSD: result comes from the retval field', () => {
    for (const os of [OS_TABLE.freebsd, OS_TABLE.netbsd]) {
      const n = new FakeNative(os, [...os.devices], (c, mem) => {
        mem.at(c.arg, 56).writeBigInt64LE(77n, 48);
        return 0;
      });
      const dev = PrivcmdDevice.open(n);
      expect(dev.issue(35, [0x1000n], 'sysctl')).toBe(77);
      expect(n.ioctls[0].request).toBe(os.ioctls.hypercall!.request);
      expect(n.mmaps[0].fd).toBe(-1); // BSD: anonymous + mlock buffers
      expect(n.locked.size).toBe(1);
    }
  });
});

/** Kernel side of MMAPBATCH_V2: per-page errors from `errs`, ENOENT if any is -ENOENT. */
function batchKernel(errs: (gfn: bigint, attempt: number) => number) {
  const attempts = new Map<bigint, number>();
  const calls: { num: number; dom: number; addr: bigint; gfns: bigint[] }[] = [];
  const handler = (c: IoctlCall, mem: FakeMemory): number => {
    const s = mem.at(c.arg, 32);
    const num = s.readUInt32LE(0);
    const dom = s.readUInt16LE(4);
    const addr = s.readBigUInt64LE(8);
    const arr = mem.at(s.readBigUInt64LE(16), num * 8);
    const err = mem.at(s.readBigUInt64LE(24), num * 4);
    const gfns = Array.from({ length: num }, (_, i) => arr.readBigUInt64LE(i * 8));
    calls.push({ num, dom, addr, gfns });
    let paged = false;
    gfns.forEach((g, i) => {
      const a = (attempts.get(g) ?? 0) + 1;
      attempts.set(g, a);
      const e = errs(g, a);
      err.writeInt32LE(e, i * 4);
      if (e === -2) paged = true;
    });
    return paged ? -2 : 0;
  };
  return { handler, calls };
}

describe('mapForeignPages', () => {
  it('Linux: mmap of the privcmd fd, MMAPBATCH_V2, per-page errors', () => {
    const k = batchKernel((g) => (g === 0xbadn ? -22 : 0));
    const n = new FakeNative(OS_TABLE.linux, LINUX_FILES, (c, mem) =>
      (c.request === 0x205004 ? k.handler(c, mem) : 0));
    const dev = PrivcmdDevice.open(n);
    const m = dev.mapForeignPages(5, [0x100n, 0xbadn, 0x102n], 'rw');
    const map = n.mmaps.find((x) => x.len === 3 * PAGE)!;
    expect(n.pathOf(map.fd)).toBe('/dev/xen/privcmd');
    expect(map.prot).toBe(3);
    expect(map.flags).toBe(1); // MAP_SHARED
    expect(k.calls).toEqual([{ num: 3, dom: 5, addr: m.addr, gfns: [0x100n, 0xbadn, 0x102n] }]);
    expect(m.errors).toEqual([null, { errno: 22, code: 'EINVAL' }, null]);
    expect(m.buffer.length).toBe(3 * PAGE);
    m.unmap();
    m.unmap(); // idempotent
    expect(n.mem.regions.has(m.addr)).toBe(false);
  });

  it('Linux: retries paged-out frames (ENOENT) one page at a time', () => {
    const k = batchKernel((g, attempt) => (g === 0x201n && attempt < 3 ? -2 : 0));
    const n = new FakeNative(OS_TABLE.linux, LINUX_FILES, (c, mem) =>
      (c.request === 0x205004 ? k.handler(c, mem) : 0));
    const dev = PrivcmdDevice.open(n);
    const m = dev.mapForeignPages(9, [0x200n, 0x201n], 'r');
    expect(m.errors).toEqual([null, null]);
    expect(k.calls.map((c) => c.num)).toEqual([2, 1, 1]);
    expect(k.calls[1]).toMatchObject({ addr: m.addr + BigInt(PAGE), gfns: [0x201n] });
    expect(n.mmaps.find((x) => x.addr === m.addr)!.prot).toBe(1);
  });

  it('unmaps and frees scratch buffers when the ioctl fails outright', () => {
    const n = new FakeNative(OS_TABLE.linux, LINUX_FILES, (c) => (c.request === 0x205004 ? -1 : 0));
    const dev = PrivcmdDevice.open(n);
    const before = n.mem.regions.size;
    expect(() => dev.mapForeignPages(1, [1n], 'r')).toThrow(expect.objectContaining({ code: 'EPERM' }));
    // arr/err pages go back to the allocator cache, the foreign mapping is gone
    expect(n.mem.regions.size).toBeLessThanOrEqual(before + 2);
    expect(n.mmaps.some((x) => x.len === PAGE && n.pathOf(x.fd) === '/dev/xen/privcmd' && n.mem.regions.has(x.addr))).toBe(false);
  });

  it('NetBSD: foreign pages over anonymous shared memory, MMAPBATCH_V2 = _IOW(P,6)', () => {
    const k = batchKernel(() => 0);
    const n = new FakeNative(OS_TABLE.netbsd, ['/kern/xen/privcmd'], (c, mem) =>
      (c.request === 0x80205006 ? k.handler(c, mem) : 0));
    const dev = PrivcmdDevice.open(n);
    const m = dev.mapForeignPages(2, [7n], 'r');
    const map = n.mmaps.find((x) => x.addr === m.addr)!;
    expect(map.fd).toBe(-1);
    expect(map.flags).toBe(1 | 0x1000);
    expect(k.calls).toHaveLength(1);
  });

  it('FreeBSD: positive errno entries are reported as-is', () => {
    const k = batchKernel(() => 3);
    const n = new FakeNative(OS_TABLE.freebsd, ['/dev/xen/privcmd'], (c, mem) =>
      (c.request === 0xc0204501 ? k.handler(c, mem) : 0));
    const m = PrivcmdDevice.open(n).mapForeignPages(2, [7n], 'r');
    expect(m.errors).toEqual([{ errno: 3, code: 'ESRCH' }]);
  });
});

describe('buffer helpers', () => {
  it('withBuffers frees everything it handed out, also on throw', () => {
    const a = new FakeAllocator(new FakeMemory());
    expect(() => withBuffers(a, (get) => {
      get(10);
      get(PAGE * 3);
      expect(a.live).toBe(2);
      throw new Error('boom');
    })).toThrow('boom');
    expect(a.live).toBe(0);
    expect(withBuffers(a, (get) => get(1).size)).toBe(PAGE);
  });

  it('copyIn/copyOut move bytes into and out of hypercall memory', () => {
    const a = new FakeAllocator(new FakeMemory());
    const b = copyIn(a, Uint8Array.of(1, 2, 3));
    expect(a.mem.at(b.addr, 3)).toEqual(Buffer.of(1, 2, 3));
    const out = copyOut(b, 2, 1);
    a.free(b);
    expect(out).toEqual(Buffer.of(2, 3)); // survives free
  });
});

describe.runIf(process.platform === 'linux')('real libc via koffi (no Xen needed)', () => {
  it('PageAllocator hands out zeroed, page-aligned, locked memory readable at its address', () => {
    const native = getNative();
    const a = new PageAllocator(native);
    const ps = a.pageSize;
    const b = a.alloc(ps + 1);
    expect(b.size).toBe(2 * ps);
    expect(b.addr % BigInt(ps)).toBe(0n);
    expect(b.view.every((x) => x === 0)).toBe(true);
    b.view.writeUInt32LE(0xc0ffee, ps);
    expect(native.view(b.addr + BigInt(ps), 4).readUInt32LE(0)).toBe(0xc0ffee);
    a.free(b);
    expect(() => a.free(b)).toThrow(/not live/);
    const c = a.alloc(1);
    c.view[0] = 1;
    a.free(c);
    const d = a.alloc(1); // reused from the cache, must be zeroed again
    expect(d.view[0]).toBe(0);
    a.free(d);
    a.close();
  });

  it('open() errors carry errno names', () => {
    expect(() => getNative().open('/nonexistent/privcmd', 2)).toThrow(expect.objectContaining({ code: 'ENOENT', errno: 2 }));
  });
});
