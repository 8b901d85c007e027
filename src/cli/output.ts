// Writing to stdout/stderr. Everything the C xl prints goes out plain; colour
// is only for output of our own, and only on a terminal without NO_COLOR.
import { sprintf } from './format.js';

type Arg = Parameters<typeof sprintf>[1];

export function out(text: string): void {
  process.stdout.write(text);
}

export function err(text: string): void {
  process.stderr.write(text);
}

export function printf(fmt: string, ...args: Arg[]): void {
  out(sprintf(fmt, ...args));
}

export function eprintf(fmt: string, ...args: Arg[]): void {
  err(sprintf(fmt, ...args));
}

/** Resolves once everything written so far has reached the OS, so an exit
 *  right after cannot cut output short (pipes are asynchronous). */
export function flush(): Promise<void> {
  const one = (s: NodeJS.WriteStream) =>
    new Promise<void>((resolve) => {
      if (s.destroyed || s.writableLength === 0) resolve();
      else s.write('', () => resolve());
    });
  return Promise.all([one(process.stdout), one(process.stderr)]).then(() => undefined);
}

export function colourEnabled(
  stream: { isTTY?: boolean } = process.stdout,
  env: NodeJS.ProcessEnv = process.env,
): boolean {
  // no-color.org: any non-empty NO_COLOR turns colour off.
  return stream.isTTY === true && !env.NO_COLOR;
}

/** chalk, loaded on first use; it has no colours when colourEnabled() is false. */
export async function loadChalk() {
  const { Chalk } = await import('chalk');
  return colourEnabled() ? new Chalk() : new Chalk({ level: 0 });
}
