// libxl_domain_destroy (libxl_domain.c libxl__domain_destroy /
// libxl__destroy_domid, libxl_device.c libxl__devices_destroy): pause the
// domain, stop its device model, take its devices down the way libxl does
// with force (backend online=0/state=5, wait for 6, hotplug script, then
// remove frontend, backend and /libxl nodes), remove its xenstore and
// userdata traces, then ask Xen to destroy it. The C xl's monitor process
// for the domain sees the domain go and exits by itself.
import { spawn } from 'node:child_process';
import { promises as fsp } from 'node:fs';
import {
  HOTPLUG_TIMEOUT_MS, hostOs, hotplugRuns, runHotplug, usesHotplugScript,
  type HotplugDevice, type HotplugOutcome, type HotplugRun,
} from '../../device-hotplug/index.js';
import { PrivcmdError, errnoMessage } from '../../privcmd/errors.js';
import type { XenStore } from '../../xenstore-client/client.js';
import type { LibxlContext } from '../context.js';
import { LIBXL_ERROR, domainInfo } from './domains.js';
import { XEN_LIB_DIR, XEN_RUN_DIR } from '../paths.js';
import { LibxlError, domainType, watchUntil, xsDirectory, xsPathCleanup, xsRead, xsRm } from '../xs-util.js';

/** Seconds, from libxl_internal.h. */
const DESTROY_TIMEOUT = 10;
const HOTPLUG_TIMEOUT = HOTPLUG_TIMEOUT_MS / 1000;
const QEMU_BODGE_TIMEOUT = 2;
const DOMID_REUSE_TIMEOUT = 60;

/** libxl__device_kind names; the backend kinds QEMU serves (QEMU_BACKEND). */
const DEVICE_KINDS = new Set([
  'vif', 'vbd', 'qdisk', 'pci', 'vfb', 'vkbd', 'console', 'vtpm', 'vusb', 'qusb', '9pfs', 'vdispl', 'vuart',
  'pvcalls', 'vsnd', 'vinput', 'virtio_disk', 'virtio', 'vbd3', 'xen_9pfs',
]);
const QEMU_BACKENDS = new Set(['qdisk', 'vfb', 'qusb', '9pfs', 'vkbd']);

const XenbusStateClosing = 5;
const XenbusStateClosed = 6;

export type { HotplugRun } from '../../device-hotplug/index.js';

export interface DestroyOptions {
  libDir?: string;
  runDir?: string;
  /** Non-fatal problems, one line each (libxl logs and carries on). */
  warn?: (message: string) => void;
  /** Run a hotplug script (tests replace it). */
  runHotplug?: (run: HotplugRun, timeoutMs: number) => Promise<HotplugOutcome>;
  /** Send a signal; false when the process does not exist. */
  kill?: (pid: number, signal: NodeJS.Signals) => boolean;
  /** Scale the libxl timeouts (tests). */
  timeoutScale?: number;
}

interface Device {
  kind: string;
  devid: number;
  backendKind: string;
  backendDomid: number;
  domid: number;
}

const devicePaths = (d: Device) => ({
  backend: `/local/domain/${d.backendDomid}/backend/${d.backendKind}/${d.domid}/${d.devid}`,
  frontend:
    d.kind === 'console' && d.devid === 0 ? `/local/domain/${d.domid}/console`
      : d.kind === 'vuart' ? `/local/domain/${d.domid}/vuart/${d.devid}`
        : `/local/domain/${d.domid}/device/${d.kind}/${d.devid}`,
  libxl: `/libxl/${d.domid}/device/${d.kind}/${d.devid}`,
});

/** libxl__parse_backend_path: /local/domain/<bdomid>/backend/<kind>/<domid>/<devid>. */
export function parseBackendPath(path: string): { backendDomid: number; backendKind: string; domid: number; devid: number } | null {
  const m = /^\/local\/domain\/(-?\d+)\/backend\/([^/]{1,15})\/(\d+)\/(-?\d+)/.exec(path);
  if (!m || !DEVICE_KINDS.has(m[2])) return null;
  return { backendDomid: Number(m[1]), backendKind: m[2], domid: Number(m[3]), devid: Number(m[4]) };
}

function defaultKill(pid: number, signal: NodeJS.Signals): boolean {
  try {
    process.kill(pid, signal);
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ESRCH') return false;
    throw e;
  }
}

/** As libxl: the script's output shows on our stderr. */
function defaultRunHotplug(run: HotplugRun, timeoutMs: number): Promise<HotplugOutcome> {
  return runHotplug(run, { timeoutMs, echo: (chunk) => process.stderr.write(chunk) });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Wait for a backend's state node to reach `want` (or go away). */
async function waitState(xs: XenStore, path: string, want: number, timeoutMs: number): Promise<'ok' | 'removed' | 'timeout'> {
  const r = await watchUntil(xs, path, (v) => v === null || Number.parseInt(v, 10) === want, timeoutMs);
  return r === 'timeout' ? r : r.value === null ? 'removed' : 'ok';
}

/** Wait until `path` no longer exists (a driver domain tears its backend down). */
async function waitGone(xs: XenStore, path: string, timeoutMs: number): Promise<boolean> {
  return (await watchUntil(xs, path, (v) => v === null, timeoutMs)) !== 'timeout';
}

class Destroyer {
  readonly libDir: string;
  readonly runDir: string;
  readonly warn: (m: string) => void;
  readonly runHotplug: NonNullable<DestroyOptions['runHotplug']>;
  readonly kill: NonNullable<DestroyOptions['kill']>;
  readonly scale: number;

  constructor(readonly ctx: LibxlContext, readonly xs: XenStore, opts: DestroyOptions) {
    this.libDir = opts.libDir ?? XEN_LIB_DIR;
    this.runDir = opts.runDir ?? XEN_RUN_DIR;
    this.warn = opts.warn ?? (() => undefined);
    this.runHotplug = opts.runHotplug ?? defaultRunHotplug;
    this.kill = opts.kill ?? defaultKill;
    this.scale = opts.timeoutScale ?? 1;
  }

  ms(seconds: number): number {
    return seconds * 1000 * this.scale;
  }

  async stubdomOf(domid: number): Promise<number> {
    return Number.parseInt((await xsRead(this.xs, `/local/domain/${domid}/image/device-model-domid`)) ?? '0', 10) || 0;
  }

  /** libxl__domain_destroy: the stub domain (if any), then the domain. */
  async destroy(domid: number): Promise<void> {
    const stub = await this.stubdomOf(domid);
    let failure: unknown;
    if (stub) {
      try {
        await this.destroyDomid(stub);
      } catch (e) {
        failure = e;
        this.warn(`Domain ${domid}: unable to destroy stubdom with domid ${stub}`);
      }
      await this.removeFile(`${this.libDir}/qemu-save.${stub}`);
    }
    await this.destroyDomid(domid);
    if (failure) throw failure;
  }

  /** libxl__destroy_domid. */
  async destroyDomid(domid: number): Promise<void> {
    if (!(await domainInfo(this.ctx, domid, { names: false }))) {
      throw new LibxlError(`Domain ${domid}: non-existent domain`, LIBXL_ERROR.DOMAIN_NOTFOUND);
    }
    // PCI passthrough needs deassign hypercalls we do not have yet.
    if ((await xsDirectory(this.xs, `/libxl/${domid}/device/pci`)).length) {
      this.warn(`Domain ${domid}: PCI devices are not detached by this xl; Xen reclaims them on destroy`);
    }
    try {
      this.ctx.xc().pauseDomain(domid);
    } catch (e) {
      this.warn(`Domain ${domid}: xc_domain_pause failed: ${e instanceof Error ? e.message : String(e)}`);
    }
    const type = await domainType(this.ctx, domid);
    if (type === null) throw new LibxlError(`unable to get domain type for domid=${domid}`, LIBXL_ERROR.FAIL);
    const dmPresent = type === 'hvm' && (await this.stubdomOf(domid)) ? false : await this.dmActive(domid);
    if (dmPresent) await this.destroyDeviceModel(domid);
    await this.stubdomQmpProxy(domid);
    await this.destroyDevices(domid);
    await this.removeTraces(domid);
    await this.markDomidRecent(domid);
    try {
      this.ctx.xc().destroyDomain(domid);
    } catch (e) {
      const why = e instanceof PrivcmdError ? errnoMessage(e.code) : e instanceof Error ? e.message : String(e);
      throw new LibxlError(`Domain ${domid}: xc_domain_destroy failed: ${why}`, LIBXL_ERROR.FAIL, { cause: e });
    }
  }

  /** What a domain Xen no longer has left behind: its device model, devices (scripts run), nodes and files. */
  async destroyRemains(domid: number): Promise<void> {
    if (await this.dmActive(domid)) await this.destroyDeviceModel(domid);
    await this.destroyDevices(domid);
    await this.removeTraces(domid);
  }

  /** libxl__dm_active. */
  async dmActive(domid: number): Promise<boolean> {
    const img = `/local/domain/${domid}/image`;
    return (await xsRead(this.xs, `${img}/device-model-pid`)) !== null ||
      (await xsRead(this.xs, `${img}/device-model-domid`)) !== null;
  }

  /** libxl__kill_xs_path: SIGHUP to the pid stored at `path`. */
  async killXsPath(path: string, what: string): Promise<void> {
    const pid = await xsRead(this.xs, path);
    if (pid === null) {
      this.warn(`unable to find ${what} pid in ${path}`);
      return;
    }
    const n = Number.parseInt(pid, 10);
    // atoi of garbage is 0, and kill(0) would hit our own process group.
    if (!(n > 0)) {
      this.warn(`bad ${what} pid "${pid}" in ${path}`);
      return;
    }
    if (!this.kill(n, 'SIGHUP')) this.warn(`${what} already exited`);
  }

  /** libxl__destroy_device_model. */
  async destroyDeviceModel(domid: number): Promise<void> {
    await xsRm(this.xs, `/local/domain/0/device-model/${domid}`);
    const uid = await xsRead(this.xs, `/local/domain/${domid}/image/device-model-kill-uid`);
    if (uid !== null && Number.parseInt(uid, 10) > 0) {
      // Everything running as the device model's own uid goes: a kill(-1)
      // from a child that has that uid.
      await new Promise<void>((resolve) => {
        const child = spawn('kill', ['-9', '--', '-1'], { uid: Number.parseInt(uid, 10), stdio: 'ignore' });
        child.on('error', (e) => {
          this.warn(`Domain ${domid}: killing device model uid ${uid}: ${e.message}`);
          resolve();
        });
        child.on('exit', () => resolve());
      });
    } else {
      await this.killXsPath(`/local/domain/${domid}/image/device-model-pid`, 'Device Model');
    }
    await this.qmpCleanup(domid);
  }

  /** libxl__qmp_cleanup. */
  async qmpCleanup(domid: number): Promise<void> {
    await this.removeFile(`${this.runDir}/qmp-libxl-${domid}`);
    await this.removeFile(`${this.runDir}/qmp-libxenstat-${domid}`);
  }

  /** A Linux stub domain's QMP proxy runs in dom0 (dm_destroy_cb). */
  async stubdomQmpProxy(domid: number): Promise<void> {
    const target = await xsRead(this.xs, `/local/domain/${domid}/target`);
    if (target === null || !/^\d+$/.test(target)) return;
    const proxy = `/local/domain/${domid}/image/qmp-proxy-pid`;
    if ((await xsRead(this.xs, proxy)) === null) return;
    await this.killXsPath(proxy, 'QMP Proxy');
    await this.qmpCleanup(Number(target));
  }

  /** libxl__devices_destroy with force on: every device libxl recorded. */
  async destroyDevices(domid: number): Promise<void> {
    const devices: Device[] = [];
    for (const kind of await xsDirectory(this.xs, `/libxl/${domid}/device`)) {
      if (!DEVICE_KINDS.has(kind)) continue;
      for (const dev of await xsDirectory(this.xs, `/libxl/${domid}/device/${kind}`)) {
        const be = await xsRead(this.xs, `/libxl/${domid}/device/${kind}/${dev}/backend`);
        const parsed = be === null ? null : parseBackendPath(be);
        if (!parsed) continue;
        devices.push({ ...parsed, kind, domid, devid: Number.parseInt(dev, 10) || 0 });
      }
    }
    await Promise.all(devices.map((d) =>
      d.backendKind === 'console' || d.backendKind === 'vuart' ? this.deviceDestroy(d) : this.removeDevice(d)));
  }

  /**
   * libxl__initiate_device_generic_remove through device_hotplug_done. With
   * force (destroy, block-detach -f) the frontend goes at once; without, the
   * guest gets DESTROY_TIMEOUT to close it, then it is forced.
   */
  async removeDevice(d: Device, force = true): Promise<void> {
    const p = devicePaths(d);
    const statePath = `${p.backend}/state`;
    let runScripts = false;
    try {
      // A domain Xen no longer has (destroyed under a create's feet) still has backends to close.
      const info = await domainInfo(this.ctx, d.domid, { names: false });
      if (QEMU_BACKENDS.has(d.backendKind) && (!info || info.paused || info.dying || info.shutdown)) {
        // libxl's QEMU bodge: give QEMU a moment, then close the backend ourselves.
        await sleep(this.ms(QEMU_BODGE_TIMEOUT));
        // In a transaction: a concurrent destroy may have removed the backend, and a bare write would bring it back.
        await this.xs.withTransaction(async (tx) => {
          const s = await xsRead(tx, statePath);
          if (s !== null && Number.parseInt(s, 10) !== XenbusStateClosed) await tx.write(statePath, String(XenbusStateClosed));
        });
        runScripts = true;
      } else {
        const present = await this.xs.withTransaction(async (tx) => {
          if (force) await xsPathCleanup(tx, p.frontend);
          const state = await xsRead(tx, statePath);
          if (state === null) return false; // backend gone: clean the rest only
          await tx.write(`${p.backend}/online`, '0');
          if (Number.parseInt(state, 10) !== XenbusStateClosed) await tx.write(statePath, String(XenbusStateClosing));
          return true;
        });
        if (present) {
          // A lost domain's backends seldom close (blkback just drops the device): a short wait, then the scripts.
          const r = await waitState(this.xs, statePath, XenbusStateClosed, this.ms(info ? DESTROY_TIMEOUT : QEMU_BODGE_TIMEOUT));
          if (r === 'ok') runScripts = true;
          else if (!force && r === 'timeout') return await this.removeDevice(d, true);
          else if (!info && r === 'timeout') runScripts = true; // the scripts still free what they set up (the loop device)
          else this.warn(`Domain ${d.domid}: unable to remove device with path ${p.backend}${r === 'timeout' ? ' (timed out)' : ''}`);
        }
      }
      if (runScripts) await this.hotplug(d);
    } catch (e) {
      this.warn(e instanceof Error ? e.message : String(e));
    }
    await this.deviceDestroy(d);
  }

  /** device_hotplug for a removal: run the backend's scripts, or wait for a driver domain. */
  async hotplug(d: Device): Promise<void> {
    const p = devicePaths(d);
    if (d.backendDomid !== 0) {
      if (!(await waitGone(this.xs, p.backend, this.ms(DESTROY_TIMEOUT)))) {
        this.warn(`Domain ${d.domid}: timed out while waiting for ${p.backend} to be removed`);
      }
      return;
    }
    const timeoutMs = this.ms(HOTPLUG_TIMEOUT);
    for (const run of await this.hotplugRuns(d)) {
      const outcome = await this.runHotplug(run, timeoutMs);
      if (outcome.status === 0) continue;
      const why = await xsRead(this.xs, `${p.backend}/hotplug-error`);
      const how = outcome.status !== null ? `exited with status ${outcome.status}`
        : outcome.timedOut ? `was killed after ${timeoutMs / 1000} s` : `was killed by ${outcome.signal}`;
      const output = outcome.stderrTail.length ? ` (output: ${outcome.stderrTail.join(' / ')})` : '';
      this.warn(`${run.script} ${run.args[0]} ${how}${why ? `: script: ${why}` : ''}${output}`);
    }
  }

  /** The backend nodes libxl__get_hotplug_script_info reads, then this OS's convention for a removal. */
  async hotplugRuns(d: Device): Promise<HotplugRun[]> {
    const os = hostOs() ?? 'linux';
    if (!usesHotplugScript(os, d.backendKind)) return [];
    const p = devicePaths(d);
    const script = await xsRead(this.xs, `${p.backend}/script`);
    if (script === null) {
      this.warn(`Domain ${d.domid}: unable to read script from ${p.backend}`);
      return [];
    }
    const vif = d.backendKind === 'vif';
    const type = vif ? (await xsRead(this.xs, `${p.backend}/type`))?.toLowerCase() : undefined;
    const nictype = type === 'vif' || type === 'vif_ioemu' ? type : undefined;
    const dev: HotplugDevice = {
      backendKind: d.backendKind, domid: d.domid, devid: d.devid, backendPath: p.backend, script, nictype,
      gatewaydev: vif ? await xsRead(this.xs, `${p.backend}/gatewaydev`) : null,
      stubdom: nictype === 'vif_ioemu' && (await this.stubdomOf(d.domid)) !== 0,
    };
    try {
      return hotplugRuns(os, dev, 'remove');
    } catch (e) {
      // An unknown nictype: libxl gives up on the scripts for this device.
      this.warn(`Domain ${d.domid}: ${e instanceof Error ? e.message : String(e)}`);
      return [];
    }
  }

  /** libxl__device_destroy: frontend, /libxl and backend nodes, pruning empty parents. */
  async deviceDestroy(d: Device): Promise<void> {
    const p = devicePaths(d);
    try {
      await this.xs.withTransaction(async (tx) => {
        await xsPathCleanup(tx, p.frontend);
        await xsPathCleanup(tx, p.libxl);
        await xsPathCleanup(tx, p.backend);
      });
    } catch (e) {
      this.warn(`Domain ${d.domid}: removing ${p.backend}: ${e instanceof Error ? e.message : String(e)}`);
    }
  }

  /** devices_destroy_cb: xenstore subtrees, userdata and QEMU state files. */
  async removeTraces(domid: number): Promise<void> {
    const dom = `/local/domain/${domid}`;
    await this.removeFile(`${this.runDir}/empty-cdrom.${domid}`);
    const vm = await xsRead(this.xs, `${dom}/vm`);
    if (vm) await xsRm(this.xs, vm).catch((e: unknown) => this.warn(`xs_rm failed for ${vm}: ${String(e)}`));
    await xsRm(this.xs, dom).catch((e: unknown) => this.warn(`xs_rm failed for ${dom}: ${String(e)}`));
    await xsRm(this.xs, `/libxl/${domid}`).catch(() => undefined);
    await xsRm(this.xs, `${dom}/hvmloader`).catch(() => undefined);
    await this.userdataDestroyAll(domid, /^\/vm\/([0-9a-f-]{36})$/.exec(vm ?? '')?.[1]);
    await this.removeFile(`${this.libDir}/qemu-save.${domid}`);
    await this.removeFile(`${this.libDir}/qemu-resume.${domid}`);
  }

  /** libxl__userdata_destroyall: userdata-?.<domid>.<uuid>.* except the lock; the uuid from /vm once Xen has lost the domain. */
  async userdataDestroyAll(domid: number, vmUuid?: string): Promise<void> {
    const uuid = (await domainInfo(this.ctx, domid, { names: false }))?.uuid ?? vmUuid;
    if (!uuid) return;
    const prefix = new RegExp(`^userdata-.\\.${domid}\\.${uuid}\\.`);
    let names: string[];
    try {
      names = await fsp.readdir(this.libDir);
    } catch {
      return;
    }
    for (const n of names) {
      if (prefix.test(n) && !n.includes('domain-userdata-lock')) await this.removeFile(`${this.libDir}/${n}`);
    }
  }

  async removeFile(path: string): Promise<void> {
    try {
      await fsp.unlink(path);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') this.warn(`failed to remove ${path}: ${(e as Error).message}`);
    }
  }

  /** libxl__mark_domid_recent: <run dir>/domid-history keeps "<monotonic s> <domid>" lines. */
  async markDomidRecent(domid: number): Promise<void> {
    const path = `${this.runDir}/domid-history`;
    const envTimeout = process.env.LIBXL_DOMID_REUSE_TIMEOUT;
    // strtol(s, NULL, 0): decimal or 0x hex.
    const timeout = envTimeout ? Number.parseInt(envTimeout, /^\s*0x/i.test(envTimeout) ? 16 : 10) || 0 : DOMID_REUSE_TIMEOUT;
    const now = Number(process.hrtime.bigint() / 1_000_000_000n);
    let old = '';
    try {
      old = await fsp.readFile(path, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') {
        this.warn(`failed to open '${path}'`);
        return;
      }
    }
    const keep = old.split('\n').filter((line) => {
      const m = /^\s*(\d+)\s+(\d+)/.exec(line);
      if (!m) return false;
      const id = Number(m[2]);
      return id >= 1 && id < 0x7ff0 && now - Number(m[1]) <= timeout;
    }).map((l) => l.trim().split(/\s+/).join(' '));
    try {
      await fsp.writeFile(`${path}.new`, [...keep, `${now} ${domid}`].join('\n') + '\n');
      await fsp.rename(`${path}.new`, path);
    } catch (e) {
      this.warn(`Domain ${domid}: failed to update ${path}: ${(e as Error).message}`);
    }
  }
}

/** One device's removal (xl block-detach / network-detach); problems go to opts.warn. */
export async function removeDevice(
  ctx: LibxlContext, dev: { kind: string; backendKind: string; backendDomid: number; domid: number; devid: number },
  opts: DestroyOptions & { force?: boolean } = {},
): Promise<void> {
  const d = new Destroyer(ctx, await ctx.xs(), opts);
  await d.removeDevice(dev, opts.force ?? true);
}

/** libxl_domain_destroy. Throws LibxlError (rc) when the domain is not there or Xen refuses. */
export async function destroyDomain(ctx: LibxlContext, domid: number, opts: DestroyOptions = {}): Promise<void> {
  const d = new Destroyer(ctx, await ctx.xs(), opts);
  await d.destroy(domid);
}

/**
 * The teardown of a domain Xen has already lost (someone destroyed a half-made domain): the device model, the
 * devices with their scripts, and every node libxl would remove. Problems go to opts.warn.
 */
export async function destroyRemains(ctx: LibxlContext, domid: number, opts: DestroyOptions = {}): Promise<void> {
  const d = new Destroyer(ctx, await ctx.xs(), opts);
  await d.destroyRemains(domid);
}
