// Running one hotplug script the way libxl__async_exec does (stdin /dev/null,
// a deadline, then SIGKILL), keeping the end of its output for the error.
import type { HotplugRun } from './conventions.js';

/** LIBXL_HOTPLUG_TIMEOUT (libxl_internal.h): 40 s. */
export const HOTPLUG_TIMEOUT_MS = 40_000;

/** How a script run ended. */
export interface HotplugOutcome {
  /** Exit status; null when a signal ended it. 127 when it could not be started. */
  status: number | null;
  /** The signal that ended it ('SIGKILL' after the timeout), else null. */
  signal: string | null;
  timedOut: boolean;
  /** Its last non-empty output lines, stdout and stderr together, oldest first. */
  stderrTail: string[];
}

export interface RunHotplugOptions {
  timeoutMs: number;
  /** How many output lines to keep; 5 if absent. */
  tailLines?: number;
  /** Each piece of output as it arrives (xl shows the scripts' output on its stderr). */
  echo?: (chunk: string) => void;
}

/** How long to wait for the pipes to drain once the script has exited. */
const DRAIN_MS = 200;

/** strerror for the ways exec of a script fails. */
const SPAWN_ERRORS: Readonly<Record<string, string>> = {
  ENOENT: 'No such file or directory',
  EACCES: 'Permission denied',
  ENOEXEC: 'Exec format error',
  ENOTDIR: 'Not a directory',
  ELOOP: 'Too many levels of symbolic links',
  ENAMETOOLONG: 'File name too long',
};

/** The last `max` non-empty lines of two interleaved streams. */
class Tail {
  readonly lines: string[] = [];
  private readonly partial = new Map<string, string>();

  constructor(private readonly max: number) {}

  add(stream: string, chunk: string): void {
    const parts = ((this.partial.get(stream) ?? '') + chunk).split('\n');
    this.partial.set(stream, parts.pop() ?? '');
    for (const p of parts) this.push(p);
  }

  finish(): string[] {
    for (const p of this.partial.values()) this.push(p);
    this.partial.clear();
    return this.lines;
  }

  private push(line: string): void {
    const l = line.trimEnd();
    if (!l.trim() || this.max <= 0) return;
    this.lines.push(l);
    if (this.lines.length > this.max) this.lines.shift();
  }
}

/**
 * Run one hotplug script: argv without a shell, run.env added to ours, stdin
 * /dev/null, SIGKILL at the deadline. Never throws; a script that cannot be
 * started ends with status 127.
 */
export async function runHotplug(run: HotplugRun, opts: RunHotplugOptions): Promise<HotplugOutcome> {
  const keep = opts.tailLines ?? 5;
  const tail = new Tail(keep);
  // The reason is kept even when no output lines are wanted.
  const cannotRun = (why: string): HotplugOutcome => ({
    status: 127, signal: null, timedOut: false, stderrTail: [...tail.finish(), `${run.script}: ${why}`].slice(-Math.max(1, keep)),
  });
  // Loaded on first use: most xl commands never run a script.
  const { execa } = await import('execa');
  let drain: NodeJS.Timeout | undefined;
  try {
    const child = execa(run.script, run.args, {
      shell: false,
      stdin: 'ignore',
      stdout: 'pipe',
      stderr: 'pipe',
      env: run.env,
      extendEnv: true,
      timeout: Math.max(1, Math.ceil(opts.timeoutMs)),
      killSignal: 'SIGKILL',
      reject: false,
      buffer: false,
    });
    for (const [name, stream] of [['stdout', child.stdout], ['stderr', child.stderr]] as const) {
      stream?.setEncoding('utf8');
      stream?.on('data', (chunk: string) => {
        tail.add(name, chunk);
        opts.echo?.(chunk);
      });
    }
    // Something the script left running in the background may hold its
    // output open for ever; libxl does not wait for that and neither do we.
    child.on('exit', () => {
      drain = setTimeout(() => {
        child.stdout?.destroy();
        child.stderr?.destroy();
      }, DRAIN_MS);
    });
    const r = await child;
    if (r.timedOut) return { status: null, signal: r.signal ?? 'SIGKILL', timedOut: true, stderrTail: tail.finish() };
    if (r.exitCode !== undefined) return { status: r.exitCode, signal: null, timedOut: false, stderrTail: tail.finish() };
    if (r.signal) return { status: null, signal: r.signal, timedOut: false, stderrTail: tail.finish() };
    const code = (r.cause as NodeJS.ErrnoException | undefined)?.code ?? r.code;
    return cannotRun((code && SPAWN_ERRORS[code]) ?? `cannot run: ${r.shortMessage?.split('\n').pop() ?? code ?? 'unknown error'}`);
  } catch (e) {
    // execa validates its arguments synchronously (a NUL in an argument, say).
    return cannotRun(`cannot run: ${e instanceof Error ? e.message : String(e)}`);
  } finally {
    clearTimeout(drain);
  }
}

const seconds = (ms: number) => `${Number((ms / 1000).toFixed(3))} s`;

/**
 * One line for a failed run: what ran, how it ended, its last output, and
 * libxl's `<backend>/hotplug-error` when the script left one.
 */
export function hotplugFailure(
  run: HotplugRun, outcome: HotplugOutcome, hotplugError: string | null, timeoutMs = HOTPLUG_TIMEOUT_MS,
): string {
  const how = outcome.timedOut ? `killed after ${seconds(timeoutMs)} timeout`
    : outcome.status !== null ? `failed (exit status ${outcome.status})`
      : `killed by ${outcome.signal ?? 'a signal'}`;
  const output = outcome.stderrTail.length ? `: ${outcome.stderrTail.join(' / ')}` : '';
  const why = hotplugError ? `; script: ${hotplugError}` : '';
  return `${[run.script, ...run.args].join(' ')} ${how}${output}${why}`;
}
