#!/usr/bin/env node
// Exercise every privcmd hypercall wrapper against the running Xen and print
// the results as JSON. Run as root in dom0:
//
//   node scripts/privcmd-probe.mjs [--assume 4.22] [--tail N] [--rebuild]
//
// It imports dist/privcmd.mjs, building it with esbuild first if missing (or
// with --rebuild). To build by hand instead:
//   npx esbuild src/privcmd/index.ts --bundle --platform=node --format=esm \
//     --external:koffi --outfile=dist/privcmd.mjs

import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const dist = join(root, 'dist', 'privcmd.mjs');
const args = process.argv.slice(2);
const opt = (name) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};

if (!existsSync(dist) || args.includes('--rebuild')) {
  const esbuild = await import('esbuild');
  await esbuild.build({
    entryPoints: [join(root, 'src', 'privcmd', 'index.ts')],
    bundle: true,
    platform: 'node',
    format: 'esm',
    external: ['koffi'],
    outfile: dist,
    logLevel: 'warning',
  });
}

const privcmd = await import(pathToFileURL(dist).href);
const tail = opt('--tail');
const report = privcmd.runProbe({
  assumeRelease: opt('--assume'),
  consoleTail: tail === undefined ? undefined : Number(tail),
});
process.stdout.write(`${privcmd.probeToJson(report)}\n`);
