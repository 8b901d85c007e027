// The built CLI as users run it: scripts/build.mjs, then bin/xl in a child.
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildScratchProject } from './built-xl.js';
import { afterAll, describe, expect, it } from 'vitest';
import { readFixture, type HelpFixture } from './fixtures.js';

const root = fileURLToPath(new URL('../../../', import.meta.url));
/** A scratch build: dist/ may be in use by a lab run meanwhile. */
const built = buildScratchProject();
const xl = join(built, 'bin', 'xl');
const scratch = mkdtempSync(join(tmpdir(), 'xl-bin-test-'));

// Pin the table so results do not depend on the host's hypervisor.
const baseEnv = { ...process.env, XL_XEN_VERSION: '4.20', XL_DEBUG: '', NO_COLOR: '' };

function run(args: string[], env: NodeJS.ProcessEnv = {}, file = xl) {
  const r = spawnSync(file, args, { env: { ...baseEnv, ...env }, encoding: 'utf8' });
  return { stdout: r.stdout, stderr: r.stderr, status: r.status };
}


afterAll(() => {
  rmSync(scratch, { recursive: true, force: true });
  rmSync(built, { recursive: true, force: true });
});

describe('bin/xl', () => {
  it('says "command not implemented" and exits 1 for an unknown command', () => {
    expect(run(['frobnicate'])).toEqual({ stdout: '', stderr: 'command not implemented\n', status: 1 });
  });

  it('prints the C xl command list for xl help and exits 0', () => {
    const want = readFixture<HelpFixture>('help-4.20-x86.json').list;
    // On other architectures the list differs; this host is what the build targets.
    const r = run(['help']);
    expect(r.status).toBe(0);
    expect(r.stderr).toBe('');
    if (process.arch === 'x64') expect(r.stdout).toBe(want);
    else expect(r.stdout).toMatch(/^Usage xl \[-vfNtT\] <subcommand> \[args\]\n\nxl full list of subcommands:\n\n create /);
  });

  it('prints help and exits 1 without a subcommand', () => {
    const r = run([]);
    expect(r.status).toBe(1);
    expect(r.stdout).toMatch(/^Usage xl \[-vfNtT\]/);
  });

  it('answers xl version with aligned name : value lines, exit 0', () => {
    const r = run(['version']);
    expect(r.status).toBe(0);
    const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(new RegExp(`^xenlight_ts_version +: ${pkg.version.replace(/\./g, '\\.')}$`));
    expect(r.stdout).toContain(`node_version`);
    expect(r.stdout).toMatch(new RegExp(`^node_version +: ${process.version}$`, 'm'));
    for (const p of ['/dev/xen/privcmd', '/dev/xen/xenbus', '/var/run/xenstored/socket', '/proc/xen']) {
      expect(r.stdout).toMatch(new RegExp(`^${p} +: (present|absent)$`, 'm'));
    }
    expect(new Set(lines.map((l) => l.indexOf(': '))).size).toBe(1);
  });

  it('gives the same facts as JSON with --json', () => {
    const r = run(['version', '--json']);
    expect(r.status).toBe(0);
    const facts = JSON.parse(r.stdout);
    expect(facts.node_version).toBe(process.version);
    expect(facts.xl_compat).toBe('4.20 (env)');
    expect(typeof facts['/dev/xen/privcmd']).toBe('boolean');
    expect(Object.keys(facts)).toHaveLength(run(['version']).stdout.trimEnd().split('\n').length);
  });

  it('reports errors as one xl: line, with a stack only when debugging', () => {
    const plain = run(['help'], { XL_XEN_VERSION: 'four' });
    expect(plain).toEqual({ stdout: '', stderr: 'xl: XL_XEN_VERSION must be like 4.17, not "four"\n', status: 1 });
    const debug = run(['help'], { XL_XEN_VERSION: 'four', XL_DEBUG: '1' });
    expect(debug.stderr.split('\n')[0]).toBe('xl: XL_XEN_VERSION must be like 4.17, not "four"');
    expect(debug.stderr).toMatch(/\n    at /);
    expect(run(['-vvv', 'help'], { XL_XEN_VERSION: 'four' }).stderr).toMatch(/\n    at /);
    expect(run(['-vv', 'help'], { XL_XEN_VERSION: 'four' }).stderr).not.toMatch(/\n    at /);
  });

  it('works through a symlink', () => {
    const link = join(scratch, 'xl-link');
    symlinkSync(xl, link);
    expect(run(['version'], {}, link).status).toBe(0);
  });

  it('says how to build when dist/ is missing', () => {
    const project = join(scratch, 'unbuilt');
    mkdirSync(join(project, 'bin'), { recursive: true });
    for (const f of ['xl', 'xl.cjs']) copyFileSync(join(built, 'bin', f), join(project, 'bin', f));
    expect(run(['help'], {}, join(project, 'bin', 'xl'))).toEqual({
      stdout: '',
      stderr: `xl: not built: run 'npm run build' in ${project}\n`,
      status: 1,
    });
  });

  it('keeps a V8 code cache per subcommand, uses it with the same output, and replaces a corrupt one', () => {
    const dir = join(scratch, 'code-cache');
    const env = { XL_CODE_CACHE_DIR: dir };
    const first = run(['help'], env);
    expect(first.status).toBe(0);
    const files = readdirSync(dir);
    expect(files).toHaveLength(1);
    expect(files[0]).toMatch(new RegExp(`-${process.version}-${process.arch}-help\\.v8$`));
    const cache = join(dir, files[0]);
    expect(statSync(cache).size).toBeGreaterThan(1000);
    expect(run(['help'], env)).toEqual(first);
    writeFileSync(cache, 'not a V8 code cache');
    expect(run(['help'], env)).toEqual(first);
    // Rejected, so written again from this run.
    expect(statSync(cache).size).toBeGreaterThan(1000);
    expect(run(['version'], env).status).toBe(0);
    expect(readdirSync(dir).filter((f) => f.endsWith('-version.v8'))).toHaveLength(1);
    // A cache of another build goes when this one writes its next.
    writeFileSync(join(dir, '1-2-3-v0.0.0-x64-help.v8'), 'old');
    expect(run(['info', '--nosuch'], env).stderr).not.toBe('');
    expect(readdirSync(dir).some((f) => f.startsWith('1-2-3-'))).toBe(false);
  });

  it('keeps no code cache on a host without Xen\'s run directory', () => {
    if (existsSync('/var/run/xen')) return;
    expect(run(['help']).status).toBe(0);
    expect(existsSync('/var/run/xen')).toBe(false);
  });

  it('drains stdout into a slow pipe before exiting', () => {
    // 1 MiB written just before runCli exits; a reader that starts late
    // must still get all of it (process.exit() alone cuts it at 64 KiB).
    const script = `
      const { createRequire } = await import('node:module');
      const { runCli } = createRequire(import.meta.url)(${JSON.stringify(join(built, 'dist', 'cjs', 'xl.cjs'))});
      process.stdout.write('x'.repeat(1 << 20));
      await runCli(['frobnicate']);`;
    const r = spawnSync('sh', ['-c', `"${process.execPath}" --input-type=module -e "$SCRIPT" | (sleep 0.3; wc -c)`], {
      env: { ...baseEnv, SCRIPT: script },
      encoding: 'utf8',
    });
    expect(r.stdout.trim()).toBe(String(1 << 20));
    expect(r.stderr).toBe('command not implemented\n');
  });
});

describe('bundle layout (dist/meta.json)', () => {
  interface Output {
    inputs: Record<string, unknown>;
    imports: { path: string; kind: string; external?: boolean }[];
    entryPoint?: string;
  }
  /** The scratch build's metafile, its output paths as they are in the real dist/ ("dist/main.js"). */
  const meta = () => {
    const m = JSON.parse(readFileSync(join(built, 'dist', 'meta.json'), 'utf8')) as { outputs: Record<string, Output> };
    const rel = (p: string) => p.replace(/^.*?\bdist\//, 'dist/');
    return { outputs: Object.fromEntries(Object.entries(m.outputs).map(([k, o]) =>
      [rel(k), { ...o, imports: o.imports.map((i) => (i.external ? i : { ...i, path: rel(i.path) })) }])) };
  };

  /** Source files loaded at startup of `output`: it and its static imports. */
  function loadedWith(output: string): string[] {
    const { outputs } = meta();
    const seen = new Set<string>();
    const visit = (o: string) => {
      if (seen.has(o)) return;
      seen.add(o);
      for (const i of outputs[o].imports) if (i.kind === 'import-statement' && !i.external) visit(i.path);
    };
    visit(output);
    return [...seen].flatMap((o) => Object.keys(outputs[o].inputs));
  }

  const heavy = /node_modules\/(execa|chalk|cli-table3|commander)\/|src\/(domain-builder|config-parser)\//;

  it('keeps execa, chalk, cli-table3 and the domain builder out of startup (xl help)', () => {
    const inputs = loadedWith('dist/main.js');
    expect(inputs).toContain('src/cli/main.ts');
    expect(inputs).toContain('src/cli/cmdtable.ts');
    expect(inputs.filter((i) => heavy.test(i))).toEqual([]);
  });

  it('loads each command as its own chunk, lazily', () => {
    const { outputs } = meta();
    const version = Object.entries(outputs).find(([, o]) => o.entryPoint === 'src/cli/commands/version.ts');
    expect(version).toBeDefined();
    expect(loadedWith('dist/main.js')).not.toContain('src/cli/commands/version.ts');
    expect(outputs['dist/main.js'].imports).toContainEqual({ path: version![0], kind: 'dynamic-import' });
    expect(loadedWith(version![0]).filter((i) => heavy.test(i))).toEqual([]);
  });

  it('xl list (without -l) loads no execa, config parser or domain builder', () => {
    const { outputs } = meta();
    const list = Object.entries(outputs).find(([, o]) => o.entryPoint === 'src/cli/commands/list.ts');
    expect(list).toBeDefined();
    const inputs = loadedWith(list![0]);
    expect(inputs).toContain('src/libxl/domain/domains.ts');
    expect(inputs.filter((i) => heavy.test(i))).toEqual([]);
    // -l's module (it reuses the config parser's JSON model) comes in on demand only.
    expect(inputs).not.toContain('src/libxl/domain/domain-config.ts');
  });

  it('leaves koffi to node_modules', () => {
    const inputs = Object.values(meta().outputs).flatMap((o) => Object.keys(o.inputs));
    expect(inputs.filter((i) => i.includes('node_modules/koffi/'))).toEqual([]);
  });
});
