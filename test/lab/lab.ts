// Test-side access to the running lab's dom0: one broker connection per test process.
import { LabClient, labVersion, runDir, type ExecResult } from '../../lab/lib/index.mjs';

export const XEN = process.env.XENLAB_XEN ?? '4.17';
export const labVer = labVersion(XEN);
let client: Promise<LabClient> | null = null;

function connection(): Promise<LabClient> {
  client ??= LabClient.connect(runDir(labVer));
  return client;
}

export interface Dom0Result {
  code: number;
  stdout: string;
  stderr: string;
  timedOut: boolean;
  /** The signal that ended the command, if one did. */
  signal?: string | null;
}

function text(r: ExecResult): Dom0Result {
  return { code: r.code, stdout: r.stdout.toString('utf8'), stderr: r.stderr.toString('utf8'), timedOut: r.timedOut, signal: r.signal };
}

/** Run a program in dom0 (no shell). */
export async function dom0(argv: string[], timeout = 120): Promise<Dom0Result> {
  return text(await (await connection()).exec({ argv, timeout }));
}

/** Run a bash script in dom0. */
export async function dom0sh(script: string, timeout = 120): Promise<Dom0Result> {
  return text(await (await connection()).exec({ script, timeout }));
}

/** Run in dom0 and insist on exit 0; returns stdout. */
export async function dom0ok(argv: string[], timeout = 120): Promise<string> {
  const r = await dom0(argv, timeout);
  if (r.code !== 0) throw new Error(`${argv.join(' ')} exited ${r.code}: ${r.stderr.trim()}`);
  return r.stdout;
}

/** Poll `check` until it returns a value, or fail after `seconds`. */
export async function waitFor<T>(what: string, seconds: number, check: () => Promise<T | null | undefined | false>): Promise<T> {
  const deadline = Date.now() + seconds * 1000;
  for (;;) {
    const v = await check();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${seconds} s waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

/** The guest's console log as xenconsoled writes it. */
export async function guestConsole(name: string): Promise<string> {
  return (await dom0sh(`cat /var/log/xen/console/guest-${name}.log 2>/dev/null`)).stdout;
}

/** Destroy every guest with the C xl (cleanup between tests). */
export async function destroyAllGuests(): Promise<void> {
  await dom0sh(`for id in $(xl list | awk 'NR > 2 { print $2 }'); do xl destroy "$id"; done`);
}

/**
 * Bundle a TypeScript program for dom0 (node there sees the project at /project); returns its dom0 path. koffi
 * stays external, as in the xl bundle.
 */
export async function bundleForDom0(entry: string): Promise<string> {
  const { build } = await import('esbuild');
  const path = await import('node:path');
  const root = path.resolve(import.meta.dirname, '..', '..');
  const name = path.basename(entry).replace(/\.ts$/, '.mjs');
  await build({
    entryPoints: [path.resolve(root, entry)],
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    external: ['koffi', 'lzma-native'],
    outfile: path.join(root, '.lab', 'programs', name),
    banner: { js: "import { createRequire } from 'module'; const require = createRequire(import.meta.url);" },
    logLevel: 'warning',
  });
  return `/project/.lab/programs/${name}`;
}
