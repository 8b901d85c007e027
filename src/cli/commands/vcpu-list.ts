// `xl vcpu-list [Domain...]` (C main_vcpulist, tools/xl/xl_vcpu.c): one line
// per vcpu with its pcpu, state, time and hard / soft affinity written as
// cpu ranges (C print_bitmap in xl_utils.c). --json is ours.
import { isPrivcmdError } from '../../privcmd/errors.js';
import type { LibxlContext } from '../../libxl/context.js';
import { domainName, listDomainInfo } from '../../libxl/domain/domains.js';
import { listVcpus, type LibxlVcpuInfo } from '../../libxl/host/vcpus.js';
import { findDomain, withContext } from '../domain.js';
import { sprintf } from '../format.js';
import { err, out } from '../output.js';
import type { CommandContext } from '../types.js';

export const HEADER = sprintf('%-32s %5s %5s %5s %5s %9s %s\n', 'Name', 'ID', 'VCPU', 'CPU', 'State', 'Time(s)', 'Affinity (Hard / Soft)');

/**
 * C print_bitmap over the first `maplen` cpus: "all" when every one is set,
 * "none" when none is, else ranges like "0,2-3".
 */
export function formatCpumap(cpus: Iterable<number>, maplen: number): string {
  const set = new Set(cpus);
  const runs: [number, number][] = [];
  for (let i = 0; i < maplen; i++) {
    if (!set.has(i)) continue;
    const last = runs[runs.length - 1];
    if (last && last[1] === i - 1) last[1] = i;
    else runs.push([i, i]);
  }
  if (runs.length === 0) return 'none';
  if (runs.length === 1 && runs[0][0] === 0 && runs[0][1] === maplen - 1) return 'all';
  return runs.map(([a, b]) => (b > a ? `${a}-${b}` : `${a}`)).join(',');
}

/** A uint64 as C's (float) cast gives it: nearest single, ties to even. */
export function toFloat32(n: bigint): number {
  const bits = n.toString(2).length;
  if (bits <= 24) return Number(n);
  const shift = BigInt(bits - 24);
  let q = n >> shift;
  const rem = n - (q << shift);
  const half = 1n << (shift - 1n);
  if (rem > half || (rem === half && (q & 1n) === 1n)) q++;
  return Number(q) * 2 ** Number(shift);
}

/** Seconds as xl computes them: (float)vcpu_time / 1e9. */
export const vcpuSeconds = (ns: bigint): number => toFloat32(ns) / 1e9;

/** The State column: r(unning) b(locked) p(aused = offline). */
export const vcpuState = (v: LibxlVcpuInfo): string =>
  v.online ? `${v.running ? 'r' : '-'}${v.blocked ? 'b' : '-'}-` : '--p';

export function vcpuLine(name: string | null, domid: number, v: LibxlVcpuInfo, maplen: number): string {
  let s = sprintf('%-32s %5u %5u', name, domid, v.vcpu);
  // C: "%5u %3c%c- " or "%5c %3c%cp ", i.e. the state right-aligned in 5.
  s += v.online ? sprintf('%5u %5s ', v.cpu, vcpuState(v)) : sprintf('%5s %5s ', '-', vcpuState(v));
  s += sprintf('%9.1f  ', vcpuSeconds(v.cpuTime));
  return `${s}${formatCpumap(v.hard, maplen)} / ${formatCpumap(v.soft, maplen)}\n`;
}

export function vcpuJson(name: string | null, domid: number, v: LibxlVcpuInfo, maplen: number): Record<string, unknown> {
  return {
    name,
    domid,
    vcpu: v.vcpu,
    cpu: v.online ? v.cpu : null,
    online: v.online,
    running: v.running,
    blocked: v.blocked,
    state: vcpuState(v),
    time: Number(v.cpuTime) / 1e9,
    hard_affinity: v.hard.filter((c) => c < maplen),
    soft_affinity: v.soft.filter((c) => c < maplen),
    hard_affinity_text: formatCpumap(v.hard, maplen),
    soft_affinity_text: formatCpumap(v.soft, maplen),
  };
}

/** libxl_list_vcpu for one domain; on failure libxl logs and xl prints nothing for it. */
function vcpusOf(ctx: LibxlContext, domid: number): LibxlVcpuInfo[] {
  try {
    return listVcpus(ctx.xc(), domid);
  } catch (e) {
    if (!isPrivcmdError(e)) throw e;
    // libxl's wording: the domain lookup fails first for a domain that is not there.
    const what = e.code === 'ESRCH' ? 'Getting dominfo' : 'Getting vcpu info';
    err(`libxl: error: Domain ${domid}:${what}: ${e.message}\n`);
    return [];
  }
}

export async function run(ctx: CommandContext): Promise<number> {
  let json = false;
  const opts = ctx.options();
  for (const { opt } of opts) if (opt === 'json') json = true;
  const args = opts.operands;
  return withContext(async (lctx) => {
    const xc = lctx.xc();
    let maplen: number;
    try {
      maplen = xc.physinfo().maxCpuId + 1;
    } catch (e) {
      if (!isPrivcmdError(e)) throw e;
      err(`libxl: error: getting physinfo: ${e.message}\nlibxl_physinfo failed.\n`);
      return 0;
    }
    const rows: Record<string, unknown>[] = [];
    const show = (name: string | null, domid: number) => {
      for (const v of vcpusOf(lctx, domid)) {
        if (json) rows.push(vcpuJson(name, domid, v, maplen));
        else out(vcpuLine(name, domid, v, maplen));
      }
    };
    if (!json) out(HEADER);
    if (args.length === 0) {
      for (const d of await listDomainInfo(lctx)) show(d.name, d.domid);
    } else {
      // As in C, each domain is looked up when its turn comes, after the earlier ones printed.
      for (const a of args) {
        const { domid } = await findDomain(lctx, a);
        show(await domainName(lctx, domid), domid);
      }
    }
    if (json) out(JSON.stringify(rows, null, 2) + '\n');
    return 0;
  });
}
