#!/usr/bin/env node
// `npm run bench`: how long `xl create` of the lab's guests (pv-devices: file disk + vif on xenbr0; pvh; hvm) takes
// with Debian's C xl and with ours, on real Xen in the lab, one Xen version after the other. A benchmark, not a test:
// it prints tables and one summary line per version and writes the raw numbers to .lab/reports/bench-<version>-<time>.json.
//   node scripts/bench.mjs [--xen 4.17|4.20|4.17,4.20] [--configs pv-devices,pvh,hvm] [--rounds N] [--guests N] [--warmup N]
//
// Per version: reuse a running lab (and leave it running) or build and boot one (and stop it at the end). Then, per config:
//  1. warm-up and rounds: C xl create, C xl destroy, our xl create, C xl destroy; who goes first alternates per round.
//     Each create is timed inside one dom0 bash script ($EPOCHREALTIME around the command), so the broker's round
//     trip and the output transfer are not counted. The very first create after a boot is shown apart (cold: the
//     kernel is unpacked; later creates find it in the cache).
//  2. phases: one more create of ours with XL_TRACE=1, its steps as the milliseconds each took.
// Then for pv-devices, scaling: the same create, 3 rounds per toolstack, with no background guest and then with N
// paused ones (bench-bg-<i>, 32 MB, a one-page PV ELF from test/helpers/kernel-images.ts, created by our xl with -p),
// and the memory: our shared monitor's RSS with 1 and with N guests, and the C xl's per-guest process.
// Bench guests (lab-pv-devices, bench-bg-*) left by an earlier run are destroyed first and again on every way out,
// Ctrl-C included: the first Ctrl-C lets the running dom0 command finish, then cleans up; a later one quits at once.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import {
  LAB_VERSIONS, LabClient, LabError, OUR_XL, build, installOurXl, labVersion, runDir, start, status, stop,
} from '../lab/lib/index.mjs';

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const reports = path.join(root, '.lab', 'reports');

/** What is timed: the lab's guest configs as the lab tests create them, and the issue's target for ours/C. */
const CONFIGS = {
  'pv-devices': { cfg: '/lab/guests/pv-devices.cfg', guest: 'lab-pv-devices', target: 0.5 },
  pvh: { cfg: '/lab/guests/pvh.cfg', guest: 'lab-pvh', target: 0.7 },
  hvm: { cfg: '/lab/guests/hvm.cfg', guest: 'lab-hvm', target: 0.8 },
};
const SCALE_CONFIG = 'pv-devices';
const GUESTS_RE = Object.values(CONFIGS).map((c) => c.guest).join('|');
const TOOLS = {
  c: { label: 'C xl', xl: 'xl' },
  ours: { label: 'ours', xl: OUR_XL },
};
const SCALE_ROUNDS = 3;
const BG_PREFIX = 'bench-bg-';
const BG_MEMORY_MB = 32;
const TINY_ELF = '/tmp/bench-tiny.elf'; // dom0's /tmp is a tmpfs
const BG_CFG = '/tmp/bench-bg.cfg';
const CREATE_TIMEOUT_S = 300;
const SETTLE_S = 2; // after a destroy, before the next create: let the backends and hotplug finish

const USAGE = `usage: npm run bench -- [--xen V[,V]] [--configs C[,C]] [--rounds N] [--guests N] [--warmup N]
       node scripts/bench.mjs [same options]

Times 'xl create CFG' of the lab's guests (pv-devices: a PV guest with a file disk and a vif; pvh; hvm) in the
Xen lab with Debian's C xl and with ours (this build, installed into dom0's own filesystem at ${OUR_XL}),
wall time measured in dom0; each guest is destroyed with the C xl. Then one traced create of ours per config
(its phases), and for pv-devices the scaling with paused background guests and the monitors' memory.
Builds the project first (node scripts/build.mjs). A running lab is reused and left running; otherwise the
lab is built if needed, booted, and stopped at the end. Labs run one after the other, never two at once.

  --xen V[,V]   Xen versions (default: ${Object.keys(LAB_VERSIONS).join(',')})
  --configs C   which guests (default: ${Object.keys(CONFIGS).join(',')})
  --rounds N    measured rounds; each round creates once with each toolstack, the first alternating (default 5)
  --guests N    paused background guests for the scaling part, 0 skips it (default 20)
  --warmup N    unmeasured rounds before measuring (default 1)
  -h, --help    this text

Prints a table and a summary line per version; raw numbers go to .lab/reports/bench-<version>-<time>.json.
Expect roughly 15-25 minutes per version under emulation with the defaults.`;

class BenchError extends Error {}
class Interrupted extends Error {}

// ---- Ctrl-C / SIGTERM --------------------------------------------------------------------------------------------
// npm forwards the terminal's SIGINT to us, so one Ctrl-C can arrive twice: repeats within 2 s count as one.
let interruptedAt = 0;
let bootedLab = null; // the Xen version of a lab this run booted and has not stopped yet
function onSignal(sig) {
  const now = Date.now();
  if (!interruptedAt) {
    interruptedAt = now;
    say(`\nbench: ${sig}: letting the running dom0 command finish, then cleaning up (again to quit at once)`);
  } else if (now - interruptedAt > 2000) {
    say(`bench: quitting without cleaning up: destroy bench guests with 'xl destroy' in dom0${bootedLab ? `, stop the lab with 'lab/xenlab --xen ${bootedLab} stop'` : ''}`);
    process.exit(130);
  }
}
process.on('SIGINT', onSignal);
process.on('SIGTERM', onSignal);
function checkInterrupted() {
  if (interruptedAt) throw new Interrupted('interrupted');
}

// ---- small helpers -----------------------------------------------------------------------------------------------
function say(line = '') {
  process.stdout.write(`${line}\n`);
}

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

const secs = (ms, digits = 2) => `${(ms / 1000).toFixed(digits)} s`;

/** Rows of cells as aligned text: the first column left-aligned, the others right-aligned. */
function table(rows) {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => String(r[i] ?? '').length)));
  return rows
    .map((r) => `  ${r.map((c, i) => (i === 0 ? String(c).padEnd(widths[i]) : String(c ?? '').padStart(widths[i]))).join('   ')}`.trimEnd())
    .join('\n');
}

/** The minimal PV ELF of the lab tests (Xen notes, one page of hlt), from the TypeScript helper via esbuild. */
async function tinyElf() {
  const { transform } = await import('esbuild');
  const source = fs.readFileSync(path.join(root, 'test/helpers/kernel-images.ts'), 'utf8');
  const { code } = await transform(source, { loader: 'ts', format: 'esm', target: 'node20' });
  const { makeElf, LINUX_NOTES } = await import(`data:text/javascript;base64,${Buffer.from(code).toString('base64')}`);
  return makeElf({ notes: LINUX_NOTES, code: Buffer.alloc(4096, 0xf4) });
}

function gitDescribe() {
  const git = (...args) => spawnSync('git', args, { cwd: root, encoding: 'utf8' });
  const head = git('rev-parse', 'HEAD');
  if (head.status !== 0) return null;
  return { commit: head.stdout.trim(), dirty: git('status', '--porcelain', '--untracked-files=no').stdout.trim() !== '' };
}

// ---- dom0 --------------------------------------------------------------------------------------------------------
class Dom0 {
  constructor(client) {
    this.client = client;
  }

  /** Run a bash script (or an argv) in dom0; stdout and stderr as text. */
  async run({ script, argv, stdin, timeout = 120 }) {
    const r = await this.client.exec({ script, argv, stdin, timeout });
    return { code: r.code, timedOut: r.timedOut, stdout: r.stdout.toString('utf8'), stderr: r.stderr.toString('utf8') };
  }

  /** Run and insist on exit 0; returns stdout. */
  async ok(req, what) {
    const r = await this.run(req);
    if (r.code !== 0 || r.timedOut) {
      throw new BenchError(`${what ?? req.argv?.join(' ') ?? 'dom0 script'} failed (exit ${r.code}${r.timedOut ? ', timed out' : ''}):\n${r.stderr.trim()}`);
    }
    return r.stdout;
  }

  /**
   * `XL create ARGS`, its wall time measured by bash in dom0 (no fork of its own around the command). Its output goes
   * to files while it runs and is shown only when it fails, which aborts the bench.
   */
  async timedCreate(xl, args, what, { env = [], withOutput = false } = {}) {
    const words = [...(env.length ? ['env', ...env] : []), xl, 'create', ...args].map((w) => `'${w.replace(/'/g, `'\\''`)}'`).join(' ');
    const script = `rm -f /tmp/bench-create.out /tmp/bench-create.err
[ -n "$EPOCHREALTIME" ] || { echo "bash has no EPOCHREALTIME" >&2; exit 99; }
t0=$EPOCHREALTIME
${words} </dev/null >/tmp/bench-create.out 2>/tmp/bench-create.err
rc=$?
t1=$EPOCHREALTIME
cat /tmp/bench-create.out /tmp/bench-create.err >&2
echo "BENCH-TIME $rc $t0 $t1"`;
    const r = await this.run({ script, timeout: CREATE_TIMEOUT_S });
    const m = /BENCH-TIME (\d+) (\d+)[.,](\d{6}) (\d+)[.,](\d{6})/.exec(r.stdout);
    if (r.timedOut || !m || m[1] !== '0') {
      const why = r.timedOut ? `killed after ${CREATE_TIMEOUT_S} s` : m ? `exit ${m[1]}` : `script exit ${r.code}`;
      throw new BenchError(`${what}: ${xl} create ${args.join(' ')} failed (${why}); its output:\n${r.stderr.trim()}`);
    }
    const ms = Number(BigInt(m[4] + m[5]) - BigInt(m[2] + m[3])) / 1000;
    return withOutput ? { ms, output: r.stderr } : ms;
  }

  /** C xl destroy of a bench guest; waits until the name is gone, then lets dom0 settle. */
  async destroy(name) {
    await this.ok({
      script: `xl destroy ${name} || exit
for i in $(seq 1 100); do xl domid ${name} >/dev/null 2>&1 || break; sleep 0.2; done
sleep ${SETTLE_S}`,
      timeout: 120,
    }, `xl destroy ${name}`);
  }

  /** Destroy every bench guest (the configs' and the background ones) with the C xl. */
  async destroyBenchGuests() {
    return this.run({
      script: `for n in $(xl list | awk 'NR > 1 { print $1 }' | grep -E '^(${GUESTS_RE}|${BG_PREFIX}[0-9]+)$'); do
  xl destroy "$n" || echo "bench: xl destroy $n failed" >&2
done`,
      timeout: 600,
    });
  }

  /** Resident memory in kB of the processes whose command line matches `pattern` (pgrep -f), summed. */
  async rssKb(pattern) {
    const out = await this.ok({ script: `for p in $(pgrep -f '${pattern}'); do awk '/^VmRSS/ { print $2 }' /proc/$p/status 2>/dev/null; done; true` });
    const kbs = out.split('\n').filter(Boolean).map(Number);
    return { processes: kbs.length, kb: kbs.reduce((a, b) => a + b, 0) };
  }

  async guestNames() {
    return (await this.ok({ script: "xl list | awk 'NR > 2 { print $1 }'" }, 'xl list')).split('\n').filter(Boolean);
  }
}

// ---- one Xen version ---------------------------------------------------------------------------------------------
/** One round: create `conf` with each toolstack in `order`, each destroyed with the C xl right after. */
async function round(d, conf, order, tag) {
  const r = { order };
  for (const t of order) {
    checkInterrupted();
    r[t] = await d.timedCreate(TOOLS[t].xl, [conf.cfg], `${tag}, ${TOOLS[t].label}`);
    checkInterrupted();
    await d.destroy(conf.guest);
  }
  r.ratio = r.ours / r.c;
  return r;
}

const orderOf = (i) => (i % 2 === 0 ? ['c', 'ours'] : ['ours', 'c']);

async function rounds(d, conf, n, tag, log) {
  const out = [];
  for (let i = 0; i < n; i++) {
    const r = await round(d, conf, orderOf(i), `${tag} ${i + 1}/${n}`);
    out.push({ round: i + 1, ...r });
    log(`${tag} ${i + 1}/${n}: C xl ${secs(r.c)}, ours ${secs(r.ours)}, ours/C ${r.ratio.toFixed(2)}${r.order[0] === 'ours' ? ' (ours first)' : ''}`);
  }
  return out;
}

/**
 * XL_TRACE's top-level lines ("[T ms] step": the step began T ms after the process started) as phases: each lasts
 * until the next different step begins (a repeated step is its sub-steps' start and end); the last one until the
 * process ended, as timed outside it.
 */
function tracePhases(output, totalMs) {
  const phases = [{ at: 0, step: 'node start-up and xl\'s main' }];
  for (const m of output.matchAll(/^\[(\d+) ms\] (\S.*)$/gm)) if (phases.at(-1).step !== m[2]) phases.push({ at: Number(m[1]), step: m[2] });
  return phases.map((p, i) => ({ step: p.step, ms: Math.round((phases[i + 1]?.at ?? totalMs) - p.at) }));
}

function stats(rs) {
  return {
    c: median(rs.map((r) => r.c)),
    ours: median(rs.map((r) => r.ours)),
    ratio: median(rs.map((r) => r.ratio)),
  };
}

async function benchVersion(xen, opts, elf) {
  const ver = labVersion(xen);
  const log = (line) => say(`[${xen}] ${line}`);
  const report = {
    bench: `xl create of ${opts.configs.join(', ')}`,
    xen,
    startedAt: new Date().toISOString(),
    source: gitDescribe(),
    options: { configs: opts.configs, rounds: opts.rounds, guests: opts.guests, warmup: opts.warmup, scaleRounds: SCALE_ROUNDS },
    units: 'ms, wall time in dom0; memory in kB',
    lab: { reused: status(ver).running },
    creates: {},
    scaling: null,
    summary: null,
  };
  let client = null;
  let d = null;
  let booted = false;
  try {
    if (report.lab.reused) {
      log(`using the running Xen ${xen} lab (left running afterwards)`);
    } else {
      await build(ver);
      checkInterrupted();
      booted = true;
      bootedLab = xen;
      await start(ver);
    }
    checkInterrupted();
    client = await LabClient.connect(runDir(ver));
    log(await installOurXl(client));
    d = new Dom0(client);

    const left = await d.destroyBenchGuests();
    if (left.stderr.trim()) throw new BenchError(`cleaning up earlier bench guests failed:\n${left.stderr.trim()}`);
    const others = await d.guestNames();
    if (others.length) log(`note: other guests are running in this lab and share its CPUs: ${others.join(', ')}`);
    const info = Object.fromEntries([...(await d.ok({ argv: ['xl', 'info'] })).matchAll(/^(\w+)\s*: (.*)$/gm)].map((m) => [m[1], m[2].trim()]));
    report.lab.xenVersion = info.xen_version;
    report.lab.dom0Kernel = info.release;
    report.lab.nrCpus = Number(info.nr_cpus);
    report.lab.freeMemoryMb = Number(info.free_memory);
    const needMb = 256 + opts.guests * (BG_MEMORY_MB + 4) + 64;
    if (report.lab.freeMemoryMb < needMb) log(`warning: Xen has ${report.lab.freeMemoryMb} MB free, the bench needs about ${needMb} MB`);

    for (const key of opts.configs) {
      const conf = CONFIGS[key];
      const c = (report.creates[key] = { cfg: conf.cfg, warmup: [], rounds: [], phases: null });
      for (let i = 0; i < opts.warmup; i++) {
        const r = await round(d, conf, orderOf(i), `${key} warm-up ${i + 1}/${opts.warmup}`);
        c.warmup.push(r);
        log(`${key} warm-up ${i + 1}/${opts.warmup} (not counted): C xl ${secs(r.c)}, ours ${secs(r.ours)}`);
      }
      c.rounds = await rounds(d, conf, opts.rounds, `${key} round`, log);
      checkInterrupted();
      const traced = await d.timedCreate(TOOLS.ours.xl, [conf.cfg], `${key}, traced`, { env: ['XL_TRACE=1'], withOutput: true });
      await d.destroy(conf.guest);
      c.phases = { ms: traced.ms, steps: tracePhases(traced.output, traced.ms) };
    }

    if (opts.guests > 0) {
      const conf = CONFIGS[SCALE_CONFIG];
      report.scaling = { config: SCALE_CONFIG, guests: opts.guests, zero: [], many: [], bgCreateMs: [], memory: {} };
      report.scaling.zero = await rounds(d, conf, SCALE_ROUNDS, 'scaling, 0 guests, round', log);
      checkInterrupted();
      await d.ok({ argv: ['sh', '-c', `cat > ${TINY_ELF}`], stdin: elf }, 'writing the tiny ELF to dom0');
      await d.ok({
        argv: ['sh', '-c', `cat > ${BG_CFG}`],
        stdin: `name = "${BG_PREFIX}0"\ntype = "pv"\nkernel = "${TINY_ELF}"\nmemory = ${BG_MEMORY_MB}\nvcpus = 1\n`,
      }, 'writing the background guest config to dom0');
      for (let i = 1; i <= opts.guests; i++) {
        checkInterrupted();
        // Our xl makes them: the C xl's loader refuses the minimal ELF (it is not a Linux image).
        report.scaling.bgCreateMs.push(await d.timedCreate(OUR_XL, ['-p', BG_CFG, `name="${BG_PREFIX}${i}"`], `background guest ${i}`));
        if (i === 1) report.scaling.memory.monitorWith1 = await d.rssKb('[m]onitor.js');
        if (i % 5 === 0 || i === opts.guests) log(`background guests: ${i}/${opts.guests} created (our xl create -p)`);
      }
      report.scaling.memory.monitorWithN = await d.rssKb('[m]onitor.js');
      const bg = (await d.guestNames()).filter((n) => n.startsWith(BG_PREFIX));
      if (bg.length !== opts.guests) throw new BenchError(`expected ${opts.guests} background guests, xl list shows ${bg.length}`);
      report.scaling.many = await rounds(d, conf, SCALE_ROUNDS, `scaling, ${opts.guests} guests, round`, log);
      // The C xl keeps one process per guest (its "xl create" child that waits for the domain's death).
      await d.timedCreate(TOOLS.c.xl, [conf.cfg], 'C xl create for its process size');
      report.scaling.memory.cXlPerGuest = await d.rssKb(`[x]l create ${conf.cfg}`);
      await d.destroy(conf.guest);
    }

    report.summary = summarize(report);
    printTables(report);
    return report.summary;
  } catch (e) {
    report.error = e.message;
    throw e;
  } finally {
    if (d) {
      log('destroying the bench guests');
      try {
        const r = await d.destroyBenchGuests();
        await d.run({ script: `rm -f /tmp/bench-create.out /tmp/bench-create.err ${TINY_ELF} ${BG_CFG}` });
        if (r.stderr.trim()) log(r.stderr.trim());
      } catch (e) {
        log(`cleanup failed: ${e.message}`);
      }
    }
    client?.close();
    if (Object.keys(report.creates).length || report.error) {
      report.finishedAt = new Date().toISOString();
      fs.mkdirSync(reports, { recursive: true });
      const file = path.join(reports, `bench-${xen}-${report.startedAt.replace(/\.\d+Z$/, 'Z').replace(/:/g, '-')}.json`);
      fs.writeFileSync(file, `${JSON.stringify(report, null, 2)}\n`);
      log(`raw numbers: ${path.relative(root, file)}`);
    }
    if (booted) {
      await stop(ver);
      bootedLab = null;
    }
  }
}

function summarize(report) {
  const s = { xen: report.xen, creates: {} };
  for (const [key, c] of Object.entries(report.creates)) if (c.rounds.length) s.creates[key] = { ...stats(c.rounds), target: CONFIGS[key].target };
  if (report.scaling) {
    const zero = stats(report.scaling.zero);
    const many = stats(report.scaling.many);
    const m = report.scaling.memory;
    s.scaling = {
      guests: report.scaling.guests,
      zero,
      many,
      c: many.c / zero.c,
      ours: many.ours / zero.ours,
      monitorKb: m.monitorWithN?.kb,
      monitorKbPerGuest: m.monitorWith1 && m.monitorWithN ? (m.monitorWithN.kb - m.monitorWith1.kb) / (report.scaling.guests - 1) : null,
      cXlKbPerGuest: m.cXlPerGuest?.kb,
    };
  }
  const ratios = Object.entries(s.creates).map(([k, c]) => `${k} ${c.ratio.toFixed(2)} (<= ${c.target})`).join(', ');
  s.line = `bench ${report.xen}: create ours/C ${ratios}`
    + (s.scaling ? `; with ${s.scaling.guests} guests: C x${s.scaling.c.toFixed(2)}, ours x${s.scaling.ours.toFixed(2)}` : '')
    + (s.scaling?.monitorKbPerGuest != null ? `; monitor ${Math.round(s.scaling.monitorKb / 1024)} MB, ${Math.round(s.scaling.monitorKbPerGuest)} kB per extra guest (C xl ${Math.round(s.scaling.cXlKbPerGuest / 1024)} MB a guest)` : '');
  return s;
}

function printTables(report) {
  const s = report.summary;
  const row = (label, xs, fmt) => [label, fmt(median(xs)), fmt(Math.min(...xs)), fmt(Math.max(...xs))];
  let first = true;
  for (const [key, c] of Object.entries(report.creates)) {
    const rs = c.rounds;
    say();
    say(`Xen ${report.xen} (${report.lab.xenVersion}): xl create ${c.cfg}, ${rs.length} rounds, wall time in dom0`);
    say(table([
      ['', 'median', 'min', 'max'],
      row('C xl', rs.map((r) => r.c), secs),
      row('ours', rs.map((r) => r.ours), secs),
      row('ours/C', rs.map((r) => r.ratio), (x) => x.toFixed(2)),
    ]));
    say(`  (ours/C: of the per-round ratios; target <= ${CONFIGS[key].target})`);
    const w = c.warmup[0];
    if (w) {
      const cold = first && !report.lab.reused ? 'the first creates after the boot (kernel not yet unpacked and cached)' : 'warm-up';
      say(`  ${cold}: C xl ${secs(w.c)}, ours ${secs(w.ours)}${w.order[0] === 'ours' ? ' (ours first)' : ''}`);
    }
    first = false;
    if (c.phases) {
      say(`  our create with XL_TRACE=1, ${secs(c.phases.ms)}: where the time goes`);
      say(table(c.phases.steps.map((p) => [p.step, `${p.ms} ms`])));
    }
  }
  if (s.scaling) {
    const g = s.scaling.guests;
    say(`Scaling: the pv-devices create with 0 and with ${g} paused background guests, ${SCALE_ROUNDS} rounds each (medians)`);
    say(table([
      ['', '0 guests', `${g} guests`, `${g}/0`],
      ['C xl', secs(s.scaling.zero.c), secs(s.scaling.many.c), `x${s.scaling.c.toFixed(2)}`],
      ['ours', secs(s.scaling.zero.ours), secs(s.scaling.many.ours), `x${s.scaling.ours.toFixed(2)}`],
      ['ours/C', s.scaling.zero.ratio.toFixed(2), s.scaling.many.ratio.toFixed(2), ''],
    ]));
    const bg = report.scaling.bgCreateMs;
    say(`  (our xl create -p of a ${BG_MEMORY_MB} MB background guest: median ${secs(median(bg))}, first ${secs(bg[0])}, last ${secs(bg.at(-1))})`);
    const m = report.scaling.memory;
    const mb = (kb) => `${(kb / 1024).toFixed(1)} MB`;
    if (m.monitorWith1 && m.monitorWithN) {
      say(`Memory: our shared monitor ${mb(m.monitorWith1.kb)} with 1 guest, ${mb(m.monitorWithN.kb)} with ${g} `
        + `(${Math.round(s.scaling.monitorKbPerGuest)} kB per extra guest, ${m.monitorWithN.processes} process); `
        + `the C xl: ${mb(m.cXlPerGuest.kb)} per guest (${m.cXlPerGuest.processes} process for one guest)`);
    }
  }
  say();
}

// ---- main --------------------------------------------------------------------------------------------------------
function options(argv) {
  const { values } = parseArgs({
    args: argv,
    options: {
      xen: { type: 'string' },
      configs: { type: 'string', default: Object.keys(CONFIGS).join(',') },
      rounds: { type: 'string', default: '5' },
      guests: { type: 'string', default: '20' },
      warmup: { type: 'string', default: '1' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  const count = (name, min) => {
    const v = values[name];
    if (!/^\d+$/.test(v) || Number(v) < min) throw new BenchError(`--${name} wants a whole number >= ${min}, not '${v}'`);
    return Number(v);
  };
  const versions = values.xen ? values.xen.split(',').filter(Boolean) : Object.keys(LAB_VERSIONS);
  for (const v of versions) if (!LAB_VERSIONS[v]) throw new BenchError(`unknown Xen version '${v}' (known: ${Object.keys(LAB_VERSIONS).join(', ')})`);
  const configs = values.configs.split(',').filter(Boolean);
  for (const c of configs) if (!CONFIGS[c]) throw new BenchError(`unknown config '${c}' (known: ${Object.keys(CONFIGS).join(', ')})`);
  return { help: values.help, versions, configs, rounds: count('rounds', 1), guests: count('guests', 0), warmup: count('warmup', 0) };
}

async function main(argv) {
  let opts;
  try {
    opts = options(argv);
  } catch (e) {
    process.stderr.write(`bench: ${e.message} (see --help)\n`);
    return 2;
  }
  if (opts.help) {
    say(USAGE);
    return 0;
  }
  // Never two labs at once: a lab that is running (someone's) is reused, but then no other version can boot.
  const running = Object.keys(LAB_VERSIONS).filter((v) => status(labVersion(v)).running);
  const blocked = opts.versions.filter((v) => !running.includes(v));
  if (running.length && blocked.length) {
    throw new BenchError(`the Xen ${running.join(', ')} lab is running, so Xen ${blocked.join(', ')} cannot boot (one lab at a time): `
      + `stop it (lab/xenlab --xen ${running[0]} stop) or bench only --xen ${running.join(',')}`);
  }

  say('==> build');
  const b = spawnSync(process.execPath, ['scripts/build.mjs'], { cwd: root, stdio: 'inherit' });
  if (b.status !== 0) throw new BenchError(`node scripts/build.mjs exited ${b.status ?? b.signal}`);
  const elf = opts.guests > 0 ? await tinyElf() : null;

  const summaries = [];
  try {
    for (const xen of opts.versions) {
      checkInterrupted();
      say(`\n==> Xen ${xen}: ${opts.configs.join(', ')}: ${opts.rounds} rounds each${opts.guests ? `, then scaling with ${opts.guests} background guests` : ''}`);
      summaries.push(await benchVersion(xen, opts, elf));
    }
  } finally {
    say();
    for (const s of summaries) say(s.line);
  }
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (e) => {
    if (e instanceof Interrupted) {
      process.stderr.write('bench: interrupted; bench guests destroyed\n');
      process.exitCode = 130;
      return;
    }
    process.stderr.write(`bench: ${e instanceof BenchError || e instanceof LabError ? e.message : e.stack}\n`);
    process.exitCode = 1;
  },
);
