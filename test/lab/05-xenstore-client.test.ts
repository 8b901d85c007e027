// Our xenstore client against the real xenstored, over its unix socket and over the kernel's xenbus device:
// reads, writes, permissions, concurrent requests, watches, conflicting transactions, large directories, and our
// tree printer byte for byte against xenstore-ls -p.
import { beforeAll, describe, expect, it } from 'vitest';
import { XEN, bundleForDom0, dom0sh } from './lab.js';

let program: string;
beforeAll(async () => {
  program = await bundleForDom0('test/lab/programs/xenstore-check.ts');
});

const transports = [
  ['unix socket', ''],
  ['xenbus device', 'XENSTORED_PATH=/dev/xen/xenbus '],
] as const;

describe.each(transports)(`xenstore client on real xenstored via %s (Xen ${XEN})`, (_name, env) => {
  let r: Record<string, any>;
  beforeAll(async () => {
    const res = await dom0sh(`${env}node ${program} /local/domain/0/xlts-check-${env ? 'dev' : 'sock'}`, 120);
    expect(res.code, res.stderr).toBe(0);
    r = JSON.parse(res.stdout);
  });

  it('reads and writes interoperate with the C tools', () => {
    expect(r.cRead).toBe('hello');
    expect(r.ourRead).toBe('from-c');
    expect(r.dir).toEqual(['a', 'b']);
    expect(r.missing).toBe('ENOENT');
    expect(r.domainPath).toBe('/local/domain/0');
  });

  it('permissions round-trip and match what xenstore-ls shows', () => {
    expect(r.perms).toEqual({ owner: 0, others: 'none', acl: [{ domid: 1, access: 'read' }, { domid: 2, access: 'both' }] });
    expect(r.cPerms).toMatch(/\(n0,r1,b2\)$/);
  });

  it('serves 200 concurrent requests on one connection', () => {
    expect(r.concurrentWrong).toEqual([]);
  });

  it('delivers the initial watch event and one for a write by another client', () => {
    expect(r.watchEvents).toEqual([
      { path: expect.stringMatching(/\/w$/), token: 'tok1' },
      { path: expect.stringMatching(/\/w$/), token: 'tok1' },
    ]);
  });

  it('a conflicting commit fails with EAGAIN and withTransaction reruns the body', () => {
    expect(r.conflict).toBe('EAGAIN');
    expect(r.txRuns).toBe(2);
    expect(r.counter).toBe('106');
  });

  it('lists a directory larger than one reply', () => {
    expect({ count: r.bigDirCount, missing: r.bigDirMissing }).toEqual({ count: 300, missing: [] });
  });

  it('renders a subtree exactly as xenstore-ls -p does', () => {
    expect(r.treeOurs).toBe(r.treeC);
    expect(r.removed).toBe('ENOENT');
  });
});
