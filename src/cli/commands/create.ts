// `xl create [<ConfigFile>] [options] [key=value ...]` (C main_create and
// create_domain, tools/xl/xl_vmcontrol.c): read xl.conf, parse the config
// plus the key=value overrides; a dry run (-n, or the global -N) prints the
// domain config as JSON on stdout. Otherwise libxl/domain/create.ts builds the
// domain (PV guests without devices so far), which the shared monitor then
// looks after (-F: this process does, -e: nobody); -c attaches its console.
//
// XL_GLOBAL_CONFIG (ours, named after the C macro) replaces /etc/xen/xl.conf,
// so tests do not depend on the host's file.
import { cpus } from 'node:os';
import type { CreateResult } from '../../libxl/domain/create.js';
import type { DryRunResult } from '../../libxl/domain/create-dry-run.js';
import { XlError } from '../../libxl/errors.js';
import { withContext } from '../domain.js';
import { Exit } from '../errors.js';
import { err, out } from '../output.js';
import { readGlobalConfig } from '../global-config.js';
import { compareXen } from '../target.js';
import type { CommandContext } from '../types.js';


/** libxl's ERROR_INVAL, returned negated as the exit status. */
const ERROR_INVAL = 6;

export interface CreateArgs {
  configFile?: string;
  /** Each key=value operand, in order (C extra_config). */
  extra: string[];
  dryRun: boolean;
  quiet: boolean;
  debug: boolean;
  ignoreGlobalAffinityMasks: boolean;
  /** Options that only matter once a domain is built: -p -c -V -A -F -e. */
  paused: boolean;
  console: boolean;
  vnc: boolean;
  vncAutopass: boolean;
  daemonize: boolean;
  monitor: boolean;
}

/** main_create's argument handling; returns null after printing help (exit 2). */
export function parseCreateArgs(ctx: CommandContext): CreateArgs | null {
  const a: CreateArgs = {
    extra: [], dryRun: ctx.globals.dryRun, quiet: false, debug: false, ignoreGlobalAffinityMasks: false,
    paused: false, console: false, vnc: false, vncAutopass: false, daemonize: true, monitor: true,
  };
  let argv = ctx.argv;
  // A leading config file is taken before the options (getopt stops at the
  // first operand), the file then standing where the program name was.
  const first = argv[1];
  if (first !== undefined && first[0] !== '-' && !first.includes('=')) {
    a.configFile = first;
    argv = argv.slice(1);
  }
  const opts = ctx.options(argv);
  for (const { opt, arg } of opts) {
    switch (opt) {
      case 'A': a.vnc = a.vncAutopass = true; break;
      case 'F': a.daemonize = false; break;
      case 'V': a.vnc = true; break;
      case 'c': a.console = true; break;
      case 'd': a.debug = true; break;
      case 'e': a.daemonize = false; a.monitor = false; break;
      case 'f': a.configFile = arg; break;
      case 'i': a.ignoreGlobalAffinityMasks = true; break;
      case 'n': a.dryRun = true; break;
      case 'p': a.paused = true; break;
      case 'q': a.quiet = true; break;
    }
  }
  for (const operand of opts.operands) {
    if (operand.includes('=')) a.extra.push(operand);
    else if (a.configFile === undefined) a.configFile = operand;
    else {
      ctx.help();
      return null;
    }
  }
  return a;
}

/**
 * What libxl would tell xl about the host's CPUs and nodes. Off Xen (a dry
 * run on a build machine) the C xl cannot run at all; we go on with this
 * machine's CPU count and one node, and say so.
 */
async function hostFacts(): Promise<{ maxCpus: number; onlineCpus?: number; nrNodes?: number; nodeCpus?: number[][] }> {
  const { dryRunHost } = await import('../../libxl/domain/create-dry-run.js');
  try {
    return await withContext((lctx) => dryRunHost(lctx.xc()));
  } catch (e) {
    if (!(e instanceof XlError)) throw e;
    const n = cpus().length || 1;
    err(`xl: warning: ${e.message}; CPU maps sized for this machine's ${n} CPUs\n`);
    return { maxCpus: n };
  }
}

/**
 * Builds and starts the domain (PV, PVH or HVM, with its devices). XL_TRACE=1 prints
 * each step with its time since the process started (node's start-up included).
 * Lab tests of the rollback: XL_TEST_FAIL_AT=<step> makes that step (or build
 * sub-step) fail; XL_TEST_HOTPLUG_TIMEOUT=<s> shortens the hotplug scripts' 40 s; XL_TEST_XS_REFUSE=<regex> has
 * xenstored refuse our writes to matching paths. XL_DEVICE_MODEL_TIMEOUT=<s>
 * changes the 60 s an HVM guest's QEMU has to come up.
 */
async function buildDomain(r: DryRunResult, a: CreateArgs, version: '4.17' | '4.20'): Promise<number> {
  trace?.('loading the create code');
  const { createNewDomain, CreateError } = await import('../../libxl/domain/create.js');
  trace?.('opening the hypervisor and xenstore');
  try {
    const made = await withContext(async (lctx) => {
      const created = await createNewDomain(lctx, r.config, {
        paused: a.paused, xenVersion: version, trace, warn: (m) => err(`xl: warning: ${m}\n`),
        failAt: process.env.XL_TEST_FAIL_AT,
        xsRefuse: process.env.XL_TEST_XS_REFUSE ? new RegExp(process.env.XL_TEST_XS_REFUSE) : undefined,
        rollbackLeak: process.env.XL_TEST_ROLLBACK_LEAK,
        hotplugTimeout: Number(process.env.XL_TEST_HOTPLUG_TIMEOUT) || undefined,
        deviceModelTimeout: Number(process.env.XL_DEVICE_MODEL_TIMEOUT) || undefined,
      });
      trace?.(a.monitor && a.daemonize ? 'telling the monitor' : 'created');
      if (a.monitor && a.daemonize) await startMonitoring(created, r, version);
      trace?.('closing the hypervisor and xenstore');
      return created;
    });
    trace?.('done');
    if (trace) process.on('exit', () => trace('exiting'));
    if (a.console) {
      const status = await attachPrimaryConsole(made.domid);
      if (!a.monitor || a.daemonize) return status;
    }
    if (a.monitor && !a.daemonize) return monitorInForeground(made, r, version);
    return 0;
  } catch (e) {
    if (e instanceof CreateError) throw new Exit(1, `xl create: ${e.message}\n`);
    throw e;
  }
}

/** Where the shared monitor's bundle is (bin/xl says; next to this bundle's entry otherwise). */
function monitorEntry(): string {
  return process.env.XL_MONITOR_ENTRY ?? new URL('../monitor.js', import.meta.url).pathname;
}

/** What the monitor keeps of a domain: the config model as built, to restart it from. */
async function registration(made: CreateResult, r: DryRunResult, version: '4.17' | '4.20') {
  const { encodeConfig } = await import('../../libxl/domain/monitor.js');
  return { ...made, xenVersion: version, config: encodeConfig(made.config) };
}

/** Hand the domain to the shared monitor (xl's daemonized wait loop, one for all domains). */
async function startMonitoring(made: CreateResult, r: DryRunResult, version: '4.17' | '4.20'): Promise<void> {
  const { DirRegistry, ensureMonitor } = await import('../../libxl/domain/monitor.js');
  await new DirRegistry().put(await registration(made, r, version));
  try {
    await ensureMonitor(monitorEntry());
  } catch (e) {
    // The domain runs; only its on_poweroff/on_reboot/on_crash handling is missing.
    err(`xl: warning: domain ${made.domid}: ${e instanceof Error ? e.message : String(e)}\n`);
  }
}

/** xl create -F: this process is the domain's monitor until it is gone. */
async function monitorInForeground(made: CreateResult, r: DryRunResult, version: '4.17' | '4.20'): Promise<number> {
  const { MemoryRegistry, Monitor } = await import('../../libxl/domain/monitor.js');
  return withContext(async (lctx) => {
    const registry = new MemoryRegistry();
    await registry.put(await registration(made, r, version));
    err(`Waiting for domain ${made.name} (domid ${made.domid}) to die [pid ${process.pid}]\n`);
    await new Monitor(lctx, { registry, log: (line) => err(`${line}\n`) }).run();
    return 0;
  });
}

/** xl create -c: the primary console, as `xl console` would attach it. */
async function attachPrimaryConsole(domid: number): Promise<number> {
  const { attachConsole, consoleTtyNode } = await import('../../libxl/domain/console.js');
  const { LibxlError } = await import('../../libxl/xs-util.js');
  return withContext(async (lctx) => {
    try {
      return await attachConsole(lctx, domid, await consoleTtyNode(lctx, domid, null, 0));
    } catch (e) {
      if (!(e instanceof LibxlError)) throw e;
      throw new Exit(1, `xenconsole: ${e.message}\nUnable to attach console\n`);
    }
  });
}

const trace = process.env.XL_TRACE ? (s: string) => err(`[${Math.round(performance.now())} ms] ${s}\n`) : undefined;

export async function run(ctx: CommandContext): Promise<number> {
  trace?.('loading the config parser, reading host facts');
  const a = parseCreateArgs(ctx);
  if (a === null) return 2;
  const version = compareXen(ctx.target.xen, '4.20') >= 0 ? '4.20' : '4.17';
  const conf = await readGlobalConfig(version);
  if (a.configFile === undefined) throw new Exit(ERROR_INVAL, 'Config file not specified and none in save file\n');
  const { ConfigError, ConfigReadError, ConfigSyntaxError, formatDiagnostic, readConfigFile } = await import('../../config-parser/index.js');
  const { dryRunCreate } = await import('../../libxl/domain/create-dry-run.js');
  const host = await hostFacts();
  trace?.('parsing and checking the config');

  let result: DryRunResult;
  try {
    const text = await readConfigFile(a.configFile);
    if (!a.quiet) err(`Parsing config from ${a.configFile}\n`);
    result = await dryRunCreate(a.configFile, a.extra, {
      text,
      xenVersion: version,
      arch: ctx.target.arch === 'arm' ? 'arm' : 'x86',
      host,
      globals: conf,
      ignoreGlobalAffinityMasks: a.ignoreGlobalAffinityMasks,
    });
  } catch (e) {
    if (e instanceof ConfigReadError) throw new Exit(e.exitCode, `${e.message}\n`);
    if (e instanceof ConfigError) {
      const lines = [...e.warnings, ...e.diagnostics].map((d) => `${formatDiagnostic(d)}\n`).join('');
      // The C xl's last line after libxlu's readfile fails (strerror(EINVAL)); scripts may look for it.
      throw new Exit(e.exitCode, e instanceof ConfigSyntaxError ? `${lines}Failed to parse config: Invalid argument\n` : lines);
    }
    throw e;
  }
  for (const w of result.warnings) err(`${w}\n`);

  if (a.debug || a.dryRun) {
    if (conf.outputFormat === 'sxp') {
      throw new Exit(1, 'xl create: output_format="sxp" (xl.conf) is not implemented yet; use json\n');
    }
    (a.dryRun ? out : err)(result.json);
  }
  if (a.dryRun) return 0;
  return buildDomain(result, a, version);
}
