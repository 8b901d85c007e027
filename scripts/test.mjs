#!/usr/bin/env node
// `npm test`: type check, build, unit tests, then the lab suite on every Xen version (each boots its own lab once).
// Ends with one summary line "tests: N passed, N failed, N skipped, N retries"; any failure, a skipped or missing lab
// test, or a lab that does not boot makes the exit code non-zero. Before it, each lab file's duration and the lab's
// boot and stop times, so that a change in cost shows in the tail CI keeps.
//   node scripts/test.mjs [--unit-only] [--lab-only] [--xen 4.17,4.20]
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const reports = path.join(root, '.lab', 'reports');
fs.mkdirSync(reports, { recursive: true });

const argv = process.argv.slice(2);
const flag = (f) => argv.includes(f);
const xenArg = argv[argv.indexOf('--xen') + 1];
const versions = flag('--xen') ? xenArg.split(',') : ['4.17', '4.20'];

const bin = (name) => path.join(root, 'node_modules', '.bin', name);
const totals = { passed: 0, failed: 0, skipped: 0, retries: 0 };
const problems = [];
const failures = [];
const timings = [];
const callCosts = [];
const labTotals = new Map();

// The suites get a stated environment, not ours: switches that would turn a check into a self-comparison
// (UPDATE_MAN, XL_LAB_OURS, ...) never reach them. XENLAB_* configure the lab machine, not the checks.
const KEEP = ['PATH', 'HOME', 'USER', 'LANG', 'LC_ALL', 'TERM', 'TMPDIR', 'SHELL'];
const baseEnv = Object.fromEntries(Object.entries(process.env)
  .filter(([k]) => KEEP.includes(k) || (k.startsWith('XENLAB_') && k !== 'XENLAB_XEN')));
baseEnv.CI = 'true';
process.stdout.write(`environment of the suites: ${Object.keys(baseEnv).sort().join(' ')}\n`);

function step(title, cmd, args, env = {}) {
  process.stdout.write(`\n==> ${title}\n`);
  const t0 = Date.now();
  const r = spawnSync(cmd, args, { cwd: root, stdio: 'inherit', env: { ...baseEnv, ...env } });
  const secs = ((Date.now() - t0) / 1000).toFixed(1);
  process.stdout.write(`<== ${title}: exit ${r.status ?? r.signal} in ${secs} s\n`);
  if (r.status !== 0) problems.push(`${title} exited ${r.status ?? r.signal}`);
  return r.status === 0;
}

function vitest(title, config, reportName, env, { lab = false, xen = '' } = {}) {
  const report = path.join(reports, `${reportName}.json`);
  const setupReport = path.join(reports, `${reportName}-setup.json`);
  const retryLog = path.join(reports, `${reportName}-retries.jsonl`);
  const callLog = path.join(reports, `${reportName}-calls.jsonl`);
  for (const f of [report, setupReport, retryLog, callLog]) fs.rmSync(f, { force: true });
  step(title, bin('vitest'), ['run', '--config', config, '--allowOnly=false', '--reporter=default', '--reporter=json',
    `--outputFile.json=${report}`], { ...env, XL_LAB_SETUP_REPORT: setupReport, XL_LAB_RETRY_LOG: retryLog, XL_LAB_CALL_LOG: callLog });
  if (!fs.existsSync(report)) {
    problems.push(`${title}: no test report (the suite did not run)`);
    totals.failed++;
    return;
  }
  const r = JSON.parse(fs.readFileSync(report, 'utf8'));
  const skipped = r.numPendingTests + r.numTodoTests;
  totals.passed += r.numPassedTests;
  totals.failed += r.numFailedTests;
  totals.skipped += skipped;
  // A suite whose setup failed reports its files as failed but counts no failed test: count it once.
  if (!r.success && r.numFailedTests === 0) totals.failed++;
  if (r.numTotalTests === 0) problems.push(`${title}: ran no test`);
  // A skipped lab test is not a passed one (a stray .skip, .todo or .only, or a hook that failed).
  if (lab && skipped) problems.push(`${title}: ${skipped} test(s) skipped or todo; the lab suite must run every test`);
  if (lab) labTotals.set(xen, r.numTotalTests);
  // Name each failure again at the end: CI keeps only the tail of the output.
  // A file's time runs from its start to the next file's (its hooks included; the JSON's endTime leaves them out).
  // Its start is its first call into dom0 where it made one: vitest's startTime comes after a beforeAll, and is
  // the run's own start for a file whose beforeAll failed.
  const firstCall = new Map();
  if (lab && fs.existsSync(callLog)) {
    for (const l of fs.readFileSync(callLog, 'utf8').split('\n').filter(Boolean)) {
      const { file, at } = JSON.parse(l);
      if (at && !(firstCall.get(file) <= at)) firstCall.set(file, at);
    }
  }
  const startOf = (f) => firstCall.get(path.relative(root, f.name)) ?? f.startTime;
  const files = [...(r.testResults ?? [])].map((f) => ({ ...f, startTime: startOf(f) })).sort((a, b) => a.startTime - b.startTime);
  const until = (i) => (i + 1 < files.length ? files[i + 1].startTime : Math.max(files[i].endTime, r.startTime + 0));
  for (const [i, file] of files.entries()) {
    const rel = path.relative(root, file.name);
    const failedTests = (file.assertionResults ?? []).filter((a) => a.status === 'failed');
    // A hook (beforeAll/afterAll) or import error: the file's own message.
    if (file.message) failures.push(`${title}: ${rel}: ${firstLine(file.message)}`);
    for (const a of failedTests) failures.push(`${title}: ${rel} > ${a.fullName}: ${firstLine(a.failureMessages?.[0])}`);
    if (lab) {
      const ran = (file.assertionResults ?? []).filter((a) => a.status === 'passed' || a.status === 'failed').length;
      timings.push({ what: `${xen} ${rel}`, secs: (until(i) - file.startTime) / 1000, tests: ran });
    }
  }
  if (lab && fs.existsSync(callLog)) {
    // Calls into dom0 per file and kind: where a file's time goes (our xl, the C xl, scripts, other programs).
    const perFile = new Map();
    for (const l of fs.readFileSync(callLog, 'utf8').split('\n').filter(Boolean)) {
      const { file, kind, ms } = JSON.parse(l);
      const kinds = perFile.get(file) ?? new Map();
      const k = kinds.get(kind) ?? { n: 0, ms: 0 };
      k.n++;
      k.ms += ms;
      kinds.set(kind, k);
      perFile.set(file, kinds);
    }
    for (const [file, kinds] of perFile) {
      const parts = [...kinds].sort().map(([kind, k]) => `${kind} ${k.n} (${(k.ms / 1000).toFixed(0)} s)`);
      callCosts.push(`${xen} ${file}: ${parts.join(', ')}`);
    }
  }
  if (lab && fs.existsSync(setupReport)) {
    const s = JSON.parse(fs.readFileSync(setupReport, 'utf8'));
    for (const [k, v] of Object.entries(s)) timings.push({ what: `${xen} lab ${k}`, secs: v });
  }
  if (fs.existsSync(retryLog)) {
    const lines = fs.readFileSync(retryLog, 'utf8').trim().split('\n').filter(Boolean).map((l) => JSON.parse(l));
    totals.retries += lines.length;
    for (const l of lines) process.stdout.write(`retry: ${title}: ${l.file}: ${l.what}: ${l.why}\n`);
  }
}

function firstLine(text) {
  const line = String(text ?? '').split('\n').find((l) => l.trim()) ?? '';
  return line.length > 300 ? `${line.slice(0, 300)}...` : line;
}

if (!flag('--lab-only')) {
  step('type check', bin('tsc'), ['--noEmit']);
  step('build', process.execPath, ['scripts/build.mjs']);
  vitest('unit tests', 'vitest.config.ts', 'unit', {});
} else {
  step('build', process.execPath, ['scripts/build.mjs']);
}
if (!flag('--unit-only')) {
  for (const xen of versions) {
    if (step(`lab build (Xen ${xen})`, path.join(root, 'lab', 'xenlab'), ['--xen', xen, 'build'])) {
      vitest(`lab tests (Xen ${xen})`, 'vitest.lab.config.ts', `lab-${xen}`, { XENLAB_XEN: xen }, { lab: true, xen });
    } else {
      totals.failed++;
    }
  }
  // Every version runs the whole suite: one that ran fewer tests than another lost some.
  const counts = [...labTotals.values()];
  if (counts.length > 1 && new Set(counts).size > 1) {
    problems.push(`lab versions ran different numbers of tests: ${[...labTotals].map(([v, n]) => `${v}: ${n}`).join(', ')}`);
  }
}

process.stdout.write('\n');
if (timings.length) {
  process.stdout.write('lab durations (s):\n');
  for (const t of timings) process.stdout.write(`  ${t.secs.toFixed(1).padStart(7)}  ${t.what}${t.tests !== undefined ? ` (${t.tests} tests)` : ''}\n`);
  for (const xen of versions) {
    const sum = timings.filter((t) => t.what.startsWith(`${xen} `)).reduce((a, t) => a + t.secs, 0);
    if (sum) process.stdout.write(`  ${sum.toFixed(1).padStart(7)}  ${xen} total\n`);
  }
}
if (callCosts.length) {
  process.stdout.write('lab calls into dom0 (count, wall time):\n');
  for (const c of callCosts) process.stdout.write(`  ${c}\n`);
}
for (const f of failures) process.stdout.write(`failed: ${f}\n`);
for (const p of problems) process.stdout.write(`problem: ${p}\n`);
process.stdout.write(`tests: ${totals.passed} passed, ${totals.failed} failed, ${totals.skipped} skipped, ${totals.retries} retries\n`);
process.exitCode = problems.length || totals.failed ? 1 : 0;
