// The libxl context: what libxl_ctx_alloc opens (a privcmd handle and a
// xenstore connection), but each opened on first use so a command pays only
// for what it touches. Open failures become one-line XlErrors that start with
// the C xl's "cannot init xl context" and say why.
import { XenCtrl, type OpenOptions } from '../privcmd/xenctrl.js';
import { PrivcmdError, XenVersionError } from '../privcmd/errors.js';
import { XenStore, type ConnectOptions } from '../xenstore-client/client.js';
import { XenStoreError } from '../xenstore-client/errors.js';
import { XlError } from './errors.js';

export interface ContextOptions {
  /** Passed to XenCtrl.open (tests give a fake transport). */
  privcmd?: OpenOptions;
  /** Passed to XenStore.connect. */
  xenstore?: ConnectOptions;
  /** Replace the openers outright (unit tests with fakes). */
  openXc?: () => XenCtrl;
  connectXs?: () => Promise<XenStore>;
}

export interface LibxlContext {
  /** The hypercall handle, opened on the first call. */
  xc(): XenCtrl;
  /** The xenstore connection, opened on the first call. */
  xs(): Promise<XenStore>;
  /** Close whatever was opened; the context cannot be used afterwards. */
  close(): Promise<void>;
}

/** What the C xl prints when libxl_ctx_alloc fails. */
export const CTX_FAIL = 'cannot init xl context';

const NO_DEVICE = new Set(['ENOENT', 'ENXIO', 'ENODEV']);
const DENIED = new Set(['EACCES', 'EPERM']);

/** An error from opening privcmd, as the one line the user sees. */
export function privcmdOpenError(e: unknown): XlError {
  if (e instanceof XlError) return e;
  if (e instanceof XenVersionError) return new XlError(`${CTX_FAIL}: ${e.message}`, 1, { cause: e });
  if (e instanceof PrivcmdError) {
    // native.open names its op "open <path>".
    const dev = e.op.startsWith('open ') ? e.op.slice(5) : 'privcmd';
    if (NO_DEVICE.has(e.code)) {
      return new XlError(`${CTX_FAIL}: no privcmd device (${dev}): not running on a Xen dom0?`, 1, { cause: e });
    }
    if (DENIED.has(e.code)) return new XlError(`${CTX_FAIL}: ${dev}: permission denied, are you root?`, 1, { cause: e });
  }
  const msg = e instanceof Error ? e.message : String(e);
  return new XlError(`${CTX_FAIL}: cannot open libxc handle: ${msg}`, 1, { cause: e });
}

/** An error from connecting to xenstored, as the one line the user sees. */
export function xenstoreOpenError(e: unknown): XlError {
  if (e instanceof XlError) return e;
  const msg = e instanceof Error ? e.message : String(e);
  if (e instanceof XenStoreError && DENIED.has(e.code)) {
    return new XlError(`${CTX_FAIL}: cannot connect to xenstore: permission denied, are you root?`, 1, { cause: e });
  }
  if (e instanceof XenStoreError && e.code === 'ENOENT') {
    return new XlError(`${CTX_FAIL}: cannot connect to xenstore: xenstored not running or not a Xen dom0 (${msg})`, 1, { cause: e });
  }
  return new XlError(`${CTX_FAIL}: cannot connect to xenstore: ${msg}`, 1, { cause: e });
}

export function openContext(opts: ContextOptions = {}): LibxlContext {
  let xc: XenCtrl | undefined;
  let xs: Promise<XenStore> | undefined;
  let closed = false;
  const live = () => {
    if (closed) throw new XlError('libxl context used after close');
  };
  return {
    xc() {
      live();
      if (!xc) {
        try {
          xc = opts.openXc ? opts.openXc() : XenCtrl.open(opts.privcmd);
        } catch (e) {
          throw privcmdOpenError(e);
        }
      }
      return xc;
    },
    xs() {
      live();
      xs ??= (opts.connectXs ? opts.connectXs() : XenStore.connect(opts.xenstore)).catch((e: unknown) => {
        xs = undefined; // a later call may try again
        throw xenstoreOpenError(e);
      });
      return xs;
    },
    async close() {
      if (closed) return;
      closed = true;
      const x = xc;
      const s = xs;
      xc = undefined;
      xs = undefined;
      x?.close();
      if (s) await s.then((c) => c.close(), () => undefined);
    },
  };
}
