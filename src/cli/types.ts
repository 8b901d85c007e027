// Shapes shared by the command table, the dispatcher and command modules.
import type { LongOpt } from './getopt.js';
import type { CommandOptions } from './options.js';

/** A Xen release, "major.minor". */
export type XenVersion = `${number}.${number}`;

/** What the C xl's #ifdefs distinguish: x86, Arm, anything else. */
export type Arch = 'x86' | 'arm' | 'other';

/** The xl we mimic: which release's table, built for which architecture. */
export interface Target {
  xen: XenVersion;
  arch: Arch;
  /** Where `xen` came from, for `xl version`. */
  source: 'env' | 'hypervisor' | 'default';
}

/** Arguments of C's SWITCH_FOREACH_OPT for the command. */
export interface GetoptSpec {
  /** getopt optstring without the "h" xl always prepends. */
  short: string;
  /** Long options; absent means xl's default, which has only --help. */
  long?: readonly LongOpt[];
  /** Non-option arguments required, else usage error (exit 2). */
  minArgs: number;
  /** Name the C code passes for help, where it differs from the command. */
  helpName?: string;
}

/** The text fields a command had before a release changed them. */
export interface OlderText {
  /** Applies to releases older than this one. */
  before: XenVersion;
  summary?: string;
  usage?: string;
  options?: string;
  getopt?: GetoptSpec | null;
}

export interface CommandSpec {
  name: string;
  /** C can_dryrun: global -N is accepted. */
  canDryrun: boolean;
  /** C modifies: help shows the global -f flag. */
  modifies: boolean;
  /** C cmd_desc. */
  summary: string;
  /** C cmd_usage. */
  usage: string;
  /** C cmd_option; '' and absent differ (help prints "Options:" for ''). */
  options?: string;
  /** null: the C command parses argv itself, so the dispatcher does not. */
  getopt: GetoptSpec | null;
  /** First release whose xl has the command. */
  since?: XenVersion;
  /** Architectures the C xl is built with it on; absent means all. */
  archs?: readonly Arch[];
  /** Earlier wording: an old target gets the entry with the lowest `before` above it. */
  older?: readonly OlderText[];
  /** Ours, not the C xl's: reachable by name, left out of `xl help`. */
  hidden?: boolean;
  /**
   * The implementation, imported only when this command runs. Absent: not
   * implemented yet, and running it prints "command not implemented" and
   * exits 1 (after -h and usage checks, which need only this table).
   */
  load?: () => Promise<CommandModule>;
}

/** A table entry as it reads for one target (older text applied). */
export type ResolvedCommand = Omit<CommandSpec, 'older' | 'since' | 'archs'>;

/** xl's global options (before the subcommand). */
export interface GlobalOptions {
  /** How many -v were given. */
  verbose: number;
  /** xentoollog threshold: XTL_PROGRESS (4) lowered once per -v, floor 0. */
  minLogLevel: number;
  /** -N */
  dryRun: boolean;
  /** -f */
  force: boolean;
  /** -t: progress lines end in CR. */
  progressUseCr: boolean;
  /** -T: log lines get date and pid. */
  timestamps: boolean;
}

export interface CommandContext {
  readonly spec: ResolvedCommand;
  /** As C main_xxx gets it: argv[0] is the command word as typed. */
  readonly argv: readonly string[];
  readonly globals: GlobalOptions;
  readonly target: Target;
  /** The C SWITCH_FOREACH_OPT loop over `argv` (default ctx.argv). */
  options(argv?: readonly string[], spec?: GetoptSpec): CommandOptions;
  /** Print what C help(name) prints (default: this command). */
  help(name?: string): void;
}

export interface CommandModule {
  /** Returns the exit status, like C main_xxx. */
  run(ctx: CommandContext): number | Promise<number>;
}
