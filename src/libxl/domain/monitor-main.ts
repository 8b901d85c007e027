// Entry of the shared domain monitor (bundled to dist/monitor.js; started
// by xl create through ensureMonitor). Logs go to its stdout, which the
// starter points at MONITOR_LOG.
import { openContext } from '../context.js';
import { DirRegistry, MONITOR_SOCKET, Monitor, ensureMonitor, listenOnce } from './monitor.js';

const log = (line: string) => process.stdout.write(`${new Date().toISOString()} ${line}\n`);

async function main(): Promise<void> {
  const ctx = openContext();
  const monitor = new Monitor(ctx, { registry: new DirRegistry(), log });
  let stop!: () => void;
  const stopped = new Promise<void>((r) => (stop = r));
  const server = await listenOnce(MONITOR_SOCKET, async () => {
    await monitor.scan();
    if (await monitor.isIdle()) stop();
  });
  if (!server) return; // another monitor answers
  log(`monitor started [pid ${process.pid}]`);
  try {
    await monitor.run(stopped);
  } finally {
    // The socket file stays: a later monitor finds it dead and takes it over.
    server.close();
    await ctx.close();
  }
  // A domain registered while we were closing: hand over to a fresh monitor.
  if (!(await monitor.isIdle())) {
    log('a domain arrived while exiting: starting another monitor');
    await ensureMonitor(process.argv[1]!);
    return;
  }
  log('no domain left to look after: exiting');
}

main().then(() => process.exit(0), (e) => {
  log(`monitor failed: ${e instanceof Error ? e.stack ?? e.message : String(e)}`);
  process.exit(1);
});
