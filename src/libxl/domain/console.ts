// Attaching to a guest console: what libxl_console_exec hands to Xen's
// xenconsole client (tools/console/client/main.c), done in-process. The pty
// xenconsoled opened for the console is named in xenstore; we wait up to 5 s
// for it, put it (and an interactive terminal) in raw mode, copy both ways,
// and stop on the escape character or when the console goes away (domain
// destroyed: its tty node disappears).
import { constants, openSync } from 'node:fs';
import { ReadStream, WriteStream } from 'node:tty';
import type { LibxlContext } from '../context.js';
import { LIBXL_ERROR } from './domains.js';
import { LibxlError, domainType, watchUntil, xsRead } from '../xs-util.js';

export type ConsoleType = 'pv' | 'serial' | 'vuart';

/** xenconsole's default escape: ^]. */
export const DEFAULT_ESCAPE = 0x1d;
/** How long xenconsole waits for xenconsoled to publish the pty. */
const TTY_WAIT_MS = 5000;

/** xenconsole's choice of node: serial falls back to pv when the domain has no such serial. */
export async function consoleTtyNode(ctx: LibxlContext, domid: number, type: ConsoleType | null, num: number): Promise<string> {
  const xs = await ctx.xs();
  const dom = `/local/domain/${domid}`;
  let t = type;
  if (t === null) {
    const dt = await domainType(ctx, domid);
    if (dt === null) throw new LibxlError('Failed to get domain information', LIBXL_ERROR.FAIL);
    t = dt === 'hvm' ? 'serial' : 'pv';
  }
  if (t === 'serial') {
    const p = `${dom}/serial/${num}/tty`;
    if ((await xsRead(xs, p)) !== null) return p;
    t = 'pv';
  }
  if (t === 'vuart') return `${dom}/vuart/0/tty`;
  return num === 0 ? `${dom}/console/tty` : `${dom}/device/console/${num}/tty`;
}

export interface AttachOptions {
  escape?: number;
  input?: NodeJS.ReadStream;
  output?: NodeJS.WritableStream;
  /** Called once the pty is open (xl create -c waits for it, as with --start-notify-fd). */
  onReady?: () => void;
}

/** Open the pty named at `node`, waiting for xenconsoled to publish it; null when it does not come. */
async function openPty(ctx: LibxlContext, node: string, waitMs: number): Promise<{ fd: number; path: string } | null> {
  let opened: { fd: number; path: string } | null = null;
  const tryOpen = (path: string | null): boolean => {
    if (!path) return false;
    try {
      opened = { fd: openSync(path, constants.O_RDWR | constants.O_NOCTTY), path };
      return true;
    } catch {
      return false; // xenconsoled is still setting it up: the next change or the deadline decides
    }
  };
  await watchUntil(await ctx.xs(), node, tryOpen, waitMs);
  return opened;
}

/**
 * Copy between the console and this terminal until the escape character,
 * the console going away, or the end of our input. Resolves with the exit
 * status xenconsole would have.
 */
export async function attachConsole(ctx: LibxlContext, domid: number, node: string, opts: AttachOptions = {}): Promise<number> {
  if (domid === 0) throw new LibxlError("Can't specify Domain-0", LIBXL_ERROR.INVAL);
  const escape = opts.escape ?? DEFAULT_ESCAPE;
  const input = opts.input ?? process.stdin;
  const output = opts.output ?? process.stdout;
  const pty = await openPty(ctx, node, TTY_WAIT_MS);
  if (!pty) throw new LibxlError('Could not read tty from store', LIBXL_ERROR.FAIL);

  // Two descriptors: libuv's tty handles each want their own.
  const reader = new ReadStream(pty.fd);
  const writeFd = openSync(pty.path, constants.O_RDWR | constants.O_NOCTTY);
  const writer = new WriteStream(writeFd);
  reader.setRawMode(true);
  const interactive = Boolean(input.isTTY && (output as NodeJS.WriteStream).isTTY);
  if (interactive) input.setRawMode(true);

  const xs = await ctx.xs();
  const watch = await xs.watch(node);
  opts.onReady?.();

  return new Promise<number>((resolve) => {
    let finished = false;
    const finish = (status: number) => {
      if (finished) return;
      finished = true;
      if (interactive) input.setRawMode(false);
      input.off('data', onInput);
      input.pause();
      reader.destroy();
      writer.destroy();
      void watch.close().catch(() => undefined);
      resolve(status);
    };
    const onInput = (chunk: Buffer) => {
      // As xenconsole: the escape counts when it arrives on its own (a key press, not pasted text).
      if (chunk.length === 1 && chunk[0] === escape) return finish(0);
      writer.write(chunk);
    };
    reader.on('data', (chunk: Buffer) => output.write(chunk));
    // EIO once xenconsoled closes the pty; the tty node tells whether the console is gone.
    reader.on('error', () => undefined);
    writer.on('error', () => undefined);
    if (interactive) {
      input.on('data', onInput);
      input.on('end', () => finish(1));
      input.resume();
    }
    void (async () => {
      try {
        for await (const _ of watch) {
          if (!(await xsRead(xs, node))) return finish(0);
        }
      } catch {
        finish(1);
      }
    })();
  });
}
