// What xl asks of an HVM guest's device model and its console: a HMP
// command through QMP (libxl_qemu_monitor_command, libxl_qmp.c) and running
// a VNC viewer on the guest's display (libxl_vncviewer_exec,
// libxl_console.c). Changing a cd drive's medium (libxl_cdrom_insert) is in
// cdrom.ts, triggers (libxl_send_trigger) with the shutdown requests in
// shutdown.ts.
//
// Failures are LibxlErrors whose message holds the lines libxl logs for
// them, one per line ("" when libxl logs nothing), and whose rc is libxl's.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { constants as fsConstants, closeSync, openSync, unlinkSync, writeSync } from 'node:fs';
import { constants as osConstants } from 'node:os';
import { atoi } from '../../config-parser/cnum.js';
import type { LibxlContext } from '../context.js';
import { LIBXL_ERROR } from '../domain/domains.js';
import { QmpSession, QMP_ERROR, type QmpSessionOptions } from './qmp-session.js';
import { errnoCode, strerror } from '../strerror.js';
import { LibxlError, xsRead } from '../xs-util.js';
import { domainLogPrefix } from '../errors.js';

const fail = (message: string, rc: number): LibxlError => new LibxlError(message, rc);

// -- qemu-monitor-command -------------------------------------------------------

/** libxl_qemu_monitor_command: HMP `commandLine` through QMP's human-monitor-command; QEMU's output. */
export async function qemuMonitorCommand(domid: number, commandLine: string, opts: QmpSessionOptions = {}): Promise<string> {
  const qmp = new QmpSession(domid, opts);
  try {
    const r = await qmp.send('human-monitor-command', { 'command-line': commandLine });
    if (typeof r !== 'string') throw fail(`${domainLogPrefix(domid)}Response has unexpected format`, QMP_ERROR.QEMU_API);
    return r;
  } finally {
    qmp.close();
  }
}

// -- vncviewer ----------------------------------------------------------------------

export interface VncCommand {
  /** What is exec'd: $VNCVIEWER or vncviewer, looked up in PATH. */
  file: string;
  /** argv, argv[0] included. */
  argv: string[];
  /** With --autopass and a password in xenstore: what the viewer reads on stdin. */
  password: string | null;
}

/**
 * libxl_vncviewer_exec up to the exec: the display from console/vnc-port
 * (minus 5900) on console/vnc-listen (default localhost), and with
 * autopass the console/vnc-pass the viewer gets on stdin (with -autopass).
 */
export async function vncviewerCommand(ctx: LibxlContext, domid: number, autopass: boolean, env: NodeJS.ProcessEnv = process.env): Promise<VncCommand> {
  const xs = await ctx.xs();
  const base = `/local/domain/${domid}/console`;
  const port = await xsRead(xs, `${base}/vnc-port`);
  if (port === null) throw fail(`${domainLogPrefix(domid)}Cannot get vnc-port`, LIBXL_ERROR.FAIL);
  const listen = (await xsRead(xs, `${base}/vnc-listen`)) ?? 'localhost';
  const password = autopass ? await xsRead(xs, `${base}/vnc-pass`) : null;
  const file = env.VNCVIEWER ?? 'vncviewer';
  const argv = [file, `${listen}:${atoi(port) - 5900}`];
  if (password !== null) argv.push('-autopass');
  return { file, argv, password };
}

/** How the viewer ended: its exit status or the signal that killed it; or why it could not start. */
export type VncOutcome = { status: number; signal: NodeJS.Signals | null } | { execError: string };

/** mkstemp("/tmp/vncautopass.XXXXXX"), unlinked, holding the password, read from its start. */
function passwordFile(domid: number, password: string): number {
  const chars = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
  for (let tries = 0; ; tries++) {
    const name = `/tmp/vncautopass.${[...randomBytes(6)].map((b) => chars[b % chars.length]).join('')}`;
    let fd: number;
    try {
      fd = openSync(name, fsConstants.O_RDWR | fsConstants.O_CREAT | fsConstants.O_EXCL, 0o600);
    } catch (e) {
      if (errnoCode(e) === 'EEXIST' && tries < 100) continue;
      throw fail(`${domainLogPrefix(domid)}mkstemp /tmp/vncautopass.XXXXXX failed: ${strerror(errnoCode(e))}`, LIBXL_ERROR.FAIL);
    }
    try {
      unlinkSync(name);
      // Written at offset 0 without moving the file position: the viewer reads from the start.
      writeSync(fd, password, 0);
    } catch (e) {
      closeSync(fd);
      throw fail(`${domainLogPrefix(domid)}writing vnc password to ${name} failed: ${strerror(errnoCode(e))}`, LIBXL_ERROR.FAIL);
    }
    return fd;
  }
}

/**
 * The exec of libxl_vncviewer_exec, as a child with our stdio (stdin the
 * password file with autopass). While it runs, the terminal's signals are
 * its business; a TERM or HUP sent to us is passed on.
 */
export async function execVncviewer(domid: number, cmd: VncCommand): Promise<VncOutcome> {
  if (cmd.file === '') return { execError: 'cannot execute : No such file or directory' };
  const stdinFd = cmd.password !== null ? passwordFile(domid, cmd.password) : null;
  const child = spawn(cmd.file, cmd.argv.slice(1), { argv0: cmd.argv[0], stdio: [stdinFd ?? 'inherit', 'inherit', 'inherit'] });
  const ignore = () => undefined;
  const forward = (sig: NodeJS.Signals) => { child.kill(sig); };
  const handlers: [NodeJS.Signals, (s: NodeJS.Signals) => void][] = [
    ['SIGINT', ignore], ['SIGQUIT', ignore], ['SIGTERM', forward], ['SIGHUP', forward],
  ];
  for (const [s, h] of handlers) process.on(s, h);
  try {
    return await new Promise<VncOutcome>((resolve) => {
      child.once('error', (e) => resolve({ execError: `cannot execute ${cmd.file}: ${strerror(errnoCode(e))}` }));
      child.once('exit', (status, signal) => resolve({ status: status ?? 0, signal }));
    });
  } finally {
    for (const [s, h] of handlers) process.off(s, h);
    if (stdinFd !== null) closeSync(stdinFd);
  }
}

/** A shell's view of a child killed by `signal`. */
export const signalStatus = (signal: NodeJS.Signals): number => 128 + (osConstants.signals[signal] ?? 0);

/** A LibxlError's lines as xl's logger prints libxl's errors. */
export function logText(e: LibxlError): string {
  return e.message.split('\n').filter((l) => l !== '').map((l) => `libxl: error: ${l}\n`).join('');
}
