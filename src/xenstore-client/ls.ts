// Text rendering of a subtree, byte-for-byte what `xenstore-ls [-p] [-f]`
// prints (tools/xs-clients/xenstore_client.c), so lab tests can diff our
// trees against the C tool's.
import { XenStoreError } from './errors.js';
import { formatPerms } from './perms.js';
import { joinPath } from './paths.js';
import type { XenStoreOps } from './client.js';

export interface LsOptions {
  /** -p: append "  (perms)" to each line. */
  perms?: boolean;
  /** -f: print full paths, never truncate. */
  flat?: boolean;
  /**
   * Line width. xenstore-ls uses 80 when stdout is not a terminal and the
   * terminal's columns minus 2 when it is.
   */
  width?: number;
  /** What xenstore-ls would print on stderr (unreadable permissions). */
  onWarning?: (message: string) => void;
  /** Requests in flight at once. Default 32. */
  concurrency?: number;
}

/** Width of ` = "..."`, reserved when truncating. */
const TAG_LEN = 8;
/** Column up to which -p pads with ". . ." before the permissions. */
const DESIRED_WIDTH = 60;

/** Escape a value as xenstore-ls does: printable ASCII as is, the rest as \t \n \r \\ \ooo \xhh. */
export function sanitiseValue(value: Uint8Array): string {
  let out = '';
  for (const c of value) {
    if (c >= 0x20 && c <= 0x7e && c !== 0x5c) {
      out += String.fromCharCode(c);
      continue;
    }
    out += '\\';
    if (c === 0x09) out += 't';
    else if (c === 0x0a) out += 'n';
    else if (c === 0x0d) out += 'r';
    else if (c === 0x5c) out += '\\';
    else if (c < 8) out += c.toString(8).padStart(3, '0');
    else out += `x${c.toString(16).padStart(2, '0')}`;
  }
  return out;
}

/** printf("%.*s"): a negative precision means no limit. */
const clip = (s: string, precision: number) => (precision < 0 ? s : s.slice(0, precision));

/**
 * Render the children of `path` recursively. Nodes that vanish while
 * walking are skipped; a failing listing of `path` itself throws, as
 * xenstore-ls exits there.
 */
export async function renderTree(xs: XenStoreOps, path: string, opts: LsOptions = {}): Promise<string> {
  const maxWidth = opts.flat ? Math.floor(0x7fffffff / 2) : (opts.width ?? 80);
  const desired = opts.flat ? 0 : DESIRED_WIDTH;
  const limit = limiter(opts.concurrency ?? 32);

  const node = async (parent: string, name: string, depth: number): Promise<string> => {
    const full = joinPath(parent, name);
    const [value, perms] = await Promise.all([
      limit(() => xs.readBuffer(full)).catch(() => undefined),
      opts.perms ? limit(() => xs.getPerms(full)).catch((e: unknown) => e as Error) : undefined,
    ]);
    let line: string;
    let linewid = 0;
    if (opts.flat) line = full;
    else {
      line = ' '.repeat(depth) + clip(name, maxWidth - TAG_LEN - depth);
      linewid = line.length;
    }
    if (value === undefined) line += ':\n';
    else {
      const shown = sanitiseValue(value);
      if (maxWidth < linewid + value.length + TAG_LEN) {
        line += ` = "${clip(shown, maxWidth - TAG_LEN - linewid)}\\..."`;
      } else {
        const seg = ` = "${shown}"`;
        line += seg;
        linewid += seg.length;
        if (opts.perms) {
          line += ' ';
          for (linewid++; linewid < Math.min(desired, maxWidth); linewid++) line += linewid & 1 ? '.' : ' ';
        }
      }
    }
    if (perms instanceof Error) opts.onWarning?.(`could not access permissions for ${name}: ${perms.message}`);
    else if (perms) line += `  (${formatPerms(perms).join(',')})`;
    return line + '\n' + (await level(full, depth + 1));
  };

  const level = async (dir: string, depth: number): Promise<string> => {
    let names: string[];
    try {
      names = await limit(() => xs.directory(dir));
    } catch (e) {
      if (depth > 0 && XenStoreError.is(e, 'ENOENT')) return '';
      throw e;
    }
    return (await Promise.all(names.map((n) => node(dir, n, depth)))).join('');
  };

  return level(path, 0);
}

/** Run at most `n` of the given tasks at once. */
function limiter(n: number): <T>(task: () => Promise<T>) => Promise<T> {
  let running = 0;
  const queue: (() => void)[] = [];
  return async <T>(task: () => Promise<T>) => {
    // A finishing task hands its slot straight to the next waiter.
    if (running >= n) await new Promise<void>((r) => queue.push(r));
    else running++;
    try {
      return await task();
    } finally {
      const next = queue.shift();
      if (next) next();
      else running--;
    }
  };
}
