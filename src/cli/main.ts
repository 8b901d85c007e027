// Entry point (bundled to dist/cjs/xl.cjs, which bin/xl runs, and to dist/main.js). Mirrors C xl
// main(): global options, then the subcommand by exact name or unique
// prefix, else "help", else "command not implemented". Only the module of
// the command being run is imported, so help stays cheap.
import { Exit } from './errors.js';
import { parseGlobals } from './globals.js';
import { helpText } from './help.js';
import { CommandOptions } from './options.js';
import { err, flush, out } from './output.js';
import { CMD_TABLE } from './cmdtable.js';
import { commandsFor, lookup } from './table.js';
import { detectTarget } from './target.js';
import type { CommandContext, CommandSpec, GlobalOptions, ResolvedCommand, Target } from './types.js';

/** Stack traces are for -vvv or XL_DEBUG=1 only. */
let debug = process.env.XL_DEBUG === '1';

/** Tests swap in their own table or target. */
export interface MainOptions {
  table?: readonly CommandSpec[];
  target?: Target;
}

/** Runs xl for C-style argv (argv[0] is the program name); returns the exit status. */
export async function main(argv: readonly string[], opts: MainOptions = {}): Promise<number> {
  const { globals, optind } = parseGlobals(argv);
  if (globals.verbose >= 3) debug = true;
  const target = opts.target ?? detectTarget();
  const commands = commandsFor(target, opts.table ?? CMD_TABLE);
  const word = argv[optind];
  if (word === undefined) {
    out(helpText(commands));
    return 1;
  }
  // Like C's argv after `argv += optind`: the subcommand word comes first.
  const args = argv.slice(optind);
  const spec = lookup(commands, word);
  if (spec) {
    if (globals.dryRun && !spec.canDryrun) {
      err('command does not implement -N (dryrun) option\n');
      return 1;
    }
    return runCommand(spec, args, globals, target, commands);
  }
  if (word === 'help') {
    out(helpText(commands, args[1]));
    return 0;
  }
  err('command not implemented\n');
  return 1;
}

async function runCommand(
  spec: ResolvedCommand,
  argv: readonly string[],
  globals: GlobalOptions,
  target: Target,
  commands: readonly ResolvedCommand[],
): Promise<number> {
  const help = (name: string = spec.name) => out(helpText(commands, name));
  const ctx: CommandContext = {
    spec,
    argv,
    globals,
    target,
    help,
    options: (a = argv, g = spec.getopt ?? { short: '', minArgs: 0 }) => new CommandOptions(a, g, help, spec.name),
  };
  if (!spec.load) {
    // Answer -h and usage errors as the C xl would before giving up.
    if (spec.getopt) for (const _ of ctx.options());
    throw new Exit(1, 'command not implemented\n');
  }
  const mod = await spec.load();
  return mod.run(ctx);
}

/** One line for the user; the stack only when debugging. */
export function report(e: unknown): number {
  if (e instanceof Exit) {
    err(e.stderr);
    return e.exitCode;
  }
  const message = e instanceof Error ? e.message || e.name : String(e);
  err(`xl: ${message.replace(/\n+$/, '')}\n`);
  if (debug && e instanceof Error && e.stack) err(`${e.stack}\n`);
  const code = (e as { exitCode?: unknown } | null)?.exitCode;
  return typeof code === 'number' && Number.isInteger(code) && code > 0 && code < 256 ? code : 1;
}

async function finish(code: number): Promise<never> {
  process.exitCode = code;
  await flush();
  process.exit(code);
}

/** bin/xl calls this: run, report, drain stdout/stderr, exit. */
export async function runCli(args: readonly string[] = process.argv.slice(2)): Promise<never> {
  const crash = (e: unknown) => void finish(report(e));
  process.on('uncaughtException', crash);
  process.on('unhandledRejection', crash);
  // A reader that went away (xl help | head): end quietly, as the C xl dies
  // of SIGPIPE; 141 is what a shell reports for that.
  process.stdout.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE') process.exit(141);
    crash(e);
  });
  let code: number;
  try {
    code = await main(['xl', ...args]);
  } catch (e) {
    code = report(e);
  }
  return finish(code);
}
