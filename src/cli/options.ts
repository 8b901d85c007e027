// C xl's def_getopt/SWITCH_FOREACH_OPT: a command's option loop with the
// shared handling of -h/--help, unknown options and too few arguments.
import { Exit } from './errors.js';
import { GetoptLong } from './getopt.js';
import { err } from './output.js';
import type { GetoptSpec } from './types.js';

export interface ParsedOption {
  /** The option's val: its short letter, or the name of a long-only one. */
  opt: string;
  arg: string | undefined;
}

/**
 * Iterate it like the C switch; options come in command-line order, so a
 * handler may act on each before later ones are checked, as the C code does.
 * -h prints help and exits 0; a bad option or missing arguments exit 2.
 */
export class CommandOptions implements Iterable<ParsedOption> {
  private readonly g: GetoptLong;

  constructor(
    readonly argv: readonly string[],
    private readonly spec: GetoptSpec,
    private readonly help: (name: string) => void,
    private readonly name: string,
  ) {
    const long = spec.long ?? [];
    this.g = new GetoptLong(argv, 'h' + spec.short, [...long, ['help', 0, 'h']]);
  }

  /** Index in argv of the first operand once iteration has finished. */
  get optind(): number {
    return this.g.optind;
  }

  get operands(): string[] {
    return this.argv.slice(this.g.optind);
  }

  *[Symbol.iterator](): Iterator<ParsedOption> {
    const helpName = this.spec.helpName ?? this.name;
    for (;;) {
      const opt = this.g.next();
      if (opt === null) break;
      if (opt === 'h' || (opt === '?' && this.g.optopt === 'h')) {
        this.help(helpName);
        throw new Exit(0);
      }
      if (opt === '?') {
        err(`option \`${this.g.optopt}' not supported.\n`);
        throw new Exit(2);
      }
      yield { opt, arg: this.g.optarg };
    }
    const need = this.spec.minArgs;
    if (this.argv.length - this.g.optind < need) {
      err(`'xl ${helpName}' requires at least ${need} argument${need > 1 ? 's' : ''}.\n\n`);
      this.help(helpName);
      throw new Exit(2);
    }
  }
}
