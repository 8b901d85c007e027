// The CLI as users run it, built for the unit tests into a scratch project (bin/, dist/, package.json and a link
// to node_modules): `npm test` may be running the lab with the real dist/ meanwhile, which a test must not rewrite.
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = fileURLToPath(new URL('../../../', import.meta.url));

/** Build once per test file; returns the scratch project's directory. */
export function buildScratchProject(): string {
  const dir = mkdtempSync(join(tmpdir(), 'xl-built-'));
  mkdirSync(join(dir, 'bin'));
  for (const f of ['xl', 'xl.cjs']) copyFileSync(join(root, 'bin', f), join(dir, 'bin', f));
  copyFileSync(join(root, 'package.json'), join(dir, 'package.json'));
  symlinkSync(join(root, 'node_modules'), join(dir, 'node_modules'));
  execFileSync(process.execPath, [join(root, 'scripts', 'build.mjs'), '--outdir', join(dir, 'dist')], { cwd: root, stdio: 'pipe' });
  return dir;
}
