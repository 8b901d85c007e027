// glibc getopt_long, reproduced because xl's behaviour is defined by it.
//
// Only REQUIRE_ORDER is modelled: xl main() parses its global options with
// "+vftTN", and glibc does not reinitialise its ordering when xl resets
// optind to 1 for the subcommand, so subcommand parsing also stops at the
// first non-option (that is why C main_create shifts <ConfigFile> off argv
// itself). Error messages are not printed here (xl sets opterr = 0 for
// subcommands); callers print what the C code prints.

/** [name, has_arg (0 none, 1 required, 2 optional), val]. A val longer than
 *  one character stands for a C val that is not a char (e.g. 0x100). */
export type LongOpt = readonly [name: string, hasArg: 0 | 1 | 2, val: string];

export class GetoptLong {
  optind = 1;
  optarg: string | undefined;
  /** The offending option char after '?'; '\0' where glibc sets optopt = 0
   *  (C xl then prints that NUL byte in its message). */
  optopt = '';
  /** Rest of the current bundled short-option element, like __nextchar. */
  private nextchar = '';

  constructor(
    readonly argv: readonly string[],
    private readonly optstring: string,
    private readonly longopts: readonly LongOpt[] | null = null,
  ) {}

  /** Next option's val, '?' on error, or null when options end. */
  next(): string | null {
    this.optarg = undefined;
    const { argv } = this;
    if (this.nextchar === '') {
      if (this.optind >= argv.length) return null;
      const el = argv[this.optind];
      if (el === '--') {
        this.optind++;
        return null;
      }
      if (el[0] !== '-' || el.length === 1) return null;
      if (this.longopts && el[1] === '-') return this.long(el.slice(2));
      this.nextchar = el.slice(1);
    }
    return this.short();
  }

  private short(): string {
    const c = this.nextchar[0];
    this.nextchar = this.nextchar.slice(1);
    // optind moves on as soon as the element's last char is taken.
    if (this.nextchar === '') this.optind++;
    const at = this.optstring.indexOf(c);
    if (at < 0 || c === ':' || c === ';') {
      this.optopt = c;
      return '?';
    }
    if (this.optstring[at + 1] !== ':') return c;
    const optional = this.optstring[at + 2] === ':';
    if (this.nextchar !== '') {
      this.optarg = this.nextchar;
      this.optind++;
    } else if (!optional) {
      if (this.optind >= this.argv.length) {
        this.optopt = c;
        return '?';
      }
      this.optarg = this.argv[this.optind++];
    }
    this.nextchar = '';
    return c;
  }

  private long(body: string): string {
    const eq = body.indexOf('=');
    const name = eq < 0 ? body : body.slice(0, eq);
    const opts = this.longopts ?? [];
    let found = opts.find((o) => o[0] === name);
    if (!found) {
      const prefixed = opts.filter((o) => o[0].startsWith(name));
      // Abbreviations only clash if the candidates would act differently.
      const ambiguous = prefixed.some((o) => o[1] !== prefixed[0][1] || o[2] !== prefixed[0][2]);
      if (prefixed.length === 0 || ambiguous) {
        this.optind++;
        this.optopt = '\0';
        return '?';
      }
      found = prefixed[0];
    }
    const [, hasArg, val] = found;
    this.optind++;
    if (eq >= 0) {
      if (hasArg === 0) {
        this.optopt = optoptOf(val);
        return '?';
      }
      this.optarg = body.slice(eq + 1);
    } else if (hasArg === 1) {
      if (this.optind >= this.argv.length) {
        this.optopt = optoptOf(val);
        return '?';
      }
      this.optarg = this.argv[this.optind++];
    }
    return val;
  }
}

/** What C's "%c" of optopt shows for a long option's val. */
function optoptOf(val: string): string {
  return val.length === 1 ? val : '\0';
}
