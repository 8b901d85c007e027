// Renders man/xl.1 (roff) from the command table in cmdtable.ts, so the page
// lists exactly the commands xl knows. Regenerate with
//   UPDATE_MAN=1 npx vitest run test/unit/cli/man.test.ts
// (the test fails while the committed page is stale). Only the test imports
// this module: main.ts must not, so the CLI's startup stays lean.

import { esc, para } from '../config-parser/man.js';
import { CMD_TABLE } from './cmdtable.js';
import type { Arch, CommandSpec } from './types.js';

/** Text kept line for line (help text is laid out in columns). */
function verbatim(text: string): string {
  const lines = text.replace(/\s+$/, '').split('\n').map((l) => l.replace(/\s+$/, ''));
  // An empty input line is a blank-line request to roff; \& keeps it plain text.
  return '.nf\n' + lines.map((l) => (l ? esc(l) : '\\&')).join('\n') + '\n.fi\n';
}

/** Options and their descriptions, as a tagged list. */
function options(items: readonly [string, string][]): string {
  return items.map(([tag, text]) => `.TP\n.B ${esc(tag)}\n${esc(text)}\n`).join('');
}

const ARCH_NAMES: Record<Arch, string> = { x86: 'x86', arm: 'Arm', other: 'other' };

function archNote(archs: readonly Arch[]): string {
  if (archs.length === 2 && !archs.includes('arm')) return 'not on Arm';
  return `${archs.map((a) => ARCH_NAMES[a]).join(' and ')} only`;
}

function commandEntry(c: CommandSpec): string {
  // Which global flags `xl help` shows for the command.
  const flags = `-vtT${c.modifies ? 'f' : ''}${c.canDryrun ? 'N' : ''}`;
  const notes: string[] = [];
  if (c.since) notes.push(`Xen ${c.since} and later`);
  if (c.archs) notes.push(archNote(c.archs));
  if (c.older?.length) {
    const latest = c.older.map((o) => o.before).sort((a, b) => a.localeCompare(b, 'en', { numeric: true })).at(-1);
    notes.push(`the help text differs before Xen ${latest}`);
  }
  if (c.hidden) notes.push('xenlight-ts only: the C xl has no such command, and xl help does not list it');
  let out = `.TP\n.B ${esc(c.name)}\n${esc(c.summary.replace(/\.?\s*$/, '.'))}\n`;
  if (notes.length) out += `(${esc(notes.join('; '))})\n`;
  out += '.IP\n' + verbatim(`xl [${flags}] ${c.name} ${c.usage}`);
  if (c.options !== undefined && c.options.trim()) out += '.IP\n' + verbatim(c.options);
  if (!c.load) out += '.IP\n' + esc('(not implemented yet: prints "command not implemented")') + '\n';
  return out;
}

export function renderXlMan(): string {
  let out = '';
  out += '.\\" Generated from src/cli/cmdtable.ts by src/cli/man.ts; do not edit.\n';
  out += '.TH XL 1 "" "xenlight-ts" "User Commands"\n';
  // Names and paths read badly hyphenated or stretched: no hyphenation, ragged right.
  out += '.nh\n.ad l\n';
  out += '.SH NAME\nxl \\- Xen management tool (xenlight\\-ts)\n';
  out += '.SH SYNOPSIS\n.B xl\n[\\fIglobal options\\fR] \\fIsubcommand\\fR [\\fIargs\\fR]\n';

  out += '.SH DESCRIPTION\n';
  out += para('This is the xl of xenlight-ts, a rewrite of the Xen toolstack in TypeScript. It has the same subcommands as the C xl, reads the same configuration files (see xl.cfg(5) and /etc/xen/xl.conf), and prints the same output with the same exit status. Underneath it runs its own libxl, also written in TypeScript, which talks to the hypervisor and xenstored directly.');
  out += para('Which release of the C xl it behaves like is that of the running hypervisor, read from /sys/hypervisor/version (Xen 4.20 when that cannot be read; XL_XEN_VERSION overrides it). Commands and help text follow that release and the machine\'s architecture.');
  out += para('A subcommand may be abbreviated to any prefix that names only one command. xl help lists the commands; xl help subcommand and xl subcommand -h print one command\'s usage. An unknown option or too few arguments exits with status 2.');

  out += '.SH GLOBAL OPTIONS\n';
  out += para('Global options come before the subcommand; option parsing stops at the first word that is not one. An unknown global option is an error. Each command reads only the flags that matter to it: -t and -T change nothing for a command that prints no progress or log lines.');
  out += options([
    ['-v', 'Verbose: each -v lowers the threshold for log messages by one level, starting from progress messages. With three or more, errors are also printed with their stack traces, as XL_DEBUG=1 does.'],
    ['-N', 'Dry run: work out and print what would be done without changing anything. Only commands that support it accept it (their usage shows -N); the others refuse with "command does not implement -N (dryrun) option".'],
    ['-f', 'Force: let a command that modifies the system go ahead where it would otherwise refuse. Commands that take it show -f in their usage.'],
    ['-t', 'End progress lines with a carriage return instead of a newline, so that each one overwrites the previous one on a terminal.'],
    ['-T', 'Prefix log lines with the date and time and the process id.'],
  ]);

  out += '.SH COMMANDS\n';
  out += para('The commands in the order the C xl lists them, with usage and options as xl help prints them for Xen 4.20. Restrictions in parentheses give the releases and architectures whose xl has the command.');
  for (const c of CMD_TABLE) out += commandEntry(c);

  out += '.SH DOMAIN MONITOR\n';
  out += para('After xl create has started a domain, something has to notice when the domain shuts down and act on its on_poweroff, on_reboot, on_crash, on_watchdog and on_soft_reset settings. The C xl leaves one background process behind per domain for this; xenlight-ts hands every domain to one shared monitor process instead.');
  out += para('xl create registers the domain and tells the monitor, starting it when none is running (node running dist/monitor.js, detached, with its output going to /var/log/xen/xl-monitor.log). The monitor watches @releaseDomain, and when a registered domain has shut down it applies the configured action:');
  out += options([
    ['destroy', 'Destroy the domain.'],
    ['restart', 'Destroy the domain and create it again from the same configuration: same name and UUID, new domain id.'],
    ['preserve', 'Leave the domain as it is and stop watching it.'],
    ['rename-restart', 'Keep the old domain under the name "<name>-YYYYMMDDTHHMMZ" (UTC time) with a new /vm UUID, then create the domain again under its own name.'],
    ['coredump-destroy, coredump-restart', 'Core dumps are not implemented: the monitor logs that and then destroys, or restarts, the domain.'],
    ['soft-reset', 'Not implemented: the monitor logs that and destroys the domain.'],
  ]);
  out += para('The monitor exits once no registered domain is left. xl create -F does the monitoring itself, in the foreground and for that domain only, and returns when the domain is gone; xl create -e leaves the domain unmonitored.');

  out += '.SH FILES\n';
  out += options([
    ['/etc/xen/xl.conf', 'Global settings for xl.'],
    ['/var/lib/xen/userdata-d.<domid>.<uuid>.libxl-json', 'The configuration a domain was created with, as libxl JSON.'],
    ['/var/run/xen/xl-monitor/<domid>.json', 'A domain registered with the domain monitor, with the configuration used to restart it.'],
    ['/var/run/xen/xl-monitor.sock', 'The socket on which xl create tells the monitor about new registrations.'],
    ['/var/log/xen/xl-monitor.log', 'The domain monitor\'s log.'],
  ]);

  out += '.SH ENVIRONMENT\n';
  out += options([
    ['XL_GLOBAL_CONFIG', 'Read this file instead of /etc/xen/xl.conf.'],
    ['XL_XEN_VERSION', 'The Xen release to behave like, such as 4.17, instead of the running hypervisor\'s.'],
    ['XL_DEBUG=1', 'Print stack traces with errors.'],
    ['XL_TRACE=1', 'xl create prints each step, from loading its code to the unpause, with the milliseconds since the process started.'],
    ['XL_MONITOR_ENTRY', 'The domain monitor bundle that xl create starts; bin/xl sets it to dist/monitor.js of its own build.'],
    ['XL_DEVICE_MODEL_TIMEOUT=<seconds>', 'How long xl create waits for an HVM guest\'s QEMU to start (default 60, as libxl).'],
    ['XL_TEST_FAIL_AT=<step>', 'For lab tests of xl create\'s rollback: make the named step fail; vanish:<step> destroys the domain in Xen there first, as another xl destroy would.'],
    ['XL_TEST_XS_REFUSE=<regex>', 'For lab tests of xl create\'s rollback: have xenstored refuse writes to paths matching the regular expression.'],
    ['XL_TEST_ROLLBACK_LEAK=<path>', 'For lab tests of the leak checks: leave this xenstore path (%d: the domid) behind after a rollback.'],
  ]);

  out += '.SH SEE ALSO\nxl.cfg(5)\n';
  return out;
}
