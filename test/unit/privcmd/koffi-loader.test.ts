// The direct addon load gives the same koffi API as koffi's own loader, and is the one taken on glibc Linux.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildSync } from 'esbuild';
import { afterAll, describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../../../', import.meta.url));
// Next to node_modules, as the bundle is: the loader resolves koffi from its own file.
const dir = mkdtempSync(join(root, '.koffi-loader-test-'));
const loader = join(dir, 'loader.mjs');
writeFileSync(loader, buildSync({ entryPoints: [join(root, 'src/privcmd/koffi-loader.ts')], bundle: true, platform: 'node', format: 'esm', write: false }).outputFiles[0].text);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** In a fresh process (the loader keeps one koffi per process): which file koffi came from, and a libc call. */
function probe(env: Record<string, string> = {}) {
  const script = `
    import { loadKoffi } from ${JSON.stringify(loader)};
    import { createRequire } from 'node:module';
    const k = loadKoffi(${JSON.stringify(loader)});
    const getpid = k.load('libc.so.6').func('int getpid()');
    const viaKoffiJs = Object.keys(createRequire(${JSON.stringify(loader)}).cache).some((f) => f.includes('/node_modules/koffi/'));
    console.log(JSON.stringify({ pidOk: getpid() === process.pid, viaKoffiJs, errno: typeof k.errno, view: typeof k.view }));`;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', env: { ...process.env, ...env } });
  return r;
}

describe('loadKoffi', () => {
  it.runIf(process.platform === 'linux')('opens the platform addon directly, with the API xl uses', () => {
    const r = probe();
    expect(r.stderr).toBe('');
    expect(JSON.parse(r.stdout)).toEqual({ pidOk: true, viaKoffiJs: false, errno: 'function', view: 'function' });
  });
  it('falls back to koffi\'s own loader when asked (XL_KOFFI_LOADER=koffi)', () => {
    const r = probe({ XL_KOFFI_LOADER: 'koffi' });
    expect(r.stderr).toBe('');
    expect(JSON.parse(r.stdout)).toEqual({ pidOk: true, viaKoffiJs: true, errno: 'function', view: 'function' });
  });
});
