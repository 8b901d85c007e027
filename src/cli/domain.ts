// Shared by commands that talk to Xen: a libxl context per run and xl's
// find_domain(), whose failure text the C xl prints without "xl: ".
import { openContext, type LibxlContext } from '../libxl/context.js';
import { InvalidDomainError, resolveDomain } from '../libxl/domain/domains.js';
import { Exit } from './errors.js';

/** Run `fn` with a fresh libxl context, closed afterwards whatever happens. */
export async function withContext<T>(fn: (ctx: LibxlContext) => Promise<T> | T): Promise<T> {
  const ctx = openContext();
  try {
    return await fn(ctx);
  } finally {
    await ctx.close();
  }
}

/** xl's find_domain(): exits 1 with "<arg> is an invalid domain identifier (rc=N)". */
export async function findDomain(ctx: LibxlContext, qualifier: string): Promise<{ domid: number; name: string | null }> {
  try {
    return await resolveDomain(ctx, qualifier);
  } catch (e) {
    if (e instanceof InvalidDomainError) throw new Exit(1, `${e.message}\n`);
    throw e;
  }
}
