// A terminal for lab tests: runs a command on the slave side of a new pty
// (stdin, stdout and stderr all a tty, as for someone at a console) and
// plays the person at the keyboard from the master side.
//
//   node pty-run.mjs SCRIPT.json -- CMD ARGS...
//
// SCRIPT is a list of { expect: regex } / { send: text } / { sleep: ms }
// steps, run in order against what the command prints. Prints one JSON line:
// { code, signal, output, stepsDone, ttyModeRestored } when the command ends or
// the overall timeout (XL_PTY_TIMEOUT seconds, default 120) hits.
import { spawn, spawnSync } from 'node:child_process';
import { closeSync, openSync, readFileSync, writeSync } from 'node:fs';
import { createRequire as requireFrom } from 'node:module';
import { ReadStream } from 'node:tty';

type Step = { expect: string } | { send: string } | { sleep: number };

const sep = process.argv.indexOf('--');
const script = JSON.parse(readFileSync(process.argv[2]!, 'utf8')) as Step[];
const [cmd, ...args] = process.argv.slice(sep + 1);
const timeoutS = Number(process.env.XL_PTY_TIMEOUT ?? 120);

interface Koffi { load(p: string): { func(decl: string): (...a: unknown[]) => unknown } }
const koffi = requireFrom('/project/package.json')('koffi') as Koffi;
const libc = koffi.load('libc.so.6');
const posixOpenpt = libc.func('int posix_openpt(int flags)') as (f: number) => number;
const grantpt = libc.func('int grantpt(int fd)') as (fd: number) => number;
const unlockpt = libc.func('int unlockpt(int fd)') as (fd: number) => number;
const ptsname = libc.func('const char *ptsname(int fd)') as (fd: number) => string;

const O_RDWR = 2;
const O_NOCTTY = 0o400;
const master = posixOpenpt(O_RDWR | O_NOCTTY);
if (master < 0 || grantpt(master) || unlockpt(master)) throw new Error('no pty');
const slavePath = ptsname(master);
const slave = openSync(slavePath, O_RDWR | O_NOCTTY);
const sttyOf = () => spawnSync('stty', ['-g'], { stdio: [slave, 'pipe', 'ignore'] }).stdout.toString().trim();
const modeBefore = sttyOf();

let output = '';
const waiters: (() => void)[] = [];
const reader = new ReadStream(master);
reader.on('data', (d: Buffer) => {
  output += d.toString('latin1');
  for (const w of waiters.splice(0)) w();
});
reader.on('error', () => undefined); // EIO once the last slave fd closes

// setsid: the pty becomes the command's own session and terminal, as at a login.
const child = spawn(cmd!, args, { stdio: [slave, slave, slave], detached: true });
const done = new Promise<{ code: number | null; signal: string | null }>((r) => child.on('exit', (code, signal) => r({ code, signal })));
let stepsDone = 0;

async function play(): Promise<void> {
  let from = 0;
  for (const s of script) {
    if ('expect' in s) {
      const re = new RegExp(s.expect);
      for (;;) {
        const m = re.exec(output.slice(from));
        if (m) { from += m.index + m[0].length; break; }
        await new Promise<void>((r) => waiters.push(r));
      }
    } else if ('send' in s) {
      writeSync(master, Buffer.from(s.send, 'latin1'));
    } else await new Promise((r) => setTimeout(r, s.sleep));
    stepsDone++;
  }
}

void play();
const timer = setTimeout(() => { try { process.kill(-child.pid!, 'SIGKILL'); } catch { /* gone */ } }, timeoutS * 1000);
const end = await done;
clearTimeout(timer);
await new Promise((r) => setTimeout(r, 200)); // the last output
const ttyModeRestored = sttyOf() === modeBefore;
closeSync(slave);
process.stdout.write(`${JSON.stringify({ ...end, output, stepsDone, ttyModeRestored })}\n`);
process.exit(0);
