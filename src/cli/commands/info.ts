// `xl info [-n] [name]` (C main_info, tools/xl/xl_info.c): uname, physinfo,
// optionally the NUMA topology, then the Xen version facts, with the C xl's
// labels, order and number formats. A name argument prints only the values
// of fields whose line starts with it (C maybe_printf). --json is ours: the
// same facts as one object, keys named like the text fields.
import { isPrivcmdError } from '../../privcmd/errors.js';
import type { PhysInfo, VersionInfo } from '../../privcmd/info.js';
import type { CpuTopology, NumaNode } from '../../privcmd/xenctrl.js';
import {
  armSveVectorLength, getCpuTopology, getFreeCpus, getNumaInfo, getPciTopology, getPhysInfo,
  getSchedulerName, getVersionInfo, memoryMiB, nodeInfo, virtCaps,
  type HostPhysInfo, type HostXc, type NodeInfo, type PciTopology,
} from '../../libxl/host/host-info.js';
import { withContext } from '../domain.js';
import { sprintf } from '../format.js';
import { err, out } from '../output.js';
import { compareXen } from '../target.js';
import type { CommandContext, Target } from '../types.js';

/** Width of the label column: "xen_major              : ". */
const LABEL_WIDTH = 23;

/** One `label : value` line; virt_caps passes its own leading spaces. */
export const field = (label: string, value: string | number | bigint, raw = false): string =>
  `${label.padEnd(LABEL_WIDTH)}:${raw ? '' : ' '}${value}\n`;

export function nodeLines(n: NodeInfo): string[] {
  return [field('host', n.host), field('release', n.release), field('version', n.version), field('machine', n.machine)];
}

const hex8 = (v: number) => sprintf('%08x', v);

/** physinfo section; `pagesize` null (no version info) drops the memory lines, `freeCpus` null drops free_cpus. */
export function physLines(p: HostPhysInfo, pagesize: number | null, freeCpus: number | null, target: Target): string[] {
  const lines = [
    field('nr_cpus', p.nrCpus),
    field('max_cpu_id', p.maxCpuId),
    field('nr_nodes', p.nrNodes),
    field('cores_per_socket', p.coresPerSocket),
    field('threads_per_core', p.threadsPerCore),
    field('cpu_mhz', sprintf('%d.%03d', Math.trunc(p.cpuKhz / 1000), p.cpuKhz % 1000)),
    field('hw_caps', Array.from({ length: 8 }, (_, i) => hex8(p.hwCap[i] ?? 0)).join(':')),
    field('virt_caps', virtCaps(p).map((w) => ` ${w}`).join(''), true),
  ];
  // Arm builds of xl print the SVE vector length from 4.18 on.
  if (target.arch === 'arm' && compareXen(target.xen, '4.18') >= 0) {
    lines.push(field('arm_sve_vector_length', armSveVectorLength(p.archCapabilities)));
  }
  if (pagesize !== null) {
    const m = memoryMiB(p, pagesize);
    lines.push(
      field('total_memory', m.total),
      field('free_memory', m.free),
      field('sharing_freed_memory', m.sharingFreed),
      field('sharing_used_memory', m.sharingUsed),
      field('outstanding_claims', m.outstandingClaims),
    );
  }
  if (freeCpus !== null) lines.push(field('free_cpus', freeCpus));
  return lines;
}

/** build_id when Xen gives none: libxl 4.20 passes NULL to printf, older ones "". */
export const missingBuildId = (target: Target): string => (compareXen(target.xen, '4.20') >= 0 ? '(null)' : '');

export function xenLines(v: VersionInfo, scheduler: string | null, target: Target): string[] {
  return [
    field('xen_major', v.major),
    field('xen_minor', v.minor & 0xff),
    field('xen_extra', v.extra),
    field('xen_version', `${v.major}.${v.minor & 0xff}${v.extra}`),
    field('xen_caps', v.capabilities),
    field('xen_scheduler', scheduler ?? '(null)'),
    field('xen_pagesize', v.pagesize),
    field('platform_params', `virt_start=0x${v.virtStart.toString(16)}`),
    field('xen_changeset', v.changeset),
    field('xen_commandline', v.commandline),
    field('cc_compiler', v.compiler),
    field('cc_compile_by', v.compileBy),
    field('cc_compile_domain', v.compileDomain),
    field('cc_compile_date', v.compileDate),
    field('build_id', v.buildId ?? missingBuildId(target)),
  ];
}

export const XEND_CONFIG_FORMAT = field('xend_config_format', 4);

/** -n: the cpu_topology section (cpus without a core are left out). */
export function cpuTopologyText(cpus: CpuTopology[]): string {
  let s = 'cpu_topology           :\ncpu:    core    socket     node\n';
  // libxl prints an invalid socket or node as its ~0 entry, i.e. -1.
  const n = (v: number | null) => (v === null ? -1 : v);
  for (const c of cpus) if (c.core !== null) s += sprintf('%3d:    %4d     %4d     %4d\n', c.cpu, c.core, n(c.socket), n(c.node));
  return s;
}

/** -n: the device topology section (devices without a node are left out). */
export function pciTopologyText(pci: PciTopology[]): string {
  let s = 'device topology        :\ndevice           node\n';
  const known = pci.filter((d) => d.node !== null);
  for (const d of known) {
    s += sprintf('%04x:%02x:%02x.%01x      %d\n', d.seg, d.bus, (d.devfn >> 3) & 0x1f, d.devfn & 7, d.node);
  }
  if (known.length === 0) s += 'No device topology data available\n';
  return s;
}

export function numaText(nodes: NumaNode[]): string {
  let s = 'numa_info              :\nnode:    memsize    memfree    distances\n';
  const d = (v: number | null) => (v === null ? -1 : v);
  for (const node of nodes) {
    if (node.memsize === null) continue;
    // An unknown free size is libxl's 32-bit ~0 entry.
    const free = node.memfree === null ? 0xffffffffn : node.memfree;
    s += sprintf('%4d:    %6d     %6d      %d', node.node, node.memsize >> 20n, free >> 20n, d(node.distances[0] ?? null));
    for (const x of node.distances.slice(1)) s += `,${d(x)}`;
    s += '\n';
  }
  return s;
}

/**
 * C maybe_printf with a name: a line whose start matches prints what follows
 * its first ": "; without a name every line prints whole.
 */
export function selectLines(lines: readonly string[], name: string | undefined): string {
  if (name === undefined) return lines.join('');
  let s = '';
  for (const line of lines) {
    if (!line.startsWith(name)) continue;
    const colon = line.indexOf(':');
    if (colon >= 0 && line[colon + 1] === ' ') s += line.slice(colon + 2);
  }
  return s;
}

/**
 * Runs one libxl step. A hypercall failure prints what libxl logs, then the
 * C xl's own message if it has one, and yields null so the rest goes on.
 */
function step<T>(what: string, cMessage: string | null, fn: () => T): T | null {
  try {
    return fn();
  } catch (e) {
    if (!isPrivcmdError(e)) throw e;
    err(`libxl: error: ${what}: ${e.message}\n${cMessage === null ? '' : `${cMessage}\n`}`);
    return null;
  }
}

function printText(xc: HostXc, numa: boolean, name: string | undefined, target: Target): void {
  const show = (lines: string[]) => out(selectLines(lines, name));
  show(nodeLines(nodeInfo()));
  const p = step('getting physinfo', 'libxl_physinfo failed.', () => getPhysInfo(xc));
  // Needed for the MiB figures; its failure is reported where xl reports it, below.
  let vErr: unknown;
  let v: VersionInfo | null = null;
  try {
    v = getVersionInfo(xc);
  } catch (e) {
    if (!isPrivcmdError(e)) throw e;
    vErr = e;
  }
  if (p) {
    const free = step('getting free cpus', null, () => getFreeCpus(xc).length);
    show(physLines(p, v ? v.pagesize : null, free, target));
  }
  if (numa) {
    const cpus = step('getting cpu topology', 'libxl_get_cpu_topology failed.', () => getCpuTopology(xc));
    if (cpus) {
      out(cpuTopologyText(cpus));
      const pci = step('getting PCI topology', null, () => getPciTopology(xc));
      // null also when dom0 cannot list its PCI devices (no /sys/bus/pci).
      if (pci) out(pciTopologyText(pci));
      else err('libxl_get_pci_topology failed.\n');
    }
    const nodes = step('getting numainfo', 'libxl_get_numainfo failed.', () => getNumaInfo(xc));
    if (nodes) out(numaText(nodes));
  }
  if (!v) {
    err(`libxl: error: getting version info: ${(vErr as Error).message}\nlibxl_get_version_info failed.\n`);
  } else {
    const sched = step('getting scheduler', 'get_scheduler sysctl failed.', () => ({ name: getSchedulerName(xc) }));
    if (sched) show(xenLines(v, sched.name, target));
  }
  show([XEND_CONFIG_FORMAT]);
}

const mib = (v: bigint): number => Number(v);

/** --json: everything as one object, keys as the text labels (memory in MiB). */
export function infoJson(xc: HostXc, numa: boolean, target: Target): Record<string, unknown> {
  const n = nodeInfo();
  const p: PhysInfo & HostPhysInfo = getPhysInfo(xc);
  const v = getVersionInfo(xc);
  const m = memoryMiB(p, v.pagesize);
  const o: Record<string, unknown> = {
    ...n,
    nr_cpus: p.nrCpus,
    max_cpu_id: p.maxCpuId,
    nr_nodes: p.nrNodes,
    cores_per_socket: p.coresPerSocket,
    threads_per_core: p.threadsPerCore,
    cpu_khz: p.cpuKhz,
    hw_caps: Array.from({ length: 8 }, (_, i) => hex8(p.hwCap[i] ?? 0)),
    virt_caps: virtCaps(p),
  };
  if (target.arch === 'arm') o.arm_sve_vector_length = armSveVectorLength(p.archCapabilities);
  Object.assign(o, {
    total_memory: mib(m.total),
    free_memory: mib(m.free),
    sharing_freed_memory: mib(m.sharingFreed),
    sharing_used_memory: mib(m.sharingUsed),
    outstanding_claims: mib(m.outstandingClaims),
    free_cpus: getFreeCpus(xc).length,
  });
  if (numa) {
    o.cpu_topology = getCpuTopology(xc).filter((c) => c.core !== null);
    o.device_topology = (getPciTopology(xc) ?? []).filter((d) => d.node !== null).map((d) => ({
      device: sprintf('%04x:%02x:%02x.%01x', d.seg, d.bus, (d.devfn >> 3) & 0x1f, d.devfn & 7),
      node: d.node,
    }));
    o.numa_info = getNumaInfo(xc).filter((x) => x.memsize !== null).map((x) => ({
      node: x.node,
      memsize: Number(x.memsize! >> 20n),
      memfree: x.memfree === null ? null : Number(x.memfree >> 20n),
      distances: x.distances,
    }));
  }
  Object.assign(o, {
    xen_major: v.major,
    xen_minor: v.minor,
    xen_extra: v.extra,
    xen_version: `${v.major}.${v.minor}${v.extra}`,
    xen_caps: v.capabilities,
    xen_scheduler: getSchedulerName(xc),
    xen_pagesize: v.pagesize,
    virt_start: `0x${v.virtStart.toString(16)}`,
    xen_changeset: v.changeset,
    xen_commandline: v.commandline,
    cc_compiler: v.compiler,
    cc_compile_by: v.compileBy,
    cc_compile_domain: v.compileDomain,
    cc_compile_date: v.compileDate,
    build_id: v.buildId,
    xend_config_format: 4,
  });
  return o;
}

export async function run(ctx: CommandContext): Promise<number> {
  let numa = false;
  let json = false;
  const opts = ctx.options();
  for (const { opt } of opts) {
    if (opt === 'n') numa = true;
    else if (opt === 'json') json = true;
  }
  // As in C: a field name is honoured only without -n.
  const name = !numa ? opts.operands[0] : undefined;
  return withContext((lctx) => {
    const xc = lctx.xc(); // open first: failing to is fatal, as libxl_ctx_alloc is
    if (json) {
      const all = infoJson(xc, numa, ctx.target);
      const picked = name === undefined ? all : Object.fromEntries(Object.entries(all).filter(([k]) => k.startsWith(name)));
      out(JSON.stringify(picked, null, 2) + '\n');
    } else {
      printText(xc, numa, name, ctx.target);
    }
    return 0;
  });
}
