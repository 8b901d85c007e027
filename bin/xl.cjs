// xl's launcher (bin/xl starts it with node): runs the CommonJS bundle that `npm run build` writes to
// dist/cjs/xl.cjs, compiled with a V8 code cache where one is kept. In dom0's emulated lab `xl list` takes about
// 1.0-1.2 s this way, 2.1 s as ES module chunks; a CommonJS launcher saves node's ESM loader another 0.15 s.
'use strict';
const { closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeSync } = require('node:fs');
const Module = require('node:module');
const { dirname, join } = require('node:path');
const { Script } = require('node:vm');

const project = join(__dirname, '..');
const bundle = join(project, 'dist', 'cjs', 'xl.cjs');

if (!existsSync(bundle)) {
  process.stderr.write(`xl: not built: run 'npm run build' in ${project}\n`);
  process.exit(1);
}

// xl create starts the shared domain monitor from the same build.
process.env.XL_MONITOR_ENTRY ??= join(project, 'dist', 'monitor.js');

// One cache per subcommand (each compiles its own functions), for this bundle and this node; under Xen's run
// directory, so only a Xen host keeps one and a reboot drops it. Any failure just means compiling from source.
const XEN_RUN_DIR = '/var/run/xen';
const cacheDir = process.env.XL_CODE_CACHE_DIR || join(XEN_RUN_DIR, 'xenlight-ts-code-cache');
const source = readFileSync(bundle, 'utf8');
const st = statSync(bundle);
const word = process.argv.slice(2).find((a) => !a.startsWith('-')) ?? '';
const key = [st.size, Math.trunc(st.mtimeMs), st.ino, process.version, process.arch, /^[a-z0-9-]{1,40}$/.test(word) ? word : 'other'];
const cacheFile = join(cacheDir, `${key.join('-')}.v8`);
let cachedData;
try {
  cachedData = readFileSync(cacheFile);
} catch {
  // none yet
}
const script = new Script(Module.wrap(source), { filename: bundle, cachedData });
if (!cachedData || script.cachedDataRejected) {
  // At exit the functions this command ran are compiled, so the cache holds them too.
  process.once('exit', () => {
    try {
      if (!process.env.XL_CODE_CACHE_DIR && !existsSync(XEN_RUN_DIR)) return;
      mkdirSync(cacheDir, { recursive: true, mode: 0o755 });
      const tmp = `${cacheFile}.${process.pid}`;
      const fd = openSync(tmp, 'w', 0o644);
      writeSync(fd, script.createCachedData());
      closeSync(fd);
      renameSync(tmp, cacheFile);
      // Caches of earlier builds or nodes are never read again.
      const ours = `${key.slice(0, 5).join('-')}-`;
      for (const f of readdirSync(cacheDir)) if (f.endsWith('.v8') && !f.startsWith(ours)) rmSync(join(cacheDir, f), { force: true });
    } catch {
      // not root, a read-only run directory: the next run compiles again
    }
  });
}
const loaded = { exports: {} };
script.runInThisContext()(loaded.exports, Module.createRequire(bundle), loaded, bundle, dirname(bundle));
loaded.exports.runCli(process.argv.slice(2));
