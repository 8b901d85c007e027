// Lab probe: exercise every hypercall we wrap and report results (or the
// error of each step) as JSON-safe data, so one run in a dom0 checks the
// whole ABI table against a real hypervisor.

import {
  ABI, DOMCTL, DOMCTL_VERSIONS, HYPERCALL, SYSCTL, SYSCTL_VERSIONS,
} from './abi.js';
import { withBuffers } from './buffers.js';
import { PrivcmdError } from './errors.js';
import { encode } from './layout.js';
import { PrivcmdDevice, type Transport } from './transport.js';
import { XenCtrl, type OpenOptions } from './xenctrl.js';

export interface ProbeOptions extends OpenOptions {
  /** Bytes of console tail to include (default 2000). */
  consoleTail?: number;
}

type Step = { ok: true; value: unknown } | { ok: false; error: string; code?: string };

function step(fn: () => unknown): Step {
  try {
    return { ok: true, value: fn() };
  } catch (e) {
    return e instanceof PrivcmdError
      ? { ok: false, error: e.message, code: e.code }
      : { ok: false, error: e instanceof Error ? `${e.name}: ${e.message}` : String(e) };
  }
}

/** Which known interface versions does the hypervisor accept? (EACCES = no) */
function versionMatrix(t: Transport): Record<string, Record<string, string>> {
  const one = (op: number, layout: typeof ABI.domctl[0x15]['x64']['domctl'], fields: Record<string, unknown>): string =>
    withBuffers(t.buffers, (get) => {
      const b = get(layout.size);
      encode(layout, fields, b.view);
      try {
        t.issue(op, [b.addr], 'probe');
        return 'ok';
      } catch (e) {
        return e instanceof PrivcmdError ? e.code : String(e);
      }
    });
  const domctl: Record<string, string> = {};
  for (const v of DOMCTL_VERSIONS) {
    domctl[`0x${v.toString(16)}`] = one(HYPERCALL.domctl, ABI.domctl[v as keyof typeof ABI.domctl].x64.domctl,
      { cmd: DOMCTL.getdomaininfo, interface_version: v, domain: 0 });
  }
  const sysctl: Record<string, string> = {};
  for (const v of SYSCTL_VERSIONS) {
    sysctl[`0x${v.toString(16)}`] = one(HYPERCALL.sysctl, ABI.sysctl[v as keyof typeof ABI.sysctl].x64.sysctl,
      { cmd: SYSCTL.sched_id, interface_version: v });
  }
  return { domctl, sysctl };
}

/** `xl info` memory lines computed the way xl does, for a direct diff. */
function xlInfoLines(xc: XenCtrl): Record<string, string | number> {
  const v = xc.versionInfo();
  const p = xc.physinfo();
  const perMiB = (1 << 20) / v.pagesize;
  const mib = (pages: number): number => Math.floor(pages / perMiB);
  return {
    xen_major: v.major,
    xen_minor: v.minor,
    xen_extra: v.extra,
    xen_version: v.version,
    xen_caps: v.capabilities,
    xen_scheduler: xc.schedulerName(),
    xen_pagesize: v.pagesize,
    platform_params: `virt_start=0x${v.virtStart.toString(16)}`,
    xen_changeset: v.changeset,
    xen_commandline: v.commandline,
    cc_compiler: v.compiler,
    cc_compile_by: v.compileBy,
    cc_compile_domain: v.compileDomain,
    cc_compile_date: v.compileDate,
    build_id: v.buildId ?? '',
    nr_cpus: p.nrCpus,
    max_cpu_id: p.maxCpuId,
    nr_nodes: p.nrNodes,
    cores_per_socket: p.coresPerSocket,
    threads_per_core: p.threadsPerCore,
    cpu_mhz: `${Math.floor(p.cpuKhz / 1000)}.${String(p.cpuKhz % 1000).padStart(3, '0')}`,
    hw_caps: p.hwCap.map((x) => x.toString(16).padStart(8, '0')).join(':'),
    total_memory: mib(p.totalPages),
    free_memory: mib(p.freePages - p.outstandingPages),
    sharing_freed_memory: mib(xc.sharingFreedPages()),
    sharing_used_memory: mib(xc.sharingSharedPages()),
    outstanding_claims: mib(p.outstandingPages),
    free_cpus: xc.freeCpus().length,
  };
}

export function runProbe(opts: ProbeOptions = {}): Record<string, unknown> {
  const report: Record<string, unknown> = {
    host: { platform: process.platform, arch: process.arch, node: process.version },
  };
  let device: PrivcmdDevice | undefined;
  const t = opts.transport ?? (() => {
    const s = step(() => PrivcmdDevice.open());
    report.open = s.ok ? { ok: true } : s;
    if (s.ok) device = s.value as PrivcmdDevice;
    return device;
  })();
  if (!t) return report;
  if (device) {
    report.device = { path: device.path, hypercallBufferDevice: device.usesBufferDevice, pageSize: device.buffers.pageSize };
  }
  report.versionMatrix = step(() => versionMatrix(t));

  const opened = step(() => XenCtrl.open({ ...opts, transport: t }));
  if (!opened.ok) {
    report.detect = opened;
    t.close();
    return report;
  }
  const xc = opened.value as XenCtrl;
  report.detect = { ok: true, value: { ...xc.detected, abiArch: xc.abi.arch } };
  report.versionInfo = step(() => xc.versionInfo());
  report.physinfo = step(() => xc.physinfo());
  report.scheduler = step(() => ({ id: xc.schedId(), name: xc.schedulerName() }));
  report.xlInfo = step(() => xlInfoLines(xc));
  const list = step(() => xc.listDomains());
  report.listDomains = list;
  report.dom0 = step(() => xc.getDomainInfo(0));
  // A domid that should not exist: must come back null on every version.
  report.missingDomain = step(() => xc.getDomainInfo(0x7fef));
  report.dom0Vcpus = step(() => xc.listVcpus(0));
  report.memory = step(() => ({
    maximumRamPage: xc.maximumRamPage(),
    dom0CurrentReservation: xc.currentReservation(0),
    dom0MaximumReservation: xc.maximumReservation(0),
    sharingFreedPages: xc.sharingFreedPages(),
    sharingSharedPages: xc.sharingSharedPages(),
  }));
  report.freeCpus = step(() => xc.freeCpus());
  report.cpuTopology = step(() => xc.cpuTopology());
  report.numaInfo = step(() => xc.numaInfo());
  report.consoleTail = step(() => {
    const all = xc.readConsoleAll();
    const n = opts.consoleTail ?? 2000;
    return { totalBytes: all.length, tail: all.slice(-n) };
  });
  report.consoleIncremental = step(() => {
    const first = xc.readConsole({ incremental: true, index: 0, size: 256 });
    const second = xc.readConsole({ incremental: true, index: first.index, size: 256 });
    return { first: { index: first.index, bytes: first.text.length }, second: { index: second.index, bytes: second.text.length } };
  });
  // Foreign mapping: a guest's shared_info frame plus a bogus gfn to show per-page errors.
  if (list.ok) {
    const guest = (list.value as { domid: number; sharedInfoFrame: bigint }[]).find((d) => d.domid !== 0);
    report.foreignMap = guest
      ? step(() => {
        const m = xc.mapForeignPages(guest.domid, [guest.sharedInfoFrame, 0xfffffffffn], 'r');
        try {
          return {
            domid: guest.domid,
            gfns: [guest.sharedInfoFrame, 0xfffffffffn],
            errors: m.errors,
            firstBytes: m.errors[0] ? null : m.buffer.subarray(0, 32).toString('hex'),
          };
        } finally {
          m.unmap();
        }
      })
      : { ok: false, error: 'no guest domain running; start one to test foreign mapping' };
  }
  xc.close();
  return report;
}

/** JSON with bigint as decimal strings and bytes as hex. */
export function probeToJson(report: unknown): string {
  return JSON.stringify(report, (_k, v: unknown) => {
    if (typeof v === 'bigint') return v.toString();
    if (v instanceof Uint8Array) return Buffer.from(v).toString('hex');
    return v;
  }, 2);
}
