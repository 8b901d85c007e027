// xl.c parse_global_config for commands other than create: /etc/xen/xl.conf
// (XL_GLOBAL_CONFIG in the environment replaces it, as for `xl create`),
// its warnings on stderr, the C xl's complaint when it cannot be read.
import { readFile } from 'node:fs/promises';
import type { XenVersion } from '../config-parser/model/dsl.js';
import type { XlConf } from '../config-parser/xlconf.js';
import { Exit } from './errors.js';
import { err } from './output.js';

const XL_GLOBAL_CONFIG = '/etc/xen/xl.conf';

const STRERROR: Record<string, string> = {
  ENOENT: 'No such file or directory', EACCES: 'Permission denied', EISDIR: 'Is a directory',
  ENOTDIR: 'Not a directory', ELOOP: 'Too many levels of symbolic links',
};

export async function readGlobalConfig(version: XenVersion): Promise<XlConf> {
  const path = process.env.XL_GLOBAL_CONFIG || XL_GLOBAL_CONFIG;
  let text = '';
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    // The C xl goes on with the defaults.
    const code = (e as NodeJS.ErrnoException).code;
    err(`Failed to read config file: ${path}: ${(code && STRERROR[code]) ?? (e instanceof Error ? e.message : String(e))}\n`);
  }
  const { parseXlConf, ConfigError, formatDiagnostic } = await import('../config-parser/index.js');
  try {
    const { conf, warnings } = parseXlConf(text, path, version);
    for (const w of warnings) err(`${formatDiagnostic(w)}\n`);
    return conf;
  } catch (e) {
    if (e instanceof ConfigError) throw new Exit(e.exitCode, `${e.diagnostics.map(formatDiagnostic).join('\n')}\n`);
    throw e;
  }
}
