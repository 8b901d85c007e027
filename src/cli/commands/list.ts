// `xl list [-l] [-v] [-Z] [-c] [-n] [--json] [Domain]`, as C main_list /
// list_domains print it (tools/xl/xl_info.c). Kept light: `-l` loads its
// module only when asked.
import type { LibxlContext } from '../../libxl/context.js';
import { domainInfo, listDomainInfo, xsReadOrNull, type Dominfo } from '../../libxl/domain/domains.js';
import { findDomain, withContext } from '../domain.js';
import { sprintf } from '../format.js';
import { err, out } from '../output.js';
import type { CommandContext } from '../types.js';

/** list_domains' letters for shutdown reasons 0..5. */
const SHUTDOWN_LETTERS = '-rscwS';

export interface ListFlags {
  verbose: boolean;
  context: boolean;
  cpupool: boolean;
  numa?: boolean;
}

/**
 * xl's print_bitmap over `len` bits: ranges "0-3,6", "all" when every bit
 * from 0 is set, "none" when none is.
 */
export function bitmapText(set: ReadonlySet<number>, len: number): string {
  const runs: [number, number][] = [];
  for (let i = 0; i < len; i++) {
    if (!set.has(i)) continue;
    const start = i;
    while (i + 1 < len && set.has(i + 1)) i++;
    runs.push([start, i]);
  }
  if (runs.length === 0) return 'none';
  if (runs.length === 1 && runs[0][0] === 0 && runs[0][1] === len - 1) return 'all';
  return runs.map(([a, b]) => (b > a ? `${a}-${b}` : `${a}`)).join(',');
}

/** The six state letters: r b p s <reason> d. */
export function stateLetters(d: Dominfo): string {
  const reason = d.shutdown ? d.shutdownReason : 0;
  return (
    (d.running ? 'r' : '-') +
    (d.blocked ? 'b' : '-') +
    (d.paused ? 'p' : '-') +
    (d.shutdown ? 's' : '-') +
    (reason >= 0 && reason < SHUTDOWN_LETTERS.length ? SHUTDOWN_LETTERS[reason] : '?') +
    (d.dying ? 'd' : '-')
  );
}

/** Mem column: (current + outstanding) KiB in whole MiB. */
export const memMiB = (d: Dominfo): number => Math.floor((d.currentMemkb + d.outstandingMemkb) / 1024);

/** Time(s): C converts the ns count to float before dividing. */
export const cpuSeconds = (d: Dominfo): number => Math.fround(Number(d.cpuTime)) / 1e9;

export function listHeader(f: ListFlags): string {
  let s = 'Name                                        ID   Mem VCPUs\tState\tTime(s)';
  if (f.verbose) s += '   UUID                            Reason-Code\tSecurity Label';
  if (f.context && !f.verbose) s += '   Security Label';
  if (f.cpupool) s += '         Cpupool';
  if (f.numa) s += ' NODE Affinity';
  return s + '\n';
}

/** One row; `pool` is the cpupool name for -c (null prints as glibc does), `nodes` the -n text. */
export function listRow(d: Dominfo, f: ListFlags, pool?: string | null, nodes?: string): string {
  let s = sprintf('%-40s %5d %5lu %5d     %s  %8.1f', d.name, d.domid, memMiB(d), d.vcpuOnline, stateLetters(d), cpuSeconds(d));
  if (f.verbose) {
    s += ' ' + d.uuid;
    s += d.shutdown ? sprintf(' %8x', d.shutdownReason) : sprintf(' %8s', '-');
  }
  if (f.verbose || f.context) s += sprintf(' %16s', d.ssidLabel ?? '-');
  if (f.cpupool) s += sprintf('%16s', pool);
  if (f.numa) s += ' ' + nodes;
  return s + '\n';
}

/** Ours: `xl list --json`, the live state only. */
export function listJson(doms: readonly Dominfo[]): string {
  const rows = doms.map((d) => ({
    id: d.domid,
    name: d.name,
    uuid: d.uuid,
    state: stateLetters(d),
    shutdown_reason: d.shutdown ? d.shutdownReason : null,
    memory: memMiB(d),
    max_memory_kb: d.maxMemkb,
    vcpus: d.vcpuOnline,
    cpu_time: Number(d.cpuTime) / 1e9,
    type: d.domainType,
  }));
  return JSON.stringify(rows, null, 2) + '\n';
}

async function poolNames(ctx: LibxlContext, doms: readonly Dominfo[]): Promise<(string | null)[]> {
  // libxl_cpupoolid_to_name formats the pool id with %d.
  return Promise.all(doms.map((d) => xsReadOrNull(ctx, `/local/pool/${d.cpupool | 0}/name`)));
}

export async function run(ctx: CommandContext): Promise<number> {
  const f: ListFlags = { verbose: false, context: false, cpupool: false };
  let details = false;
  let json = false;
  const opts = ctx.options();
  for (const { opt } of opts) {
    if (opt === 'l') details = true;
    else if (opt === 'v') f.verbose = true;
    else if (opt === 'Z') f.context = true;
    else if (opt === 'c') f.cpupool = true;
    else if (opt === 'n') f.numa = true;
    else if (opt === 'json') json = true;
  }
  const args = opts.operands;
  if (args.length > 1) {
    ctx.help('list');
    return 1;
  }

  return withContext(async (lctx) => {
    let doms: Dominfo[];
    if (args.length === 0) {
      doms = await listDomainInfo(lctx);
    } else {
      const { domid } = await findDomain(lctx, args[0]);
      const one = await domainInfo(lctx, domid);
      if (!one) {
        err(`Error: Domain '${args[0]}' does not exist.\n`);
        return 1;
      }
      doms = [one];
    }
    if (details) {
      const { listDetails } = await import('../../libxl/domain/domain-config.js');
      // libxl logs why it skips a domain (dom0 has no stored config).
      out(await listDetails(lctx, doms, { warn: (m) => err(`libxl: error: ${m}\n`) }));
      return 0;
    }
    if (json) {
      out(listJson(doms));
      return 0;
    }
    const pools = f.cpupool ? await poolNames(lctx, doms) : [];
    let nodes: string[] = [];
    if (f.numa) {
      const xc = lctx.xc();
      const nrNodes = xc.physinfo().nrNodes;
      nodes = doms.map((d) => bitmapText(new Set(xc.getNodeAffinity(d.domid)), nrNodes));
    }
    let text = listHeader(f);
    doms.forEach((d, i) => {
      text += listRow(d, f, pools[i], nodes[i]);
    });
    out(text);
    return 0;
  });
}
