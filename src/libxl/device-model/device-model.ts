// An HVM guest's QEMU, started as libxl__spawn_local_dm does for qemu-xen
// (libxl_dm.c of 4.17/4.20): the hvmloader nodes, the device-model
// directory, the rotated log /var/log/xen/qemu-dm-<name>.log, QEMU detached
// in its own session with its pid recorded, the wait for QEMU to write
// "running", then the post-start QMP queries (serial ttys, VNC address,
// VNC password). Killing QEMU is the destroy path's job (destroy.ts).

import { type ChildProcess, spawn } from 'node:child_process';
import { constants } from 'node:fs';
import { access, mkdir, open, readFile, rename, stat, unlink } from 'node:fs/promises';
import type { DomainConfig, XenVersion } from '../../config-parser/index.js';
import type { XenStore } from '../../xenstore-client/client.js';
import { deviceModelArgs } from './device-model-args.js';
import { qmpExecute } from './qmp.js';
import { watchUntil } from '../xs-util.js';

export const XEN_LOG_DIR = '/var/log/xen';
/** LIBXL_DEVICE_MODEL_START_TIMEOUT, in seconds. */
export const DEVICE_MODEL_START_TIMEOUT = 60;
/** Rotated copies libxl_create_logfile keeps (.1 to .10). */
const LOG_GENERATIONS = 10;

export class DeviceModelError extends Error {}

export interface DeviceModelSpawn {
  domid: number;
  name: string;
  config: DomainConfig;
  xenVersion: XenVersion;
  /** Seconds to wait for QEMU's "running" (libxl's 60 by default). */
  timeoutSeconds?: number;
  logDir?: string;
  trace?: (step: string) => void;
}

export interface DeviceModel {
  pid: number;
  logPath: string;
}

/** libxl_create_logfile: <name>.log becomes .log.1, .log.1 becomes .log.2, ... up to .log.10. */
export async function rotateLog(dir: string, name: string): Promise<string> {
  const base = `${dir}/${name}.log`;
  if (await stat(base).then(() => true, () => false)) {
    await unlink(`${base}.${LOG_GENERATIONS}`).catch(() => undefined);
    for (let i = LOG_GENERATIONS - 1; i > 0; i--) await renameIfThere(`${base}.${i}`, `${base}.${i + 1}`);
    await renameIfThere(base, `${base}.1`);
  }
  return base;
}

async function renameIfThere(from: string, to: string): Promise<void> {
  await rename(from, to).catch((e: NodeJS.ErrnoException) => {
    if (e.code !== 'ENOENT') throw new DeviceModelError(`failed to rotate logfile - could not rename ${from} to ${to}`);
  });
}

/** The last non-empty line of QEMU's log, for the one-line error. */
async function lastLogLine(path: string): Promise<string> {
  const text = await readFile(path, 'utf8').catch(() => '');
  return text.trimEnd().split('\n').filter((l) => l.trim()).pop()?.trim() ?? '';
}

/** libxl_bios_type_to_string of b_info.u.hvm.bios (qemu-xen's default is SeaBIOS). */
export function biosType(config: DomainConfig): string {
  const hvm = ((config as unknown as { b_info: { u?: { hvm?: { bios?: unknown } } } }).b_info.u?.hvm ?? {});
  const bios = String(hvm.bios ?? '').toLowerCase();
  return bios && bios !== 'unknown' ? bios : 'seabios';
}

/**
 * Start QEMU for `domid` and wait until it is ready; the caller's rollback
 * (destroy) kills it through image/device-model-pid, which is written
 * before the wait.
 */
export async function spawnDeviceModel(xs: XenStore, input: DeviceModelSpawn): Promise<DeviceModel> {
  const { domid, config } = input;
  const b = (config as unknown as { b_info: Record<string, unknown> }).b_info;
  if (b.dm_restrict === true) throw new DeviceModelError('dm_restrict is not supported yet');
  const dm = deviceModelArgs({ domid, config, xenVersion: input.xenVersion });
  const qemu = dm.argv[0];
  if (await access(qemu, constants.X_OK).then(() => false, () => true)) {
    throw new DeviceModelError(`device model ${qemu} is not executable`);
  }

  const dom = `/local/domain/${domid}`;
  await xs.write(`${dom}/hvmloader/bios`, biosType(config));
  // Only qemu-traditional without vNUMA lets hvmloader relocate RAM above the hole.
  await xs.write(`${dom}/hvmloader/allow-memory-relocate`, '0');
  const dmPath = `/local/domain/0/device-model/${domid}`;
  await xs.mkdir(dmPath);
  if (dm.vncPassword) {
    const vm = await xs.read(`${dom}/vm`);
    await xs.write(`${vm}/vncpasswd`, dm.vncPassword);
  }

  const logDir = input.logDir ?? XEN_LOG_DIR;
  await mkdir(logDir, { recursive: true });
  const logPath = await rotateLog(logDir, `qemu-dm-${input.name}`);
  const log = await open(logPath, 'a', 0o644);
  let child: ChildProcess;
  let exited: Promise<string>;
  try {
    input.trace?.(`  spawn ${dm.argv.join(' ')}`);
    child = spawn(qemu, dm.argv.slice(1), {
      argv0: qemu, detached: true, stdio: ['ignore', log.fd, log.fd], env: { ...process.env, ...dm.env },
    });
    // Listen before any await: a QEMU that fails at once exits while the log closes.
    const c = child;
    exited = new Promise<string>((resolve) => {
      c.once('error', (e) => resolve(e.message));
      c.once('exit', (code, signal) => resolve(signal ? `killed by ${signal}` : `exited with status ${code}`));
    });
  } finally {
    await log.close();
  }
  child.unref();
  if (child.pid === undefined) throw new DeviceModelError(`device model ${qemu}: ${await exited}`);
  const pid = child.pid;
  await xs.write(`${dom}/image/device-model-pid`, String(pid));

  const timeoutMs = (input.timeoutSeconds ?? DEVICE_MODEL_START_TIMEOUT) * 1000;
  const ready = watchUntil(xs, `${dmPath}/state`, (v) => v === 'running', timeoutMs);
  const outcome = await Promise.race([ready, exited.then((how) => ({ died: how }))]);
  if (outcome === 'timeout') {
    throw new DeviceModelError(`device model (pid ${pid}) not ready after ${timeoutMs / 1000} s (see ${logPath})`);
  }
  if ('died' in outcome) {
    // Nothing left for the rollback's destroy to kill.
    await xs.rm(`${dom}/image/device-model-pid`).catch(() => undefined);
    const last = await lastLogLine(logPath);
    throw new DeviceModelError(`device model ${outcome.died} before it was ready${last ? `: ${last}` : ''} (see ${logPath})`);
  }
  await postConfig(xs, domid, dm.vncPassword);
  return { pid, logPath };
}

/** device_model_postconfig_chardev/_vnc/_vnc_passwd. */
async function postConfig(xs: XenStore, domid: number, vncPassword: string | undefined): Promise<void> {
  const dom = `/local/domain/${domid}`;
  const [chardevs, vnc] = await qmpExecute(domid, [{ execute: 'query-chardev' }, { execute: 'query-vnc' }]) as [
    { label?: string; filename?: string }[], { enabled?: boolean; host?: string; service?: string },
  ];
  for (const c of chardevs ?? []) {
    const m = /^serial(\d+)$/.exec(c.label ?? '');
    if (!m || !c.filename?.startsWith('pty:')) continue;
    await xs.write(`${dom}/serial/${Number(m[1])}/tty`, c.filename.slice('pty:'.length));
  }
  if (vnc?.enabled) {
    await xs.write(`${dom}/console/vnc-listen`, vnc.host ?? '');
    await xs.write(`${dom}/console/vnc-port`, vnc.service ?? '');
  }
  if (vncPassword) {
    await qmpExecute(domid, [{ execute: 'change-vnc-password', arguments: { password: vncPassword } }]);
    await xs.write(`${dom}/console/vnc-pass`, vncPassword);
  }
}
