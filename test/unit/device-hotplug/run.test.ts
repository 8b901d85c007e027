// Real child processes: small /bin/sh scripts in a temp dir, run the way libxl runs hotplug scripts.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hotplugFailure, runHotplug, type HotplugOutcome, type HotplugRun } from '../../../src/device-hotplug/index.js';

let dir: string;
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'xl-hotplug-'));
});
afterAll(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

/** Write an executable /bin/sh script and return its path. */
function script(name: string, body: string, mode = 0o755): string {
  const p = path.join(dir, name);
  fs.writeFileSync(p, `#!/bin/sh\n${body}\n`);
  fs.chmodSync(p, mode);
  return p;
}

const run = (s: string, args: string[] = [], env: Record<string, string> = {}): HotplugRun => ({ script: s, args, env });

describe('runHotplug', () => {
  it('exit 0: status 0, its output in the tail and echoed', async () => {
    const chunks: string[] = [];
    const out = await runHotplug(run(script('ok', 'echo hello')), { timeoutMs: 5000, echo: (c) => chunks.push(c) });
    expect(out).toEqual({ status: 0, signal: null, timedOut: false, stderrTail: ['hello'] });
    expect(chunks.join('')).toBe('hello\n');
  });

  it('exit 1 after three stderr lines: the tail has them, the message too', async () => {
    const r = run(script('block', 'echo one >&2\necho two >&2\necho three >&2\nexit 1'), ['add']);
    const out = await runHotplug(r, { timeoutMs: 5000 });
    expect(out).toEqual({ status: 1, signal: null, timedOut: false, stderrTail: ['one', 'two', 'three'] });
    expect(hotplugFailure(r, out, null)).toBe(`${r.script} add failed (exit status 1): one / two / three`);
    expect(hotplugFailure(r, out, 'losetup failed')).toBe(`${r.script} add failed (exit status 1): one / two / three; script: losetup failed`);
  });

  it('a script past its deadline is killed with SIGKILL', async () => {
    const r = run(script('slow', 'echo waiting >&2\nexec sleep 30'), ['remove']);
    const t0 = Date.now();
    const out = await runHotplug(r, { timeoutMs: 300 });
    expect(Date.now() - t0).toBeLessThan(5000);
    expect(out).toEqual({ status: null, signal: 'SIGKILL', timedOut: true, stderrTail: ['waiting'] });
    expect(hotplugFailure(r, out, null, 300)).toBe(`${r.script} remove killed after 0.3 s timeout: waiting`);
    expect(hotplugFailure(r, { ...out, stderrTail: [] }, null)).toBe(`${r.script} remove killed after 40 s timeout`);
  });

  it('a shell killed at the deadline while its child holds the output open does not keep us waiting', async () => {
    // The shell is killed; `sleep` lives on (libxl does not chase it either) with our pipes.
    const out = await runHotplug(run(script('slow-child', 'echo before\nsleep 3\necho after')), { timeoutMs: 300 });
    expect(out).toMatchObject({ status: null, signal: 'SIGKILL', timedOut: true, stderrTail: ['before'] });
  });

  it('a background process left holding stdout does not keep us waiting', async () => {
    const t0 = Date.now();
    const out = await runHotplug(run(script('daemon', 'sleep 3 &\necho started\nexit 0')), { timeoutMs: 5000 });
    expect(Date.now() - t0).toBeLessThan(2500);
    expect(out).toEqual({ status: 0, signal: null, timedOut: false, stderrTail: ['started'] });
  });

  it('a signal other than the timeout', async () => {
    const r = run(script('crash', 'kill -TERM $$'));
    const out = await runHotplug(r, { timeoutMs: 5000 });
    expect(out).toEqual({ status: null, signal: 'SIGTERM', timedOut: false, stderrTail: [] });
    expect(hotplugFailure(r, out, null)).toBe(`${r.script} killed by SIGTERM`);
  });

  it('a missing script: status 127 and a line saying so, no throw', async () => {
    const missing = path.join(dir, 'no-such-script');
    const out = await runHotplug(run(missing, ['add']), { timeoutMs: 5000 });
    expect(out).toEqual({ status: 127, signal: null, timedOut: false, stderrTail: [`${missing}: No such file or directory`] });
    expect(hotplugFailure(run(missing, ['add']), out, null)).toBe(`${missing} add failed (exit status 127): ${missing}: No such file or directory`);
  });

  it('a script that is not executable: status 127, permission denied', async () => {
    const p = script('noexec', 'exit 0', 0o644);
    const out = await runHotplug(run(p), { timeoutMs: 5000 });
    expect(out).toEqual({ status: 127, signal: null, timedOut: false, stderrTail: [`${p}: Permission denied`] });
  });

  it('run.env is added to our environment, not in place of it', async () => {
    process.env.XL_HOTPLUG_TEST_OUTER = 'outer';
    try {
      const out = await runHotplug(
        run(script('env', 'echo "$XENBUS_PATH" >&2\necho "$script" >&2\necho "$XL_HOTPLUG_TEST_OUTER" >&2'), ['add'],
          { XENBUS_PATH: 'backend/vbd/3/51712', script: '/etc/xen/scripts/block' }),
        { timeoutMs: 5000 },
      );
      expect(out.stderrTail).toEqual(['backend/vbd/3/51712', '/etc/xen/scripts/block', 'outer']);
    } finally {
      delete process.env.XL_HOTPLUG_TEST_OUTER;
    }
  });

  it('arguments reach the script verbatim: no shell', async () => {
    const args = ['two words', '$(touch pwned)', '`id`', "it's; exit 3", '*', '$HOME'];
    const out = await runHotplug(run(script('argv', 'for a in "$@"; do printf "[%s]\\n" "$a"; done'), args), { timeoutMs: 5000, tailLines: 10 });
    expect(out.status).toBe(0);
    expect(out.stderrTail).toEqual(args.map((a) => `[${a}]`));
    expect(fs.existsSync(path.join(dir, 'pwned'))).toBe(false);
    expect(fs.existsSync('pwned')).toBe(false);
  });

  it('stdin is /dev/null', async () => {
    const out = await runHotplug(run(script('stdin', 'cat\necho eof')), { timeoutMs: 5000 });
    expect(out).toEqual({ status: 0, signal: null, timedOut: false, stderrTail: ['eof'] });
  });

  it('the tail keeps the last non-empty lines of stdout and stderr', async () => {
    // Pauses between the writes: the two pipes are read independently.
    const body = 'for i in 1 2 3 4 5 6 7; do echo "out $i"; echo; sleep 0.02; echo "err $i" >&2; sleep 0.02; done\nprintf "no newline"';
    const out: HotplugOutcome = await runHotplug(run(script('chatty', body)), { timeoutMs: 5000, tailLines: 3 });
    expect(out.stderrTail).toEqual(['out 7', 'err 7', 'no newline']);
    const five = await runHotplug(run(script('chatty5', body)), { timeoutMs: 5000 });
    expect(five.stderrTail).toHaveLength(5);
    expect(five.stderrTail.at(-1)).toBe('no newline');
  });
});
