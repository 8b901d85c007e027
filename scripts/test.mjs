#!/usr/bin/env node
// `npm test`: type check, build, unit tests, then the lab suite on every Xen version (each boots its own lab once).
// Ends with one summary line "tests: N passed, N failed, N skipped"; any failure, including a lab that does not
// boot, makes the exit code non-zero.
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
const totals = { passed: 0, failed: 0, skipped: 0 };
const problems = [];
const failures = [];

function step(title, cmd, args, env = {}) {
  process.stdout.write(`\n==> ${title}\n`);
  const t0 = Date.now();
  const r = spawnSync(cmd, args, { cwd: root, stdio: 'inherit', env: { ...process.env, ...env } });
  const secs = ((Date.now() - t0) / 1000).toFixed(1);
  process.stdout.write(`<== ${title}: exit ${r.status ?? r.signal} in ${secs} s\n`);
  if (r.status !== 0) problems.push(`${title} exited ${r.status ?? r.signal}`);
  return r.status === 0;
}

function vitest(title, config, reportName, env) {
  const report = path.join(reports, `${reportName}.json`);
  fs.rmSync(report, { force: true });
  step(title, bin('vitest'), ['run', '--config', config, '--reporter=default', '--reporter=json', `--outputFile.json=${report}`], env);
  if (!fs.existsSync(report)) {
    problems.push(`${title}: no test report (the suite did not run)`);
    totals.failed++;
    return;
  }
  const r = JSON.parse(fs.readFileSync(report, 'utf8'));
  totals.passed += r.numPassedTests;
  totals.failed += r.numFailedTests;
  totals.skipped += r.numPendingTests + r.numTodoTests;
  // A suite whose setup failed reports its files as failed but counts no failed test: count it once.
  if (!r.success && r.numFailedTests === 0) totals.failed++;
  if (r.numTotalTests === 0) problems.push(`${title}: ran no test`);
  // Name each failure again at the end: CI keeps only the tail of the output.
  for (const file of r.testResults ?? []) {
    const rel = path.relative(root, file.name);
    const failedTests = (file.assertionResults ?? []).filter((a) => a.status === 'failed');
    if (!failedTests.length && file.status === 'failed') failures.push(`${title}: ${rel}: ${firstLine(file.message)}`);
    for (const a of failedTests) failures.push(`${title}: ${rel} > ${a.fullName}: ${firstLine(a.failureMessages?.[0])}`);
  }
}

function firstLine(text) {
  const line = String(text ?? '').split('\n').find((l) => l.trim()) ?? '';
  return line.length > 300 ? `${line.slice(0, 300)}...` : line;
}

if (!flag('--lab-only')) {
  step('type check', bin('tsc'), ['--noEmit']);
  step('build', process.execPath, ['scripts/build.mjs']);
  vitest('unit tests', 'vitest.config.ts', 'unit');
} else {
  step('build', process.execPath, ['scripts/build.mjs']);
}
if (!flag('--unit-only')) {
  for (const xen of versions) {
    if (step(`lab build (Xen ${xen})`, path.join(root, 'lab', 'xenlab'), ['--xen', xen, 'build'])) {
      vitest(`lab tests (Xen ${xen})`, 'vitest.lab.config.ts', `lab-${xen}`, { XENLAB_XEN: xen });
    } else {
      totals.failed++;
    }
  }
}

process.stdout.write('\n');
for (const f of failures) process.stdout.write(`failed: ${f}\n`);
for (const p of problems) process.stdout.write(`problem: ${p}\n`);
process.stdout.write(`tests: ${totals.passed} passed, ${totals.failed} failed, ${totals.skipped} skipped\n`);
process.exitCode = problems.length || totals.failed ? 1 : 0;
