// xl's global options, parsed as C main() does: getopt "+vftTN", so they end
// at the subcommand, and a bad one is fatal.
import { Exit } from './errors.js';
import { GetoptLong } from './getopt.js';
import type { GlobalOptions } from './types.js';

/** xentoollog's XTL_PROGRESS, the C xl's default threshold. */
const XTL_PROGRESS = 4;

/** What each flag sets; -v is counted instead. */
const FLAGS: Record<string, 'dryRun' | 'force' | 'progressUseCr' | 'timestamps'> = {
  N: 'dryRun',
  f: 'force',
  t: 'progressUseCr',
  T: 'timestamps',
};

/** Parses C-style argv (argv[0] is the program); optind is the subcommand. */
export function parseGlobals(argv: readonly string[]): { globals: GlobalOptions; optind: number } {
  const globals: GlobalOptions = {
    verbose: 0,
    minLogLevel: XTL_PROGRESS,
    dryRun: false,
    force: false,
    progressUseCr: false,
    timestamps: false,
  };
  const g = new GetoptLong(argv, 'v' + Object.keys(FLAGS).join(''));
  for (let opt = g.next(); opt !== null; opt = g.next()) {
    if (opt === 'v') {
      globals.verbose++;
      if (globals.minLogLevel > 0) globals.minLogLevel--;
    } else if (opt in FLAGS) {
      globals[FLAGS[opt]] = true;
    } else {
      // glibc's own message (opterr is still on here), then xl's.
      throw new Exit(1, `xl: invalid option -- '${g.optopt}'\nunknown global option\n`);
    }
  }
  return { globals, optind: g.optind };
}
