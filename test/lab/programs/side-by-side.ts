// Runs in the lab's dom0 (bundled by lab files 20 and 30): each case's argv given to Debian's C xl (a child
// process) and to our xl's main() in this one node process, so a run over many cases costs one node start where
// the installed xl would pay one per case. argv[2] is the cases as JSON, each an argv or { argv, again: true } to
// run the C xl once more after ours (a caller sees whether the host moved between the calls). Prints one JSON line
// { argv, c, ours, c2? } per case as soon as it is done (written synchronously, so a crash of this process loses
// only the case it was on), each side { code, stdout, stderr } plus the signal that killed the C xl, if one did.
import { spawnSync } from 'node:child_process';
import { writeSync } from 'node:fs';
import { main, report } from '../../../src/cli/main.js';

interface Side { code: number; stdout: string; stderr: string; signal?: string }

async function ours(argv: string[]): Promise<Side> {
  let stdout = '';
  let stderr = '';
  const realOut = process.stdout.write.bind(process.stdout);
  const realErr = process.stderr.write.bind(process.stderr);
  process.stdout.write = ((chunk: string | Uint8Array) => { stdout += String(chunk); return true; }) as typeof process.stdout.write;
  process.stderr.write = ((chunk: string | Uint8Array) => { stderr += String(chunk); return true; }) as typeof process.stderr.write;
  let code: number;
  try {
    code = await main(['xl', ...argv]);
  } catch (e) {
    code = report(e);
  } finally {
    process.stdout.write = realOut;
    process.stderr.write = realErr;
  }
  return { code, stdout, stderr };
}

function theirs(argv: string[]): Side {
  const r = spawnSync('xl', argv, { encoding: 'utf8', timeout: 60_000 });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr, ...(r.signal ? { signal: r.signal } : {}) };
}

/** All of `text` to fd 1 now; node has made the pipe non-blocking, so wait out EAGAIN. */
function emit(text: string): void {
  let buf = Buffer.from(text);
  while (buf.length > 0) {
    try {
      buf = buf.subarray(writeSync(1, buf));
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EAGAIN') throw e;
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 5);
    }
  }
}

for (const item of JSON.parse(process.argv[2]) as (string[] | { argv: string[]; again?: boolean })[]) {
  const { argv, again = false } = Array.isArray(item) ? { argv: item } : item;
  const c = theirs(argv);
  const o = await ours(argv);
  emit(`${JSON.stringify({ argv, c, ours: o, ...(again ? { c2: theirs(argv) } : {}) })}\n`);
}
