// Config text as `xl create` assembles it: the file, then each trailing
// `key=value` argument on its own line (so they win, being last), then
// parsed. Diagnostics on the appended lines point at the command line.

import { readFile, stat } from 'node:fs/promises';
import { ConfigSyntaxError, type Diagnostic } from './errors.js';
import { parseConfigText, type ParsedConfig } from './parser.js';

export const COMMAND_LINE_SOURCE = '<command line>';

/** create_domain's buffer: file + "\n" + overrides (each + "\n") + "\n". */
export function assembleConfigText(fileText: string, overrides: string[]): { text: string; fileLines: number } {
  const fileLines = fileText.split('\n').length;
  if (overrides.length === 0) return { text: fileText, fileLines };
  const extra = overrides.map((o) => o + '\n').join('');
  return { text: `${fileText}\n${extra}\n`, fileLines };
}

function relabel(d: Diagnostic, fileLines: number, overrides: string[]): Diagnostic {
  if (d.line <= fileLines || overrides.length === 0) return d;
  const idx = d.line - fileLines - 1;
  return { ...d, source: COMMAND_LINE_SOURCE, line: idx + 1, near: d.near ?? overrides[idx] };
}

/** Parses file text plus command-line overrides; throws ConfigError. */
export function parseWithOverrides(fileText: string, overrides: string[], source: string): { parsed: ParsedConfig; fileLines: number } {
  const { text, fileLines } = assembleConfigText(fileText, overrides);
  try {
    const parsed = parseConfigText(text, source);
    parsed.warnings.splice(0, parsed.warnings.length, ...parsed.warnings.map((w) => relabel(w, fileLines, overrides)));
    return { parsed, fileLines };
  } catch (e) {
    if (e instanceof ConfigSyntaxError) throw new ConfigSyntaxError(e.diagnostics.map((d) => relabel(d, fileLines, overrides)));
    throw e;
  }
}

/** glibc's wording for the errors a config read can hit. */
const STRERROR: Record<string, string> = {
  ENOENT: 'No such file or directory', EACCES: 'Permission denied', EISDIR: 'Is a directory',
  ENOTDIR: 'Not a directory', ELOOP: 'Too many levels of symbolic links', EIO: 'Input/output error',
  ENAMETOOLONG: 'File name too long', EPERM: 'Operation not permitted',
};

export class ConfigReadError extends Error {
  /** `xl create` returns ERROR_FAIL (3) when the file cannot be read. */
  readonly exitCode = 3;
  constructor(readonly path: string, reason: NodeJS.ErrnoException | string) {
    const why = typeof reason === 'string' ? reason : (reason.code && STRERROR[reason.code]) ?? reason.message;
    super(`Failed to read config file: ${path}: ${why}`);
    this.name = 'ConfigReadError';
  }
}

/** Reads a config file ("/dev/null" means none, as in xl). Like libxl, only plain files. */
export async function readConfigFile(path: string): Promise<string> {
  if (path === '/dev/null') return '';
  try {
    // libxl_read_file_contents refuses directories, FIFOs and devices.
    if (!(await stat(path)).isFile()) throw new ConfigReadError(path, 'not a plain file');
    return await readFile(path, 'utf8');
  } catch (e) {
    if (e instanceof ConfigReadError) throw e;
    throw new ConfigReadError(path, e as NodeJS.ErrnoException);
  }
}

export { relabel as relabelDiagnostic };
