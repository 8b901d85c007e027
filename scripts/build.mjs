#!/usr/bin/env node
// Bundles src/cli/main.ts into dist/ (run by `npm run build`): dist/cjs/xl.cjs, the one file bin/xl runs, and the
// ES module build (main.js, monitor.js, chunks/) whose dynamic imports become chunks, so each command's code is
// its own; the monitor runs from it. dist/meta.json describes both.
//   node scripts/build.mjs [--outdir DIR]   (tests build elsewhere, never under a running xl)
import { build } from 'esbuild';
import { mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { NATIVE_PACKAGES } from './native-packages.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const outArg = process.argv.indexOf('--outdir');
// Absolute: the pruning below compares it with the metafile's paths made absolute.
const outdir = outArg > 0 ? resolve(process.argv[outArg + 1]) : join(root, 'dist');
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));

const started = performance.now();
const result = await build({
  absWorkingDir: root,
  entryPoints: { main: 'src/cli/main.ts', monitor: 'src/libxl/domain/monitor-main.ts' },
  outdir,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  chunkNames: 'chunks/[name]-[hash]',
  // These load native addons from their own directories (scripts/native-packages.mjs).
  external: NATIVE_PACKAGES,
  // CommonJS dependencies call require(); ESM output has none of its own.
  banner: { js: "import { createRequire } from 'module'; const require = createRequire(import.meta.url);" },
  define: { __XL_VERSION__: JSON.stringify(pkg.version) },
  metafile: true,
  logLevel: 'warning',
});

// What bin/xl runs: the CLI as one CommonJS file, which node compiles with a V8 code cache (an ES module cannot
// use one on Node 20). Modules reached by import() stay lazy: esbuild wraps them, they run when first imported.
const cli = await build({
  absWorkingDir: root,
  entryPoints: { xl: 'src/cli/main.ts' },
  outdir: join(outdir, 'cjs'),
  outExtension: { '.js': '.cjs' },
  bundle: true,
  format: 'cjs',
  platform: 'node',
  target: 'node20',
  external: NATIVE_PACKAGES,
  // dist/cjs/ sits beside dist/chunks/: import.meta.url-relative paths (../monitor.js) mean the same in both.
  banner: { js: "const __importMetaUrl = require('url').pathToFileURL(__filename).href;" },
  define: { __XL_VERSION__: JSON.stringify(pkg.version), 'import.meta.url': '__importMetaUrl' },
  metafile: true,
  logLevel: 'warning',
});
Object.assign(result.metafile.outputs, cli.metafile.outputs);

mkdirSync(outdir, { recursive: true });
writeFileSync(join(outdir, 'meta.json'), JSON.stringify(result.metafile, null, 2));

// Remove only what older builds left. Chunk names hash their content, so an
// xl started meanwhile from an identical build still finds all its files,
// which it would not if dist/ were wiped first.
const keep = new Set(Object.keys(result.metafile.outputs).map((p) => join(root, p)));
keep.add(join(outdir, 'meta.json'));
const prune = (dir) => {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) prune(path);
    else if (!keep.has(path)) rmSync(path);
  }
};
prune(outdir);

const ms = Math.round(performance.now() - started);
console.log(`built ${relative(process.cwd(), outdir) || '.'} (${Object.keys(result.metafile.outputs).length} files) in ${ms} ms`);
