// Runs in the lab's dom0 (bundled by the lab test): exercises our xenstore client against the real xenstored and
// prints one JSON object of observations for the test to assert on. Also called with the device transport
// (XENSTORED_PATH=/dev/xen/xenbus).
import { execFileSync } from 'node:child_process';
import { XenStore, XenStoreError, renderTree } from '../../../src/xenstore-client/index.js';

const base = process.argv[2] ?? '/local/domain/0/xlts-check';
const cxs = (tool: string, ...args: string[]) => execFileSync(tool, args, { encoding: 'utf8' });
const errCode = async (p: Promise<unknown>) => p.then(() => 'ok', (e) => (e instanceof XenStoreError ? e.code : `other:${e}`));

async function main() {
  const xs = await XenStore.connect();
  const out: Record<string, unknown> = {};
  await xs.rm(base).catch(() => {});

  // Write with ours, read with the C tool and back.
  await xs.write(`${base}/a`, 'hello');
  out.cRead = cxs('xenstore-read', `${base}/a`).trim();
  cxs('xenstore-write', `${base}/b`, 'from-c');
  out.ourRead = await xs.read(`${base}/b`);
  out.dir = (await xs.directory(base)).sort();
  out.missing = await errCode(xs.read(`${base}/nope`));
  out.domainPath = await xs.getDomainPath(0);

  // Permissions set by us, as the C tool shows them.
  await xs.setPerms(`${base}/a`, ['n0', 'r1', 'b2']);
  out.perms = await xs.getPerms(`${base}/a`);
  out.cPerms = cxs('xenstore-ls', '-p', base).split('\n').find((l) => l.startsWith('a '));

  // Many requests in flight on one connection.
  const reads = await Promise.all(Array.from({ length: 200 }, () => xs.read(`${base}/a`)));
  // every reply that is not 'hello', with its position ([] when all are)
  out.concurrentWrong = reads.map((v, i) => [i, v]).filter(([, v]) => v !== 'hello');

  // A watch: the initial event, then one for a write made by the C tool.
  const w = await xs.watch(`${base}/w`, { token: 'tok1' });
  const it = w[Symbol.asyncIterator]();
  const first = await it.next();
  cxs('xenstore-write', `${base}/w`, 'x');
  const second = await it.next();
  out.watchEvents = [first.value, second.value];
  await w.close();

  // A transaction that loses a race gets EAGAIN; withTransaction reruns its body and wins.
  await xs.write(`${base}/counter`, '0');
  const tx = await xs.transactionStart();
  await tx.read(`${base}/counter`);
  cxs('xenstore-write', `${base}/counter`, '5');
  await tx.write(`${base}/counter`, '1');
  out.conflict = await errCode(tx.commit());
  let runs = 0;
  await xs.withTransaction(async (t) => {
    runs++;
    const v = Number(await t.read(`${base}/counter`));
    if (runs === 1) cxs('xenstore-write', `${base}/counter`, String(v + 100));
    await t.write(`${base}/counter`, String(Number(await t.read(`${base}/counter`)) + 1));
  });
  out.txRuns = runs;
  out.counter = await xs.read(`${base}/counter`);

  // A directory too big for one reply (needs DIRECTORY_PART where the transport has it).
  const names = Array.from({ length: 300 }, (_, i) => `child-with-a-rather-long-name-${String(i).padStart(4, '0')}`);
  await xs.withTransaction(async (t) => {
    for (const n of names) await t.write(`${base}/big/${n}`, '');
  });
  const big = await xs.directory(`${base}/big`);
  out.bigDirCount = big.length;
  out.bigDirMissing = names.filter((n) => !big.includes(n));

  // Our tree printer against xenstore-ls -p (stdout a pipe: width 80).
  await xs.rm(`${base}/big`);
  out.treeOurs = await renderTree(xs, base, { perms: true });
  out.treeC = cxs('xenstore-ls', '-p', base);

  await xs.rm(base);
  out.removed = await errCode(xs.read(`${base}/a`));
  await xs.close();
  process.stdout.write(`${JSON.stringify(out)}\n`);
}

main().catch((e) => {
  process.stderr.write(`xenstore-check: ${e?.stack ?? e}\n`);
  process.exitCode = 1;
});
