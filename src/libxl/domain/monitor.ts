// The domain monitor: what the C xl does in the process it leaves behind for
// each domain it creates (create_domain's wait loop and handle_domain_death
// in xl_vmcontrol.c), done by one process for all domains. xl create
// registers a domain (a file under XEN_RUN_DIR/xl-monitor holding its
// config) and pokes the monitor over a Unix socket, starting it when none
// runs. The monitor watches @releaseDomain and applies on_poweroff /
// on_reboot / on_crash / on_watchdog / on_soft_reset when a domain shuts
// down; it exits once no registered domain is left.
import { spawn } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync } from 'node:fs';
import { dirname } from 'node:path';
import { readFile, readdir, rename, rm, writeFile } from 'node:fs/promises';
import { connect, createServer, type Server } from 'node:net';
import { randomUUID } from 'node:crypto';
import type { DomainConfig, XenVersion } from '../../config-parser/index.js';
import type { LibxlContext } from '../context.js';
import { createNewDomain } from './create.js';
import { destroyDomain } from './destroy.js';
import { domainInfo } from './domains.js';
import { renameDomain } from './domain-control.js';
import { domainFate } from './shutdown.js';
import { XEN_RUN_DIR } from '../paths.js';
import { xsRm } from '../xs-util.js';

export const MONITOR_DIR = `${XEN_RUN_DIR}/xl-monitor`;
export const MONITOR_SOCKET = `${XEN_RUN_DIR}/xl-monitor.sock`;
export const MONITOR_LOG = '/var/log/xen/xl-monitor.log';
/** XEN_DUMP_DIR, where coredump-* actions would write. */
const XEN_DUMP_DIR = '/var/lib/xen/dump';

/** A domain the monitor looks after. */
export interface Registration {
  domid: number;
  uuid: string;
  name: string;
  xenVersion: XenVersion;
  /** The domain config as xl built it (encodeConfig). */
  config: string;
}

// The config model is plain data apart from bigints, which JSON cannot hold: tag them.
export const encodeConfig = (c: DomainConfig): string =>
  JSON.stringify(c, (_k, v: unknown) => (typeof v === 'bigint' ? { $bigint: v.toString() } : v));
export const decodeConfig = (s: string): DomainConfig =>
  JSON.parse(s, (_k, v: unknown) =>
    (v && typeof v === 'object' && Object.keys(v).length === 1 && typeof (v as { $bigint?: unknown }).$bigint === 'string'
      ? BigInt((v as { $bigint: string }).$bigint) : v)) as DomainConfig;

/** Where registrations live: files for the shared monitor, memory for `xl create -F`. */
export interface Registry {
  list(): Promise<Registration[]>;
  put(r: Registration): Promise<void>;
  remove(domid: number): Promise<void>;
}

export class DirRegistry implements Registry {
  constructor(readonly dir = MONITOR_DIR) {}
  async list(): Promise<Registration[]> {
    const names = await readdir(this.dir).catch(() => [] as string[]);
    const regs: Registration[] = [];
    for (const n of names.filter((f) => /^\d+\.json$/.test(f))) {
      try {
        regs.push(JSON.parse(await readFile(`${this.dir}/${n}`, 'utf8')) as Registration);
      } catch {
        // Half-written or removed meanwhile: the next scan sees it.
      }
    }
    return regs;
  }
  async put(r: Registration): Promise<void> {
    mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    const path = `${this.dir}/${r.domid}.json`;
    await writeFile(`${path}.new`, JSON.stringify(r), { mode: 0o600 });
    await rename(`${path}.new`, path);
  }
  async remove(domid: number): Promise<void> {
    await rm(`${this.dir}/${domid}.json`, { force: true });
  }
}

export class MemoryRegistry implements Registry {
  private readonly regs = new Map<number, Registration>();
  async list(): Promise<Registration[]> { return [...this.regs.values()]; }
  async put(r: Registration): Promise<void> { this.regs.set(r.domid, r); }
  async remove(domid: number): Promise<void> { this.regs.delete(domid); }
}

/** SHUTDOWN_* reasons and the config field naming their action (handle_domain_death). */
const REASONS: Record<number, { name: string; action?: 'on_poweroff' | 'on_reboot' | 'on_crash' | 'on_watchdog' | 'on_soft_reset' }> = {
  0: { name: 'poweroff', action: 'on_poweroff' },
  1: { name: 'reboot', action: 'on_reboot' },
  2: { name: 'suspend' },
  3: { name: 'crash', action: 'on_crash' },
  4: { name: 'watchdog', action: 'on_watchdog' },
  5: { name: 'soft_reset', action: 'on_soft_reset' },
};

/** libxl_action_on_shutdown names, as get_action_on_shutdown_name prints them. */
const ACTION_NAMES: Record<string, string> = {
  destroy: 'destroy', restart: 'restart', restart_rename: 'rename-restart', preserve: 'preserve',
  coredump_destroy: 'coredump-destroy', coredump_restart: 'coredump-restart', soft_reset: 'soft-reset',
};

export interface MonitorOptions {
  registry: Registry;
  log: (line: string) => void;
  /** Create a domain again (tests may replace it). */
  create?: (config: DomainConfig, xenVersion: XenVersion) => Promise<{ domid: number }>;
}

export class Monitor {
  private chain: Promise<void> = Promise.resolve();

  constructor(readonly ctx: LibxlContext, readonly opts: MonitorOptions) {}

  private log(line: string): void { this.opts.log(line); }

  /** Look at every registered domain once; scans run one at a time. */
  scan(): Promise<void> {
    this.chain = this.chain.then(() => this.scanOnce()).catch((e) => this.log(`scan failed: ${e instanceof Error ? e.message : String(e)}`));
    return this.chain;
  }

  async isIdle(): Promise<boolean> {
    await this.chain;
    return (await this.opts.registry.list()).length === 0;
  }

  private async scanOnce(): Promise<void> {
    for (const reg of await this.opts.registry.list()) {
      const info = await domainInfo(this.ctx, reg.domid, { names: false });
      // Dying counts as dead: xenstored may not fire @releaseDomain again once it is gone.
      const fate = domainFate(info, reg.uuid);
      if (fate === 'dead') {
        this.log(`Domain ${reg.domid} has been destroyed.`);
        await this.opts.registry.remove(reg.domid);
        continue;
      }
      // Scans run one at a time, so a domain is never handled twice at once.
      if (fate === 'shutdown') await this.handleShutdown(reg, info!.shutdownReason);
    }
  }

  private async handleShutdown(reg: Registration, reason: number): Promise<void> {
    const id = reg.domid;
    this.log(`Domain ${id} has shut down, reason code ${reason} 0x${(reason >>> 0).toString(16)}`);
    const config = decodeConfig(reg.config);
    const r = REASONS[reason];
    if (r && !r.action) {
      this.log('Domain has suspended.');
      return;
    }
    let action = 'destroy';
    if (r?.action) action = String((config as unknown as Record<string, unknown>)[r.action] ?? 'destroy').toLowerCase();
    else this.log(`Unknown shutdown reason code ${reason}. Destroying domain.`);
    this.log(`Action for shutdown reason code ${reason} is ${ACTION_NAMES[action] ?? action}`);

    if (action === 'coredump_destroy' || action === 'coredump_restart') {
      // libxl_domain_core_dump is not implemented; xl too carries on when the dump fails.
      this.log(`dumping core to ${XEN_DUMP_DIR}/${reg.name}`);
      this.log('core dump failed (rc=-4): not implemented by this xl.');
      action = action === 'coredump_destroy' ? 'destroy' : 'restart';
    }
    if (action === 'soft_reset') {
      this.log('soft-reset is not implemented by this xl: destroying the domain');
      action = 'destroy';
    }

    switch (action) {
      case 'preserve':
        this.log('Done. Exiting now');
        await this.opts.registry.remove(id);
        return;
      case 'restart_rename':
        if (!(await this.preserve(reg))) {
          this.log(`Preserving domain ${id} failed: leaving it in place`);
          await this.opts.registry.remove(id);
          return;
        }
        await this.opts.registry.remove(id);
        await this.restart(reg, config);
        return;
      case 'restart':
        this.log(`Domain ${id} needs to be cleaned up: destroying the domain`);
        await this.destroy(id);
        await this.opts.registry.remove(id);
        await this.restart(reg, config);
        return;
      default:
        this.log(`Domain ${id} needs to be cleaned up: destroying the domain`);
        await this.destroy(id);
        await this.opts.registry.remove(id);
        this.log('Done. Exiting now');
    }
  }

  private async destroy(domid: number): Promise<void> {
    try {
      await destroyDomain(this.ctx, domid, { warn: (m) => this.log(`warning: ${m}`) });
    } catch (e) {
      this.log(`destroying domain ${domid} failed: ${e instanceof Error ? e.message : String(e)}`);
    }
  }

  private async restart(reg: Registration, config: DomainConfig): Promise<void> {
    this.log('Done. Rebooting now');
    const create = this.opts.create ?? ((c, v) => createNewDomain(this.ctx, c, { xenVersion: v, warn: (m) => this.log(`warning: ${m}`) }));
    try {
      const { domid } = await create(config, reg.xenVersion);
      this.log(`Domain ${reg.name} restarted as domid ${domid}`);
      await this.opts.registry.put({ ...reg, domid });
    } catch (e) {
      this.log(`restarting domain ${reg.name} failed: ${e instanceof Error ? e.message : String(e)}`);
    }
  }

  /**
   * preserve_domain / libxl_domain_preserve: the shut-down domain keeps
   * running under "<name>-<UTC time>" with a fresh /vm/<uuid>, so the name
   * and uuid are free for the new incarnation.
   */
  private async preserve(reg: Registration): Promise<boolean> {
    const suffix = new Date().toISOString().replace(/[-:]/g, '').replace(/^(\d{8}T\d{4}).*$/, '-$1Z');
    this.log(`Preserving domain ${reg.domid} ${reg.name} with suffix${suffix}`);
    try {
      const xs = await this.ctx.xs();
      const uuid = randomUUID();
      const vm = `/vm/${uuid}`;
      await renameDomain(this.ctx, reg.domid, reg.name, `${reg.name}${suffix}`);
      await xs.withTransaction(async (t) => {
        await xsRm(t, vm);
        await t.write(vm, '');
        await t.setPerms(vm, ['n0', `r${reg.domid}`]);
        await t.write(`/local/domain/${reg.domid}/vm`, vm);
        await t.write(`${vm}/name`, `${reg.name}${suffix}`);
        await t.write(`${vm}/uuid`, uuid);
      });
      return true;
    } catch (e) {
      this.log(`preserving failed: ${e instanceof Error ? e.message : String(e)}`);
      return false;
    }
  }

  /** Watch @releaseDomain until no registered domain is left (or `stop` resolves). */
  async run(stop?: Promise<void>): Promise<void> {
    const xs = await this.ctx.xs();
    const w = await xs.watch('@releaseDomain');
    let stopped = false;
    stop?.then(() => { stopped = true; void w.close(); });
    try {
      for await (const _ of w) {
        await this.scan();
        if (stopped || await this.isIdle()) return;
      }
    } finally {
      await w.close().catch(() => undefined);
    }
  }
}

/** Ask the shared monitor to look at its registrations now; false when none answers. */
function poke(socket: string): Promise<boolean> {
  return new Promise((resolve) => {
    const c = connect(socket);
    let reply = '';
    c.setEncoding('utf8');
    c.on('connect', () => c.write('scan\n'));
    c.on('data', (d: string) => { reply += d; if (reply.includes('\n')) c.end(); });
    c.on('close', () => resolve(reply.startsWith('ok')));
    c.on('error', () => resolve(false));
  });
}

/**
 * Make sure the shared monitor runs and sees the latest registrations: poke
 * it, else start it (node running `entry`, detached, logging to
 * MONITOR_LOG). A new monitor reads the registrations itself, so we do not
 * wait for it (node takes seconds to start under emulation).
 */
export async function ensureMonitor(entry: string, opts: { socket?: string; log?: string } = {}): Promise<'poked' | 'started'> {
  if (await poke(opts.socket ?? MONITOR_SOCKET)) return 'poked';
  if (!existsSync(entry)) throw new Error(`cannot start the domain monitor: ${entry} is missing`);
  const logPath = opts.log ?? MONITOR_LOG;
  mkdirSync(dirname(logPath), { recursive: true });
  const fd = openSync(logPath, 'a');
  try {
    spawn(process.execPath, [entry], { detached: true, stdio: ['ignore', fd, fd] }).unref();
  } finally {
    closeSync(fd);
  }
  return 'started';
}

/**
 * Serve pokes on `socket`, refusing to run twice: a live socket means
 * another monitor; a dead one is stale and replaced. Null when another runs.
 */
export async function listenOnce(socket: string, onPoke: () => Promise<void>): Promise<Server | null> {
  const serve = () => new Promise<Server>((resolve, reject) => {
    const server = createServer((c) => {
      c.setEncoding('utf8');
      c.on('data', () => { void onPoke().then(() => c.end('ok\n'), () => c.end('error\n')); });
      c.on('error', () => undefined);
    });
    server.once('error', reject);
    server.listen(socket, () => resolve(server));
  });
  try {
    return await serve();
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw e;
    if (await poke(socket)) return null;
    await rm(socket, { force: true });
    return serve();
  }
}
