// src/cli: the `xl` command line. Owns the command table (cmdtable.ts, data
// mirroring the C xl's), global option parsing, subcommand lookup, help text,
// the glibc-compatible option parser, output helpers and top-level error
// reporting. Commands live in commands/<name>.ts, each exporting
// run(ctx): exit status, and are imported only when run.
//
// For command authors: loop over ctx.options() as the C code loops over
// SWITCH_FOREACH_OPT, then use its .operands. Throw XlError (or any error
// with exitCode) to fail with "xl: <message>"; throw Exit for the C xl's own
// wording. Do not catch Exit: -h and usage errors use it to end the run.
// Data flows CLI -> libxl -> lower layers; nothing below imports this folder.
export type { CommandContext, CommandModule, CommandSpec, GetoptSpec, GlobalOptions, Target } from './types.js';
export { Exit, XlError } from './errors.js';
export { CommandOptions, type ParsedOption } from './options.js';
export { sprintf } from './format.js';
export { out, err, printf, eprintf, flush, colourEnabled, loadChalk } from './output.js';
