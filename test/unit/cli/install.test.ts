// scripts/install.mjs: a built project installed under a prefix runs from there, with only its runtime packages.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readlinkSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { buildScratchProject, root } from './built-xl.js';

const built = buildScratchProject();
const prefix = mkdtempSync(join(tmpdir(), 'xl-install-test-'));
const install = () => spawnSync(process.execPath, [join(root, 'scripts', 'install.mjs'), '--prefix', prefix, '--from', built], { encoding: 'utf8' });
const home = join(prefix, 'lib', 'xenlight-ts');

afterAll(() => {
  rmSync(prefix, { recursive: true, force: true });
  rmSync(built, { recursive: true, force: true });
});

describe('scripts/install.mjs', () => {
  it('puts xl in PREFIX/sbin, linked to the bundle under PREFIX/lib/xenlight-ts, which runs from there', () => {
    const r = install();
    expect(r.status, r.stderr).toBe(0);
    expect(readlinkSync(join(prefix, 'sbin', 'xl'))).toBe('../lib/xenlight-ts/bin/xl');
    const v = spawnSync(join(prefix, 'sbin', 'xl'), ['version', '--json'], { encoding: 'utf8' });
    expect(v.status, v.stderr).toBe(0);
    expect(JSON.parse(v.stdout).xenlight_ts_version).toMatch(/^\d+\.\d+\.\d+/);
    const unknown = spawnSync(join(prefix, 'sbin', 'xl'), ['frobnicate'], { encoding: 'utf8' });
    expect([unknown.status, unknown.stderr]).toEqual([1, 'command not implemented\n']);
  });

  it('copies the native packages and what they depend on, no build tools, no metafile', () => {
    const modules = join(home, 'node_modules');
    const names = readdirSync(modules).flatMap((n) => (n.startsWith('@') ? readdirSync(join(modules, n)).map((m) => `${n}/${m}`) : [n]));
    expect(names).toContain('koffi');
    expect(names).toContain('lzma-native');
    expect(names).toContain('node-gyp-build');
    if (process.platform === 'linux' || process.platform === 'freebsd') expect(names).toContain(`@koromix/koffi-${process.platform}-${process.arch}`);
    for (const dev of ['vitest', 'esbuild', 'typescript', 'commander']) expect(names).not.toContain(dev);
    expect(existsSync(join(home, 'dist', 'main.js'))).toBe(true);
    expect(existsSync(join(home, 'dist', 'meta.json'))).toBe(false);
  });

  it('installs again over an existing install and leaves no staging directory', () => {
    const r = install();
    expect(r.status, r.stderr).toBe(0);
    expect(readdirSync(join(prefix, 'lib'))).toEqual(['xenlight-ts']);
  });

  it('refuses a project that is not built, with one line', () => {
    const empty = mkdtempSync(join(tmpdir(), 'xl-unbuilt-'));
    try {
      const r = spawnSync(process.execPath, [join(root, 'scripts', 'install.mjs'), '--prefix', prefix, '--from', empty], { encoding: 'utf8' });
      expect(r.status).toBe(1);
      expect(r.stderr).toBe(`install: not built: run 'npm run build' in ${empty}\n`);
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
  });
});
