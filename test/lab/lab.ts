// Test-side access to the running lab's dom0: one broker connection per test process.
import { LabClient, OUR_XL, labVersion, runDir, type ExecResult } from '../../lab/lib/index.mjs';

/** Our xl as installed into dom0's own filesystem by the suite's setup (the checkout's bin/xl runs over 9p). */
export { OUR_XL };
import { appendFileSync } from 'node:fs';
import { expect } from 'vitest';
import { bootSector } from '../helpers/kernel-images.js';
import { HOST_STATE_SCRIPT, added } from './host-state.js';

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

type Dom0Request = { argv: string[] } | { script: string };

/** What a dom0 call ran, for the runner's per-file cost table: our xl, the C xl, or anything else. */
const callKind = (req: Dom0Request): string =>
  'script' in req ? (req.script.includes(OUR_XL) || req.script.includes('/project/bin/xl') ? 'script with our xl' : 'script')
    : req.argv.includes(OUR_XL) || req.argv.includes('/project/bin/xl') ? 'our xl' : req.argv.includes('xl') ? 'C xl' : 'other';

/** The running test's file as the runner names it (test/lab/NN-....test.ts). */
const testFile = (): string => (expect.getState().testPath ?? '').replace(/^.*\/test\/lab\//, 'test/lab/');

/** Every dom0 call and its wall time go to XL_LAB_CALL_LOG, so the runner shows where a file's time goes. */
async function timedExec(req: Dom0Request, timeout: number): Promise<Dom0Result> {
  const started = performance.now();
  const at = Date.now();
  const r = text(await (await connection()).exec({ ...req, timeout }));
  const log = process.env.XL_LAB_CALL_LOG;
  // `at` lets the runner start a file's time at its first call: vitest's startTime comes after a beforeAll.
  if (log) appendFileSync(log, `${JSON.stringify({ file: testFile(), kind: callKind(req), ms: Math.round(performance.now() - started), at })}\n`);
  return r;
}

/** Run a program in dom0 (no shell). */
export async function dom0(argv: string[], timeout = 120): Promise<Dom0Result> {
  return timedExec({ argv }, timeout);
}

/** Run a bash script in dom0. */
export async function dom0sh(script: string, timeout = 120): Promise<Dom0Result> {
  return timedExec({ script }, timeout);
}

/** Run in dom0 and insist on exit 0; returns stdout. */
export async function dom0ok(argv: string[], timeout = 120): Promise<string> {
  const r = await dom0(argv, timeout);
  if (r.code !== 0) throw new Error(`${argv.join(' ')} exited ${r.code}: ${r.stderr.trim()}`);
  return r.stdout;
}

/** `argv` as bash words: each single-quoted. */
export const shellWords = (argv: string[]): string => argv.map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');

/** Run `argv` in dom0, timed there (not the round trip to it): the result, and the wall time in ms. */
export async function timed(argv: string[], timeout = 400): Promise<[Dom0Result, number]> {
  const r = await dom0sh(`s=$(date +%s%N); ${shellWords(argv)}; c=$?; ` +
    'echo "TOOK $((($(date +%s%N)-s)/1000000))" >&2; exit $c', timeout);
  const took = Number(/TOOK (\d+)/.exec(r.stderr)?.[1] ?? NaN);
  return [{ ...r, stderr: r.stderr.replace(/TOOK \d+\n?/, '') }, took];
}

/** The domid of `name` by the C xl; throws when there is no such domain. */
export async function domidOf(name: string): Promise<number> {
  const r = await dom0(['xl', 'domid', name]);
  if (r.code !== 0) throw new Error(`no domain ${name}: xl domid exited ${r.code}: ${r.stderr.trim()}`);
  return Number(r.stdout.trim());
}

/** The domid of `name` by the C xl, or null when there is no such domain. */
export async function domidIfAny(name: string): Promise<number | null> {
  const r = await dom0(['xl', 'domid', name]);
  return r.code === 0 ? Number(r.stdout.trim()) : null;
}

/** The domain's uuid, from its /vm link in xenstore. */
export async function uuidOf(domid: number | string): Promise<string> {
  return (await dom0ok(['xenstore-read', `/local/domain/${domid}/vm`])).trim().replace('/vm/', '');
}

/** The State column of `xl list <name>` (`--p---` when paused). */
export async function stateOf(name: string): Promise<string> {
  const row = (await dom0ok(['xl', 'list', name])).trim().split('\n')[1] ?? '';
  return row.trim().split(/\s+/)[4] ?? '';
}

/** Destroy with the C xl each of `names` that exists (cleanup). */
export async function destroyIfThere(...names: string[]): Promise<void> {
  await dom0sh(`for n in ${names.join(' ')}; do xl domid $n >/dev/null 2>&1 && xl destroy $n; done; true`);
}

/** Every xenstore path (xenstore-ls -f without the values). */
export async function xenstorePaths(): Promise<string[]> {
  return (await dom0ok(['xenstore-ls', '-f'])).trimEnd().split('\n').map((l) => l.replace(/ = .*$/, ''));
}

/** Every xenstore path that is the domain's: mentioning its uuid, or under its domid (own tree, /libxl, backends). */
export async function nodesOfDomain(id: number, uuid: string): Promise<string[]> {
  const own = new RegExp(`^/(local/domain|libxl)/${id}(/|$)`);
  const backend = new RegExp(`/backend/[^/]+/${id}(/|$)`);
  return (await xenstorePaths()).filter((p) => p.includes(uuid) || own.test(p) || backend.test(p));
}

/** The loop device the block script picked, in a domainTree(): LOOP. */
export const normaliseLoop = (text: string): string => text
  .replace(/(node|physical-device-path) = "\/dev\/loop\d+"/g, '$1 = "LOOP"')
  .replace(/physical-device = "7:\d+"/g, 'physical-device = "LOOP"');

/** A random Xen MAC (00:16:3e:xx:xx:xx): MAC. */
export const normaliseMac = (text: string): string => text.replace(/00:16:3e(:[0-9a-f]{2}){3}/g, 'MAC');

/**
 * A fixture made by the first test that asks for it and shared by the rest, so that any test can run alone: `make`
 * runs at most once (a failure too is kept, and met by each test that asks).
 */
export function once<T>(make: () => Promise<T>): () => Promise<T> {
  let made: Promise<T> | null = null;
  return () => (made ??= make());
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

/**
 * A domain's xenstore subtrees with perms (its own, /vm, /libxl, and its backends of `backendKinds`), with what
 * differs between two creates of one config normalised: domid, uuid, frame numbers, times, tty, name.
 */
export async function domainTree(name: string, backendKinds: string[] = ['console']): Promise<string> {
  const domid = await domidOf(name);
  const r = await dom0sh(`set -e
D=${domid}; U=$(xenstore-read /local/domain/$D/vm)
{ xenstore-ls -p /local/domain/$D; echo "== vm"; xenstore-ls -p $U; echo "== libxl"; xenstore-ls -p /libxl/$D
  for k in ${backendKinds.join(' ')}; do echo "== backend $k"; xenstore-ls -p /local/domain/0/backend/$k/$D; done; }`);
  if (r.code !== 0) throw new Error(`xenstore-ls for ${name} exited ${r.code}: ${r.stderr.trim()}`);
  return r.stdout
    // the domid in perms, paths and id nodes only (a port may be the same number)
    .replace(new RegExp(`([(,][nrwb])${domid}(?=[,)])`, 'g'), '$1D')
    .replace(new RegExp(`/${domid}(?=[/"])`, 'g'), '/D')
    .replace(new RegExp(`(domid|frontend-id) = "${domid}"`, 'g'), '$1 = "D"')
    .replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g, 'UUID')
    .replace(/(ring-ref|start_time|tty) = "[^"]*"/g, '$1 = "*"')
    .replace(new RegExp(`"${name}"`, 'g'), '"NAME"')
    .replace(/\s+\.[ .]*\(/g, ' (');
}

/** The domain's libxl-json userdata file, uuid and name normalised. */
export async function savedConfig(name: string): Promise<string> {
  const domid = await domidOf(name);
  const r = await dom0sh(`cat /var/lib/xen/userdata-d.${domid}.*.libxl-json`);
  if (r.code !== 0) throw new Error(`reading the saved config of ${name} exited ${r.code}: ${r.stderr.trim()}`);
  return r.stdout.replace(/"uuid": "[^"]*"/, '"uuid": "UUID"').replace(`"${name}"`, '"NAME"');
}

/**
 * What guests may leave in dom0, one item a line, '' when nothing: loop devices (losetup -a), vifs in xenbr0, and the
 * domains under /local/domain/0/backend/<kind> for each of `backendKinds`, as "backend <kind> <domid>".
 */
export async function leftovers(backendKinds: string[]): Promise<string> {
  const r = await dom0sh(`losetup -a; brctl show xenbr0 | awk 'NR>1 {print $NF}' | grep vif; \
for k in ${backendKinds.join(' ')}; do xenstore-list /local/domain/0/backend/$k 2>/dev/null | sed "s/^/backend $k /"; done; true`);
  return r.stdout.trim();
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

/** One xl's answer to a case of programs/side-by-side.ts: the signal is the C xl's death, if it died. */
export interface XlSide { code: number; stdout: string; stderr: string; signal?: string }
/** A case run by the C xl, our main() in-process and (with `again`) the C xl once more. */
export interface SideBySide { argv: string[]; c: XlSide; ours: XlSide; c2?: XlSide }
export const caseKey = (argv: string[]) => JSON.stringify(argv);

/**
 * Every case through Debian's C xl and our xl's main() in one dom0 node process (programs/side-by-side.ts): one
 * node start for all where the installed xl pays one per case. If the program dies, ours died, and that fails (no
 * rerun); a case whose C xl died by a signal (the emulated dom0's known flake) is run again, counted in the summary.
 */
export async function sideBySide(cases: string[][], { again = false, timeout = 900 } = {}): Promise<Map<string, SideBySide>> {
  const program = await bundleForDom0('test/lab/programs/side-by-side.ts');
  const results = new Map<string, SideBySide>();
  let todo = cases;
  for (let attempt = 0; attempt < 3 && todo.length; attempt++) {
    const r = await dom0(['node', program, JSON.stringify(todo.map((argv) => (again ? { argv, again } : argv)))], timeout);
    expect(r.code, `the dom0 program (our xl in-process) exited ${r.code}: ${r.stderr.slice(-300)}`).toBe(0);
    for (const line of r.stdout.split('\n')) {
      if (!line.startsWith('{')) continue;
      const res = JSON.parse(line) as SideBySide;
      const died = res.c.signal ?? res.c2?.signal;
      if (!died) results.set(caseKey(res.argv), res);
      else noteRetry(`C xl ${res.argv.join(' ')}`, `died by ${died}`);
    }
    todo = cases.filter((a) => !results.has(caseKey(a)));
  }
  return results;
}

export interface PtyOutcome {
  code: number;
  output: string;
  stepsDone: number;
  ttyModeRestored: boolean;
  /** What the runner and the `background` commands wrote on stderr (unpauseOnceAttached's complaint, say). */
  stderr: string;
}

let ptyRun: Promise<string> | null = null;

/**
 * Run `argv` in dom0 on a fresh pty (programs/pty-run.ts), playing `script` (expect/send/sleep steps) at it, with
 * the shell commands `background` running alongside.
 */
export async function onPty(script: object[], argv: string[], background = '', timeoutSeconds = 120): Promise<PtyOutcome> {
  ptyRun ??= bundleForDom0('test/lab/programs/pty-run.ts');
  const runner = await ptyRun;
  const file = `/tmp/lab-pty-${Date.now()}.json`;
  await dom0ok(['sh', '-c', `cat > ${file} <<'EOF'\n${JSON.stringify(script)}\nEOF`]);
  const quoted = shellWords(argv);
  const r = await dom0sh(`XL_PTY_TIMEOUT=${timeoutSeconds} node ${runner} ${file} -- ${quoted} > ${file}.out & ${background} wait; cat ${file}.out`,
    timeoutSeconds + 280);
  if (r.code !== 0) throw new Error(`pty-run exited ${r.code}: ${r.stderr.trim()}`);
  return { ...(JSON.parse(r.stdout.trim().split('\n').pop()!) as Omit<PtyOutcome, 'stderr'>), stderr: r.stderr };
}

/** A death that no xl chooses: a signal (or the shell's 128+N for one), or a timeout. */
export const diedBySignal = (r: Dom0Result) => r.timedOut || !!r.signal || (r.code >= 128 && r.code < 160);

/**
 * Record a retry for the runner's summary ("N retries") and say it in the log. Only the lab's own flakiness may be
 * retried (the C xl or a dom0 tool dying by a signal, the lab's state moving between two C xl runs, a guest
 * shutting down by itself under the emulated CPU); a death or a difference of our xl never is.
 */
export function noteRetry(what: string, why: string): void {
  const file = process.env.XL_LAB_RETRY_LOG;
  const where = testFile();
  console.warn(`retry: ${where}: ${what}: ${why}`);
  if (file) appendFileSync(file, `${JSON.stringify({ file: where, what, why })}\n`);
}

/**
 * Poll `probe` until `ok` holds of its value or `seconds` pass, and return the last value seen either way: the
 * caller asserts the value itself, so a failure shows what was there.
 */
export async function settle<T>(seconds: number, probe: () => Promise<T>, ok: (v: T) => boolean): Promise<T> {
  const deadline = Date.now() + seconds * 1000;
  for (;;) {
    const v = await probe();
    if (ok(v) || Date.now() > deadline) return v;
    await new Promise((r) => setTimeout(r, 500));
  }
}

/** The host snapshot of host-state.ts, taken in dom0. */
export async function hostState(): Promise<string> {
  const r = await dom0sh(HOST_STATE_SCRIPT);
  if (r.code !== 0) throw new Error(`host snapshot exited ${r.code}: ${r.stderr.trim()}`);
  return r.stdout;
}

/** What appeared in dom0 since `before` (a hostState()): [] when nothing did. */
export async function leftSince(before: string): Promise<string[]> {
  return added(before, await hostState());
}

/** The HVM guest of bootSector() (kernel-images.ts): firmware, QEMU and a boot sector that prints this marker. */
export const BOOT_SECTOR = {
  cfg: '/tmp/lab-boot-sector.cfg',
  image: '/tmp/lab-boot-sector.img',
  marker: 'LAB-BOOT-SECTOR-READY',
} as const;
/** Writes the boot-sector guest's config and 1 MiB disk image into dom0 (once per file that asks). */
export async function putBootSectorGuest(): Promise<void> {
  const cfg = ['type = "hvm"', 'memory = 32', 'vcpus = 1', 'serial = "pty"', 'vnc = 0', 'boot = "c"'].join('\n');
  await dom0ok(['sh', '-c', `printf '%s\\n' '${cfg}' > ${BOOT_SECTOR.cfg} && ` +
    `echo ${bootSector(BOOT_SECTOR.marker).toString('base64')} | base64 -d > ${BOOT_SECTOR.image} && ` +
    `truncate -s 1M ${BOOT_SECTOR.image}`]);
}
/** Whether `xl dmesg` has the boot sector's marker from domain `id` (Xen prints port 0xe9 as "(d<id>) ..."). */
export async function bootSectorRan(id: number | string): Promise<boolean> {
  return (await dom0ok(['xl', 'dmesg'])).includes(`(d${id}) ${BOOT_SECTOR.marker}`);
}

/**
 * C xl create -p of the lab's hvm.cfg (or `base`: the boot-sector guest) under `name`, on its own copy of the
 * guest's disk as xvda (the block script refuses an image another guest has open), then `moreDisks` (e.g. a
 * cdrom), with the `extra` config lines.
 */
export async function createPausedHvm(name: string, extra: string[] = [], moreDisks: string[] = [], base: 'linux' | 'boot-sector' = 'linux'):
  Promise<{ id: number; uuid: string; qemu: number }> {
  const [cfg, image] = base === 'linux' ? ['/lab/guests/hvm.cfg', '/lab/guests/disk-hvm.img'] : [BOOT_SECTOR.cfg, BOOT_SECTOR.image];
  const disks = [`file:/tmp/${name}.img,xvda,w`, ...moreDisks].map((d) => `"${d}"`).join(', ');
  const r = await dom0sh(`cp ${image} /tmp/${name}.img && ` +
    `xl create -p ${cfg} ${shellWords([`name="${name}"`, `disk=[${disks}]`, ...extra])}`, 300);
  expect(r.code, r.stderr).toBe(0);
  const id = await domidOf(name);
  const qemu = Number((await dom0ok(['xenstore-read', `/local/domain/${id}/image/device-model-pid`])).trim());
  return { id, uuid: await uuidOf(id), qemu };
}

/**
 * A bash snippet for onPty's `background`: once a console client (any process but xenconsoled and QEMU, which hold
 * the pty themselves) has the guest's tty open, `xl unpause` the paused guest, so that the client sees the whole boot.
 * The tty is the one xenstore names at /local/domain/<domid>/<ttyNode> (console/tty for PV, serial/0/tty for HVM).
 * Past the deadline it says so on stderr (PtyOutcome.stderr, which callers check with NO_CLIENT) and unpauses anyway.
 */
/** unpauseOnceAttached's complaint when no client came: a test asserts PtyOutcome.stderr does not match it. */
export const NO_CLIENT = /no console client attached/;

export function unpauseOnceAttached(name: string, ttyNode: string, deadlineSeconds: number, xl = 'xl'): string {
  return `( id=$(xl domid ${name}); tty=; client=; end=$((SECONDS + ${deadlineSeconds}))
  while [ -z "$client" ] && [ $SECONDS -lt $end ]; do
    [ -n "$tty" ] || tty=$(xenstore-read /local/domain/$id/${ttyNode} 2>/dev/null)
    # one ls of every fd table (4.20's dom0 find is busybox's, without -lname): the pids holding the tty
    for p in $([ -n "$tty" ] && ls -l /proc/[0-9]*/fd 2>/dev/null |
        awk -v t="$tty" 'index($0, "/proc/") == 1 { split($0, a, "/"); pid = a[3] } $NF == t { print pid }'); do
      case "$(cat /proc/$p/comm 2>/dev/null)" in ''|xenconsoled|qemu*) ;; *) client=$p ;; esac
    done
    [ -n "$client" ] || sleep 0.1
  done
  [ -n "$client" ] ||
    echo "${name}: no console client attached to \${tty:-/local/domain/$id/${ttyNode}} after ${deadlineSeconds} s" >&2
  ${xl} unpause ${name} ) &`;
}

/**
 * Our monitor's log (/var/log/xen/xl-monitor.log) about one domid: from its last "has shut down" line (else its
 * first line) on, other domains' lines included: how the guest ended, and what followed.
 */
export async function monitorLines(domid: number | string): Promise<string> {
  const awk = `$0 ~ /Domain ${domid} has shut down/ { buf = "" }
    f || $0 ~ /(Domain|domain|domid) ${domid}( |:|$)/ { f = 1; buf = buf $0 "\\n" } END { printf "%s", buf }`;
  return (await dom0sh(`awk '${awk}' /var/log/xen/xl-monitor.log 2>/dev/null | tail -n 12; true`)).stdout.trim();
}

/**
 * A guest that shut down by itself (the emulated CPU's flake: a triple fault reads as a reboot) leaves its monitor
 * restarting or destroying it: wait until that is done, so that the cleanup does not race it. Returns the lines.
 */
export async function monitorSettled(domid: number | string, seconds = 400): Promise<string> {
  return settle(seconds, () => monitorLines(domid), (l) => /Done\. Exiting now|restarted as domid|restarting domain .* failed|Domain has suspended/.test(l));
}

/** Report (not fail on) the known lab flake: dom0 processes segfaulting while PVH/HVM guests load the emulated CPU. */
export async function reportSegfaults(phase: string): Promise<void> {
  const n = (await dom0sh('dmesg | grep -c segfault')).stdout.trim();
  if (n !== '0') console.warn(`dom0 kernel log reports ${n} segfault(s) so far (${phase})`);
}
