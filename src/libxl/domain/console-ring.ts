// Xen's console ring (the hypervisor's own log), read as libxl's
// libxl_xen_console_read_* do for `xl dmesg`: incremental readconsole
// sysctls from index 0 until one returns nothing, optionally clearing what
// was read. Bytes are kept as Xen wrote them.
import type { ConsoleChunk, XenCtrl } from '../../privcmd/xenctrl.js';

export type ConsoleXc = Pick<XenCtrl, 'readConsole'>;

/** libxl's reader buffer: Xen's default ring size (16 KiB). */
export const CONSOLE_READ_SIZE = 16384;

/**
 * The ring in chunks as Xen hands them over. With `clear`, each read also
 * consumes what it returned, so a later read starts after it.
 */
export function* readConsoleRing(xc: ConsoleXc, opts: { clear?: boolean } = {}): Generator<Buffer> {
  let index = 0;
  for (;;) {
    const c: ConsoleChunk = xc.readConsole({ clear: opts.clear, incremental: true, index, size: CONSOLE_READ_SIZE });
    if (c.text.length === 0) return;
    // readConsole decodes as latin1, which round-trips every byte.
    yield Buffer.from(c.text, 'latin1');
    index = c.index;
  }
}

/**
 * What xl's printf("%s") of one chunk writes: the chunk up to its first NUL
 * (libxl hands xl a C string).
 */
export function asCString(chunk: Buffer): Buffer {
  const nul = chunk.indexOf(0);
  return nul < 0 ? chunk : chunk.subarray(0, nul);
}
