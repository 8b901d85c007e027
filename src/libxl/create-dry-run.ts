// `xl create -n` (and `xl -N create`): parse the config plus trailing
// key=value overrides, fill the domain config as xl_parse.c does, and
// print it as libxl_domain_config_to_json would. Nothing touches Xen.

import {
  applyGlobalAffinityMasks, buildDomainConfig, domain_config, formatDiagnostic, genStruct, parseWithOverrides, readConfigFile,
  relabelDiagnostic, renderJson,
  type BuildOptions, type Diagnostic, type DomainConfig, type XenVersion,
} from '../config-parser/index.js';

export interface DryRunOptions extends BuildOptions {
  /** Which C xl to match; default 4.17. */
  xenVersion?: XenVersion;
  /** Config text to use instead of reading `path` (tests, stdin). */
  text?: string;
  /** `xl create -i`: do not apply xl.conf's vm.cpumask masks. */
  ignoreGlobalAffinityMasks?: boolean;
}

export interface DryRunResult {
  /** Exactly what xl prints on stdout. */
  json: string;
  /** Formatted `file:line:column: warning: ...` lines for stderr. */
  warnings: string[];
  diagnostics: Diagnostic[];
  config: DomainConfig;
}

/**
 * Throws ConfigError (exit 1) for bad configs and ConfigReadError (exit 3)
 * when the file cannot be read, like the C xl.
 */
export async function dryRunCreate(path: string, overrides: string[], opts: DryRunOptions = {}): Promise<DryRunResult> {
  const version = opts.xenVersion ?? '4.17';
  const fileText = opts.text ?? (await readConfigFile(path));
  const { parsed, fileLines } = parseWithOverrides(fileText, overrides, path);
  const { config, warnings } = buildDomainConfig(parsed, { ...opts, xenVersion: version });
  if (!opts.ignoreGlobalAffinityMasks) applyGlobalAffinityMasks(config, opts.globals, { maxCpus: 8, ...opts.host }, path);
  const diagnostics = [...parsed.warnings, ...warnings.map((w) => relabelDiagnostic(w, fileLines, overrides))];
  const json = renderJson(genStruct(domain_config, config as unknown as Record<string, unknown>, version));
  return { json, warnings: diagnostics.map(formatDiagnostic), diagnostics, config };
}
