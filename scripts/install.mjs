#!/usr/bin/env node
// Installs the built xl under a prefix, as a package would lay it out:
//   PREFIX/lib/xenlight-ts/{package.json, bin/xl, dist/, node_modules/<native packages and their dependencies>}
//   PREFIX/sbin/xl -> ../lib/xenlight-ts/bin/xl
// Only node is needed at run time. The new tree is copied beside the old one and renamed over it, so an xl that
// runs meanwhile finds one whole install or the other.
//   node scripts/install.mjs [--prefix /usr/local] [--from PROJECT]   (PROJECT: a built checkout, default this one)
import { cpSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, symlinkSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { NATIVE_PACKAGES } from './native-packages.mjs';

const option = (name, fallback) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? process.argv[i + 1] : fallback;
};
const fail = (why) => {
  process.stderr.write(`install: ${why}\n`);
  process.exit(1);
};
const root = resolve(option('--from', join(dirname(fileURLToPath(import.meta.url)), '..')) ?? '');
const prefix = option('--prefix', '/usr/local');
if (!prefix) fail('--prefix needs a directory');
if (!existsSync(join(root, 'dist', 'main.js'))) fail(`not built: run 'npm run build' in ${root}`);

/** The packages to copy: each native package and, transitively, its dependencies present in node_modules. */
function runtimePackages() {
  const seen = new Set();
  const visit = (name) => {
    if (seen.has(name)) return;
    const dir = join(root, 'node_modules', name);
    // An optional dependency for another platform is not installed: nothing to copy.
    if (!existsSync(join(dir, 'package.json'))) return;
    seen.add(name);
    const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
    for (const dep of Object.keys({ ...pkg.dependencies, ...pkg.optionalDependencies })) visit(dep);
  };
  for (const name of NATIVE_PACKAGES) {
    if (!existsSync(join(root, 'node_modules', name, 'package.json'))) fail(`${name} is not in node_modules: run 'npm ci'`);
    visit(name);
  }
  return [...seen].sort();
}

const home = join(prefix, 'lib', 'xenlight-ts');
const staging = `${home}.new-${process.pid}`;
rmSync(staging, { recursive: true, force: true });
mkdirSync(staging, { recursive: true });
const copy = (rel, filter) => cpSync(join(root, rel), join(staging, rel), { recursive: true, dereference: true, filter });
copy('package.json');
copy('bin');
copy('dist', (src) => !src.endsWith('meta.json'));
const packages = runtimePackages();
for (const name of packages) copy(join('node_modules', name));

rmSync(home, { recursive: true, force: true });
renameSync(staging, home);
const sbin = join(prefix, 'sbin');
mkdirSync(sbin, { recursive: true });
rmSync(join(sbin, 'xl'), { force: true });
symlinkSync(join('..', 'lib', 'xenlight-ts', 'bin', 'xl'), join(sbin, 'xl'));
console.log(`installed ${join(sbin, 'xl')} -> ${home} (${packages.length} runtime packages: ${packages.join(', ')})`);
