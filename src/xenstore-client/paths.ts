// Path rules from docs/misc/xenstore.txt, checked before sending so a bad
// path fails here with a clear message instead of an EINVAL round trip.
import { ABS_PATH_MAX, REL_PATH_MAX } from './protocol.js';
import { XenStoreError } from './errors.js';

// ASCII alphanumerics plus - / _ @ (the set xenstored's valid_chars accepts).
const VALID = /^[A-Za-z0-9\-/_@]+$/;

export interface PathCheckOptions {
  /** Allow @introduceDomain, @releaseDomain (and @releaseDomain/<domid>). */
  special?: boolean;
  /** For error messages. */
  op?: string;
}

/** Why `path` is unacceptable, or undefined if it is fine. */
export function pathProblem(path: string, opts: PathCheckOptions = {}): string | undefined {
  if (typeof path !== 'string' || path.length === 0) return 'empty path';
  if (!VALID.test(path)) return 'only A-Z a-z 0-9 - / _ @ are allowed';
  if (path[0] === '@') {
    if (!opts.special) return 'special @ paths are only for watches and permissions';
    return path.length > ABS_PATH_MAX ? `longer than ${ABS_PATH_MAX} bytes` : undefined;
  }
  if (path.includes('//')) return 'doubled slash';
  if (path.length > 1 && path.endsWith('/')) return 'trailing slash';
  const max = path[0] === '/' ? ABS_PATH_MAX : REL_PATH_MAX;
  if (path.length > max) return `longer than ${max} bytes`;
  return undefined;
}

/** Throw EINVAL unless `path` is a valid xenstore path. */
export function checkPath(path: string, opts: PathCheckOptions = {}): void {
  const why = pathProblem(path, opts);
  if (why) throw new XenStoreError('EINVAL', `bad path ${JSON.stringify(path)}: ${why}`, { op: opts.op });
}

/** Join a parent and child name the way xenstore-ls does ("/" has no extra slash). */
export function joinPath(parent: string, child: string): string {
  return parent.endsWith('/') ? parent + child : `${parent}/${child}`;
}

/** Domain ids travel as decimal strings; 0..65535 covers DOMID_* specials. */
export function checkDomid(domid: number, what = 'domid'): string {
  if (!Number.isInteger(domid) || domid < 0 || domid > 0xffff) {
    throw new XenStoreError('EINVAL', `${what} ${domid} is not in 0..65535`);
  }
  return String(domid);
}
