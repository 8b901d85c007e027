// Boots the lab for the Xen version in XENLAB_XEN once per suite and powers it off afterwards. A failed boot fails
// the run with the console tail in the error: a lab test is never silently skipped. A lab that was already running
// (a developer's) is used as it is and left running.
import { build, labVersion, start, status, stop } from '../../lab/lib/index.mjs';

export default async function setup() {
  const ver = labVersion(process.env.XENLAB_XEN ?? '4.17');
  const wasRunning = status(ver).running;
  if (!wasRunning) {
    await build(ver);
    await start(ver);
  }
  return async () => {
    if (!wasRunning) await stop(ver);
  };
}
