// The main job in the lab (`npm run lab`): boot real Xen, run our xl next to Debian's C xl, show both, stop.
import { build } from './build.mjs';
import { LabClient } from './client.mjs';
import { runDir, start, stop } from './machine.mjs';

const STEPS = [
  ['our xl: self-check', ['/project/bin/xl', 'version']],
  ['C xl: info', ['xl', 'info']],
  ['our xl: info', ['/project/bin/xl', 'info']],
  ['C xl: list', ['xl', 'list']],
  ['our xl: list', ['/project/bin/xl', 'list']],
];

export async function demo(ver) {
  await build(ver);
  await start(ver);
  let failures = 0;
  try {
    const client = await LabClient.connect(runDir(ver));
    for (const [title, argv] of STEPS) {
      const r = await client.exec({ argv, timeout: 120 });
      process.stdout.write(`\n=== ${title} (${argv.join(' ')}) -> exit ${r.code}\n${r.stdout}${r.stderr}`);
      if (r.code !== 0) failures++;
    }
    client.close();
  } finally {
    await stop(ver);
  }
  return failures ? 1 : 0;
}
