// Hands the commands run by runMain() a libxl context over the fakes. Commands open their context through
// openContext(); a test file mocks src/libxl/context.js with contextModule (vi.mock is hoisted per file, so the call
// stays in each file; its factory imports this module, which therefore imports nothing from src at run time):
//
//   vi.mock('../../../src/libxl/context.js', async (importOriginal) =>
//     (await import('./fake-context.js')).contextModule(importOriginal));
//
// then installs a host with useHost() in beforeEach and calls releaseHost() in afterEach.
import { vi } from 'vitest';
import type * as Context from '../../../src/libxl/context.js';
import type { LibxlContext } from '../../../src/libxl/context.js';

/** The context openContext() hands out; null: the real openContext. */
export const current: { ctx: LibxlContext | null } = { ctx: null };

/** A fake host: its context, and how to close it with what serves it (FakeHost has that shape). */
export interface ContextHost {
  ctx: LibxlContext;
  close(): Promise<void>;
}

let installed: ContextHost | undefined;

/** The vi.mock factory for src/libxl/context.js: the real module, with openContext() handing out `current.ctx`. */
export async function contextModule(importOriginal: <T>() => Promise<T>): Promise<typeof Context> {
  const real = await importOriginal<typeof Context>();
  return {
    ...real,
    openContext: (o?: Parameters<typeof real.openContext>[0]) => {
      const ctx = current.ctx;
      if (!ctx) return real.openContext(o);
      // Commands close their context; the test closes the fake host itself (releaseHost).
      return { xc: () => ctx.xc(), xs: () => ctx.xs(), close: async () => undefined };
    },
  };
}

/** Commands get `host`'s context until releaseHost(), which closes it. */
export function useHost<H extends ContextHost>(host: H): H {
  installed = host;
  current.ctx = host.ctx;
  return host;
}

/** afterEach: unstub the environment, back to the real openContext, close the host useHost() installed. */
export async function releaseHost(): Promise<void> {
  vi.unstubAllEnvs();
  current.ctx = null;
  const host = installed;
  installed = undefined;
  await host?.close();
}
