import { describe, expect, it } from 'vitest';
import { GetoptLong, type LongOpt } from '../../../src/cli/getopt.js';
import { parseGlobals } from '../../../src/cli/globals.js';
import { Exit } from '../../../src/cli/errors.js';

/** Every (val, optarg) until the end, then optind. */
function all(argv: string[], optstring: string, longopts: LongOpt[] | null = null) {
  const g = new GetoptLong(['cmd', ...argv], optstring, longopts);
  const got: string[] = [];
  for (let o = g.next(); o !== null; o = g.next()) got.push(o === '?' ? `?${g.optopt}` : g.optarg === undefined ? o : `${o}=${g.optarg}`);
  return { got, optind: g.optind };
}

describe('GetoptLong (glibc getopt_long, REQUIRE_ORDER)', () => {
  it('splits bundled flags and stops at the first operand', () => {
    expect(all(['-ab', 'x', '-c'], 'abc')).toEqual({ got: ['a', 'b'], optind: 2 });
  });

  it('takes a required argument from the rest of the word or the next word', () => {
    expect(all(['-fx', '-f', '-y'], 'f:y')).toEqual({ got: ['f=x', 'f=-y'], optind: 4 });
    expect(all(['-f'], 'f:')).toEqual({ got: ['?f'], optind: 2 });
  });

  it('takes an optional argument only from the same word', () => {
    expect(all(['-w5', '-w', '6'], 'w::')).toEqual({ got: ['w=5', 'w'], optind: 3 });
  });

  it('ends at -- (consumed) and at a lone - (kept)', () => {
    expect(all(['-a', '--', '-b'], 'ab')).toEqual({ got: ['a'], optind: 3 });
    expect(all(['-a', '-', '-b'], 'ab')).toEqual({ got: ['a'], optind: 2 });
  });

  it('reports unknown short options and never treats : as an option', () => {
    expect(all(['-az:'], 'a:')).toEqual({ got: ['a=z:'], optind: 2 });
    expect(all(['-x', '-:'], 'a:')).toEqual({ got: ['?x', '?:'], optind: 3 });
  });

  const longs: LongOpt[] = [
    ['defconfig', 1, 'f'],
    ['dryrun', 0, 'n'],
    ['autopass', 0, 'a'],
    ['autopass-too', 0, 'a'],
    ['debug', 0, 'debug'],
  ];

  it('matches long options exactly, by unambiguous prefix, with = or the next word', () => {
    expect(all(['--defconfig=x', '--def', 'y', '--dr'], 'f:n', longs).got).toEqual(['f=x', 'f=y', 'n']);
    expect(all(['--deb'], '', longs).got).toEqual(['debug']);
  });

  it('lets a prefix match options that would act the same', () => {
    expect(all(['--auto'], 'a', longs).got).toEqual(['a']);
  });

  it('rejects ambiguous, unknown and misused long options', () => {
    expect(all(['--d'], '', longs).got).toEqual(['?\0']);
    expect(all(['--nope'], '', longs).got).toEqual(['?\0']);
    expect(all(['--dryrun=1'], '', longs).got).toEqual(['?n']);
    expect(all(['--debug=1'], '', longs).got).toEqual(['?\0']);
    expect(all(['--defconfig'], '', longs)).toEqual({ got: ['?f'], optind: 2 });
  });

  it('treats --name as short options when there are no long ones', () => {
    expect(all(['--v'], 'v').got).toEqual(['?-', 'v']);
  });
});

describe('global options', () => {
  it('counts -v and lowers the log threshold to a floor of 0', () => {
    expect(parseGlobals(['xl', '-vvv', 'list']).globals).toMatchObject({ verbose: 3, minLogLevel: 1 });
    expect(parseGlobals(['xl', '-vv', '-vvvv', 'list']).globals).toMatchObject({ verbose: 6, minLogLevel: 0 });
  });

  it('sets -N -f -t -T and stops at the subcommand', () => {
    const { globals, optind } = parseGlobals(['xl', '-Nf', '-tT', 'create', '-v']);
    expect(globals).toEqual({ verbose: 0, minLogLevel: 4, dryRun: true, force: true, progressUseCr: true, timestamps: true });
    expect(optind).toBe(3);
  });

  it('finds the subcommand after --', () => {
    expect(parseGlobals(['xl', '-v', '--', '-N']).optind).toBe(3);
  });

  it('fails on anything else with glibc and xl messages, exit 1', () => {
    for (const [arg, c] of [['-A', 'A'], ['--help', '-'], ['-vx', 'x']]) {
      let caught: unknown;
      try {
        parseGlobals(['xl', arg, 'list']);
      } catch (e) {
        caught = e;
      }
      expect(caught).toBeInstanceOf(Exit);
      expect(caught).toMatchObject({ exitCode: 1, stderr: `xl: invalid option -- '${c}'\nunknown global option\n` });
    }
  });
});
