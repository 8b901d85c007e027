// Boots the lab for the Xen version in XENLAB_XEN once per suite and powers it off afterwards. A failed boot fails
// the run with the console tail in the error: a lab test is never silently skipped. A lab that is already running
// (a developer's) is used only when it runs no guest: the suite creates and destroys guests of every name, and would
// otherwise destroy someone's guests or compare against them. Boot and stop times go to XL_LAB_SETUP_REPORT for the
// runner's summary. Every run installs the current build into dom0 (lab/lib/install.mjs): the tests run that xl.
import fs from 'node:fs';
import { LabClient, build, installOurXl, labVersion, runDir, start, status, stop } from '../../lab/lib/index.mjs';

function record(key: string, t0: number): void {
  const file = process.env.XL_LAB_SETUP_REPORT;
  if (!file) return;
  const old = fs.existsSync(file) ? JSON.parse(fs.readFileSync(file, 'utf8')) : {};
  fs.writeFileSync(file, JSON.stringify({ ...old, [key]: (Date.now() - t0) / 1000 }));
}

async function foreignGuests(dir: string): Promise<string[]> {
  const client = await LabClient.connect(dir);
  try {
    const r = await client.exec({ script: "xl list | awk 'NR > 2 { print $1 }'", timeout: 60 });
    if (r.code !== 0) throw new Error(`xl list in the running lab exited ${r.code}: ${r.stderr.toString().trim()}`);
    return r.stdout.toString().split('\n').filter(Boolean);
  } finally {
    client.close();
  }
}

export default async function setup() {
  const ver = labVersion(process.env.XENLAB_XEN ?? '4.17');
  const wasRunning = status(ver).running;
  if (wasRunning) {
    const guests = await foreignGuests(runDir(ver));
    if (guests.length) {
      throw new Error(`the Xen ${ver.name} lab is already running with guests this suite did not create ` +
        `(${guests.join(', ')}): destroy them or stop the lab first`);
    }
  } else {
    let t0 = Date.now();
    await build(ver);
    record('build', t0);
    t0 = Date.now();
    await start(ver);
    record('boot', t0);
  }
  const t0 = Date.now();
  const client = await LabClient.connect(runDir(ver));
  try {
    await installOurXl(client);
  } finally {
    client.close();
  }
  record('install', t0);
  return async () => {
    if (wasRunning) return;
    const t0 = Date.now();
    await stop(ver);
    record('stop', t0);
  };
}
