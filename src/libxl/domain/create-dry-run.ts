// `xl create -n` (and `xl -N create`): parse the config plus trailing
// key=value overrides, fill the domain config as xl_parse.c does, and
// print it as libxl_domain_config_to_json would. Nothing touches Xen.

import {
  applyGlobalAffinityMasks, buildDomainConfig, checkUnknownKeys, ConfigError, Reporter, domain_config, formatDiagnostic, genStruct, parseWithOverrides, readConfigFile,
  relabelDiagnostic, renderJson,
  type BuildOptions, type Diagnostic, type DomainConfig, type XenVersion,
} from '../../config-parser/index.js';
import type { XenCtrl } from '../../privcmd/xenctrl.js';

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
  const relabel = (d: Diagnostic) => relabelDiagnostic(d, fileLines, overrides);
  let built: ReturnType<typeof buildDomainConfig>;
  try {
    built = buildDomainConfig(parsed, { ...opts, xenVersion: version });
    if (!opts.ignoreGlobalAffinityMasks) applyGlobalAffinityMasks(built.config, opts.globals, { maxCpus: 8, ...opts.host }, path);
  } catch (e) {
    // Errors and the warnings before them, pointing at overrides where due.
    if (e instanceof ConfigError) {
      // A failure may come before the unknown-key check; a misspelt key is often its cause, so name those too.
      const keys = new Reporter(parsed.source);
      checkUnknownKeys(parsed, keys, version);
      const seen = new Set(e.warnings.map((w) => `${w.line}:${w.column}:${w.message}`));
      const extra = keys.warnings.filter((w) => !seen.has(`${w.line}:${w.column}:${w.message}`));
      throw new ConfigError(e.diagnostics.map(relabel), e.exitCode, [...parsed.warnings, ...[...e.warnings, ...extra].map(relabel)]);
    }
    throw e;
  }
  const { config, warnings } = built;
  const diagnostics = [...parsed.warnings, ...warnings.map(relabel)];
  const json = renderJson(genStruct(domain_config, config as unknown as Record<string, unknown>, version));
  return { json, warnings: diagnostics.map(formatDiagnostic), diagnostics, config };
}

/**
 * The host facts xl's parser asks libxl for: CPU bitmaps are sized by
 * libxl_get_max_cpus (max_cpu_id + 1), vnuma checks libxl_get_online_cpus
 * (nr_cpus) and physinfo's nr_nodes, and "node:N" in cpus= uses the CPU topology.
 */
export function dryRunHost(xc: Pick<XenCtrl, 'physinfo' | 'cpuTopology'>): NonNullable<BuildOptions['host']> {
  const p = xc.physinfo();
  // Nodes that have CPUs (max_node_id is Xen's MAX_NUMNODES - 1, not the highest node present).
  const nodeCpus: number[][] = [];
  for (const t of xc.cpuTopology()) if (t.node !== null) (nodeCpus[t.node] ??= []).push(t.cpu);
  for (let i = 0; i < nodeCpus.length; i++) nodeCpus[i] ??= [];
  return { maxCpus: p.maxCpuId + 1, onlineCpus: p.nrCpus, nrNodes: p.nrNodes, nodeCpus };
}
